"""How customers pay, the one definition of each rule the reports share:

- when an invoice was paid (:meth:`_gentle_paid_invoices_sql`);
- "paid within N days" of a reminder (:meth:`_gentle_paid_within_sql`);
- when an open invoice is expected to be paid, and why
  (:meth:`_gentle_expected_sql`, :meth:`_gentle_expected`,
  :meth:`_gentle_expected_note`).

Read by the report of which reminders work, the receivables ageing, the cash
forecast and the invoice form.
"""

from collections import namedtuple
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .account_move_line import CHASED_MOVE_TYPES, PAID_PAYMENT_STATES

# Days after a reminder within which a payment counts for the report of which
# reminders work.
PAID_WITHIN_DAYS = (7, 14, 30)
# An expected date reads the invoices paid in the last HISTORY_DAYS days; a
# customer is judged on its own record from MIN_HISTORY paid invoices, the
# company's customers together likewise, else the due date is assumed.
HISTORY_DAYS = 365
MIN_HISTORY = 3
BASES = [
    ("customer", "Customer's history"),
    ("company", "Company's history"),
    ("none", "Due date"),
]

# When an open invoice is expected to be paid: its ``date``, the ``delay`` in
# days after the due date (negative: early), the ``basis`` (see BASES) and the
# ``count`` of paid invoices it was read from.
Expected = namedtuple("Expected", "date delay basis count")


