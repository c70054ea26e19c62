"""The blocker (``res.partner.gentle_followup_blocker``): why a customer gets no
reminder now, in one sentence, read from the engine's own rules. One test per
reason with its exact words, both sides of every boundary (a promise's
deadline, a manual hold's end, the contact window's opening and closing, a
failed batch's cooldown), and each time the scheduled action agrees: an empty
blocker is a customer it sends to, a blocker a customer it leaves alone."""

from datetime import date, datetime, timedelta

from odoo import Command
from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .common import RUN_DATE, RUN_NOW, GentleFollowupCommon, freeze_time

DAY = timedelta(days=1)
NBSP = "\N{NO-BREAK SPACE}"


@tagged("post_install", "-at_install")
class TestFollowupBlocker(GentleFollowupCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.tz = "Europe/Brussels"
        cls.invoice_date = RUN_DATE - timedelta(days=60)
        cls.due = RUN_DATE - timedelta(days=30)
        # Ann Customer has one invoice 30 days overdue: a reminder is due at
        # RUN_NOW (Tuesday 11:00 in Brussels, inside the window).
        cls.invoice = cls._gentle_invoice(cls.customer, cls.invoice_date, cls.due)

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    def blocker(self, partner=None, now=RUN_NOW):
        """``(reason, sentence)`` of ``partner`` (default the customer) at
        ``now``, in the test company, read afresh."""
        partner = (partner or self.customer).with_company(self.company)
        with freeze_time(now):
            self.env.invalidate_all()
            return (
                partner.gentle_followup_blocker_reason,
                partner.gentle_followup_blocker,
            )

    def assert_blocked(self, reason, sentence, partner=None, now=RUN_NOW):
        """The blocker says ``sentence`` and the scheduled action, run at
        ``now``, neither acts for the customer nor sends it anything."""
        partner = partner or self.customer
        self.assertEqual(self.blocker(partner, now), (reason, sentence))
        with self.trap_followups() as trap:
            self.run_followup(now=now)
        self.assertFalse(trap.actions_of(partner), "the follow-up acted")
        trap.assert_nothing_sent(partner)

    def assert_due(self, partner=None, now=RUN_NOW):
        """The blocker is empty and the scheduled action, run at ``now``, sends
        the customer a reminder."""
        partner = partner or self.customer
        self.assertEqual(self.blocker(partner, now), (False, False))
        self.assert_followup_sends(partner, now=now)

    def customer_with_invoice(self, name, **values):
        customer = self._gentle_customer(name, **values)
        invoice = self._gentle_invoice(customer, self.invoice_date, self.due)
        return customer, invoice

    def single_level_policy(self, name, **level):
        """A copy of the default policy (its wording) with only its first
        reminder, 3 days after the due date."""
        policy = self.policy.copy({"name": name, "is_default": False})
        first = policy.level_ids.filtered(lambda lv: lv.day_offset == 3)
        (policy.level_ids - first).unlink()
        first.write(level)
        return policy

    def search_reason(self, operator, value, among):
        found = (
            self.env["res.partner"]
            .with_company(self.company)
            .search(
                [
                    ("gentle_followup_blocker_reason", operator, value),
                    ("id", "in", among.ids),
                ]
            )
        )
        return found

    # ------------------------------------------------------------------
    # Due: no blocker, and the scheduled action sends
    # ------------------------------------------------------------------

    def test_due_customer_has_no_blocker_and_is_sent(self):
        self.assert_due()
        # Reminded at the second level (catch-up stops at a neutral tone): the
        # firm reminder keeps the spacing, 15 days later.
        self.assertEqual(
            self.blocker(),
            ("nothing", "Nothing due: next reminder on 11/25/2026"),
        )

    def test_next_step_names_the_level_the_engine_sends(self):
        customer = self.customer.with_company(self.company)
        with freeze_time(RUN_NOW):
            self.env.invalidate_all()
            step = customer.gentle_next_step
        email, _trap = self.assert_followup_sends()
        self.assertEqual(step, f"{email.level_id.name}, due now")
        self.assertEqual(step, "Second reminder and call, due now")
        with freeze_time(RUN_NOW):
            self.env.invalidate_all()
            self.assertEqual(customer.gentle_next_step, "Firm reminder on 11/25/2026")
        # On hold: no next step, the blocker says why.
        self.invoice.action_toggle_block_payment()
        with freeze_time(RUN_NOW):
            self.env.invalidate_all()
            self.assertFalse(customer.gentle_next_step)

    def test_contact_shows_its_company_blocker(self):
        contact = self.env["res.partner"].create(
            {"name": "Bob Contact", "parent_id": self.customer.id}
        )
        self.customer.with_company(self.company).gentle_paused = True
        self.assertEqual(self.blocker(contact), self.blocker(self.customer))
        self.assertEqual(self.blocker(contact)[0], "paused")

    # ------------------------------------------------------------------
    # One test per reason
    # ------------------------------------------------------------------

    def test_open_case(self):
        case = (
            self.env["gentle.collection.case"]
            .sudo()
            .create(
                {
                    "subject": "Wrong unit price",
                    "partner_id": self.customer.id,
                    "company_id": self.company.id,
                    "category_id": self.env.ref(
                        "gentle_collections.gentle_case_category_billing_discrepancy"
                    ).id,
                    "move_ids": [Command.set(self.invoice.ids)],
                }
            )
        )
        self.assertTrue(case.name.startswith("CASE/"), case.name)
        self.assert_blocked(
            "case", f"On hold: case {case.name} (Billing discrepancy) until resolved"
        )
        case.sudo().write({"state": "resolved", "outcome": "explained"})
        self.assert_due()

    def test_payment_plan(self):
        # Agreed eight days ago: its confirmation (a message of its own, see
        # TestGentlePlanConfirm) is past its seven days; the hold alone is read.
        with freeze_time(RUN_DATE - timedelta(days=8)):
            wizard = (
                self.env["gentle.payment.plan.propose"]
                .with_context(active_model="account.move", active_ids=self.invoice.ids)
                .create(
                    {
                        "installment_count": 3,
                        "frequency": "monthly",
                        "date_first": RUN_DATE + timedelta(days=20),
                    }
                )
            )
            plan = self.env["gentle.payment.plan"].browse(
                wizard.action_create_plan()["res_id"]
            )
            plan.action_agree()
        self.assert_blocked("plan", f"Payment plan {plan.name} running")
        plan.action_cancel()
        self.assert_due()

    def test_promise_to_pay_up_to_its_deadline(self):
        # The promise's confirmation is a message of its own (see
        # TestGentlePromiseConfirm): off here, to read the hold alone.
        self.company.gentle_promise_confirm = False
        # Thursday 12 November, no grace: held up to that day included.
        with freeze_time(RUN_DATE):
            self.env["gentle.payment.promise"].create(
                {
                    "partner_id": self.customer.id,
                    "company_id": self.company.id,
                    "move_ids": [Command.set(self.invoice.ids)],
                    "amount": 1000.0,
                    "date_promised": date(2026, 11, 12),
                    "grace_days": 0,
                }
            )
        sentence = f"Promise to pay ${NBSP}1,000.00 by 11/12/2026"
        # The day before and the day of the deadline: held.
        self.assert_blocked("promise", sentence, now=RUN_NOW + DAY)
        self.assert_blocked("promise", sentence, now=RUN_NOW + 2 * DAY)
        # The day after: chased again.
        self.assert_due(now=RUN_NOW + 3 * DAY)

    def test_paused_customer(self):
        self.customer.with_company(self.company).action_gentle_pause()
        self.assert_blocked("paused", "Paused: no reminder until follow-up is resumed")
        self.customer.with_company(self.company).action_gentle_resume()
        self.assert_due()

    def test_invoice_on_hold_until_a_date(self):
        self.invoice.write(
            {
                "gentle_hold_until": date(2026, 11, 11),
                "gentle_hold_note": "credit note coming",
            }
        )
        sentence = f"{self.invoice.name} on hold until 11/11/2026 (credit note coming)"
        self.assert_blocked("hold", sentence)
        # The last day of the hold, then the day after it ends.
        self.assert_blocked("hold", sentence, now=RUN_NOW + DAY)
        self.assert_due(now=RUN_NOW + 2 * DAY)

    def test_payment_blocked(self):
        self.invoice.action_toggle_block_payment()
        self.assert_blocked("blocked", f"Payment blocked on {self.invoice.name}")
        self.invoice.action_toggle_block_payment()
        self.assert_due()

    def test_contact_window_opening(self):
        # Brussels is UTC+1 in November: the window opens at 08:00 UTC.
        self.assert_blocked(
            "window",
            "Outside their contact window: next at 9:00 AM their time "
            "(Europe/Brussels)",
            now=datetime(2026, 11, 10, 7, 59),
        )
        self.assert_due(now=datetime(2026, 11, 10, 8, 0))

    def test_contact_window_closing(self):
        # 17:00 in Brussels: closed until tomorrow morning.
        self.assert_blocked(
            "window",
            "Outside their contact window: next on 11/11/2026 at 9:00 AM their "
            "time (Europe/Brussels)",
            now=datetime(2026, 11, 10, 16, 0),
        )
        # 16:59 in Brussels: still open.
        self.assert_due(now=datetime(2026, 11, 10, 15, 59))

    def test_contact_window_weekend_and_customer_time_zone(self):
        tokyo, _invoice = self.customer_with_invoice("Kenji Tokyo", tz="Asia/Tokyo")
        # Saturday 14 November, 10:00 UTC: 19:00 in Tokyo, a Saturday too.
        self.assert_blocked(
            "window",
            "Outside their contact window: next on 11/16/2026 at 9:00 AM their "
            "time (Asia/Tokyo)",
            partner=tokyo,
            now=datetime(2026, 11, 14, 10, 0),
        )

    def test_failed_batch_waits_for_its_cooldown(self):
        self.customer.with_company(self.company).gentle_followup_failed_at = (
            RUN_NOW - timedelta(minutes=10)
        )
        # Failed at 10:50 Brussels time, tried again after 11:50.
        self.assert_blocked(
            "failed", "The last attempt failed: tried again after 11/10/26, 11:50 AM"
        )
        self.assert_due(now=RUN_NOW + timedelta(minutes=51))

    def test_reminder_awaiting_approval(self):
        policy = self.single_level_policy("Approved first", requires_approval=True)
        self.customer.with_company(self.company).gentle_policy_id = policy
        actions = self.run_followup()
        self.assertEqual(
            set(actions.mapped("state")), {"awaiting_approval"}, "waits for approval"
        )
        self.assert_blocked(
            "approval",
            "Reminder awaiting approval since 11/10/2026",
            now=RUN_NOW + DAY,
        )

    def test_every_level_sent(self):
        policy = self.single_level_policy("One step")
        self.customer.with_company(self.company).gentle_policy_id = policy
        self.assert_due()
        self.assert_blocked(
            "done",
            "Every reminder level was sent: the next step is yours",
            now=RUN_NOW + DAY,
        )

    def test_nothing_due(self):
        quiet = self._gentle_customer("Quiet Quentin")
        self.assert_blocked("nothing", "Nothing due", partner=quiet)
        # Invoiced, due in 30 days: the heads-up 5 days before the due date.
        self._gentle_invoice(quiet, RUN_DATE, RUN_DATE + timedelta(days=30))
        self.assert_blocked(
            "nothing", "Nothing due: next reminder on 12/05/2026", partner=quiet
        )
        self.assertEqual(
            quiet.with_company(self.company).gentle_next_step,
            "Friendly heads-up on 12/05/2026",
        )
        # Ann, reminded by the runs above, then paid: nothing open any more.
        self.assertEqual(
            self.blocker(), ("nothing", "Nothing due: next reminder on 11/25/2026")
        )
        self.pay(self.invoice, date=RUN_DATE)
        self.assertEqual(self.blocker(), ("nothing", "Nothing due"))

    def test_go_live_date(self):
        self.company.gentle_go_live_date = RUN_DATE - timedelta(days=10)
        self.assert_blocked(
            "nothing",
            "Nothing due: invoices due before the go-live date (10/31/2026) are "
            "not chased",
        )

    # ------------------------------------------------------------------
    # Search by reason, the queue, the Customers list
    # ------------------------------------------------------------------

    def test_search_by_reason(self):
        paused, _inv = self.customer_with_invoice("Paula Paused")
        paused.with_company(self.company).gentle_paused = True
        blocked, invoice = self.customer_with_invoice("Bill Blocked")
        invoice.action_toggle_block_payment()
        quiet = self._gentle_customer("Quiet Quentin")
        everyone = self.customer | paused | blocked | quiet
        contact = self.env["res.partner"].create(
            {"name": "Pat Contact", "parent_id": paused.id}
        )
        everyone_and_contact = everyone | contact
        with freeze_time(RUN_NOW):
            self.assertEqual(
                self.search_reason("=", "paused", everyone_and_contact),
                paused | contact,
            )
            self.assertEqual(self.search_reason("=", "blocked", everyone), blocked)
            self.assertEqual(self.search_reason("=", "nothing", everyone), quiet)
            self.assertEqual(self.search_reason("=", False, everyone), self.customer)
            self.assertEqual(
                self.search_reason("in", ["paused", "blocked"], everyone),
                paused | blocked,
            )
            self.assertEqual(
                self.search_reason("!=", "nothing", everyone),
                self.customer | paused | blocked,
            )
            self.assertEqual(
                self.search_reason("not in", ["paused", False], everyone),
                blocked | quiet,
            )

    def test_queue_lists_commercial_customers_only(self):
        action = self.env.ref("gentle_collections.res_partner_action_gentle_queue")
        domain = safe_eval(action.domain)
        contact = self.env["res.partner"].create(
            {"name": "Bob Contact", "parent_id": self.customer.id}
        )
        # The company's own partner, invoiced and overdue: due, yet not listed.
        own = self.company.partner_id
        self._gentle_invoice(own, self.invoice_date, self.due)
        candidates = self.customer | contact | own
        with freeze_time(RUN_NOW):
            due = (
                self.env["res.partner"]
                .with_company(self.company)
                .search(
                    [("gentle_needs_action", "=", True), ("id", "in", candidates.ids)]
                )
            )
            self.assertEqual(due, self.customer | own)
            listed = (
                self.env["res.partner"]
                .with_company(self.company)
                .search(domain + [("id", "in", candidates.ids)])
            )
        self.assertEqual(listed, self.customer)

    # ------------------------------------------------------------------
    # Screens that read right (score, policy, recompute feedback)
    # ------------------------------------------------------------------

    def test_score_label_and_recompute_feedback(self):
        customer = self.customer.with_company(self.company)
        self.assertEqual(customer.gentle_score, 0)
        self.assertEqual(customer.gentle_score_label, "Not scored yet")
        with freeze_time(RUN_NOW):
            action = customer.action_gentle_recompute_score()
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(
            action["params"]["message"], "Ann Customer: 50 / 100, grade New."
        )
        self.assertEqual(customer.gentle_score_label, "50 / 100")
        self.assertEqual(customer.gentle_grade, "new")

    def test_policy_applied_even_when_inherited(self):
        customer = self.customer.with_company(self.company)
        self.assertFalse(customer.gentle_policy_id)
        self.assertEqual(customer.gentle_applied_policy_id, self.policy)
        graded = self.env["gentle.followup.policy"].create(
            {
                "name": "New customers",
                "company_id": self.company.id,
                "grade_ids": [
                    Command.set(self.env.ref("gentle_collections.gentle_grade_new").ids)
                ],
                "level_ids": [Command.create({"name": "Hello", "day_offset": 5})],
            }
        )
        with freeze_time(RUN_NOW):
            customer.action_gentle_recompute_score()
        customer.invalidate_recordset()
        self.assertEqual(customer.gentle_applied_policy_id, graded)
        own = self.single_level_policy("Own ladder")
        customer.gentle_policy_id = own
        self.assertEqual(customer.gentle_applied_policy_id, own)
        line = self._gentle_receivables(self.invoice)
        self.assertEqual(line.gentle_policy_id, own, "the lines resolve the same")

    def test_blocker_in_the_users_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"].search(
            [("name", "=", "gentle_collections")]
        )._update_translations(["fr_FR"])
        self.invoice.gentle_hold_until = date(2026, 11, 20)
        french = self.customer.with_company(self.company).with_context(lang="fr_FR")
        with freeze_time(RUN_NOW):
            self.env.invalidate_all()
            self.assertEqual(
                french.gentle_followup_blocker,
                f"{self.invoice.name} suspendue jusqu'au 20/11/2026",
            )
        reasons = dict(
            french.fields_get(["gentle_followup_blocker_reason"])[
                "gentle_followup_blocker_reason"
            ]["selection"]
        )
        self.assertEqual(reasons["hold"], "Facture suspendue")
