from collections import defaultdict
from datetime import date, datetime, timedelta

import pytz
from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import GentleFollowupCommon

BRUSSELS = pytz.timezone("Europe/Brussels")
# Friday 6 March 2026 00:00 UTC to Tuesday 17 March 2026, every three hours.
SIM_START = datetime(2026, 3, 6, 0, 0)
SIM_END = datetime(2026, 3, 18, 0, 0)
SIM_STEP = timedelta(hours=3)


@tagged("post_install", "-at_install")
class TestGentleOneMessage(GentleFollowupCommon):
    """Every message a customer receives goes through the follow-up engine: the
    discount nudge and the kept-promise thank-you too, in the contact window, at
    most one message per customer a day, none to a paused customer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The server runs this company only: the cron handles one company a call.
        others = cls.env["res.company"].search([("id", "!=", cls.company.id)])
        others.gentle_default_policy_id = False
        cls.company.write(
            {
                "gentle_thanks_mode": "always",
                "gentle_discount_nudge_days": 3,
                "gentle_promise_grace_days": 3,
            }
        )
        cls.term = cls.env["account.payment.term"].create(
            {
                "name": "2/10 net 30",
                "company_id": cls.company.id,
                "early_discount": True,
                "discount_percentage": 2.0,
                "discount_days": 10,
                "line_ids": [
                    Command.create(
                        {"value": "percent", "value_amount": 100, "nb_days": 30}
                    )
                ],
            }
        )
        # (1) A pre-due invoice with a discount until 12 March and an overdue one.
        cls.saver = cls.customer
        cls.saver_discount = cls._gentle_invoice(
            cls.saver, date(2026, 3, 2), amount=1234.5, term=cls.term
        )
        # Due Friday 6 March (too soon after its date for a pre-due reminder):
        # its first reminder (day 3) falls on Monday 9 March, the nudge's day.
        cls.saver_overdue = cls._gentle_invoice(
            cls.saver, date(2026, 3, 2), due=date(2026, 3, 6), amount=500.0
        )
        # (2) A promise to pay its overdue invoice by 10 March, kept.
        cls.keeper = cls._gentle_customer("Kim Keeper")
        cls.keeper_invoice = cls._gentle_invoice(
            cls.keeper, date(2026, 1, 21), due=date(2026, 2, 20), amount=800.0
        )
        with freeze_time(datetime(2026, 3, 2, 10, 0)):
            cls.promise = cls.env["gentle.payment.promise"].create(
                {
                    "partner_id": cls.keeper.id,
                    "move_ids": [Command.set(cls.keeper_invoice.ids)],
                    "amount": 800.0,
                    "date_promised": date(2026, 3, 10),
                }
            )
        # (3) Paused, with a discount and an overdue invoice.
        cls.paused = cls._gentle_customer("Pat Paused")
        cls.paused_discount = cls._gentle_invoice(
            cls.paused, date(2026, 3, 2), amount=900.0, term=cls.term
        )
        cls.paused_overdue = cls._gentle_invoice(
            cls.paused, date(2026, 1, 21), due=date(2026, 2, 20), amount=700.0
        )
        cls.paused.action_gentle_pause()
        # (4) An agreed plan, first instalment due Wednesday 11 March, and an
        # overdue invoice outside the plan whose first reminder is on 9 March.
        cls.planner = cls._gentle_customer("Paula Planner")
        cls.planned = cls._gentle_invoice(
            cls.planner, date(2026, 1, 21), due=date(2026, 2, 20), amount=600.0
        )
        cls.planner_overdue = cls._gentle_invoice(
            cls.planner, date(2026, 3, 2), due=date(2026, 3, 6), amount=250.0
        )
        with freeze_time(datetime(2026, 3, 2, 10, 0)):
            proposal = (
                cls.env["gentle.payment.plan.propose"]
                .with_context(active_model="account.move", active_ids=cls.planned.ids)
                .create(
                    {
                        "installment_count": 2,
                        "frequency": "monthly",
                        "date_first": date(2026, 3, 11),
                    }
                )
            )
            cls.plan = cls.env["gentle.payment.plan"].browse(
                proposal.action_create_plan()["res_id"]
            )
            cls.plan.action_agree()
        cls.customers = cls.saver | cls.keeper | cls.paused | cls.planner

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    def _run_crons(self, now):
        """What the server runs at ``now``: every scheduled action of the addon
        (data/*.xml), as its user, the follow-up cron called again while it
        reports work (as ir.cron does)."""

        def model(xmlid, name):
            cron = self.env.ref(f"gentle_collections.{xmlid}")
            return self.env(user=cron.user_id.id)[name]

        with freeze_time(now):
            self.env.invalidate_all()
            day = now.date()
            model("ir_cron_payment_promise", "gentle.payment.promise")._cron_decide(
                today=day
            )
            model("ir_cron_payment_plan", "gentle.payment.plan")._cron_plan_outcomes(
                today=day
            )
            model("ir_cron_case_escalation", "gentle.collection.case")._cron_escalate(
                now=now
            )
            if now.hour == 3:  # daily, at night (the whole database: once a day)
                model("ir_cron_score", "gentle.score.engine")._cron_score(date=day)
            engine = model("ir_cron_followup", "gentle.followup.engine")
            for _call in range(10):
                if engine._cron_followup(now=now) is None:
                    break

    def _simulate(self, until=SIM_END, events=None):
        events = dict(events or {})
        now = SIM_START
        while now < until:
            if now in events:
                events.pop(now)()
            self._run_crons(now)
            now += SIM_STEP

    def _customer_messages(self):
        """Messages with recipients among the customers (or their contacts),
        whatever record they were posted on."""
        partners = self.env["res.partner"].search(
            [("commercial_partner_id", "in", self.customers.ids)]
        )
        return (
            self.env["mail.message"]
            .sudo()
            .search(
                [
                    ("message_type", "in", ("comment", "email", "email_outgoing")),
                    ("partner_ids", "in", partners.ids),
                ],
                order="id",
            )
        )

    def _by_customer_day(self, messages):
        result = defaultdict(lambda: self.env["mail.message"])
        for message in messages:
            customer = message.partner_ids.commercial_partner_id & self.customers
            local = pytz.utc.localize(message.date).astimezone(BRUSSELS)
            result[(customer, local.date())] |= message
        return result

    def _assert_one_a_day_in_window(self, messages):
        for (customer, day), group in self._by_customer_day(messages).items():
            self.assertEqual(
                len(group), 1, f"{customer.name} got {len(group)} messages on {day}"
            )
        for message in messages:
            local = pytz.utc.localize(message.date).astimezone(BRUSSELS)
            self.assertEqual(message.model, "res.partner")
            self.assertLess(local.isoweekday(), 6, message.date)
            self.assertGreaterEqual(local.hour, 9, message.date)
            self.assertLess(local.hour, 17, message.date)

    # ------------------------------------------------------------------
    # Tests
    # ------------------------------------------------------------------

    def test_scheduled_actions_over_days(self):
        def keeper_pays():
            self._gentle_pay(self.keeper_invoice, date(2026, 3, 10))

        self._simulate(events={datetime(2026, 3, 10, 12, 0): keeper_pays})
        messages = self._customer_messages()
        self._assert_one_a_day_in_window(messages)
        by_customer = defaultdict(lambda: self.env["mail.message"])
        for message in messages:
            by_customer[message.partner_ids.commercial_partner_id] |= message
        # (3) Paused: nothing at all, and nothing claimed.
        self.assertFalse(by_customer[self.paused])
        self.assertFalse(self.paused_discount.gentle_discount_nudged_on)
        self.assertFalse(
            self.env["gentle.followup.history"].search(
                [("partner_id", "=", self.paused.id)]
            )
        )
        # (1) The nudge arrives on Monday 9 March, with that day's reminder.
        nudged = by_customer[self.saver].filtered(
            lambda m: "by paying early" in str(m.body)
        )
        self.assertEqual(len(nudged), 1)
        self.assertEqual(
            self.saver_discount.gentle_discount_nudged_on, date(2026, 3, 9)
        )
        body = str(nudged.body).replace("&nbsp;", "\xa0")
        self.assertIn(self.saver_discount.name, body)
        self.assertIn("save", body)
        actions = self.env["gentle.followup.action"].search(
            [("mail_message_id", "=", nudged.id)]
        )
        self.assertEqual(actions.nudged_move_ids, self.saver_discount)
        # Together with the reminder: one email, the nudge as a paragraph.
        email = actions.filtered(lambda a: a.channel == "email")
        self.assertEqual(email.move_ids, self.saver_overdue)
        self.assertIn("You can still save by paying early", body)
        self.assertIn(self.saver_overdue.name, body)
        self.assertEqual(nudged.partner_ids, self.saver)
        # (2) One thank-you for the paid invoice and the kept promise, on
        # Monday 16 March (decided on Saturday 14, thanked in the window).
        self.assertEqual(self.promise.state, "kept")
        thanks = by_customer[self.keeper].filtered(
            lambda m: "keeping your word" in str(m.body)
        )
        self.assertEqual(len(thanks), 1)
        self.assertIn(self.keeper_invoice.name, str(thanks.body))
        self.assertEqual(self.promise.thanked_on, date(2026, 3, 16))
        self.assertEqual(self.keeper_invoice.gentle_thanked_on, date(2026, 3, 16))
        self.assertEqual(
            len(by_customer[self.keeper].filtered(lambda m: "thank" in str(m.body))),
            1,
        )
        self.assertFalse(
            self.promise.message_ids.filtered(lambda m: m.message_type == "comment")
        )
        # Recorded on 2 March, the promise was confirmed once, in the first
        # run inside the keeper's window: Friday 6 March.
        confirmed = by_customer[self.keeper].filtered(
            lambda m: "o_gentle_promise_confirm" in str(m.body)
        )
        self.assertEqual(len(confirmed), 1)
        self.assertEqual(self.promise.confirmed_on, date(2026, 3, 6))
        # (4) The instalment reminders and the overdue invoice's reminder reach
        # the planner, never two on one day (asserted above for everyone).
        planner = by_customer[self.planner]
        self.assertTrue(planner.filtered(lambda m: self.plan.name in str(m.body)))
        self.assertTrue(
            planner.filtered(lambda m: self.planner_overdue.name in str(m.body))
        )
        first = self.plan.line_ids.sorted("date_due")[0]
        self.assertTrue(first.due_sent)
        # The instalment went unpaid: the plan broke, and only then was its
        # invoice reminded again as an invoice.
        self.assertEqual(self.plan.state, "broken")
        broken_on = self.plan.message_ids.filtered(
            lambda m: "broken" in str(m.body).lower()
        )[-1:].date.date()
        history = self.env["gentle.followup.history"].search(
            [("move_id", "=", self.planned.id)]
        )
        self.assertTrue(history)
        self.assertGreaterEqual(min(history.mapped("date")), broken_on)

    def test_nudge_claimed_once(self):
        """Two communications prepared for the same nudge: only the first sends."""
        nudger = self._gentle_customer("Nina Nudge")
        move = self._gentle_invoice(
            nudger, date(2026, 3, 2), amount=1000.0, term=self.term
        )
        engine = self.engine
        run_date = date(2026, 3, 10)
        first = engine._gentle_prepare(self.company, run_date, nudger.ids)
        second = engine._gentle_prepare(self.company, run_date, nudger.ids)
        self.assertEqual([c.items["nudges"].move_id for c in first], [move])
        self.assertEqual([c.items["nudges"].move_id for c in second], [move])
        sent = engine._gentle_execute(first)
        self.assertEqual(sent.nudged_move_ids, move)
        self.assertEqual(sent.mail_message_id.partner_ids, nudger)
        before = nudger.message_ids
        again = engine._gentle_execute(second)
        self.assertFalse(again)
        self.assertEqual(nudger.message_ids, before)
        self.assertEqual(move.gentle_discount_nudged_on, run_date)

    def test_stale_approval_releases_the_nudge(self):
        """A reminder awaiting approval carries the nudge; approved after the
        discount date, it is not sent and the nudge is released."""
        self.levels[3].requires_approval = True
        now = datetime(2026, 3, 9, 9, 0)
        with freeze_time(now):
            run = self.engine._gentle_run(
                self.company, now=now, partner_ids=self.saver.ids
            )
        email = run["actions"].filtered(lambda a: a.channel == "email")
        self.assertEqual(email.state, "awaiting_approval")
        self.assertEqual(email.nudged_move_ids, self.saver_discount)
        self.assertIn("You can still save by paying early", email.body_html)
        self.assertEqual(
            self.saver_discount.gentle_discount_nudged_on, date(2026, 3, 9)
        )
        with freeze_time(datetime(2026, 3, 13, 9, 0)):
            email.action_approve()
        self.assertEqual(email.state, "skipped")
        self.assertIn("early-payment discount", email.error_message)
        self.assertFalse(email.mail_message_id)
        self.assertFalse(self.saver_discount.gentle_discount_nudged_on)

    def test_sources_are_declared(self):
        """The engine asks every model implementing gentle.followup.source, in
        sequence, each under its own key; the interface itself selects nothing."""
        engine = self.env["gentle.followup.engine"]
        self.assertEqual(
            [source._name for source in engine._gentle_sources()],
            [
                "gentle.followup.source.invoice",
                "gentle.followup.source.plan_confirm",
                "gentle.followup.source.instalment",
                "gentle.followup.source.thanks",
                "gentle.followup.source.kept_promise",
                "gentle.followup.source.promise_confirm",
                "gentle.followup.source.broken_promise",
                "gentle.followup.source.discount",
            ],
        )
        keys = [source._gentle_key for source in engine._gentle_sources()]
        self.assertEqual(len(set(keys)), len(keys))
        with self.assertRaises(NotImplementedError):
            self.env["gentle.followup.source"]._gentle_due_sql(
                self.company, date(2026, 3, 2)
            )
        # The customers due are the union of what every source selects.
        query = engine._gentle_due_partners_sql(self.company, date(2026, 3, 2))
        self.assertEqual(query.code.count("UNION"), len(keys) - 1)
