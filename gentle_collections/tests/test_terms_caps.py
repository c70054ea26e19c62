from contextlib import contextmanager
from datetime import date

from freezegun import freeze_time

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

TODAY = date(2026, 3, 2)


@tagged("post_install", "-at_install")
class TestGentleTermsCaps(AccountTestInvoicingCommon):
    """Terms stay within sensible, configurable limits and change only through
    their actions."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.customer = cls.env["res.partner"].create({"name": "Caps Customer"})
        cls.invoice = cls.init_invoice(
            "out_invoice",
            partner=cls.customer,
            invoice_date=date(2026, 2, 2),
            amounts=[1000.0],
        )
        cls.invoice.invoice_date_due = date(2026, 2, 2)
        cls.invoice.action_post()
        cls.policy = cls.company.gentle_default_policy_id
        cls.Promise = cls.env["gentle.payment.promise"]

    @contextmanager
    def refused(self, exception, phrase):
        """Odoo's assertRaises rolls the refused write back; check the message."""
        with self.assertRaises(exception) as caught:
            yield
        self.assertIn(phrase, str(caught.exception))

    def promise(self, **values):
        with freeze_time(TODAY):
            return self.Promise.create(
                {
                    "partner_id": self.customer.id,
                    "move_ids": [(6, 0, self.invoice.ids)],
                    "amount": 600.0,
                    "date_promised": date(2026, 3, 10),
                    **values,
                }
            )

    def test_fee_rate_and_amount_capped(self):
        self.policy.write({"fee_mode": "monthly_rate", "fee_rate": 5.0})
        with self.refused(ValidationError, "above the company maximum"):
            self.policy.fee_rate = 1000000.0
        self.assertEqual(self.policy.fee_rate, 5.0)
        with self.refused(ValidationError, "above the company maximum"):
            self.policy.write({"fee_mode": "fixed", "fee_amount": 1e12})
        self.assertEqual(self.policy.fee_amount, 0.0)
        with self.refused(ValidationError, "between 0 and 100"):
            self.company.gentle_late_fee_max_rate = 101.0
        self.assertEqual(self.company.gentle_late_fee_max_rate, 5.0)

    def test_fee_charged_capped_by_lowered_maximum(self):
        self.policy.write({"fee_mode": "monthly_rate", "fee_rate": 4.0})
        Charge = self.env["gentle.late.fee.charge"]
        amount = Charge._gentle_late_fee_amount(self.invoice, TODAY, self.policy)
        self.assertEqual(amount, 40.0)
        self.company.gentle_late_fee_max_rate = 1.0
        amount = Charge._gentle_late_fee_amount(self.invoice, TODAY, self.policy)
        self.assertEqual(amount, 10.0)

    def test_promise_horizon_and_grace(self):
        with self.refused(ValidationError, "too far ahead"):
            self.promise(date_promised=date(2999, 1, 1))
        # The last day of the horizon is accepted.
        self.assertTrue(self.promise(date_promised=date(2027, 3, 2)))
        with self.refused(ValidationError, "between 0 and 60"):
            self.promise(grace_days=100000)
        with self.refused(ValidationError, "between 0 and 60"):
            self.company.gentle_promise_grace_days = 100000
        self.assertEqual(
            self.Promise.search_count([("partner_id", "=", self.customer.id)]), 1
        )

    def test_decided_promise_read_only(self):
        promise = self.promise()
        with self.refused(UserError, "set by its actions"):
            promise.state = "kept"
        self.assertEqual(promise.state, "open")
        promise.action_cancel()
        self.assertEqual(promise.state, "cancelled")
        with self.refused(UserError, "already decided"):
            promise.write({"date_promised": date(2020, 1, 1), "amount": -5.0})
        self.assertEqual(promise.amount, 600.0)
        self.assertEqual(promise.date_promised, date(2026, 3, 10))
        promise.note = "Still allowed"

    def test_full_discount_refused(self):
        with self.refused(ValidationError, "less than 100"):
            self.env["account.payment.term"].create(
                {
                    "name": "Free",
                    "early_discount": True,
                    "discount_percentage": 100.0,
                    "discount_days": 5,
                    "line_ids": [
                        (0, 0, {"value": "percent", "value_amount": 100, "nb_days": 30})
                    ],
                }
            )
        self.assertFalse(
            self.env["account.payment.term"].search([("name", "=", "Free")])
        )
