"""The declared interface of a source of follow-up.

Everything a customer receives from the follow-up comes from a *source*: the
receivable lines of invoices (reminders), payment-plan instalments, paid
invoices and kept promises (thank-yous), promises to pay recorded or broken
(confirmations, gentle notes), early-payment discounts (nudges). The
engine (``gentle.followup.engine``) asks every source, in sequence, what it has
due, puts what each customer has due into one :class:`Communication` (one
message per customer per run), renders it, has every source claim its items
exactly once, and records one action per channel.

Each communication is saved as a draft ``gentle.followup.communication`` before
it is rendered: every source stores its items on that record
(:meth:`GentleFollowupSource._gentle_draft_values`) and the mail templates
render on it.

A new kind of message is a new source: a file with one model that inherits
``gentle.followup.source``, sets :attr:`_gentle_key` and implements
:meth:`_gentle_due_sql` and :meth:`_gentle_collect`; everything else has a
default. It never mails anyone itself: the engine sends, so the contact window,
holds, pauses, open cases, promises and plans hold for it too.
"""

from markupsafe import Markup

from odoo import Command, api, models
from odoo.tools import SQL


class Communication:
    """One message to one customer in one run, before it is recorded.

    The engine fills the message attributes; each source keeps its items under
    its own key in :attr:`items` (``communication.items["thanks"]``, say). A
    source reads and writes only its own key.

    :ivar partner: the customer (commercial partner)
    :ivar company: the company following up
    :ivar date: the run date (the company's local date)
    :ivar level: the firmest follow-up level reached (may be empty)
    :ivar policy: that level's policy (may be empty)
    :ivar tone: ``friendly`` … ``firm``
    :ivar channels: list of channels (``email``, ``sms``, ``letter``, …)
    :ivar approval: whether a manager approves it before it goes out
    :ivar template: the mail template of its wording (may be empty)
    :ivar subject: rendered subject (``False`` when nothing is emailed)
    :ivar body: rendered body, as the chatter stores it
    :ivar history: the ``gentle.followup.history`` rows claimed for it
    :ivar items: ``{source key: items}``
    :ivar record: the draft ``gentle.followup.communication`` it was saved as
    """

    __slots__ = (
        "approval",
        "body",
        "channels",
        "company",
        "date",
        "history",
        "items",
        "level",
        "partner",
        "policy",
        "record",
        "subject",
        "template",
        "tone",
    )

    def __init__(self, partner, company, date, template=None):
        env = partner.env
        self.partner = partner
        self.company = company
        self.date = date
        self.level = env["gentle.followup.level"]
        self.policy = env["gentle.followup.policy"]
        self.tone = "friendly"
        self.channels = ["email"]
        self.approval = False
        self.template = template or env["mail.template"]
        self.subject = False
        self.body = False
        self.history = env["gentle.followup.history"]
        self.items = {}
        self.record = env["gentle.followup.communication"]

    def __repr__(self):
        return f"<Communication {self.partner!r} {sorted(self.items)}>"


