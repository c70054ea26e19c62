"""The late-fee arithmetic on its own: caps, rate, month and grace days, no
database and no transaction (issue 12 item 4)."""

from datetime import date

from odoo.tests import BaseCase, tagged

from ..tools import late_fee


@tagged("post_install", "-at_install")
class TestGentleLateFeeRule(BaseCase):
    """What ``gentle.late.fee.charge`` computes before it touches an invoice."""

    def test_fee_is_for_the_month_of_its_day(self):
        self.assertEqual(late_fee.fee_period(date(2026, 11, 30)), date(2026, 11, 1))
        self.assertEqual(late_fee.fee_period(date(2026, 12, 1)), date(2026, 12, 1))

    def test_fixed_amount_capped_never_negative(self):
        self.assertEqual(late_fee.capped_fixed_amount(40.0, 50.0), 40.0)
        self.assertEqual(late_fee.capped_fixed_amount(50.0, 50.0), 50.0)
        self.assertEqual(late_fee.capped_fixed_amount(50.01, 50.0), 50.0)
        self.assertEqual(late_fee.capped_fixed_amount(-5.0, 50.0), 0.0)
        self.assertEqual(late_fee.capped_fixed_amount(40.0, 0.0), 0.0)

    def test_rate_capped_by_company_and_by_all_of_it(self):
        self.assertEqual(late_fee.capped_rate(4.0, 5.0), 4.0)
        self.assertEqual(late_fee.capped_rate(4.0, 1.0), 1.0)
        self.assertEqual(late_fee.capped_rate(150.0, 200.0), 100.0)
        self.assertEqual(late_fee.capped_rate(-1.0, 5.0), 0.0)

    def test_rate_fee_on_what_is_owed_whatever_its_sign(self):
        self.assertEqual(late_fee.rate_fee(1000.0, 4.0), 40.0)
        self.assertEqual(late_fee.rate_fee(-1000.0, 4.0), 40.0)
        self.assertEqual(late_fee.rate_fee(1000.0, 0.0), 0.0)

    def test_grace_days_include_their_last_day(self):
        due = date(2026, 10, 1)
        self.assertTrue(late_fee.within_grace(date(2026, 10, 6), due, 5))
        self.assertFalse(late_fee.within_grace(date(2026, 10, 7), due, 5))
        self.assertTrue(late_fee.within_grace(due, due, 0))
        self.assertFalse(late_fee.within_grace(date(2026, 10, 2), due, 0))
        self.assertFalse(late_fee.within_grace(date(2026, 10, 2), False, 5))
