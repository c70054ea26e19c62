"""Early-payment discount nudges: a source of the follow-up engine.

A customer with an early-payment discount still open is reminded of it
``gentle_discount_nudge_days`` before its date, once per invoice, by the same
run that sends reminders and thank-yous: in the customer's contact window, never
for an invoice on hold (the engine's :meth:`_gentle_hold_sql`: blocked, paused
customer, open case, promise, plan...), never to a customer in hardship or not
eligible (``account.move._gentle_discount_eligible``), and in the customer's one
message of the run. Alone, the nudge is a friendly email of its own
(``mail_template_discount_nudge``); with a reminder or a thank-you, the same email
gets a short "you can still save by paying early" paragraph. The invoice's
``gentle_discount_nudged_on`` is the ledger that keeps a nudge from being sent
twice: the run that stamps it sends it.
"""

from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.tools import SQL


class GentleFollowupSourceDiscount(models.AbstractModel):
    _name = "gentle.followup.source.discount"
    _inherit = "gentle.followup.source"
    _description = "Follow-up Source: Early-Payment Discount Nudges"

    _gentle_key = "nudges"
    _gentle_sequence = 50
    _gentle_template = "gentle_collections.mail_template_discount_nudge"
    _gentle_item_model = "account.move"
    _gentle_claim_field = "gentle_discount_nudged_on"
    _gentle_draft_field = "nudge_line_ids"
    _gentle_action_field = "nudged_move_ids"

    @api.model
    def _gentle_candidates_sql(self, company, date, partner_ids=None):
        """SQL selecting the candidate discount lines to recall on ``date``.

        Columns: ``line_id``, ``partner_id`` (commercial). The receivable lines of
        posted customer invoices not nudged yet, not on hold, whose discount
        date falls within ``[date, date + nudge days]``. Whether the discount is
        still open and the customer eligible is decided by
        :meth:`_gentle_collect` (``account.move``'s one definition).
        """
        days = company.gentle_discount_nudge_days
        if days <= 0:
            return SQL(
                "SELECT NULL::int AS line_id, NULL::int AS partner_id WHERE FALSE"
            )
        conditions = [
            SQL(
                "aml.discount_date BETWEEN %s AND %s",
                date,
                date + timedelta(days=days),
            ),
            SQL("am.move_type = 'out_invoice'"),
            SQL("am.gentle_discount_nudged_on IS NULL"),
            SQL("am.payment_state IN ('not_paid', 'partial')"),
        ]
        return self.env["gentle.followup.engine"]._gentle_unheld_lines_sql(
            company, date, partner_ids, conditions
        )

    @api.model
    def _gentle_collect(self, company, date, partner_ids):
        """The discount lines to recall on ``date``, by customer id: the open
        discounts (``_gentle_discount_lines``) of eligible invoices
        (``_gentle_discount_eligible``) among the candidates of
        :meth:`_gentle_candidates_sql`.

        :rtype: dict
        """
        for model in ("account.move.line", "account.move", "res.partner"):
            self.env[model].flush_model()
        rows = self.env.execute_query(
            self._gentle_candidates_sql(company, date, partner_ids)
        )
        if not rows:
            return {}
        Line = self.env["account.move.line"]
        candidates = Line.browse([row[0] for row in rows])
        by_partner = defaultdict(lambda: Line)
        # Eligibility reads costs and grades the run's user may not see.
        for move in candidates.sudo().move_id:
            if not move._gentle_discount_eligible(date):
                continue
            lines = Line.browse(move._gentle_discount_lines(date).ids) & candidates
            if lines:
                by_partner[move.commercial_partner_id.id] |= lines
        return dict(by_partner)

    @api.model
    def _gentle_due_sql(self, company, date, partner_ids=None):
        # Whether a discount is still open is decided in Python (one
        # definition, on account.move): the customers come from there.
        return SQL(
            "SELECT unnest(%s::int[]) AS partner_id",
            list(self._gentle_collect(company, date, partner_ids)),
        )

    @api.model
    def _gentle_joins(self, communication):
        """A message that is no email (a letter, a call) cannot carry the
        nudge: it waits for the customer's next email."""
        return "email" in communication.channels

    @api.model
    def _gentle_claim_keys(self, items):
        # Claimed per invoice: a nudge recalls an invoice's discount once.
        return set(items.move_id.ids)

    @api.model
    def _gentle_rendered(self, communications):
        """Recall the discounts in a message whose wording does not list them
        (a payment plan's, a template of the company's own): at its end."""
        Message = self.env["mail.message"]
        body_field = Message._fields["body"]
        for communication in communications:
            body = communication.body
            if not communication.items.get(self._gentle_key) or not body:
                continue
            if "o_gentle_nudge" in body:
                continue
            record = communication.record
            paragraph = record.with_context(
                lang=communication.partner.lang or self.env.lang
            )._gentle_nudge_paragraph()
            if paragraph:
                communication.body = body_field.convert_to_cache(
                    Markup(body) + paragraph, Message
                )

    @api.model
    def _gentle_action_values(self, communication, channel):
        lines = communication.items.get(self._gentle_key)
        if not lines or channel != "email":
            return {}
        return {self._gentle_action_field: [Command.set(lines.move_id.ids)]}

    @api.model
    def _gentle_recipients(self, communication):
        """A nudge alone goes to the invoice contacts, as a reminder does."""
        return communication.nudge_line_ids.move_id.partner_id.filtered("email")

    @api.model
    def _gentle_approval_changes(self, action):
        """A recalled discount that ended, or was paid, since."""
        today = fields.Date.context_today(self)
        return [
            self.env._(
                "the early-payment discount of %(invoice)s has ended or was used",
                invoice=move.name,
            )
            for move in action.nudged_move_ids.sorted("name")
            if not move._gentle_discount_lines(today)
        ]

    @api.model
    def _gentle_log(self, actions):
        """Note the nudge on each invoice it recalled the discount of."""
        labels, states = self._gentle_action_labels(actions)
        bodies = {}
        for action in actions:
            for move in action.nudged_move_ids:
                bodies[move.id] = Markup("<p>%s</p>") % self.env._(
                    "Early-payment discount recalled: %(channel)s (%(state)s)",
                    channel=labels[action.channel],
                    state=states[action.state],
                )
        if bodies:
            self.env["account.move"].browse(list(bodies))._gentle_log_notes(bodies)