class GentleFollowupSource(models.AbstractModel):
    """What a source of follow-up declares; the defaults suit a source whose
    items are records stamped once with a date (thank-yous, say)."""

    _name = "gentle.followup.source"
    _description = "Follow-up Source"

    #: Key of the source's items in :attr:`Communication.items`.
    _gentle_key = None
    #: Sources fill a customer's communication in this order; the first that
    #: has something for a customer with no reminder due words the message.
    _gentle_sequence = 100
    #: XML id of the wording of a message with only this source's items.
    _gentle_template = None
    #: Model of the items, and the date field that claims each exactly once.
    _gentle_item_model = None
    _gentle_claim_field = None
    #: Field of ``gentle.followup.communication`` holding the items, where the
    #: mail templates and the views of what a message lists find them.
    _gentle_draft_field = None
    #: Many2many of ``gentle.followup.action`` recording the items.
    _gentle_action_field = None

    # ------------------------------------------------------------------
    # Selecting
    # ------------------------------------------------------------------

    @api.model
    def _gentle_due_sql(self, company, date, partner_ids=None):
        """SQL with a ``partner_id`` column (commercial): the customers with
        something of this source due on ``date``. Whatever it selects,
        :meth:`_gentle_collect` must return and :meth:`_gentle_claim` claim, or
        the customer would stay due forever."""
        raise NotImplementedError

    @api.model
    def _gentle_collect(self, company, date, partner_ids):
        """The items due on ``date`` for these customers: ``{partner id:
        items}``, items in the order the message lists them."""
        raise NotImplementedError

    @api.model
    def _gentle_joins(self, communication):
        """Whether this source's items may travel in ``communication`` (the
        message another source prepared for the same customer)."""
        return True

    @api.model
    def _gentle_fill(self, communications, company, date, partner_ids):
        """Add this source's items to the customers' communications:
        ``communications`` is ``{partner id: Communication}``, extended with a
        communication in this source's wording for a customer with nothing
        else due."""
        template = self.env.ref(self._gentle_template, raise_if_not_found=False)
        for partner_id, items in self._gentle_collect(
            company, date, partner_ids
        ).items():
            communication = communications.get(partner_id)
            if communication is None:
                communication = communications[partner_id] = Communication(
                    self.env["res.partner"]
                    .browse(partner_id)
                    .with_prefetch(partner_ids),
                    company,
                    date,
                    template,
                )
            elif not self._gentle_joins(communication):
                continue
            communication.items[self._gentle_key] = items

    # ------------------------------------------------------------------
    # Claiming: each item exactly once
    # ------------------------------------------------------------------

    @api.model
    def _gentle_claim_keys(self, items):
        """What identifies each item in a claim (and in a preview)."""
        return set(items.ids)

    @api.model
    def _gentle_mark(self, keys, date):
        """Mark the items ``keys`` as done on ``date`` where nobody did yet, in
        one query; return the keys this transaction marked. Default: stamp
        :attr:`_gentle_claim_field` where it is empty."""
        if not keys:
            return set()
        records = self.env[self._gentle_item_model].browse(sorted(keys))
        column = SQL.identifier(self._gentle_claim_field)
        rows = self.env.execute_query(
            SQL(
                "UPDATE %s SET %s = %s WHERE id = ANY(%s) AND %s IS NULL RETURNING id",
                SQL.identifier(records._table),
                column,
                date,
                records.ids,
                column,
            )
        )
        records.invalidate_recordset([self._gentle_claim_field])
        return {row[0] for row in rows}

    @api.model
    def _gentle_claim(self, communications):
        """Claim this source's items of ``communications``; return those whose
        items were all claimed by this transaction (:meth:`_gentle_keep_marked`).
        """
        keys = set().union(
            *(
                self._gentle_claim_keys(c.items[self._gentle_key])
                for c in communications
                if c.items.get(self._gentle_key)
            )
        )
        if not keys:
            return communications
        marked = self._gentle_mark(keys, communications[0].date)
        return self._gentle_keep_marked(communications, marked)

    @api.model
    def _gentle_keep_marked(self, communications, marked):
        """The communications whose items of this source are all in ``marked``
        (the keys this transaction claimed): all or nothing. One with an item
        another run (or an older preview) claimed first is dropped; the engine
        then rolls back what the other sources claimed for it."""
        return [
            c
            for c in communications
            if not c.items.get(self._gentle_key)
            or self._gentle_claim_keys(c.items[self._gentle_key]) <= marked
        ]

    @api.model
    def _gentle_release(self, actions):
        """Undo the claims of ``actions`` that were not sent (stale when
        approved): the next run finds what is still due."""
        records = self.env[self._gentle_item_model].union(
            *(action[self._gentle_action_field] for action in actions)
        )
        if records:
            self.env.execute_query(
                SQL(
                    "UPDATE %s SET %s = NULL WHERE id = ANY(%s)",
                    SQL.identifier(records._table),
                    SQL.identifier(self._gentle_claim_field),
                    records.ids,
                )
            )
            records.invalidate_recordset([self._gentle_claim_field])

    # ------------------------------------------------------------------
    # Rendering, recording, logging
    # ------------------------------------------------------------------

    @api.model
    def _gentle_item_ids(self, items):
        """Ids of the item records (as the draft stores them)."""
        return items.ids

    @api.model
    def _gentle_draft_values(self, communication):
        """Values of the draft ``gentle.followup.communication`` that store
        this source's items of ``communication``."""
        items = communication.items.get(self._gentle_key)
        if not items:
            return {}
        return {self._gentle_draft_field: [Command.set(self._gentle_item_ids(items))]}

    @api.model
    def _gentle_rendered(self, communications):
        """After rendering: a source whose items the wording does not mention
        may add to the body."""

    @api.model
    def _gentle_action_values(self, communication, channel):
        """What the action of ``communication`` on ``channel`` records of this
        source's items."""
        items = communication.items.get(self._gentle_key)
        if not items:
            return {}
        return {self._gentle_action_field: [Command.set(items.ids)]}

    @api.model
    def _gentle_amount_due(self, communication):
        """What this source's items add to the amount the message is about."""
        return 0.0

    @api.model
    def _gentle_recipients(self, communication):
        """Who receives the email of ``communication`` (a saved
        ``gentle.followup.communication``) for this source's items (empty: let
        the next source, else the customer, decide)."""
        return self.env["res.partner"]

    @api.model
    def _gentle_log(self, actions):
        """Note what ``actions`` did on the records the items belong to."""

    @api.model
    def _gentle_approval_changes(self, action):
        """What changed since ``action`` was prepared for approval, in words."""
        return []

    @api.model
    def _gentle_note_list(self, title, texts):
        """A chatter note: ``title``, then ``texts`` as a list."""
        return Markup("<p>%s</p><ul>%s</ul>") % (
            title,
            Markup().join(Markup("<li>%s</li>") % text for text in sorted(set(texts))),
        )

    @api.model
    def _gentle_action_labels(self, actions):
        """``(channel labels, state labels)`` of ``gentle.followup.action``."""
        return (
            dict(actions._fields["channel"]._description_selection(self.env)),
            dict(actions._fields["state"]._description_selection(self.env)),
        )
