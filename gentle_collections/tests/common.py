"""The shared test layer of gentle_collections, reusable by other addons.

``GentleFollowupCommon`` (built on ``AccountTestInvoicingCommon``) gives every
test class its own accounting company with a copy of the shipped default policy,
and drives the follow-up the way users and the scheduler do:

- ``pay(invoices, amount=None, date=None)``: a real payment, registered with the
  ``account.payment.register`` wizard, then what runs when its transaction
  commits (``commit_hooks``: the customers' score refresh) (from
  ``GentleTestMixin``);
- ``run_followup(now=RUN_NOW, company=None)``: the scheduled action
  (``gentle.followup.engine._cron_followup``) called until it has no batch left,
  at frozen time ``now``; returns the follow-up actions it created;
  ``assert_followup_sends`` / ``assert_followup_sends_nothing`` run it and
  check what one customer was sent;
- ``trap_followups()``: what the follow-up did during a block, read from the
  records it leaves (``gentle.followup.action``, ``mail.message``,
  ``mail.mail``, ``mail.activity``), with ``assert_sent``,
  ``assert_nothing_sent`` and ``messages``;
- ``assertRefused(exception, message, records=..., models=...)``: an error is
  raised, matching ``message``, and the given records and models are left as
  they were (from ``GentleTestMixin``).

``GentleTestMixin`` brings ``pay`` and ``assertRefused`` to test bases that are
not about the follow-up (plans, promises, cases, scores). Pure functions
(``tools/``) are tested on ``odoo.tests.BaseCase``, without a database.
"""

import logging
import re
from concurrent.futures import CancelledError
from contextlib import contextmanager
from datetime import date, datetime

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

_logger = logging.getLogger(__name__)


def gentle_start_tour(case, url_path, tour_name, **kwargs):
    """``case.start_tour(...)``, started once more when Chrome's DevTools channel
    drops before the tour could report (``CancelledError`` from the browser
    connection: the browser failed, not the tour). Any tour failure still fails.
    Each call opens a fresh Chrome, so the second attempt starts clean."""
    try:
        return case.start_tour(url_path, tour_name, **kwargs)
    except CancelledError:
        _logger.info(
            "Chrome's DevTools channel dropped before tour %s reported; "
            "starting it once more",
            tour_name,
        )
        return case.start_tour(url_path, tour_name, **kwargs)


def create_gentle_users(env, company=None):
    """Create one user per role that collections features distinguish.

    :param env: an environment with rights to create users
    :param company: the users' company (the current company by default)
    :returns: dict ``{"accountant", "manager", "account_admin", "salesman"}``
    """
    company = company or env.company
    common = {"company_id": company.id, "company_ids": [company.id]}
    return {
        # Works the collections queue.
        "accountant": new_test_user(
            env,
            login="gentle_accountant",
            groups="base.group_user,gentle_collections.group_gentle_user",
            name="Alice Accountant",
            **common,
        ),
        # Configures policies and approves final notices.
        "manager": new_test_user(
            env,
            login="gentle_manager",
            groups="base.group_user,gentle_collections.group_gentle_manager",
            name="Max Manager",
            **common,
        ),
        # Accounting administrator: collections manager by implication.
        "account_admin": new_test_user(
            env,
            login="gentle_account_admin",
            groups="base.group_user,account.group_account_manager",
            name="Ada Admin",
            **common,
        ),
        # An employee with no accounting rights at all.
        "salesman": new_test_user(
            env,
            login="gentle_salesman",
            groups="base.group_user",
            name="Sam Sales",
            **common,
        ),
    }


# A Tuesday, 11:00 in Brussels (CET, UTC+1): inside the default 09:00-17:00 window.
RUN_NOW = datetime(2026, 11, 10, 10, 0)
RUN_DATE = date(2026, 11, 10)

# Action states in which the follow-up reached the customer (or its mail queue,
# or scheduled the activity); the others (awaiting approval, failed, skipped)
# did not.
SENT_STATES = ("queued", "sent")
# The models whose new rows tell what a follow-up did, for ``trap_followups``.
TRAPPED_MODELS = (
    "gentle.followup.action",
    "mail.message",
    "mail.mail",
    "mail.activity",
)


def _last_id(env, model):
    """The highest id of ``model`` so far: rows above it are new. Pending work
    (tracking messages...) is flushed first, so that it does not count as new."""
    env.cr.flush()
    env.cr.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{env[model]._table}"')
    return env.cr.fetchone()[0]