class GentlePaymentBehaviour(models.AbstractModel):
    """When customers pay: paid dates, paid within N days, expected dates."""

    _name = "gentle.payment.behaviour"
    _description = "Customer Payment Behaviour"

    # ------------------------------------------------------------------
    # Paid invoices
    # ------------------------------------------------------------------

    @api.model
    def _gentle_paid_invoices_sql(self):
        """The paid customer invoices: rows of ``move_id``, ``company_id``,
        ``partner_id`` (commercial), ``date_due`` (its last instalment's) and
        ``paid_on``: the date of the last reconciliation of its receivable
        lines. An invoice counts as paid when paid or in payment
        (``PAID_PAYMENT_STATES``); one settled without any reconciliation has
        no paid date and is left out."""
        return SQL(
            """SELECT am.id AS move_id, am.company_id,
                      am.commercial_partner_id AS partner_id,
                      MAX(aml.date_maturity) AS date_due,
                      MAX(apr.max_date) AS paid_on
                 FROM account_move am
                 JOIN account_move_line aml
                   ON aml.move_id = am.id AND aml.display_type = 'payment_term'
                 JOIN account_partial_reconcile apr ON apr.debit_move_id = aml.id
                WHERE am.state = 'posted'
                  AND am.move_type IN %(types)s
                  AND am.payment_state IN %(paid)s
             GROUP BY am.id, am.company_id, am.commercial_partner_id""",
            types=CHASED_MOVE_TYPES,
            paid=PAID_PAYMENT_STATES,
        )

    @api.model
    def _gentle_paid_within_sql(self, paid_on, date, days):
        """SQL boolean: paid on ``paid_on`` (SQL date, NULL when unpaid), on
        ``date`` (SQL date) or at most ``days`` days after it."""
        return SQL(
            "COALESCE(%(paid)s >= %(date)s AND %(paid)s <= %(date)s + %(days)s, FALSE)",
            paid=paid_on,
            date=date,
            days=days,
        )

    # ------------------------------------------------------------------
    # Expected payment date
    # ------------------------------------------------------------------

    @api.model
    def _gentle_expected_sql(self, scope, today):
        """When each row of ``scope`` is expected to be paid, from how its
        customer paid its invoices of the ``HISTORY_DAYS`` days to ``today``:
        the median of the days between their due date and their payment, from
        ``MIN_HISTORY`` paid invoices; else the same median over every customer
        of the company; else on the due date.

        :param scope: SQL of rows with columns ``key``, ``company_id``,
            ``partner_id`` (commercial) and ``date_due``
        :returns: SQL of rows ``key``, ``date_expected``, ``delay``, ``basis``
            (see ``BASES``), ``invoice_count``
        """
        for model in ("account.move", "account.move.line", "account.partial.reconcile"):
            self.env[model].flush_model()
        return SQL(
            """WITH scope AS (%(scope)s),
               late AS (
                   SELECT paid.company_id, paid.partner_id,
                          paid.paid_on - paid.date_due AS days
                     FROM (%(paid)s) paid
                    WHERE paid.company_id IN (SELECT company_id FROM scope)
                      AND paid.paid_on > %(date_from)s AND paid.paid_on <= %(today)s
               ),
               stats AS (
                   SELECT company_id, partner_id,
                          GROUPING(partner_id) = 1 AS whole_company,
                          ROUND(percentile_cont(0.5) WITHIN GROUP (ORDER BY days))::int
                              AS delay,
                          COUNT(*) AS invoice_count
                     FROM late
                 GROUP BY GROUPING SETS ((company_id, partner_id), (company_id))
                   HAVING COUNT(*) >= %(min)s
               ),
               chosen AS (
                   SELECT scope.key, scope.date_due,
                          COALESCE(own.delay, co.delay) AS delay,
                          CASE WHEN own.delay IS NOT NULL THEN 'customer'
                               WHEN co.delay IS NOT NULL THEN 'company'
                               ELSE 'none' END AS basis,
                          COALESCE(own.invoice_count, co.invoice_count, 0)
                              AS invoice_count
                     FROM scope
                LEFT JOIN stats own
                       ON own.company_id = scope.company_id
                      AND own.partner_id = scope.partner_id
                      AND NOT own.whole_company
                LEFT JOIN stats co
                       ON co.company_id = scope.company_id AND co.whole_company
               )
               SELECT key, date_due + COALESCE(delay, 0) AS date_expected,
                      COALESCE(delay, 0) AS delay, basis, invoice_count
                 FROM chosen""",
            scope=scope,
            paid=self._gentle_paid_invoices_sql(),
            date_from=today - timedelta(days=HISTORY_DAYS),
            today=today,
            min=MIN_HISTORY,
        )

    @api.model
    def _gentle_expected(self, rows, today=None):
        """:meth:`_gentle_expected_sql` for ``rows``, in one query.

        :param rows: iterable of ``(key, company id, commercial partner id,
            due date)``; ``key`` an integer of the caller's
        :param today: default the current company's date
        :returns: ``{key: Expected}``
        """
        rows = [row for row in rows if row[3]]
        if not rows:
            return {}
        keys, companies, partners, dues = zip(*rows, strict=True)
        scope = SQL(
            """SELECT * FROM unnest(%s::int[], %s::int[], %s::int[], %s::date[])
                   AS s(key, company_id, partner_id, date_due)""",
            list(keys),
            list(companies),
            list(partners),
            list(dues),
        )
        result = self.env.execute_query(
            self._gentle_expected_sql(scope, today or self._gentle_today())
        )
        return {
            key: Expected(day, delay, basis, count)
            for key, day, delay, basis, count in result
        }

    @api.model
    def _gentle_today(self):
        """The current company's local date, as for the ageing and follow-up."""
        return self.env["gentle.followup.engine"]._gentle_run_date(
            self.env.company, fields.Datetime.now()
        )

    @api.model
    def _gentle_expected_note(self, basis, delay, count):
        """The expected date explained in one line, e.g. "Usually pays 12 days
        late (median of 9 paid invoices)"."""
        if basis not in ("customer", "company"):
            return self.env._("No payment history: due date assumed")
        if delay == 0:
            habit = self.env._("on time")
        elif abs(delay) == 1:
            habit = self.env._("1 day late") if delay > 0 else self.env._("1 day early")
        elif delay > 0:
            habit = self.env._("%(days)s days late", days=delay)
        else:
            habit = self.env._("%(days)s days early", days=-delay)
        if basis == "customer":
            return self.env._(
                "Usually pays %(habit)s (median of %(count)s paid invoices)",
                habit=habit,
                count=count,
            )
        return self.env._(
            "Too little payment history of its own: customers usually pay "
            "%(habit)s (median of %(count)s paid invoices)",
            habit=habit,
            count=count,
        )
