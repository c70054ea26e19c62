from datetime import date

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import RUN_DATE, RUN_NOW, GentleFollowupCommon


@tagged("post_install", "-at_install")
class TestGentleLateFee(GentleFollowupCommon):
    """Late fees: once per invoice and month, exact amounts, waivers, clause."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.setup_other_currency("EUR")
        cls.policy.write({"fee_mode": "fixed", "fee_amount": 15.0, "fee_grace_days": 5})
        cls.invoice = cls._gentle_invoice(
            cls.customer, date(2026, 9, 1), due=date(2026, 10, 1), amount=1000.0
        )

    def _fees(self, move=None):
        return self.env["gentle.late.fee"].search(
            [("invoice_id", "=", (move or self.invoice).id)], order="period"
        )

    def test_once_per_invoice_and_month(self):
        first = self.invoice._gentle_charge_late_fee(date(2026, 11, 10), self.policy)
        self.assertEqual(first.period, date(2026, 11, 1))
        self.assertEqual(first.amount, 15.0)
        fee_move = first.fee_move_id
        self.assertEqual(fee_move.state, "posted")
        self.assertTrue(fee_move.gentle_is_fee)
        self.assertEqual(fee_move.amount_total, 15.0)
        self.assertEqual(fee_move.commercial_partner_id, self.customer)
        # Same month again: nothing more.
        again = self.invoice._gentle_charge_late_fee(date(2026, 11, 30), self.policy)
        self.assertFalse(again)
        # Next month: one more.
        self.invoice._gentle_charge_late_fee(date(2026, 12, 1), self.policy)
        self.assertEqual(
            self._fees().mapped("period"), [date(2026, 11, 1), date(2026, 12, 1)]
        )

    def test_grace_days_boundary(self):
        self.assertFalse(
            self.invoice._gentle_charge_late_fee(date(2026, 10, 6), self.policy)
        )
        self.assertTrue(
            self.invoice._gentle_charge_late_fee(date(2026, 10, 7), self.policy)
        )

    def test_fixed_fee_in_invoice_currency(self):
        invoice = self._gentle_invoice(
            self.customer,
            date(2026, 9, 1),
            due=date(2026, 10, 1),
            amount=500.0,
            currency_id=self.eur.id,
        )
        fee = invoice._gentle_charge_late_fee(date(2026, 11, 10), self.policy)
        # 15 in company currency at 2 EUR per unit.
        self.assertEqual(fee.amount, 30.0)
        self.assertEqual(fee.fee_move_id.currency_id, self.eur)
        self.assertEqual(fee.fee_move_id.amount_total, 30.0)

    def test_monthly_rate_amount(self):
        self.policy.write({"fee_mode": "monthly_rate", "fee_rate": 1.5})
        invoice = self._gentle_invoice(
            self.customer,
            date(2026, 9, 1),
            due=date(2026, 10, 1),
            amount=1234.5,
            currency_id=self.eur.id,
        )
        fee = invoice._gentle_charge_late_fee(date(2026, 11, 10), self.policy)
        self.assertEqual(fee.amount, 18.52)  # 1.5 % of 1,234.50
        self.assertEqual(fee.fee_move_id.amount_total, 18.52)

    def test_waived_for_grade(self):
        self.policy.fee_waived_grade_ids = self.env.ref(
            "gentle_collections.gentle_grade_a"
        )
        self.customer.with_company(self.company).gentle_grade = "A"
        self.assertFalse(
            self.invoice._gentle_charge_late_fee(date(2026, 11, 10), self.policy)
        )
        self.customer.with_company(self.company).gentle_grade = "B"
        self.assertTrue(
            self.invoice._gentle_charge_late_fee(date(2026, 11, 10), self.policy)
        )

    def test_waived_under_open_case(self):
        self.env.user.email = "collector@example.com"
        self.company.email = "billing@example.com"
        case = self.env["gentle.collection.case"].create(
            {
                "subject": "Wrong price",
                "partner_id": self.customer.id,
                "category_id": self.env.ref(
                    "gentle_collections.gentle_case_category_pricing_dispute"
                ).id,
                "move_ids": [(6, 0, self.invoice.ids)],
            }
        )
        self.assertIn(case.state, ("new", "in_progress", "waiting"))
        self.assertFalse(
            self.invoice._gentle_charge_late_fee(date(2026, 11, 10), self.policy)
        )

    def test_waived_in_hardship(self):
        partner = self.customer.with_company(self.company)
        if "gentle_hardship_until" not in partner._fields:
            # Hardship mode comes with promises and plans; without it the
            # customer is never in hardship and is charged.
            self.assertTrue(
                self.invoice._gentle_charge_late_fee(date(2026, 11, 10), self.policy)
            )
            return
        partner.gentle_hardship_until = date(2099, 1, 1)
        self.assertTrue(partner.gentle_hardship)
        self.assertFalse(
            self.invoice._gentle_charge_late_fee(date(2026, 11, 10), self.policy)
        )

    def test_fee_invoice_never_charged(self):
        fee = self.invoice._gentle_charge_late_fee(date(2026, 11, 10), self.policy)
        self.assertFalse(
            fee.fee_move_id._gentle_charge_late_fee(date(2026, 12, 20), self.policy)
        )
        self.assertFalse(self._fees(fee.fee_move_id))

    def test_negative_fee_refused(self):
        with self.assertRefused(
            ValidationError, records=self.policy, message="negative"
        ):
            self.policy.fee_amount = -1.0
        self.assertEqual(self.policy.fee_amount, 15.0)
        with self.assertRefused(
            ValidationError, records=self.policy, message="negative"
        ):
            self.policy.write({"fee_mode": "monthly_rate", "fee_rate": -0.5})
        self.assertEqual(self.policy.fee_mode, "fixed")

    def test_engine_level_charges_fee(self):
        """A run reaching a level that charges a fee adds one fee invoice."""
        self.policy.level_ids.filtered(lambda lv: lv.day_offset > 0).charge_fee = True
        invoice = self._gentle_invoice(
            self.customer, date(2026, 10, 1), due=date(2026, 10, 27), amount=200.0
        )
        self.assert_followup_sends()
        fees = self._fees(invoice)
        self.assertEqual(len(fees), 1)
        self.assertEqual(fees.period, date(2026, 11, 1))
        self.assertEqual(fees.fee_move_id.amount_total, 15.0)
        self.assertIn(invoice.name, fees.fee_move_id.invoice_line_ids.name)

    def test_no_fee_without_a_reminder(self):
        """Issue 11, item 5: a reminder that charges a fee, dropped after its
        steps were claimed because another run sent its thank-you first,
        charges no fee: fees follow only the messages finally kept."""
        self.policy.level_ids.filtered(lambda lv: lv.day_offset > 0).charge_fee = True
        self.company.write(
            {
                "gentle_go_live_date": date(2026, 1, 1),
                "gentle_thanks_mode": "always",
                "gentle_thanks_period_days": 30,
            }
        )
        overdue = self._gentle_invoice(
            self.customer, date(2026, 10, 1), due=date(2026, 10, 27), amount=200.0
        )
        paid = self._gentle_invoice(
            self.customer, date(2026, 10, 1), due=date(2026, 11, 30), amount=50.0
        )
        self.pay(paid, date=date(2026, 11, 9))
        engine = self.engine
        [reminder] = engine._gentle_prepare(self.company, RUN_DATE, self.customer.ids)
        self.assertEqual(reminder.items["thanks"], paid)
        self.assertTrue(
            any(line.move_id == overdue for line, _lv in reminder.items["steps"])
        )
        # Another run got to the thank-you first (with no reminder of its own).
        [thanks_only] = engine._gentle_prepare(
            self.company, RUN_DATE, self.customer.ids
        )
        thanks_only.items["steps"] = []
        self.assertTrue(engine._gentle_execute([thanks_only]))
        self.assertFalse(engine._gentle_execute([reminder]))
        self.assertFalse(self._fees(overdue))
        self.assertFalse(self._gentle_history(overdue))
        # The next run reminds, and charges, once.
        self.assert_followup_sends(now=RUN_NOW)
        self.assertEqual(len(self._fees(overdue)), 1)
        self.assertTrue(self._gentle_history(overdue).action_ids)

    def test_clause_on_pdf_and_reminder(self):
        clause = "Payments received more than 5 days after the due date bear a late fee"
        self.assertIn(clause, self.invoice.gentle_fee_clause)
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("account.report_invoice", self.invoice.ids)[0]
            .decode()
        )
        self.assertIn(clause, html)
        self.assertIn("per invoice and month", html)
        table = self._gentle_message(
            self.customer, date(2026, 10, 10), self._gentle_receivables(self.invoice)
        )._gentle_followup_table()
        self.assertIn(clause, table)
        self.policy.fee_mode = "none"
        self.invoice.invalidate_recordset(["gentle_fee_clause"])
        self.assertFalse(self.invoice.gentle_fee_clause)