def _new_rows(env, model, last_id):
    return env[model].sudo().search([("id", ">", last_id)], order="id")


class FollowupTrap:
    """What the follow-up did for customers while a ``trap_followups()`` block
    ran, read from the records it left behind (nothing is patched).

    After the block:

    - ``actions``: the ``gentle.followup.action`` rows created, and those
      created before that sent their message during the block (approved);
    - ``mails``: the outgoing ``mail.mail`` created;
    - ``activities``: the ``mail.activity`` scheduled;
    - ``customer_messages``: the messages posted to customers (emails and SMS
      on a contact's chatter, internal notes excluded);
    - ``messages(partner)``, ``assert_sent(...)``, ``assert_nothing_sent(...)``.
    """

    def __init__(self, case):
        self._case = case
        self._env = case.env
        self._last = {}
        self.actions = self._env["gentle.followup.action"]
        self.mails = self._env["mail.mail"]
        self.activities = self._env["mail.activity"]
        self.customer_messages = self._env["mail.message"]

    def _start(self):
        self._last = {model: _last_id(self._env, model) for model in TRAPPED_MODELS}

    def _stop(self):
        env = self._env
        env.cr.flush()
        new = {model: _new_rows(env, model, last) for model, last in self._last.items()}
        self.mails = new["mail.mail"]
        self.activities = new["mail.activity"]
        # Created during the block, or made before and sent during it (approved).
        self.actions = new["gentle.followup.action"] | new[
            "gentle.followup.action"
        ].search(
            [
                "|",
                ("mail_message_id", "in", new["mail.message"].ids),
                ("activity_id", "in", self.activities.ids),
            ],
            order="id",
        )
        note = env.ref("mail.mt_note")
        self.customer_messages = new["mail.message"].filtered(
            lambda m: (
                m.model == "res.partner"
                and (
                    m.message_type == "sms"
                    or (m.message_type in ("comment", "email") and m.subtype_id != note)
                )
            )
        )

    # ------------------------------------------------------------------
    # Reading
    # ------------------------------------------------------------------

    def _customer(self, partner):
        return partner.commercial_partner_id

    def actions_of(self, partner, channel=None, states=None):
        """Actions created for ``partner`` (its commercial entity), optionally of
        one ``channel`` and in ``states``."""
        customer = self._customer(partner)
        return self.actions.filtered(
            lambda a: (
                a.partner_id == customer
                and (channel is None or a.channel == channel)
                and (states is None or a.state in states)
            )
        )

    def _messages_of(self, partner):
        customer = self._customer(partner)
        return self.customer_messages.filtered(
            lambda m: m.res_id == customer.id or customer in m.partner_ids
        )

    def messages(self, partner):
        """What ``partner`` (its commercial entity) was sent, oldest first: one
        dict per message with ``channel`` ("email" or "sms"), ``subject``,
        ``body`` (HTML), ``recipients`` (partners), ``emails`` (the addresses the
        outgoing mails go to), ``attachments`` (file names) and ``message``."""
        result = []
        for message in self._messages_of(partner).sorted("id"):
            mails = self.mails.filtered(lambda m, msg=message: m.mail_message_id == msg)
            result.append(
                {
                    "channel": "sms" if message.message_type == "sms" else "email",
                    "subject": message.subject or "",
                    "body": str(message.body or ""),
                    "recipients": message.partner_ids,
                    "emails": sorted(
                        set(mails.recipient_ids.mapped("email"))
                        | {m.email_to for m in mails if m.email_to}
                    ),
                    "attachments": message.attachment_ids.mapped("name"),
                    "message": message,
                }
            )
        return result

    # ------------------------------------------------------------------
    # Assertions
    # ------------------------------------------------------------------

    def assert_sent(self, partner, count=1, channel="email"):
        """Assert that the follow-up sent ``count`` ``channel`` actions to
        ``partner`` and that the customer received exactly that: for email, as
        many messages on its chatter, each queued as an outgoing mail; for SMS,
        as many SMS; for letters, calls and activities, an activity each.
        Returns the actions."""
        case = self._case
        customer = self._customer(partner)
        actions = self.actions_of(customer, channel, SENT_STATES)
        case.assertEqual(
            len(actions),
            count,
            f"{customer.display_name}: expected {count} {channel} follow-up(s) "
            f"sent, got {len(actions)} (all actions trapped: "
            f"{[(a.partner_id.name, a.channel, a.state) for a in self.actions]})",
        )
        if channel in ("email", "sms"):
            messages = [m for m in self.messages(customer) if m["channel"] == channel]
            case.assertEqual(
                len(messages),
                count,
                f"{customer.display_name}: {count} {channel} action(s) but "
                f"{len(messages)} {channel} message(s) delivered",
            )
            case.assertEqual(
                actions.mail_message_id,
                self._union_messages(m["message"] for m in messages),
                "every delivered message is the one recorded on its action",
            )
            if channel == "email":
                for message in messages:
                    case.assertTrue(
                        message["emails"],
                        f"{message['subject']!r} was not queued as an outgoing mail",
                    )
        else:
            case.assertEqual(
                len(actions.activity_id & self.activities),
                count,
                f"{customer.display_name}: each {channel} action schedules an activity",
            )
        return actions

    def _union_messages(self, messages):
        return self._env["mail.message"].union(*messages)

    def assert_nothing_sent(self, partner):
        """Assert that ``partner`` (its commercial entity) was sent nothing: no
        action was queued or sent for it (one awaiting approval, failed or
        skipped is not sent), no email or SMS reached its chatter and no outgoing
        mail is addressed to it."""
        case = self._case
        customer = self._customer(partner)
        sent = self.actions_of(customer, states=SENT_STATES)
        case.assertFalse(
            sent,
            f"{customer.display_name} was sent {sent.mapped('channel')}",
        )
        case.assertFalse(
            self.messages(customer),
            f"{customer.display_name} received messages",
        )
        addresses = {customer.email} | set(customer.child_ids.mapped("email"))
        addresses.discard(False)
        case.assertFalse(
            self.mails.filtered(
                lambda m: (
                    customer in m.recipient_ids
                    or set(m.recipient_ids.mapped("email")) & addresses
                    or m.email_to in addresses
                )
            ),
            f"an outgoing mail is addressed to {customer.display_name}",
        )


