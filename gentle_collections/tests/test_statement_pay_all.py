"""*Pay all* on the signed statement page: one online payment of the amount
asked, through Odoo's payment providers (``payment_demo``, which the test
runner installs beside the addon), whose transaction covers exactly the
invoices asked; once paid, they are paid and the credit note applied."""

from datetime import date, timedelta

from odoo import Command
from odoo.tests import HttpCase, tagged
from odoo.tests.common import JsonRpcException

from ..models.account_move_line import PAID_PAYMENT_STATES
from .common import gentle_start_tour


@tagged("post_install", "-at_install")
class TestGentleStatementPayAll(HttpCase):
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
            {
                "name": "Pay All Lanterns",
                "email": "ap@payall.example.com",
                "is_company": True,
            }
        )
        today = date.today()
        cls.old = cls._invoice(today - timedelta(days=40), 500.0)
        cls.recent = cls._invoice(today - timedelta(days=10), 300.0)
        cls.disputed = cls._invoice(today - timedelta(days=20), 200.0)
        cls.refund = cls._invoice(today - timedelta(days=5), 50.0, "out_refund")
        cls.case = cls.env["gentle.collection.case"].create(
            {
                "subject": "Wrong quantity",
                "partner_id": cls.customer.id,
                "category_id": cls.env.ref(
                    "gentle_collections.gentle_case_category_pricing_dispute"
                ).id,
                "move_ids": [Command.set(cls.disputed.ids)],
            }
        )
        cls.link = cls.env["gentle.statement"]._gentle_statement_link(
            cls.customer, absolute=False
        )
        query = cls.link.split("?", 1)[1]
        cls.token = query.split("token=")[1].split("&")[0]
        cls.exp = query.split("exp=")[1]
        cls.route = f"/my/statement/{cls.customer.id}/transaction/{cls.exp}"

    @classmethod
    def _invoice(cls, due, amount, move_type="out_invoice"):
        move = cls.env["account.move"].create(
            {
                "move_type": move_type,
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

    def _params(self, **values):
        return {
            "provider_id": self.provider.id,
            "payment_method_id": self.method.id,
            "token_id": None,
            "amount": 750.0,
            "flow": "direct",
            "tokenization_requested": True,
            "landing_route": "/somewhere/else",
            "is_validation": False,
            "access_token": self.token,
            **values,
        }

    def _transactions(self):
        return self.env["payment.transaction"].search(
            [("partner_id", "=", self.customer.id)]
        )

    def assert_settled(self):
        self.env.invalidate_all()
        for move in self.old | self.recent:
            self.assertIn(move.payment_state, PAID_PAYMENT_STATES, move.name)
            self.assertEqual(move.amount_residual, 0.0, move.name)
        # The credit note was applied; the invoice under review is untouched.
        self.assertEqual(self.refund.amount_residual, 0.0)
        self.assertEqual(self.disputed.amount_residual, 200.0)
        self.assertEqual(self.disputed.payment_state, "not_paid")

    def assert_refused(self, route, params, reason):
        """The transaction route refuses with ``reason`` (which Odoo logs)."""
        with (
            self.assertLogs("odoo.http", "WARNING") as logs,
            self.assertRaises(JsonRpcException),
        ):
            self.make_jsonrpc_request(route, params)
        self.assertIn(reason, "\n".join(logs.output))

    def test_page_offers_pay_all_for_the_amount_asked(self):
        response = self.url_open(self.link)
        self.assertEqual(response.status_code, 200)
        self.assertIn('id="gentle_statement_pay_all"', response.text)
        self.assertIn('id="o_payment_form"', response.text)
        self.assertIn('data-amount="750.0"', response.text)
        self.assertIn(f'data-transaction-route="{self.route}"', response.text)
        self.assertIn(
            f"One online payment of $\xa0750.00 settles "
            f"{self.old.name}, {self.recent.name}.",
            response.text,
        )
        # Saved payment methods are neither offered nor saved.
        self.assertNotIn("o_payment_tokenize_checkbox", response.text)

    def test_transaction_covers_the_asked_invoices(self):
        result = self.make_jsonrpc_request(self.route, self._params())
        tx = self._transactions()
        self.assertEqual(len(tx), 1)
        self.assertEqual(tx.reference, result["reference"])
        self.assertEqual(tx.invoice_ids, self.old | self.recent)
        self.assertEqual(tx.amount, 750.0)
        self.assertEqual(tx.currency_id, self.env.company.currency_id)
        self.assertEqual(
            tx.gentle_credit_line_ids,
            self.refund.line_ids.filtered(lambda line: line.amount_residual),
        )
        # Due-date order: the oldest invoice first in the reference.
        self.assertLess(
            tx.reference.index(self.old.name), tx.reference.index(self.recent.name)
        )
        self.assertFalse(tx.tokenize)
        self.assertTrue(tx.landing_route.startswith(self.link))
        # The demo provider confirms the payment; Odoo posts and reconciles it.
        tx._handle_notification_data(
            "demo",
            {
                "reference": tx.reference,
                "payment_details": "4242",
                "simulated_state": "done",
            },
        )
        tx._post_process()
        self.assertEqual(tx.state, "done")
        self.assertEqual(tx.payment_id.amount, 750.0)
        self.assert_settled()

    def test_refused_without_the_link_or_for_another_amount(self):
        yesterday = date.today() - timedelta(days=1)
        invalid = "This statement link is no longer valid"
        changed = "Your statement has changed since you opened it"
        for route, params, reason in (
            (self.route, self._params(access_token=self.token[:-1] + "x"), invalid),
            (self.route, self._params(access_token=None), invalid),
            (
                f"/my/statement/{self.customer.id}/transaction/{yesterday}",
                self._params(),
                invalid,
            ),
            (self.route, self._params(amount=950.0), changed),
            (self.route, self._params(amount=1.0), changed),
            (self.route, self._params(flow="token"), "Choose a payment method"),
            (self.route, self._params(reference_prefix="X"), "not whitelisted"),
        ):
            with self.subTest(route=route, params=params):
                self.assert_refused(route, params, reason)
        self.assertFalse(self._transactions())
        # Once the disputed invoice is settled too, the amount changes.
        self.case.write({"outcome": "explained"})
        self.case.action_resolve()
        self.assert_refused(self.route, self._params(), changed)
        self.make_jsonrpc_request(self.route, self._params(amount=950.0))
        self.assertEqual(
            self._transactions().invoice_ids, self.old | self.disputed | self.recent
        )

    def test_tour_pays_the_whole_statement(self):
        gentle_start_tour(self, self.link, "gentle_statement_pay_all_tour")
        tx = self._transactions()
        self.assertEqual(len(tx), 1)
        self.assertEqual(tx.state, "done")
        self.assertEqual(tx.invoice_ids, self.old | self.recent)
        self.assert_settled()
