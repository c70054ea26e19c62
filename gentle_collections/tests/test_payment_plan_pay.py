"""An instalment paid online is paid whole, whichever invoices of the plan it
covers: the payment link names the oldest invoice still owed, and what the
payment leaves after it settles the plan's next invoices, oldest first."""

from datetime import date, timedelta

from odoo import Command
from odoo.tests import TransactionCase, tagged

from ..models.account_move_line import PAID_PAYMENT_STATES


@tagged("post_install", "-at_install")
class TestGentlePlanPayOnline(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        demo = cls.env["ir.module.module"].search([("name", "=", "payment_demo")])
        if demo.state != "installed":
            raise AssertionError(
                "payment_demo is not installed: tests/run installs it beside "
                "gentle_collections (in a dev database: -i payment_demo)."
            )
        cls.provider = cls.env.ref("payment.payment_provider_demo")
        cls.provider.write({"state": "test", "is_published": True})
        cls.method = cls.env.ref("payment_demo.payment_method_demo")
        cls.customer = cls.env["res.partner"].create(
            {"name": "Plan Pay Lanterns", "email": "ap@planpay.example.com"}
        )
        today = date.today()
        cls.old = cls._invoice(today - timedelta(days=40), 1000.0)
        cls.recent = cls._invoice(today - timedelta(days=10), 500.0)
        cls.other = cls._invoice(today - timedelta(days=60), 200.0)  # not in the plan
        cls.plan = cls.env["gentle.payment.plan"].create(
            {
                "partner_id": cls.customer.id,
                "move_ids": [Command.set((cls.old | cls.recent).ids)],
                "line_ids": [
                    Command.create({"date_due": today + timedelta(days=d), "amount": a})
                    for d, a in ((1, 600.0), (31, 600.0), (61, 300.0))
                ],
            }
        )
        cls.plan.action_agree()
        cls.first, cls.second, cls.third = cls.plan.line_ids.sorted("date_due")

    @classmethod
    def _invoice(cls, due, amount):
        move = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": cls.customer.id,
                "invoice_date": due - timedelta(days=30),
                "invoice_date_due": due,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Lantern",
                            "quantity": 1,
                            "price_unit": amount,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        move.action_post()
        return move

    def _pay_online(self, line, reference):
        """Pay ``line`` through its link, as /payment/pay does with the demo
        provider: a transaction on the invoice and the amount of the link."""
        params = dict(
            part.split("=", 1)
            for part in line._gentle_pay_url().split("?", 1)[1].split("&")
        )
        tx = self.env["payment.transaction"].create(
            {
                "provider_id": self.provider.id,
                "payment_method_id": self.method.id,
                "reference": reference,
                "amount": float(params["amount"]),
                "currency_id": self.old.currency_id.id,
                "partner_id": self.customer.id,
                "invoice_ids": [Command.set([int(params["invoice_id"])])],
                "operation": "online_redirect",
            }
        )
        tx._handle_notification_data(
            "demo",
            {
                "reference": reference,
                "payment_details": "4242",
                "simulated_state": "done",
            },
        )
        tx._post_process()
        self.assertEqual(tx.state, "done")
        self.env.invalidate_all()
        return tx, params

    def test_instalment_across_two_invoices_is_paid_whole(self):
        self._pay_online(self.first, "PLANPAY-1")
        self.assertEqual(self.old.amount_residual, 400.0)
        self.assertEqual(self.first.state, "paid")
        # The second instalment (600) is more than the 400 left on the oldest
        # invoice: the link still asks for the whole instalment.
        _tx, params = self._pay_online(self.second, "PLANPAY-2")
        self.assertEqual(params["invoice_id"], str(self.old.id))
        self.assertEqual(float(params["amount"]), 600.0)
        self.assertIn(self.old.payment_state, PAID_PAYMENT_STATES)
        self.assertEqual(self.old.amount_residual, 0.0)
        # The 200 left settle the plan's next invoice, not the older invoice
        # outside the plan.
        self.assertEqual(self.recent.amount_residual, 300.0)
        self.assertEqual(self.other.amount_residual, 200.0)
        self.assertEqual(self.second.state, "paid")
        self.assertNotEqual(self.third.state, "paid")
        # The last instalment is now on the remaining invoice.
        _tx, params = self._pay_online(self.third, "PLANPAY-3")
        self.assertEqual(params["invoice_id"], str(self.recent.id))
        self.assertEqual(float(params["amount"]), 300.0)
        self.assertEqual(self.recent.amount_residual, 0.0)
        self.assertEqual(self.plan.line_ids.mapped("state"), ["paid"] * 3)

    def test_payment_on_an_invoice_outside_any_plan_is_left_alone(self):
        tx = self.env["payment.transaction"].create(
            {
                "provider_id": self.provider.id,
                "payment_method_id": self.method.id,
                "reference": "PLANPAY-OTHER",
                "amount": 250.0,
                "currency_id": self.other.currency_id.id,
                "partner_id": self.customer.id,
                "invoice_ids": [Command.set(self.other.ids)],
                "operation": "online_redirect",
            }
        )
        tx._handle_notification_data(
            "demo",
            {
                "reference": tx.reference,
                "payment_details": "4242",
                "simulated_state": "done",
            },
        )
        tx._post_process()
        self.env.invalidate_all()
        self.assertEqual(self.other.amount_residual, 0.0)
        # The 50 overpaid stay an open credit: no plan invoice is touched.
        self.assertEqual(self.old.amount_residual, 1000.0)
        self.assertEqual(self.recent.amount_residual, 500.0)