class GentleTestMixin:
    """``pay`` and ``assertRefused``, for any ``TransactionCase`` of the addon
    (``GentleFollowupCommon`` has them; other bases mix this in)."""

    @classmethod
    def pay(cls, invoices, amount=None, date=None, **values):
        """Register a payment of ``invoices`` with the payment wizard
        (``account.payment.register``), as a user does from the invoice.

        :param amount: in the invoices' currency; default the full residual. A
            partial amount leaves the rest open.
        :param date: payment date (default today)
        :param values: more wizard values (``journal_id``, ``group_payment``...)
        :returns: the ``account.payment`` created (one per invoice unless grouped)
        """
        vals = {"payment_date": date or fields.Date.context_today(invoices[:1])}
        if amount is not None:
            vals["amount"] = amount
            vals["payment_difference_handling"] = "open"
        vals.update(values)
        wizard = (
            cls.env["account.payment.register"]
            .with_company(invoices.company_id[:1])
            .with_context(active_model="account.move", active_ids=invoices.ids)
            .create(vals)
        )
        payments = wizard._create_payments()
        cls.commit_hooks()
        return payments

    @classmethod
    def commit_hooks(cls):
        """What runs when the user's transaction commits (Odoo's pre-commit
        hooks: the score refresh of the customers paid in it, tracking), without
        committing the test's transaction."""
        cls.env.cr.flush()

    # ------------------------------------------------------------------
    # Refusals
    # ------------------------------------------------------------------

    @contextmanager
    def assertRefused(  # noqa: N802 - named like the unittest assertions
        self,
        exception=UserError,
        message=None,
        records=None,
        models=(),
        field_names=None,
    ):
        """Assert that the block is refused and that the refusal changes nothing.

        The block must raise ``exception`` (a ``UserError`` by default, which
        ``ValidationError`` is), whose text must match the regular expression
        ``message`` when given. Like ``assertRaises``, the block runs in a
        savepoint rolled back on the error (as the request would be). Then, read
        afresh from the database, ``records`` still exist with the values they
        had before (their stored fields, or ``field_names``) and no row was created in
        ``models`` nor in the models of ``records``.

        :param records: a recordset or a list of recordsets
        :param models: model names in which nothing may be created
        :returns: the ``assertRaises`` context, whose ``exception`` is the error
        """
        if records is None:
            records = []
        elif not isinstance(records, (list, tuple)):
            records = [records]
        self.env.cr.flush()
        before = [(recs, self._refused_values(recs, field_names)) for recs in records]
        names = set(models) | {recs._name for recs in records}
        last_ids = {name: _last_id(self.env, name) for name in names}
        with self.assertRaises(exception) as context:
            yield context
        if message is not None:
            self.assertRegex(str(context.exception), re.compile(message))
        self.env.invalidate_all()
        for recs, values in before:
            self.assertEqual(
                recs.sudo().exists(), recs.sudo(), f"refused, yet {recs} is gone"
            )
            self.assertEqual(
                self._refused_values(recs, field_names),
                values,
                f"refused, yet {recs} changed",
            )
        for name, last in last_ids.items():
            self.assertFalse(
                _new_rows(self.env, name, last), f"refused, yet {name} rows appeared"
            )

    @staticmethod
    def _refused_values(records, names=None):
        if names is None:
            names = [
                name
                for name, field in records._fields.items()
                if field.store
                and name not in ("write_date", "write_uid", "__last_update")
            ]
        # x2many values compared as sets: their order is the comodel's, which
        # a fresh read may break ties of differently.
        return [
            {
                name: sorted(value) if isinstance(value, list) else value
                for name, value in row.items()
            }
            for row in records.sudo().read(list(names))
        ]


