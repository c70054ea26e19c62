import base64
import logging
from datetime import date, timedelta
from unittest.mock import patch

from odoo import Command, models
from odoo.tests import tagged

from .common import GentleFollowupCommon

_logger = logging.getLogger(__name__)

# Queries a run costs per additional customer (its message, notification, mail,
# chatter and history writes). Stated by item 13 and issue 16: a run costs at
# most BASE + PER_CUSTOMER x customers, whatever the number of invoices.
PER_CUSTOMER = 10
# What Odoo's own account.move create and post cost per late-fee invoice, all
# created and posted in one batch (its sequence number, its follower, its
# savepoint are Odoo's, per invoice): about 13.
PER_FEE_INVOICE = 15


@tagged("post_install", "-at_install")
class TestFollowupQueries(GentleFollowupCommon):
    """Item 13: the number of queries of a run does not grow with invoices."""

    @classmethod
    def _many_invoices(cls, partner, count, overdue=4, **values):
        """``count`` posted invoices of ``partner``, due ``overdue`` to
        ``overdue`` + 4 days ago (4: each reaches the first reminder on the run
        date; 16: the second reminder and its call), created in one batch."""
        first_due = date(2026, 11, 10) - timedelta(days=overdue + 4)
        moves = cls.env["account.move"].create(
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": date(2026, 9, 1),
                    "invoice_date_due": first_due + timedelta(days=i % 5),
                    **values,
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

    def _count_run(self, partners, **kwargs):
        """Queries of one run over ``partners``, starting from a cold cache."""
        self.env.flush_all()
        self.env.invalidate_all()
        start = self.env.cr.sql_log_count
        result = self._gentle_run(partners=partners, **kwargs)
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

    # ------------------------------------------------------------------
    # A whole batch: emails, call activities, late fees, notes (issue 16)
    # ------------------------------------------------------------------

    def _ledgers(self, prefix, customers, invoices, **values):
        """``customers`` new customers with ``invoices`` invoices each, 16 to 20
        days overdue: each gets the second reminder, by email and with a call
        for their collector."""
        partners = self.env["res.partner"].concat(
            *(self._gentle_customer(f"{prefix} {i}") for i in range(customers))
        )
        for partner in partners:
            self._many_invoices(partner, invoices, overdue=16, **values)
        return partners

    def _count_batch(self, partners):
        """Queries of one batch over ``partners``, the ORM's own chunking of
        100 rows per statement lifted (see above), and what it did."""
        with (
            patch.object(models, "INSERT_BATCH_SIZE", 1000),
            patch.object(models, "UPDATE_BATCH_SIZE", 1000),
        ):
            return self._count_run(partners, window=False)

    def _assert_batch_bounded(self, invoice_values=None, fees=False):
        """A batch of N customers costs the same queries whether each has 2 or
        6 invoices, and 2N customers cost at most PER_CUSTOMER more per
        customer: ``a + b x N`` with ``b`` <= PER_CUSTOMER, whatever K. With
        late fees, each fee invoice adds Odoo's own cost of an invoice
        (PER_FEE_INVOICE at most), nothing of the engine's."""
        values = invoice_values or {}
        self._count_batch(self._ledgers("Warm", 2, 2, **values))
        few = self._ledgers("Few", 3, 2, **values)
        many = self._ledgers("Many", 3, 6, **values)
        double = self._ledgers("Double", 6, 2, **values)
        few_count, few_result = self._count_batch(few)
        many_count, many_result = self._count_batch(many)
        double_count, _result = self._count_batch(double)
        channels = sorted(set(few_result["actions"].mapped("channel")))
        self.assertEqual(channels, ["call", "email"])
        self.assertEqual(len(few_result["actions"]), 6)
        self.assertEqual(len(many_result["actions"]), 6)
        self.assertEqual(many_result["lines"], 18)
        per_fee = 0
        if fees:
            LateFee = self.env["gentle.late.fee"]
            self.assertEqual(
                LateFee.search_count([("invoice_id.partner_id", "in", few.ids)]), 6
            )
            self.assertEqual(
                LateFee.search_count([("invoice_id.partner_id", "in", many.ids)]), 18
            )
            per_fee = (many_count - few_count) / (18 - 6)
            self.assertLessEqual(per_fee, PER_FEE_INVOICE)
        else:
            self.assertEqual(few_count, many_count)
        # 3 more customers, and 6 more fee invoices when the level charges fees.
        per_customer = (double_count - few_count - 6 * per_fee) / 3
        _logger.info(
            "Follow-up batch%s: %s queries for 3 customers x 2 invoices, %s for "
            "3 x 6, %s for 6 x 2 (%.1f per customer, %.1f per fee invoice)",
            " with late fees" if fees else "",
            few_count,
            many_count,
            double_count,
            per_customer,
            per_fee,
        )
        self.assertLessEqual(per_customer, PER_CUSTOMER)

    def test_batch_with_calls_bounded(self):
        """Emails, call activities for another collector, history and notes."""
        collector = self.env["res.users"].create(
            {
                "name": "Cal Collector",
                "login": "gentle_queries_collector",
                "email": "cal@example.com",
                "groups_id": [Command.set(self.env.ref("base.group_user").ids)],
            }
        )
        self._assert_batch_bounded({"invoice_user_id": collector.id})
        # Each call assigned to the collector, no "assigned to you" email each.
        calls = self.env["mail.activity"].search([("user_id", "=", collector.id)])
        self.assertEqual(len(calls), 2 + 3 + 3 + 6)
        self.assertFalse(
            self.env["mail.mail"].search(
                [("recipient_ids", "in", collector.partner_id.ids)]
            )
        )

    def test_batch_with_late_fees_bounded(self):
        """The same batch where the level also charges a late fee on each
        invoice: the fee invoices are created and posted in one batch."""
        self.policy.write({"fee_mode": "fixed", "fee_amount": 10.0})
        self.levels[15].charge_fee = True
        self._assert_batch_bounded(fees=True)
