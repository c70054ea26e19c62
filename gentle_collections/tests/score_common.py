"""Fixtures for the relationship score tests: invoices, credit notes and payments
with explicit dates, so that every expected value can be computed by hand."""

from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.tests import TransactionCase

from .common import GentleTestMixin

# Every score of these tests is computed "as of" this date (the recompute's date
# and Python's frozen today); its 12-month window is (2024-06-30, 2025-06-30].
SCORE_DATE = date(2025, 6, 30)

SCORE_FIELDS = (
    "gentle_score",
    "gentle_grade",
    "gentle_is_new",
    "gentle_paid_invoice_count",
    "gentle_avg_days_late",
    "gentle_on_time_ratio",
    "gentle_overdue_days",
    "gentle_overdue_exposure",
    "gentle_dispute_count",
    "gentle_promises_kept",
    "gentle_promises_broken",
    "gentle_plans_broken",
    "gentle_tenure_days",
    "gentle_volume",
    "gentle_score_date",
)


class GentleScoreCase(GentleTestMixin, TransactionCase):
    """Creates dated receivables and payments in any company."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env.company
        cls.engine = cls.env["gentle.score.engine"]

    @classmethod
    def _partner(cls, name):
        return cls.env["res.partner"].create({"name": name, "is_company": True})

    @classmethod
    def _invoice(
        cls, partner, amount, invoice_date, due, company=None, currency=None, post=True
    ):
        """A posted customer invoice of one untaxed line, due on ``due``."""
        return cls._move(
            "out_invoice", partner, amount, invoice_date, due, company, currency, post
        )

    @classmethod
    def _refund(cls, partner, amount, invoice_date, company=None):
        return cls._move(
            "out_refund", partner, amount, invoice_date, invoice_date, company
        )

    @classmethod
    def _move(
        cls,
        move_type,
        partner,
        amount,
        invoice_date,
        due,
        company=None,
        currency=None,
        post=True,
    ):
        company = company or cls.company
        vals = {
            "move_type": move_type,
            "partner_id": partner.id,
            "invoice_date": invoice_date,
            "date": invoice_date,
            "invoice_date_due": due,
            "invoice_line_ids": [
                Command.create(
                    {
                        "name": "Consulting",
                        "quantity": 1,
                        "price_unit": amount,
                        "tax_ids": [],
                    }
                )
            ],
        }
        if currency:
            vals["currency_id"] = currency.id
        move = cls.env["account.move"].with_company(company).create(vals)
        if post:
            move.action_post()
        return move

    @classmethod
    def _pay(cls, invoices, payment_date, amount=None):
        """Register a payment dated ``payment_date`` (in the invoice currency),
        one per invoice."""
        return cls.pay(invoices, amount=amount, date=payment_date, group_payment=False)

    @classmethod
    def _receivable(cls, move):
        return move.line_ids.filtered(lambda line: line.display_type == "payment_term")

    @classmethod
    def _recompute(cls, company=None, partners=None, on=SCORE_DATE):
        company = company or cls.company
        with freeze_time(on):
            return cls.engine.with_company(company)._gentle_recompute(
                company, on, partner_ids=partners.ids if partners else None
            )

    def _stored(self, partner, company=None):
        """The score fields of ``partner`` as stored for ``company``."""
        partner = partner.with_company(company or self.company)
        partner.invalidate_recordset(list(SCORE_FIELDS))
        return {name: partner[name] for name in SCORE_FIELDS}

    def _raw_rows(self, partners):
        """Raw jsonb score columns and snapshots of ``partners``, for comparing
        before and after an operation that must not touch them."""
        self.env.flush_all()
        self.env.cr.execute(
            """SELECT id, gentle_score, gentle_grade, gentle_avg_days_late,
                      gentle_on_time_ratio, gentle_overdue_days, gentle_score_date,
                      write_date
                 FROM res_partner WHERE id = ANY(%s) ORDER BY id""",
            [partners.ids],
        )
        partner_rows = self.env.cr.fetchall()
        self.env.cr.execute(
            """SELECT id, partner_id, company_id, month, score, grade, write_date
                 FROM gentle_score_snapshot WHERE partner_id = ANY(%s) ORDER BY id""",
            [partners.ids],
        )
        return partner_rows, self.env.cr.fetchall()

    def _count_queries(self, function, *args, **kwargs):
        """Run ``function`` and return ``(result, number of SQL queries)``."""
        self.env.flush_all()
        before = self.env.cr.sql_log_count
        result = function(*args, **kwargs)
        self.env.flush_all()
        return result, self.env.cr.sql_log_count - before
