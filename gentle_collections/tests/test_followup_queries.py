import base64
import logging
from datetime import date, timedelta
from unittest.mock import patch

from odoo import Command, models
from odoo.tests import tagged

from .common import GentleFollowupCommon

_logger = logging.getLogger(__name__)

# Queries a run costs per additional customer (its message, notification, mail,
# chatter and history writes). Stated by item 13: a run costs at most
# BASE + PER_CUSTOMER x customers, whatever the number of invoices.
PER_CUSTOMER = 25


@tagged("post_install", "-at_install")
class TestFollowupQueries(GentleFollowupCommon):
    """Item 13: the number of queries of a run does not grow with invoices."""

    @classmethod
    def _many_invoices(cls, partner, count):
        """``count`` posted invoices of ``partner``, due 4 to 8 days ago (each
        reaches the first reminder on the run date), created in one batch."""
        moves = cls.env["account.move"].create(
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": date(2026, 10, 1),
                    "invoice_date_due": date(2026, 11, 2) + timedelta(days=i % 5),
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": "Work",
                                "quantity": 1,
                                "price_unit": 10.0 + i,
                                "tax_ids": [Command.clear()],
                            }
                        )
                    ],
                }
                for i in range(count)
            ]
        )
        moves.action_post()
        # Sent invoices carry their stored PDF (a reminder renders a missing one
        # once, in batches: Odoo's report cost, not the engine's).
        for move in moves:
            move.invoice_pdf_report_file = base64.b64encode(b"%PDF-1.4 stored")
        return moves

    def _count_run(self, partners):
        """Queries of one run over ``partners``, starting from a cold cache."""
        self.env.flush_all()
        self.env.invalidate_all()
        start = self.env.cr.sql_log_count
        result = self._gentle_run(partners=partners)
        self.env.flush_all()
        count = self.env.cr.sql_log_count - start
        self.assertEqual(result["done"], len(partners))
        return count, result

    def test_queries_independent_of_invoice_count(self):
        warm = self._gentle_customer("Warm Up")
        small = self._gentle_customer("Small Ledger")
        large = self._gentle_customer("Large Ledger")
        self._many_invoices(warm, 3)
        self._many_invoices(small, 10)
        self._many_invoices(large, 200)
        # A first run fills the caches (views, rules) any first run pays once.
        self._count_run(warm)
        # The ORM itself writes rows in chunks of 100 (one INSERT or UPDATE per
        # chunk), so 200 invoice notes or recomputed lines cost one statement
        # more per table than 10. Lift that chunking to measure the engine alone:
        # it must not add a single query per invoice or line.
        with (
            patch.object(models, "INSERT_BATCH_SIZE", 1000),
            patch.object(models, "UPDATE_BATCH_SIZE", 1000),
        ):
            small_count, small_result = self._count_run(small)
            large_count, large_result = self._count_run(large)
        self.assertEqual(small_result["lines"], 10)
        self.assertEqual(large_result["lines"], 200)
        _logger.info(
            "Follow-up run: %s queries for 10 lines, %s for 200",
            small_count,
            large_count,
        )
        self.assertEqual(small_count, large_count)

    def test_queries_linear_in_customers(self):
        customers = self.env["res.partner"].concat(
            *(self._gentle_customer(f"Queried {i}") for i in range(8))
        )
        for index, customer in enumerate(customers):
            # Customers have 1 to 8 invoices: the count must not matter.
            self._many_invoices(customer, index + 1)
        self._count_run(customers[-1])
        customers = customers[:-1]
        one, _result = self._count_run(customers[:1])
        three, _result = self._count_run(customers[1:4])
        five_more = customers[4:7]
        three_again, _result = self._count_run(five_more)
        per_customer = (three - one) / 2
        _logger.info(
            "Follow-up run: %s queries for 1 customer, %s for 3 (%s per customer)",
            one,
            three,
            per_customer,
        )
        self.assertEqual(three_again, three)
        self.assertLessEqual(per_customer, PER_CUSTOMER)
        self.assertLessEqual(three, one + 2 * PER_CUSTOMER)
