from datetime import date, datetime, timedelta

from freezegun import freeze_time
from lxml import etree

from odoo import Command, fields, http
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, HttpCase, new_test_user, tagged
from odoo.tools.misc import hmac
from odoo.tools.safe_eval import safe_eval

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from .common import GentleTestMixin

TODAY = date(2026, 3, 2)


class GentlePlanCommon(GentleTestMixin, AccountTestInvoicingCommon):
    """A customer with two overdue invoices (1000 and 500) and another customer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.resource_calendar_id.tz = "UTC"
        cls.company.gentle_go_live_date = date(2026, 1, 1)
        cls.collector = new_test_user(
            cls.env,
            login="plan_collector",
            groups="base.group_user,gentle_collections.group_gentle_user",
            name="Carl Collector",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Plan Corp",
                "email": "ap@plancorp.example.com",
                "is_company": True,
                "tz": "UTC",
            }
        )
        cls.other_customer = cls.env["res.partner"].create(
            {"name": "Other Plan Ltd", "email": "ap@otherplan.example.com"}
        )
        cls.invoice = cls.make_invoice(cls.customer, date(2026, 2, 2), 1000.0)
        cls.invoice_2 = cls.make_invoice(cls.customer, date(2026, 2, 3), 500.0)
        cls.other_invoice = cls.make_invoice(
            cls.other_customer, date(2026, 2, 2), 300.0
        )

    @classmethod
    def make_invoice(cls, partner, day, amount):
        """A posted invoice dated and due on ``day``."""
        invoice = cls.init_invoice(
            "out_invoice", partner=partner, invoice_date=day, amounts=[amount]
        )
        invoice.invoice_date_due = day
        invoice.action_post()
        return invoice

    def propose(self, moves=None, **values):
        """A proposal for ``moves`` (the customer's overdue invoices by default)."""
        Propose = self.env["gentle.payment.plan.propose"]
        if moves is None:
            Propose = Propose.with_context(
                active_model="res.partner", active_ids=self.customer.ids
            )
        else:
            Propose = Propose.with_context(
                active_model="account.move", active_ids=moves.ids
            )
        defaults = {"installment_count": 3, "frequency": "monthly"}
        return Propose.create({**defaults, **values})

    def make_plan(self, moves=None, agree=True, **values):
        with freeze_time(TODAY):
            wizard = self.propose(moves, date_first=date(2026, 3, 10), **values)
            action = wizard.with_user(self.collector).action_create_plan()
            plan = self.env["gentle.payment.plan"].browse(action["res_id"])
            if agree:
                plan.action_agree()
        return plan

    def run_followup(self, day, hour=10):
        """The follow-up run of ``day`` for the customer (contact window aside)."""
        return self.env["gentle.followup.engine"]._gentle_run(
            self.company,
            now=datetime(day.year, day.month, day.day, hour),
            partner_ids=[self.customer.id],
            window=False,
        )

    def due_on(self, day):
        """Whether the follow-up engine has something due for the customer."""
        return bool(
            self.env["gentle.followup.engine"]._gentle_due_partner_ids(
                self.company,
                datetime(day.year, day.month, day.day, 10),
                [self.customer.id],
                window=False,
            )
        )

    def invoice_lines_due(self, day):
        """The customer's receivable lines the engine would chase on ``day``."""
        source = self.env["gentle.followup.source.invoice"]
        return self.env.execute_query(
            source._gentle_lines_sql(self.company, day, [self.customer.id])
        )

    def reminders(self):
        """The follow-up actions that reminded the customer of instalments."""
        return self.env["gentle.followup.action"].search(
            [("partner_id", "=", self.customer.id), ("plan_line_ids", "!=", False)],
            order="id",
        )


@tagged("post_install", "-at_install")
class TestGentlePaymentPlan(GentlePlanCommon):
    # ------------------------------------------------------------------
    # Proposal
    # ------------------------------------------------------------------

    def test_wizard_splits_the_residual_exactly(self):
        with freeze_time(TODAY):
            wizard = self.propose(self.invoice, date_first=date(2026, 3, 10))
            self.assertEqual(wizard.partner_id, self.customer)
            self.assertEqual(wizard.amount_total, 1000.0)
            self.assertEqual(
                wizard._gentle_schedule(),
                [
                    (date(2026, 3, 10), 333.33),
                    (date(2026, 4, 10), 333.33),
                    (date(2026, 5, 10), 333.34),
                ],
            )
            self.assertEqual(
                [(line.date_due, line.amount) for line in wizard.preview_line_ids],
                wizard._gentle_schedule(),
            )
            self.assertFalse(wizard.preview_error)
            # Down payment first, the rest shared; weekly.
            wizard.write({"down_payment": 100.0, "frequency": "weekly"})
            self.assertEqual(
                wizard._gentle_schedule(),
                [
                    (date(2026, 3, 10), 100.0),
                    (date(2026, 3, 17), 300.0),
                    (date(2026, 3, 24), 300.0),
                    (date(2026, 3, 31), 300.0),
                ],
            )
            # Every two weeks, 7 instalments: the last one absorbs the rounding.
            wizard.write(
                {"down_payment": 0.0, "frequency": "biweekly", "installment_count": 7}
            )
            schedule = wizard._gentle_schedule()
            self.assertEqual([a for _d, a in schedule], [142.86] * 6 + [142.84])
            self.assertEqual(schedule[1][0], date(2026, 3, 24))
            self.assertAlmostEqual(sum(a for _d, a in schedule), 1000.0, places=6)

    def test_wizard_form_in_plain_words(self):
        """The user's form: the amount to spread, a first due date a week ahead,
        the instalments as dated lines, and why none when the terms are wrong."""
        with freeze_time(TODAY):
            form = Form(
                self.env["gentle.payment.plan.propose"].with_context(
                    active_model="account.move", active_ids=self.invoice.ids
                )
            )
            self.assertEqual(form.date_first, date(2026, 3, 9))
            self.assertEqual(form.amount_total, 1000.0)
            self.assertEqual(
                self.env["gentle.payment.plan.propose"]._fields["amount_total"].string,
                "Amount to spread",
            )
            self.assertEqual(
                form.preview_line_ids._records[0]["date_due"], date(2026, 3, 9)
            )
            self.assertEqual(len(form.preview_line_ids), 3)
            self.assertFalse(form.preview_error)
            form.date_first = date(2026, 3, 1)
            self.assertIn("in the past", form.preview_error)
            self.assertEqual(len(form.preview_line_ids), 0)
            form.date_first = TODAY
            self.assertFalse(form.preview_error)
            wizard = form.save()
            plan = self.env["gentle.payment.plan"].browse(
                wizard.action_create_plan()["res_id"]
            )
        self.assertEqual(plan.line_ids.sorted("date_due")[0].date_due, TODAY)
        arch = self.env["gentle.payment.plan.propose"].get_view()["arch"]
        self.assertIn('widget="date"', arch)

    def test_default_view_shows_drafts_proposed_and_running_plans(self):
        """The plans' menu opens on drafts, proposed and running plans; closed
        ones (cancelled, completed, broken) only through their filters."""
        draft = self.make_plan(self.invoice, agree=False)
        proposed = self.make_plan(self.invoice_2, agree=False)
        with freeze_time(TODAY):
            proposed.action_propose()
        agreed = self.make_plan(self.other_invoice)
        cancelled = self.make_plan(self.invoice, agree=False)
        cancelled.action_cancel()
        action = self.env.ref("gentle_collections.gentle_payment_plan_action")
        defaults = [
            key.removeprefix("search_default_")
            for key, value in safe_eval(action.context).items()
            if key.startswith("search_default_") and value
        ]
        arch = etree.fromstring(
            self.env["gentle.payment.plan"].get_view(
                action.search_view_id.id, "search"
            )["arch"]
        )
        domain = []
        for name in defaults:
            [node] = arch.xpath(f"//filter[@name='{name}']")
            domain += safe_eval(node.get("domain"))
        shown = self.env["gentle.payment.plan"].search(domain)
        for plan in (draft, proposed, agreed):
            self.assertIn(plan, shown, plan.state)
        self.assertNotIn(cancelled, shown)

    def test_propose_to_customer_freezes_the_terms(self):
        plan = self.make_plan(self.invoice, agree=False)
        with freeze_time(TODAY):
            plan.action_propose()
        self.assertEqual(plan.state, "proposed")
        self.assertFalse(plan.agreed_on)
        self.assertIn("/my/payment_plans/", plan.message_ids[0].body)
        # Proposed: the invoices are not on hold yet, the terms are frozen.
        self.assertFalse(self.invoice.gentle_on_hold)
        with self.assertRefused(UserError, "no longer a draft", records=plan.line_ids):
            plan.line_ids[0].amount = 1.0
        with freeze_time(TODAY), self.assertRefused(UserError, "only a draft proposed"):
            plan.action_propose()
        with freeze_time(TODAY):
            plan.action_agree()
        self.assertEqual(plan.state, "agreed")
        self.assertEqual(plan.agreed_on, TODAY)
        with freeze_time(TODAY), self.assertRefused(UserError, "only a draft"):
            plan.action_agree()
        # Reset to draft from proposed, to change the terms.
        other = self.make_plan(self.invoice_2, agree=False)
        with freeze_time(TODAY):
            other.action_propose()
        other.action_draft()
        self.assertEqual(other.state, "draft")

    def test_create_plan_from_the_customer_overdue_invoices(self):
        plan = self.make_plan(agree=False)
        self.assertEqual(plan.state, "draft")
        self.assertEqual(plan.partner_id, self.customer)
        self.assertEqual(plan.move_ids, self.invoice | self.invoice_2)
        self.assertEqual(plan.amount_total, 1500.0)
        self.assertEqual(plan.line_ids.mapped("amount"), [500.0, 500.0, 500.0])
        self.assertEqual(plan.create_uid, self.collector)
        # Not on hold while a draft.
        self.assertFalse(self.invoice.gentle_on_hold)
        self.assertEqual(self.customer.gentle_plan_count, 1)
        with freeze_time(TODAY):
            plan.action_agree()
        self.assertEqual(plan.state, "agreed")
        self.assertEqual(plan.agreed_on, TODAY)
        self.assertIn("Plan agreed", plan.message_ids[0].body)

    def test_draft_lines_edited_on_the_form(self):
        plan = self.make_plan(self.invoice, agree=False)
        with freeze_time(TODAY):
            form = Form(plan)
            with form.line_ids.edit(0) as line:
                line.amount = 500.0
            with form.line_ids.edit(1) as line:
                line.amount = 166.66
            form.save()
            plan.action_agree()
        self.assertEqual(
            plan.line_ids.sorted("date_due").mapped("amount"), [500.0, 166.66, 333.34]
        )
        with self.assertRefused(UserError, "cancel it instead"):
            plan.unlink()
        plan.action_cancel()
        self.assertEqual(plan.state, "cancelled")

    def test_instalment_of_an_agreed_plan_cannot_move_to_another_plan(self):
        agreed = self.make_plan(self.invoice)
        draft = self.make_plan(self.invoice_2, agree=False)
        self.assertEqual(agreed.state, "agreed")
        line = agreed.line_ids.sorted("date_due")[0]
        before = {
            plan: [(ln.id, ln.date_due, ln.amount) for ln in plan.line_ids]
            for plan in agreed | draft
        }
        totals = {plan: plan.amount_total for plan in agreed | draft}
        moves = [
            # On the instalment itself, as the collector's own user.
            lambda: line.with_user(self.collector).write({"plan_id": draft.id}),
            # From the target plan's form: taking the instalment over.
            lambda: draft.write({"line_ids": [Command.link(line.id)]}),
            # From the agreed plan's form: handing it over.
            lambda: agreed.write(
                {"line_ids": [Command.update(line.id, {"plan_id": draft.id})]}
            ),
        ]
        for move in moves:
            with self.assertRefused(UserError, f"{agreed.name} is no longer a draft"):
                move()
            self.env.invalidate_all()
            for plan in agreed | draft:
                self.assertEqual(
                    [(ln.id, ln.date_due, ln.amount) for ln in plan.line_ids],
                    before[plan],
                )
                self.assertEqual(plan.amount_total, totals[plan])
        self.assertEqual(line.plan_id, agreed)
        self.assertEqual(agreed.state, "agreed")
        # And an instalment of a draft cannot slip into the agreed plan.
        with self.assertRefused(UserError, f"{agreed.name} is no longer a draft"):
            draft.line_ids[:1].write({"plan_id": agreed.id})
        self.env.invalidate_all()
        self.assertEqual(
            [(ln.id, ln.date_due, ln.amount) for ln in agreed.line_ids],
            before[agreed],
        )

    def test_partner_selection_of_another_customer_is_refused(self):
        with self.assertRefused(UserError, "single customer"):
            self.propose(self.invoice | self.other_invoice)

    # ------------------------------------------------------------------
    # Bad input
    # ------------------------------------------------------------------

    def test_bad_proposal_is_refused_and_nothing_saved(self):
        Plan = self.env["gentle.payment.plan"]
        with freeze_time(TODAY):
            wizard = self.propose(self.invoice, date_first=date(2026, 3, 10))
            for values, exception, text in [
                ({"date_first": date(2026, 3, 1)}, ValidationError, "in the past"),
                ({"installment_count": 0}, ValidationError, "at least one"),
                ({"down_payment": 1000.0}, ValidationError, "down payment"),
                ({"down_payment": -5.0}, ValidationError, "down payment"),
                ({"installment_count": 121}, ValidationError, "fewer"),
                (
                    {"installment_count": 100, "down_payment": 999.5},
                    ValidationError,
                    "fewer",
                ),
            ]:
                with self.subTest(values=values):
                    wizard.write(values)
                    with self.assertRefused(exception, text):
                        wizard.action_create_plan()
                    wizard.write(
                        {
                            "date_first": date(2026, 3, 10),
                            "installment_count": 3,
                            "down_payment": 0.0,
                        }
                    )
            # The first due date today is fine.
            wizard.date_first = TODAY
            self.assertEqual(wizard._gentle_schedule()[0][0], TODAY)
        self.assertFalse(Plan.search([("partner_id", "=", self.customer.id)]))

    def test_instalments_not_summing_or_before_today_are_refused(self):
        plan = self.make_plan(self.invoice, agree=False)
        lines = plan.line_ids.sorted("date_due")
        with freeze_time(TODAY):
            lines[0].amount = 300.0
            with self.assertRefused(ValidationError, "add up to .*966.67"):
                plan.action_agree()
            self.assertEqual(plan.state, "draft")
            lines[0].amount = 333.33
            lines[0].date_due = date(2026, 3, 1)
            with self.assertRefused(ValidationError, "before today.*2026-03-01"):
                plan.action_agree()
            self.assertEqual(plan.state, "draft")
            lines[0].date_due = TODAY
            plan.action_agree()
        self.assertEqual(plan.state, "agreed")
        # Once agreed, the instalments change only through the plan's actions.
        with self.assertRefused(UserError, "no longer a draft"):
            lines[2].amount = 300.0
        with self.assertRefused(UserError, "no longer a draft"):
            plan.line_ids.create({"plan_id": plan.id, "date_due": TODAY, "amount": 1.0})
        with self.assertRefused(UserError, "no longer a draft"):
            lines[2].unlink()
        with self.assertRefused(UserError, "set by its actions"):
            plan.state = "draft"
        self.assertEqual(len(plan.line_ids), 3)
        self.assertEqual(plan.state, "agreed")

    def test_plan_for_invoices_of_another_customer_is_refused(self):
        with self.assertRefused(ValidationError, "only cover posted customer"):
            self.env["gentle.payment.plan"].create(
                {
                    "partner_id": self.customer.id,
                    "move_ids": [(6, 0, self.other_invoice.ids)],
                }
            )

    # ------------------------------------------------------------------
    # Holds and reminders
    # ------------------------------------------------------------------

    def test_agreed_plan_holds_its_invoices(self):
        engine = self.env["gentle.followup.engine"]
        now = datetime(2026, 3, 30, 10)
        due = engine._gentle_due_partner_ids(
            self.company, now, [self.customer.id], window=False
        )
        self.assertEqual(due, [self.customer.id])
        plan = self.make_plan()
        self.invoice.invalidate_recordset()
        self.assertTrue(self.invoice.gentle_on_hold)
        self.assertIn(
            f"Payment plan {plan.name} agreed", self.invoice.gentle_hold_reason
        )
        held = self.env["account.move"].search(
            [("gentle_on_hold", "=", True), ("id", "in", self.invoice.ids)]
        )
        self.assertEqual(held, self.invoice)
        # The invoices are held; only the plan's instalment is left to remind.
        self.assertFalse(self.invoice_lines_due(now.date()))
        plan.action_cancel()
        self.assertEqual(
            engine._gentle_due_partner_ids(
                self.company, now, [self.customer.id], window=False
            ),
            [self.customer.id],
        )

    def test_reminders_before_and_on_the_due_date_only_once(self):
        """Instalments are a source of the follow-up engine: its run sends their
        reminders, three days before and on the due date, once each."""
        plan = self.make_plan()
        first, second, _third = plan.line_ids.sorted("date_due")
        # The day of the agreement: its confirmation, no instalment reminder.
        self.assertTrue(self.due_on(TODAY))
        self.run_followup(TODAY)
        self.assertEqual(plan.agreement_sent_on, TODAY)
        self.assertFalse(self.reminders())
        self.assertFalse(self.due_on(date(2026, 3, 6)))  # 4 days before
        self.run_followup(date(2026, 3, 6))
        self.assertFalse(self.reminders())
        self.assertFalse(first.pre_due_sent)
        self.assertTrue(self.due_on(date(2026, 3, 7)))  # 3 days before
        result = self.run_followup(date(2026, 3, 7))
        sent = self.reminders()
        self.assertEqual(sent, result["actions"])
        self.assertEqual(len(sent), 1)
        self.assertEqual(sent.channel, "email")
        self.assertEqual(sent.tone, "friendly")
        self.assertFalse(sent.level_id)
        self.assertEqual(sent.plan_line_ids, first)
        self.assertEqual(sent.amount_due, 500.0)
        self.assertIn("Instalment reminder", sent.name)
        message = sent.mail_message_id
        self.assertIn("your payment plan instalment", message.subject)
        self.assertIn(plan.name, message.body)
        self.assertIn("500.00", message.body)
        self.assertIn("due in 3 days", message.body)
        self.assertIn(self.customer, message.partner_ids)
        self.assertTrue(first.pre_due_sent)
        self.assertFalse(first.due_sent)
        self.assertIn("Reminder of the instalment", plan.message_ids[0].body)
        self.run_followup(date(2026, 3, 7), hour=15)
        self.assertFalse(self.due_on(date(2026, 3, 9)))  # day before: nothing new
        self.run_followup(date(2026, 3, 9))
        self.assertEqual(len(self.reminders()), 1)
        self.assertTrue(self.due_on(date(2026, 3, 10)))  # due date
        self.run_followup(date(2026, 3, 10))
        sent = self.reminders()
        self.assertEqual(len(sent), 2)
        self.assertIn("due today", sent[1].mail_message_id.body)
        self.assertTrue(first.due_sent)
        self.run_followup(date(2026, 3, 10), hour=15)
        self.run_followup(date(2026, 3, 11))
        self.assertEqual(len(self.reminders()), 2)
        self.assertEqual(plan.state, "agreed")
        # Later instalments untouched until their own dates.
        self.assertFalse(second.pre_due_sent or second.due_sent)
        self.run_followup(date(2026, 4, 7))
        self.assertEqual(self.reminders()[-1].plan_line_ids, second)

    def instalment_reminder(self, day):
        """Run the follow-up on ``day``; the instalment reminder it sent."""
        before = self.reminders()
        self.run_followup(day)
        sent = self.reminders() - before
        self.assertEqual(len(sent), 1, day)
        return sent, str(sent.mail_message_id.body).replace("&nbsp;", "\xa0")

    def test_first_instalment_wording_until_one_is_paid(self):
        """Before any instalment is paid the reminder announces the first one
        (a cent short still counts as unpaid); once one is paid, it thanks the
        customer for keeping to the plan."""
        plan = self.make_plan()
        self.run_followup(TODAY)  # the agreement's confirmation
        first_template = self.env.ref(
            "gentle_collections.mail_template_plan_first_instalment"
        )
        sent, body = self.instalment_reminder(date(2026, 3, 7))
        self.assertEqual(sent.communication_id.mail_template_id, first_template)
        self.assertIn(
            f"Your first instalment of $\xa0500.00 under the payment plan "
            f"{plan.name} is due on March 10, 2026.",
            body,
        )
        self.assertNotIn("keeping to", body)
        self.pay(self.invoice, 499.99, date(2026, 3, 8))
        sent, body = self.instalment_reminder(date(2026, 3, 10))
        self.assertEqual(sent.communication_id.mail_template_id, first_template)
        self.assertIn("Your first instalment of $\xa0500.00", body)
        self.assertNotIn("keeping to", body)
        self.pay(self.invoice, 0.01, date(2026, 3, 11))
        sent, body = self.instalment_reminder(date(2026, 4, 7))
        self.assertEqual(
            sent.communication_id.mail_template_id,
            self.env.ref("gentle_collections.mail_template_plan_instalment"),
        )
        self.assertIn("Thank you for keeping to the payment plan", body)
        self.assertNotIn("Your first instalment", body)

    def test_late_agreement_sends_the_due_reminder_only(self):
        """An instalment agreed for today skips the pre-due reminder; a run that
        missed the pre-due days sends the due reminder once."""
        with freeze_time(date(2026, 3, 10)):
            wizard = self.propose(date_first=date(2026, 3, 10))
            plan = self.env["gentle.payment.plan"].browse(
                wizard.action_create_plan()["res_id"]
            )
            plan.action_agree()
        first = plan.line_ids.sorted("date_due")[0]
        self.run_followup(date(2026, 3, 12))
        sent = self.reminders()
        self.assertEqual(len(sent), 1)
        self.assertIn("2 days late", sent.mail_message_id.body)
        self.assertTrue(first.due_sent and first.pre_due_sent)
        self.run_followup(date(2026, 3, 13))
        self.assertEqual(len(self.reminders()), 1)

    def test_instalment_travels_with_the_invoice_reminder(self):
        """A customer with an instalment and another invoice due gets one message
        in the policy's wording listing both."""
        plan = self.make_plan(self.invoice)
        self.assertFalse(self.invoice_2.gentle_on_hold)
        result = self.run_followup(date(2026, 3, 7))
        emails = result["actions"].filtered(lambda a: a.channel == "email")
        self.assertEqual(len(emails), 1)
        self.assertEqual(emails.move_ids, self.invoice_2)
        self.assertTrue(emails.level_id)
        self.assertEqual(emails.plan_line_ids, plan.line_ids.sorted("date_due")[0])
        self.assertEqual(emails.amount_due, self.invoice_2.amount_residual + 333.33)
        body = emails.mail_message_id.body
        self.assertIn(self.invoice_2.name, body)
        self.assertIn(plan.name, body)
        self.assertIn("333.33", body)
        # No instalment paid yet: the first one announced, no thanks.
        self.assertIn(
            f"Your first instalment of $\xa0333.33 under the payment plan "
            f"{plan.name} is due on March 10, 2026.",
            str(body).replace("&nbsp;", "\xa0"),
        )
        self.assertNotIn("keeping to", body)
        # The held invoice is named by the plan's agreement, not reminded of.
        self.assertEqual(emails.agreed_plan_ids, plan)
        reminder, agreement = body.split("o_gentle_plan_agreement")
        self.assertNotIn(self.invoice.name, reminder)
        self.assertIn(f"It covers the invoices {self.invoice.name}", agreement)

    def test_preview_shows_and_sends_the_instalment_reminder(self):
        plan = self.make_plan()
        with freeze_time(date(2026, 3, 8)):
            wizard = self.env["gentle.followup.send"].create(
                {"partner_ids": [(6, 0, self.customer.ids)]}
            )
            self.assertEqual(len(wizard.communication_ids), 1)
            preview = wizard.communication_ids.body_html
            self.assertIn(plan.name, preview)
            self.assertFalse(self.reminders())
            wizard.action_send()
        sent = self.reminders()
        first = plan.line_ids.sorted("date_due")[0]
        self.assertEqual(sent.plan_line_ids, first)
        self.assertEqual(sent.communication_id.instalment_ids, first)
        self.assertEqual(sent.body_html, preview)
        self.assertFalse(self.due_on(date(2026, 3, 8)))

    def test_hourly_cron_sends_it_in_the_contact_window(self):
        self.make_plan()
        # The scheduled action runs as the superuser.
        Engine = self.env["gentle.followup.engine"].sudo()
        # Monday 9 March, the day before the first instalment; window 9-17 UTC.
        Engine._cron_followup(now=datetime(2026, 3, 9, 8, 59))
        self.assertFalse(self.reminders())
        Engine._cron_followup(now=datetime(2026, 3, 9, 9, 0))
        self.assertEqual(len(self.reminders()), 1)

    def test_paused_customer_or_open_case_holds_the_reminders(self):
        self.make_plan()
        self.customer.action_gentle_pause()
        self.assertFalse(self.due_on(date(2026, 3, 10)))
        self.customer.action_gentle_resume()
        self.assertTrue(self.due_on(date(2026, 3, 10)))
        case = self.env["gentle.collection.case"].create(
            {
                "subject": "Which instalment is this?",
                "partner_id": self.customer.id,
                "category_id": self.env.ref(
                    "gentle_collections.gentle_case_category_payment_question"
                ).id,
                "move_ids": [(6, 0, self.invoice_2.ids)],
            }
        )
        self.assertFalse(self.due_on(date(2026, 3, 10)))
        self.run_followup(date(2026, 3, 10))
        self.assertFalse(self.reminders())
        case.write({"outcome": "explained"})
        case.action_resolve()
        self.assertTrue(self.due_on(date(2026, 3, 10)))

    def test_two_runs_prepared_together_send_once(self):
        """Two runs that prepared the same reminder (two servers, or the preview
        and the cron): the first to record it sends it, the other nothing."""
        plan = self.make_plan()
        engine = self.env["gentle.followup.engine"]
        day = date(2026, 3, 10)
        first = engine._gentle_prepare(self.company, day, [self.customer.id])
        second = engine._gentle_prepare(self.company, day, [self.customer.id])
        self.assertEqual(len(first), 1)
        self.assertEqual(len(second), 1)
        self.assertEqual(len(engine._gentle_execute(first)), 1)
        self.assertFalse(engine._gentle_execute(second))
        self.assertEqual(self.reminders().plan_line_ids, plan.line_ids[:1])

    def test_instalment_claimed_elsewhere_drops_the_whole_message(self):
        """Issue 11, item 4: a message with an instalment and an invoice reminder,
        whose instalment another run reminded of first, is dropped whole: the
        invoice's step is not marked done and the next run reminds of it."""
        self.make_plan(self.invoice)
        engine = self.env["gentle.followup.engine"]
        day = date(2026, 3, 7)
        [both] = engine._gentle_prepare(self.company, day, [self.customer.id])
        [instalment_only] = engine._gentle_prepare(
            self.company, day, [self.customer.id]
        )
        self.assertTrue(both.items["instalments"])
        self.assertTrue(both.items["steps"])
        instalment_only.items["steps"] = []
        self.assertTrue(engine._gentle_execute([instalment_only]))
        self.assertFalse(engine._gentle_execute([both]))
        History = self.env["gentle.followup.history"]
        self.assertFalse(History.search([("move_id", "=", self.invoice_2.id)]))
        result = self.run_followup(day)
        email = result["actions"].filtered(lambda a: a.channel == "email")
        self.assertEqual(email.move_ids, self.invoice_2)
        self.assertFalse(email.plan_line_ids)

    def test_selecting_due_instalments_does_not_grow_with_plans(self):
        """Selecting due customers costs the same queries, however many plans."""
        self.make_plan()
        engine = self.env["gentle.followup.engine"]
        now = datetime(2026, 3, 10, 10)

        def count(partner_ids):
            self.env.flush_all()
            start = self.env.cr.sql_log_count
            due = engine._gentle_due_partner_ids(
                self.company, now, partner_ids, window=False
            )
            return self.env.cr.sql_log_count - start, due

        count(None)  # caches any first call fills (company, calendar)
        one_count, one_due = count(None)
        customers = self.env["res.partner"].create(
            [{"name": f"Planner {i}", "is_company": True} for i in range(4)]
        )
        for customer in customers:
            invoice = self.make_invoice(customer, date(2026, 2, 2), 300.0)
            self.make_plan(invoice)
        count(None)
        many_count, many_due = count(None)
        self.assertIn(self.customer.id, one_due)
        self.assertTrue(set(customers.ids) <= set(many_due))
        self.assertEqual(one_count, many_count)

    def test_paid_instalment_gets_no_reminder(self):
        plan = self.make_plan()
        first, second, _third = plan.line_ids.sorted("date_due")
        # One cent short: the first instalment is still reminded, for that cent.
        self.pay(self.invoice, 499.99, date(2026, 3, 5))
        self.assertTrue(self.due_on(date(2026, 3, 10)))
        self.pay(self.invoice, 0.01, date(2026, 3, 5))
        self.assertFalse(self.due_on(date(2026, 3, 10)))
        self.run_followup(date(2026, 3, 10))
        self.assertFalse(self.reminders())
        self.assertFalse(first.due_sent)
        # Paying ahead covers the next instalment too, in date order.
        self.pay(self.invoice, 500.0, date(2026, 3, 20))
        self.assertFalse(self.due_on(date(2026, 4, 10)))
        self.assertTrue(self.due_on(date(2026, 5, 7)))
        self.assertFalse(second.pre_due_sent)

    # ------------------------------------------------------------------
    # Payments and outcome
    # ------------------------------------------------------------------

    def test_payments_cover_instalments_in_date_order(self):
        plan = self.make_plan(self.invoice)
        lines = plan.line_ids.sorted("date_due")
        with freeze_time(date(2026, 3, 9)):
            self.assertEqual(lines.mapped("state"), ["pending"] * 3)
            self.pay(self.invoice, 400.0, date(2026, 3, 9))
            plan.invalidate_recordset()
            lines.invalidate_recordset()
            self.assertEqual(plan.amount_paid, 400.0)
            self.assertEqual(plan.amount_due, 600.0)
            self.assertEqual(lines.mapped("paid_amount"), [333.33, 66.67, 0.0])
            self.assertEqual(lines.mapped("state"), ["paid", "pending", "pending"])
            self.assertEqual(plan.next_line_id, lines[1])
        with freeze_time(date(2026, 4, 11)):
            lines.invalidate_recordset()
            self.assertEqual(lines.mapped("state"), ["paid", "late", "pending"])
            self.pay(self.invoice, 600.0, date(2026, 4, 11))
            lines.invalidate_recordset()
            self.assertEqual(lines.mapped("state"), ["paid"] * 3)
        self.env["gentle.payment.plan"]._cron_plan_outcomes(today=date(2026, 4, 11))
        self.assertEqual(plan.state, "completed")
        self.assertIn("plan completed", plan.message_ids[0].body)
        self.invoice.invalidate_recordset()
        self.assertFalse(self.invoice.gentle_on_hold)

    def test_missed_instalment_after_grace_breaks_the_plan(self):
        engine = self.env["gentle.followup.engine"]
        plan = self.make_plan()
        first = plan.line_ids.sorted("date_due")[0]
        self.pay(self.invoice, 200.0, date(2026, 3, 9))
        Plan = self.env["gentle.payment.plan"]
        # Due 10 March, 5 days of grace: still running on the 15th.
        Plan._cron_plan_outcomes(today=date(2026, 3, 15))
        self.assertEqual(plan.state, "agreed")
        self.assertEqual(
            first.with_context(gentle_plan_today=date(2026, 3, 15)).state, "late"
        )
        self.assertFalse(self.invoice_lines_due(date(2026, 3, 15)))
        Plan._cron_plan_outcomes(today=date(2026, 3, 16))
        self.assertEqual(plan.state, "broken")
        self.assertEqual(plan.broken_on, date(2026, 3, 16))
        self.assertTrue(first.missed)
        first.invalidate_recordset()
        self.assertEqual(first.state, "missed")
        self.assertIn("plan broken", plan.message_ids[0].body)
        activity = plan.activity_ids
        self.assertEqual(activity.user_id, self.collector)
        self.assertEqual(activity.summary, "Payment plan broken")
        self.invoice.invalidate_recordset()
        self.assertFalse(self.invoice.gentle_on_hold)
        self.assertEqual(
            engine._gentle_due_partner_ids(
                self.company, datetime(2026, 3, 16, 10), [self.customer.id], False
            ),
            [self.customer.id],
        )
        # A broken plan sends no more reminders and is not broken twice.
        count = len(plan.message_ids)
        Plan._cron_plan_outcomes(today=date(2026, 4, 10))
        self.assertEqual(len(plan.message_ids), count)
        self.run_followup(date(2026, 4, 10))
        self.assertFalse(self.reminders())

    def test_broken_plan_feeds_the_score(self):
        plan = self.make_plan(self.invoice)
        self.env["gentle.payment.plan"]._cron_plan_outcomes(today=date(2026, 3, 16))
        self.assertEqual(plan.state, "broken")
        Score = self.env["gentle.score.engine"]
        partner = self.customer.with_company(self.company)
        Score._gentle_recompute(self.company, date=date(2026, 3, 15))
        self.assertEqual(partner.gentle_plans_broken, 0)
        Score._gentle_recompute(self.company, date=date(2026, 3, 16))
        partner.invalidate_recordset()
        self.assertEqual(partner.gentle_plans_broken, 1)

    # ------------------------------------------------------------------
    # Support case
    # ------------------------------------------------------------------

    def test_plan_from_a_case_resolves_it_when_agreed(self):
        # The case acknowledgement is sent from the company's address.
        self.company.email = "collections@example.com"
        case = self.env["gentle.collection.case"].create(
            {
                "subject": "Can we pay in three parts?",
                "partner_id": self.customer.id,
                "category_id": self.env.ref(
                    "gentle_collections.gentle_case_category_plan_request"
                ).id,
                "move_ids": [(6, 0, self.invoice.ids)],
            }
        )
        action = case.action_gentle_payment_plan()
        self.assertEqual(action["res_model"], "gentle.payment.plan.propose")
        with freeze_time(TODAY):
            form = Form(
                self.env["gentle.payment.plan.propose"].with_context(
                    **action["context"]
                )
            )
            form.date_first = date(2026, 3, 10)
            wizard = form.save()
            self.assertEqual(wizard.move_ids, self.invoice)
            plan = self.env["gentle.payment.plan"].browse(
                wizard.action_create_plan()["res_id"]
            )
            self.assertEqual(plan.case_id, case)
            self.assertNotEqual(case.state, "resolved")
            plan.action_agree()
        self.assertEqual(case.state, "resolved")
        self.assertEqual(case.outcome, "plan_agreed")


@tagged("post_install", "-at_install")
class TestGentlePaymentPlanPortal(GentlePlanCommon, HttpCase):
    """Customers see their own plans on the portal, and only theirs."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal_user = new_test_user(
            cls.env,
            login="gentle_plan_portal",
            groups="base.group_portal",
            partner_id=cls.customer.id,
            name="Plan Corp",
        )

    def test_portal_customer_sees_only_own_plans(self):
        plan = self.make_plan(self.invoice)
        other = self.make_plan(self.other_invoice)
        self.authenticate("gentle_plan_portal", "gentle_plan_portal")
        page = self.url_open(f"/my/payment_plans/{plan.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn(plan.name, page.text)
        self.assertIn("333.34", page.text)
        listing = self.url_open("/my/payment_plans")
        self.assertEqual(listing.status_code, 200)
        self.assertIn(plan.name, listing.text)
        self.assertNotIn(other.name, listing.text)
        page = self.url_open(f"/my/payment_plans/{other.id}")
        self.assertNotIn(other.name, page.text)
        self.assertTrue(page.url.endswith("/my"), page.url)

    def test_each_open_instalment_can_be_paid_from_the_plan_page(self):
        plan = self.make_plan(self.invoice)
        first, second, _third = plan.line_ids.sorted("date_due")
        self.pay(self.invoice, 333.33, date(2026, 3, 9))
        self.assertEqual(first.state, "paid")
        self.assertFalse(first._gentle_pay_url())
        url = second._gentle_pay_url()
        params = dict(part.split("=", 1) for part in url.split("?", 1)[1].split("&"))
        self.assertEqual(params["invoice_id"], str(self.invoice.id))
        self.assertEqual(float(params["amount"]), 333.33)
        # The token /payment/pay checks (payment.utils.check_access_token).
        self.assertEqual(
            params["access_token"],
            hmac(
                self.env(su=True),
                "generate_access_token",
                f"{self.customer.id}|333.33|{self.invoice.currency_id.id}",
            ),
        )
        self.authenticate("gentle_plan_portal", "gentle_plan_portal")
        page = self.url_open(f"/my/payment_plans/{plan.id}")
        self.assertEqual(page.text.count("o_gentle_pay_instalment"), 2)
        self.assertIn(params["access_token"], page.text)
        # The payment link opens Odoo's payment page.
        self.assertEqual(self.url_open(url).status_code, 200)

    def proposed_plan(self, moves):
        """A plan proposed to the customer, its first instalment in ten days
        (the portal accepts it at the real today)."""
        wizard = self.propose(
            moves, date_first=fields.Date.today() + timedelta(days=10)
        )
        plan = self.env["gentle.payment.plan"].browse(
            wizard.action_create_plan()["res_id"]
        )
        plan.action_propose()
        return plan

    def accept(self, plan, access_token=None, csrf=True):
        # Never empty: url_open sends a GET without data.
        data = {"accept": "1"}
        if csrf:
            data["csrf_token"] = http.Request.csrf_token(self)
        if access_token:
            data["access_token"] = access_token
        return self.url_open(
            f"/my/payment_plans/{plan.id}/accept", data=data, allow_redirects=False
        )

    def test_customer_accepts_a_proposed_plan_on_the_portal(self):
        plan = self.proposed_plan(self.invoice)
        self.authenticate("gentle_plan_portal", "gentle_plan_portal")
        page = self.url_open(f"/my/payment_plans/{plan.id}")
        self.assertIn("Accept this payment plan", page.text)
        response = self.accept(plan)
        self.assertEqual(response.status_code, 303, response.text[:500])
        self.assertTrue(
            response.headers["Location"].endswith(f"/my/payment_plans/{plan.id}")
        )
        self.env.invalidate_all()
        self.assertEqual(plan.state, "agreed")
        self.assertEqual(plan.agreed_on, fields.Date.today())
        self.assertTrue(
            plan.message_ids.filtered(
                lambda m: "accepted the plan on the portal" in str(m.body)
            )
        )
        # The engine confirms it at the customer's next run.
        due = self.env["gentle.followup.source.plan_confirm"]._gentle_collect(
            self.company, fields.Date.today(), [self.customer.id]
        )
        self.assertEqual(due[self.customer.id], plan)
        page = self.url_open(f"/my/payment_plans/{plan.id}")
        self.assertNotIn("Accept this payment plan", page.text)

    def test_accepted_with_the_access_token_without_logging_in(self):
        plan = self.proposed_plan(self.invoice)
        token = plan.sudo()._portal_ensure_token()
        self.authenticate(None, None)
        response = self.accept(plan, access_token=token)
        self.assertEqual(response.status_code, 303, response.text[:500])
        self.assertIn(f"access_token={token}", response.headers["Location"])
        self.env.invalidate_all()
        self.assertEqual(plan.state, "agreed")

    def test_hostile_accepts_are_refused_and_change_nothing(self):
        plan = self.proposed_plan(self.invoice)
        other = self.proposed_plan(self.other_invoice)
        agreed = self.make_plan(self.invoice_2)
        watched = plan | other | agreed
        before = {p: (p.state, p.agreed_on, len(p.message_ids)) for p in watched}

        def unchanged():
            self.env.invalidate_all()
            for p in watched:
                self.assertEqual(
                    (p.state, p.agreed_on, len(p.message_ids)), before[p], p.name
                )

        # Anonymous, wrong token, or none.
        self.authenticate(None, None)
        self.assertEqual(
            self.accept(plan, access_token="not-the-token").status_code, 403
        )
        self.assertEqual(self.accept(plan).status_code, 403)
        unchanged()
        # Another customer's plan, logged in as this customer.
        self.authenticate("gentle_plan_portal", "gentle_plan_portal")
        self.assertEqual(self.accept(other).status_code, 403)
        self.assertEqual(
            self.accept(
                other, access_token=plan.sudo()._portal_ensure_token()
            ).status_code,
            403,
        )
        # Already agreed: nothing to accept.
        self.assertEqual(self.accept(agreed).status_code, 400)
        # No CSRF token: refused by Odoo before the route runs.
        with self.assertLogs("odoo.http", "WARNING"):
            self.assertEqual(self.accept(plan, csrf=False).status_code, 400)
        # A GET does not accept.
        self.assertEqual(
            self.url_open(f"/my/payment_plans/{plan.id}/accept").status_code, 405
        )
        unchanged()