@tagged("post_install", "-at_install")
class GentleFollowupCommon(GentleTestMixin, AccountTestInvoicingCommon):
    """The shared layer of the follow-up tests (see the module docstring).

    Every test class works in its own accounting company (created by
    ``AccountTestInvoicingCommon``), which receives a copy of the shipped default
    policy. ``run_followup`` follows up that company and the companies the tests
    create, not the ones that were there before (demo data).
    """

    @classmethod
    def default_env_context(cls):
        # Chatter notes are part of what the follow-up does: keep mail active.
        return {"no_reset_password": True}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        # The companies that were there before the class (demo data): out of
        # the class's follow-up runs (see run_followup).
        cls._gentle_foreign_defaults = (
            cls.env["gentle.followup.policy"]
            .sudo()
            .search([("company_id", "!=", cls.company.id), ("is_default", "=", True)])
        )
        cls.company.resource_calendar_id.tz = "Europe/Brussels"
        cls.company.write(
            {
                "gentle_window_start": 9.0,
                "gentle_window_end": 17.0,
                "gentle_window_days": "weekdays",
                "gentle_batch_size": 200,
            }
        )
        cls.policy = cls.company.gentle_default_policy_id
        cls.levels = {level.day_offset: level for level in cls.policy.level_ids}
        cls.engine = cls.env["gentle.followup.engine"].with_company(cls.company)
        cls.customer = cls._gentle_customer("Ann Customer")

    # ------------------------------------------------------------------
    # Fixtures
    # ------------------------------------------------------------------

    @classmethod
    def _gentle_customer(cls, name, tz="Europe/Brussels", lang="en_US", **values):
        email = values.pop("email", None) or (
            name.lower().replace(" ", ".") + "@example.com"
        )
        return cls.env["res.partner"].create(
            {
                "name": name,
                "email": email,
                "tz": tz,
                "lang": lang,
                "is_company": True,
                **values,
            }
        )

    @classmethod
    def _gentle_invoice(
        cls,
        partner,
        invoice_date,
        due=None,
        amount=1000.0,
        term=None,
        post=True,
        move_type="out_invoice",
        **values,
    ):
        """A customer invoice with one untaxed line, posted by default."""
        vals = {
            "move_type": move_type,
            "partner_id": partner.id,
            "invoice_date": invoice_date,
            "invoice_line_ids": [
                Command.create(
                    {
                        "name": "Consulting",
                        "quantity": 1,
                        "price_unit": amount,
                        "tax_ids": [Command.clear()],
                    }
                )
            ],
            **values,
        }
        if term:
            vals["invoice_payment_term_id"] = term.id
        else:
            vals["invoice_date_due"] = due or invoice_date
        move = cls.env["account.move"].create(vals)
        if post:
            move.action_post()
        return move

    @classmethod
    def _gentle_instalment_term(cls):
        """30 % after 10 days, the rest after 40 days."""
        return cls.env["account.payment.term"].create(
            {
                "name": "Gentle 30/70",
                "company_id": cls.company.id,
                "line_ids": [
                    Command.create(
                        {"value": "percent", "value_amount": 30, "nb_days": 10}
                    ),
                    Command.create(
                        {"value": "percent", "value_amount": 70, "nb_days": 40}
                    ),
                ],
            }
        )

    @classmethod
    def _gentle_pay(cls, move, payment_date, amount=None):
        """Older name of ``pay``, kept for the tests that still use it."""
        return cls.pay(move, amount=amount, date=payment_date)

    @staticmethod
    def _gentle_receivables(move):
        return move.line_ids.filtered(
            lambda line: line.display_type == "payment_term"
        ).sorted("date_maturity")

    def _gentle_message(self, partner, day, lines=None, **values):
        """A draft follow-up message to ``partner`` on ``day`` reminding of
        ``lines`` (at the policy's first level), as the engine saves one before
        its templates render on it: to render wording on chosen lines and days."""
        level = self.policy.level_ids.sorted("day_offset")[:1]
        return (
            self.env["gentle.followup.communication"]
            .sudo()
            .create(
                {
                    "partner_id": partner.id,
                    "company_id": self.company.id,
                    "date": day,
                    "step_ids": [
                        Command.create({"move_line_id": line.id, "level_id": level.id})
                        for line in (lines or self.env["account.move.line"])
                    ],
                    **values,
                }
            )
            .with_env(self.env)
        )

    # ------------------------------------------------------------------
    # Running
    # ------------------------------------------------------------------

    def run_followup(self, now=RUN_NOW, company=None):
        """Run the follow-up as the scheduler does, at ``now``.

        Calls the scheduled action's method ``_cron_followup(now=now)`` as the
        superuser, under ``freeze_time(now)``, again and again (as ``ir.cron``
        does while work remains) until it reports no batch left. A batch that
        fails fails the test (the scheduled action would only log it). The
        scheduled action goes through every company with a default policy: the
        companies that existed before the class (demo data) have theirs switched
        off for the call, so that only the class's companies are followed up.

        :param datetime now: naive UTC time of the run
        :param company: return only the actions of this company (default: all)
        :returns: the ``gentle.followup.action`` records created, by id
        """
        engine = self.env["gentle.followup.engine"].sudo()
        last = _last_id(self.env, "gentle.followup.action")
        foreign = self._gentle_foreign_defaults.filtered("is_default")
        foreign.is_default = False
        try:
            with freeze_time(now):
                for _call in range(50):
                    result = engine._cron_followup(now=now)
                    if result is None:
                        break
                    self.assertFalse(
                        result.get("errors"),
                        "a follow-up batch failed: see the logged error",
                    )
                else:
                    self.fail("the scheduled follow-up did not run out of batches")
        finally:
            foreign.is_default = True
        actions = _new_rows(self.env, "gentle.followup.action", last)
        if company:
            actions = actions.filtered(lambda a: a.company_id == company)
        return actions.with_env(self.env)

    def assert_followup_sends(self, partner=None, now=RUN_NOW, lines=None):
        """Run the follow-up at ``now`` and assert that it emailed ``partner``
        (default the customer) one reminder, about ``lines`` receivable lines
        when given. Returns ``(email action, trap)``."""
        partner = partner or self.customer
        with self.trap_followups() as trap:
            self.run_followup(now=now)
        email = trap.assert_sent(partner)
        if lines is not None:
            self.assertEqual(len(email.history_ids), lines, "lines reminded of")
        return email, trap

    def assert_followup_sends_nothing(self, partner=None, now=RUN_NOW):
        """Run the follow-up at ``now`` and assert that it did nothing: no
        action, no line recorded as reminded, nothing sent to ``partner``
        (default the customer)."""
        partner = partner or self.customer
        last_history = _last_id(self.env, "gentle.followup.history")
        with self.trap_followups() as trap:
            actions = self.run_followup(now=now)
        self.assertFalse(actions, "the follow-up acted")
        self.assertFalse(
            _new_rows(self.env, "gentle.followup.history", last_history),
            "the follow-up recorded lines as reminded",
        )
        trap.assert_nothing_sent(partner)
        return trap

    def _gentle_run(self, now=RUN_NOW, partners=None, **kwargs):
        """One batch of the engine for ``partners`` (default the customer):
        the engine's own entry point, for the tests of its batching options.
        Behaviour tests use ``run_followup``."""
        partners = partners if partners is not None else self.customer
        return self.engine._gentle_run(
            self.company, now=now, partner_ids=partners.ids, **kwargs
        )

    @contextmanager
    def trap_followups(self):
        """Trap what the follow-up does during the block (see ``FollowupTrap``)::

        with self.trap_followups() as trap:
            self.run_followup()
        trap.assert_sent(self.customer)
        trap.assert_nothing_sent(held)
        """
        trap = FollowupTrap(self)
        trap._start()
        yield trap
        trap._stop()

    def _gentle_history(self, moves):
        return self.env["gentle.followup.history"].search(
            [("move_id", "in", moves.ids)], order="id"
        )
