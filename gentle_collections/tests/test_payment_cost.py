from freezegun import freeze_time

from odoo.tests import tagged

from .score_common import SCORE_DATE, GentleScoreCase

# Queries of one payment registered with the wizard and matched to its invoice,
# with the addon installed, before the commit (measured: 100). A regression that
# adds queries to the accountant's matching fails here.
PAYMENT_QUERIES_MAX = 102
# What the addon adds when the transaction commits, whatever the number of
# reconciliations in it: the customers' score components, then their scores
# and monthly snapshots written in one statement.
REFRESH_QUERIES_MAX = 2


@tagged("post_install", "-at_install")
class TestGentlePaymentCost(GentleScoreCase):
    """What registering payments costs with the addon installed: the score is
    refreshed once per transaction, set-based, in two queries."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The customers stay "new" (too few paid invoices to grade): no grade
        # changes, so no policy re-resolution is counted below.
        cls.company.gentle_score_min_paid = 20
        cls.partners = cls.env["res.partner"].concat(
            *(cls._partner(f"Payer {i}") for i in range(10))
        )
        cls.invoices = cls.env["account.move"].concat(
            *(
                cls._invoice(partner, 100.0, f"2025-04-0{i + 1}", f"2025-05-0{i + 1}")
                for partner in cls.partners
                for i in range(5)
            )
        )
        cls._recompute()

    def _register(self, invoices, payment_date="2025-06-20"):
        wizard = (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoices.ids)
            .create({"payment_date": payment_date, "group_payment": False})
        )
        return wizard._create_payments()

    def test_one_payment_query_count(self):
        with freeze_time(SCORE_DATE):
            # A first payment warms what any first payment loads (journal,
            # sequence, accounts).
            self._register(self.invoices[0])
            self.commit_hooks()
            invoice = self.invoices[1]
            payments, matching = self._count_queries(self._register, invoice)
            self.assertIn(invoice.payment_state, ("paid", "in_payment"))
            _result, refresh = self._count_queries(self.commit_hooks)
        self.assertEqual(len(payments), 1)
        self.assertLessEqual(matching, PAYMENT_QUERIES_MAX)
        self.assertLessEqual(refresh, REFRESH_QUERIES_MAX)
        # The refresh did happen: the customer's two payments are counted.
        self.assertEqual(
            self._stored(invoice.partner_id)["gentle_paid_invoice_count"], 2
        )

    def test_fifty_reconciliations_refresh_in_two_queries(self):
        with freeze_time(SCORE_DATE):
            payments = self._register(self.invoices)
            self.assertEqual(len(payments), 50)
            _result, refresh = self._count_queries(self.commit_hooks)
        # Once, for the ten customers together: as many queries as for one.
        self.assertLessEqual(refresh, REFRESH_QUERIES_MAX)
        for partner in self.partners:
            self.assertEqual(self._stored(partner)["gentle_paid_invoice_count"], 5)
        # Nothing left to refresh: a second commit costs nothing.
        _result, again = self._count_queries(self.commit_hooks)
        self.assertEqual(again, 0)

    def test_paid_line_leaves_the_followup_without_reading_its_history(self):
        invoice = self.invoices[2]
        line = self._receivable(invoice)
        self.assertTrue(line.gentle_next_date)
        with freeze_time(SCORE_DATE):
            self._register(invoice)
            self.commit_hooks()
        self.assertFalse(line.gentle_next_date)
        self.assertFalse(line.gentle_next_level_id)
        self.assertFalse(invoice.gentle_next_followup_date)
