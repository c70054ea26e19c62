"""One definition of an open receivable line (account_move_line.py): the Python
predicate, the domain and the SQL condition select the same lines, in both
named variants, on lines of every payment state and move type; and the
callers (amounts due, statement, ageing report) use it. Its variant at the end
of a past day (the overview's trends) agrees with it once every entry is in."""

from datetime import date, timedelta

from odoo import Command
from odoo.tests import tagged
from odoo.tools import SQL

from .common import RUN_DATE, GentleFollowupCommon

# A day after every entry of the tests, whatever the machine's date.
LATER = date(2099, 12, 31)


@tagged("post_install", "-at_install")
class TestGentleOpenReceivableParity(GentleFollowupCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        invoice_date = RUN_DATE - timedelta(days=60)
        due = RUN_DATE - timedelta(days=30)
        customer = cls.customer

        def invoice(**values):
            return cls._gentle_invoice(customer, invoice_date, due, **values)

        cls.not_paid = invoice()
        cls.partial = invoice()
        cls._gentle_pay(cls.partial, RUN_DATE - timedelta(days=10), amount=400.0)
        cls.paid = invoice()
        cls._gentle_pay(cls.paid, RUN_DATE - timedelta(days=10))
        cls.instalments = cls._gentle_invoice(
            customer, invoice_date, term=cls._gentle_instalment_term()
        )
        # Pays the first instalment (300) exactly, the second stays open.
        cls._gentle_pay(cls.instalments, RUN_DATE - timedelta(days=5), amount=300.0)
        cls.receipt = invoice(move_type="out_receipt")
        cls.refund = invoice(move_type="out_refund")
        cls.reversed = invoice()
        cls.reversed._reverse_moves(
            [{"date": RUN_DATE, "ref": "Reversal"}], cancel=True
        )
        cls.bill = cls._gentle_invoice(
            customer, invoice_date, due, move_type="in_invoice"
        )
        cls.draft = invoice(post=False)
        cls.cancelled = invoice()
        cls.cancelled.button_draft()
        cls.cancelled.button_cancel()
        cls.blocked = invoice()
        cls.blocked.action_toggle_block_payment()
        # Settled by payments without a journal entry, or imported as
        # legacy: a payment state that closes the invoice while its line still
        # has an amount left.
        cls.in_payment = invoice()
        cls.legacy = invoice()
        cls.no_due_date = invoice()
        cls.env.flush_all()
        for move, state in (
            (cls.in_payment, "in_payment"),
            (cls.legacy, "invoicing_legacy"),
        ):
            cls.env.cr.execute(
                "UPDATE account_move SET payment_state = %s WHERE id = %s",
                [state, move.id],
            )
        cls.env.cr.execute(
            """UPDATE account_move_line SET date_maturity = NULL
                WHERE move_id = %s AND display_type = 'payment_term'""",
            [cls.no_due_date.id],
        )
        receivable = cls.company_data["default_account_receivable"]
        cls.entry = cls.env["account.move"].create(
            {
                "move_type": "entry",
                "date": invoice_date,
                "line_ids": [
                    Command.create(
                        {
                            "account_id": receivable.id,
                            "partner_id": customer.id,
                            "debit": 500.0,
                            "date_maturity": due,
                        }
                    ),
                    Command.create(
                        {
                            "account_id": cls.company_data[
                                "default_account_revenue"
                            ].id,
                            "credit": 500.0,
                        }
                    ),
                ],
            }
        )
        cls.entry.action_post()
        cls.env.invalidate_all()
        cls.moves = (
            cls.not_paid
            | cls.partial
            | cls.paid
            | cls.instalments
            | cls.receipt
            | cls.refund
            | cls.reversed
            | cls.bill
            | cls.draft
            | cls.cancelled
            | cls.blocked
            | cls.in_payment
            | cls.legacy
            | cls.no_due_date
            | cls.entry
        )
        # Every line, receivable or not: product, tax, payable, entry lines.
        cls.lines = cls.moves.line_ids

    def _receivables(self, moves):
        return moves.line_ids.filtered(lambda line: line.display_type == "payment_term")

    def _by_python(self, variant):
        return self.lines.filtered(lambda line: line._gentle_is_open(variant))

    def _by_domain(self, variant):
        Line = self.env["account.move.line"]
        return Line.search(
            Line._gentle_open_domain(variant) + [("id", "in", self.lines.ids)]
        )

    def _by_sql(self, variant):
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                """SELECT aml.id FROM account_move_line aml
                     JOIN account_move am ON am.id = aml.move_id
                    WHERE %s AND aml.id = ANY(%s)""",
                self.env["account.move.line"]._gentle_open_sql(variant),
                self.lines.ids,
            )
        )
        return self.env["account.move.line"].browse(row[0] for row in rows)

    def _assert_selects(self, variant, expected):
        by_python, by_domain, by_sql = (
            self._by_python(variant),
            self._by_domain(variant),
            self._by_sql(variant),
        )
        names = {
            line.id: f"{line.move_id.name} ({line.move_id.payment_state})"
            for line in self.lines
        }
        for label, found in (("domain", by_domain), ("SQL", by_sql)):
            extra = [names[i] for i in set(found.ids) - set(by_python.ids)]
            missing = [names[i] for i in set(by_python.ids) - set(found.ids)]
            self.assertEqual(
                set(found.ids),
                set(by_python.ids),
                f"{variant}: {label} only {extra}, Python only {missing}",
            )
        self.assertEqual(set(by_python.ids), set(expected.ids), variant)

    def test_fixtures_cover_the_payment_states(self):
        self.assertEqual(
            {
                move.payment_state
                for move in self.moves
                if move.state == "posted" and move.move_type != "entry"
            },
            {
                "not_paid",
                "partial",
                "paid",
                "reversed",
                "blocked",
                "in_payment",
                "invoicing_legacy",
            },
        )

    def test_chased_lines(self):
        open_instalment = self._receivables(self.instalments).filtered(
            lambda line: not line.reconciled
        )
        self.assertEqual(len(open_instalment), 1)
        expected = (
            self._receivables(
                self.not_paid | self.partial | self.receipt | self.blocked
            )
            | open_instalment
        )
        self._assert_selects("chased", expected)

    def test_owed_lines_also_while_in_payment(self):
        open_instalment = self._receivables(self.instalments).filtered(
            lambda line: not line.reconciled
        )
        expected = (
            self._receivables(
                self.not_paid
                | self.partial
                | self.receipt
                | self.blocked
                | self.in_payment
                | self.legacy
            )
            | open_instalment
        )
        self._assert_selects("owed", expected)

    def test_ledger_lines_every_open_item(self):
        """The statement of account's items: every open line of the
        receivable account, credit notes and entries too, whatever the
        payment state, with or without a due date."""
        open_instalment = self._receivables(self.instalments).filtered(
            lambda line: not line.reconciled
        )
        receivable = self.company_data["default_account_receivable"]
        expected = (
            self._receivables(
                self.not_paid
                | self.partial
                | self.receipt
                | self.refund
                | self.blocked
                | self.in_payment
                | self.legacy
                | self.no_due_date
            )
            | open_instalment
            | self.entry.line_ids.filtered(lambda line: line.account_id == receivable)
        )
        self._assert_selects("ledger", expected)

    def test_callers_use_the_definition(self):
        """The customer's amount due sums the chased lines; the ageing report
        lists the owed lines, the statement the ledger lines."""
        customer = self.customer.with_company(self.company)
        chased = self._by_python("chased")
        owed = self._by_python("owed")
        ledger = self._by_python("ledger")
        customer.invalidate_recordset(["gentle_amount_due"])
        self.assertAlmostEqual(
            customer.gentle_amount_due, sum(chased.mapped("amount_residual"))
        )
        statement = self.env["gentle.statement"]._gentle_statement_receivables(customer)
        self.assertEqual(set(statement.ids), set(ledger.ids))
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                "SELECT id FROM gentle_ageing_report WHERE id = ANY(%s)",
                self.lines.ids,
            )
        )
        self.assertEqual({row[0] for row in rows}, set(owed.ids))

    def test_lines_paid_after_the_fact_close_in_all_three(self):
        self._gentle_pay(self.not_paid, date(2026, 11, 1))
        self._gentle_pay(self.blocked, date(2026, 11, 1))
        self.env.invalidate_all()
        open_instalment = self._receivables(self.instalments).filtered(
            lambda line: not line.reconciled
        )
        self._assert_selects(
            "chased", self._receivables(self.partial | self.receipt) | open_instalment
        )

    def _open_at(self, day):
        """``{line id: amount left}`` of the lines open at the end of ``day``
        by ``_gentle_open_at_sql`` (the trends' variant, in SQL)."""
        self.env.flush_all()
        Line = self.env["account.move.line"]
        rows = self.env.execute_query(
            SQL(
                """SELECT aml.id, %s FROM account_move_line aml
                     JOIN account_move am ON am.id = aml.move_id
                    WHERE %s AND aml.id = ANY(%s)""",
                Line._gentle_residual_at_sql(day),
                Line._gentle_open_at_sql(day),
                self.lines.ids,
            )
        )
        return dict(rows)

    def test_open_at_today_is_owed(self):
        """After every entry (the reversal is dated on the real today), the
        open lines of a day are the owed lines, with the same amounts left."""
        owed = self._by_python("owed")
        self.assertEqual(
            self._open_at(LATER),
            {line.id: line.amount_residual for line in owed},
        )

    def test_open_at_a_past_day(self):
        """Before a payment, its invoice was open for the full amount; before
        an invoice's date, it was not open at all."""
        before = self._open_at(RUN_DATE - timedelta(days=11))
        paid = self._receivables(self.paid)
        partial = self._receivables(self.partial)
        self.assertEqual(before[paid.id], 1000.0)
        self.assertEqual(before[partial.id], 1000.0)
        self.assertEqual(self._open_at(RUN_DATE)[partial.id], 600.0)
        self.assertNotIn(paid.id, self._open_at(RUN_DATE))
        self.assertFalse(self._open_at(RUN_DATE - timedelta(days=61)))
