"""Collections → Overview: where collectors start.

Today's figures of the current company, each with the records behind it. The
figures come from the ledger and the collections records in a fixed number of
set-based queries (none per customer or per invoice); each ``action_open_*``
method opens exactly the records its figure counts.
"""

from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL
from odoo.tools.misc import format_date

from .account_move_line import CHASED_MOVE_TYPES

# Credit sales: the customer invoices and receipts whose lines the receivable
# counts. Credit notes lower the receivable once applied to an invoice, as
# payments do; counting them again as negative sales would count them twice.
SALES_MOVE_TYPES = CHASED_MOVE_TYPES
# Days of credit sales the DSO compares the receivable with.
DSO_DAYS = 90
# Month ends in the trend, the current month (today) included.
TREND_MONTHS = 12


class GentleOverview(models.AbstractModel):
    """The figures of Collections → Overview and the records behind each."""

    _name = "gentle.overview"
    _description = "Collections Overview"

    # ------------------------------------------------------------------
    # Figures
    # ------------------------------------------------------------------

    @api.model
    def get_figures(self):
        """All the figures of the overview, for the current company, today.

        Amounts are in the company currency; a ratio without data (no sales,
        no receivable) is ``None``, shown as "—".

        :returns: dict, see the keys below
        """
        self._gentle_check_access()
        company = self.env.company
        today = self._gentle_today()
        periods = self._gentle_periods(today)
        receivable, overdue = self._gentle_receivable(company, today)
        months = self._gentle_months(
            company, today, current=(receivable["amount"], overdue["amount"])
        )
        this_month, last_month = months[-1], months[-2]
        approvals = self._gentle_approvals(company, today)
        return {
            "company": company.name,
            "currency_id": company.currency_id.id,
            "today": fields.Date.to_string(today),
            "receivable": receivable,
            "overdue": {
                **overdue,
                "share": self._gentle_ratio(overdue["amount"], receivable["amount"]),
            },
            "collected_this_month": this_month["collected"],
            "collected_last_month": last_month["collected"],
            "month": format_date(self.env, today, date_format="MMMM yyyy"),
            "last_month": format_date(
                self.env, periods["last_start"], date_format="MMMM yyyy"
            ),
            "sales_90": this_month["sales_90"],
            "dso": this_month["dso"],
            "best_dso": self._gentle_dso(
                receivable["amount"] - overdue["amount"], this_month["sales_90"]
            ),
            "cei": last_month["cei"],
            "promises_due_today": self._gentle_count(
                "gentle.payment.promise", self._gentle_promises_due_domain(today)
            ),
            "promises_broken": self._gentle_count(
                "gentle.payment.promise",
                self._gentle_promises_broken_domain(periods),
            ),
            "plans_at_risk": len(self._gentle_plans_at_risk(company, today)),
            "cases_breached": self._gentle_count(
                "gentle.collection.case", self._gentle_cases_breached_domain()
            ),
            "approvals": approvals["count"],
            "approvals_oldest_days": approvals["oldest_days"],
            "outbox": self._gentle_count("gentle.outbox", self._gentle_outbox_domain()),
            "trend": [
                {
                    "date": fields.Date.to_string(month["date"]),
                    "label": format_date(
                        self.env, month["date"], date_format="MMM yyyy"
                    ),
                    "receivable": month["receivable"],
                    "overdue": month["overdue"],
                    "dso": month["dso"],
                }
                for month in months
            ],
        }

    @api.model
    def _gentle_check_access(self):
        if not self.env.user.has_group("gentle_collections.group_gentle_user"):
            raise AccessError(
                self.env._(
                    "The Collections overview is for Collections users: ask an "
                    "administrator to add you to the group."
                )
            )

    @api.model
    def _gentle_today(self):
        """The company's local date, as for the ageing report and the
        follow-up (``tools/ageing.py``)."""
        return self.env["gentle.followup.engine"]._gentle_run_date(
            self.env.company, fields.Datetime.now()
        )

    @api.model
    def _gentle_periods(self, today):
        this_start = today.replace(day=1)
        last_start = this_start - relativedelta(months=1)
        return {
            "today": today,
            "this_start": this_start,
            "next_start": this_start + relativedelta(months=1),
            "last_start": last_start,
            # The receivable at the start of last month: at the end of the day
            # before.
            "last_open": last_start - timedelta(days=1),
            "last_end": this_start - timedelta(days=1),
        }

    @api.model
    def _gentle_trend_days(self, today):
        """The month ends of the trend, oldest first; the last one is today."""
        this_start = today.replace(day=1)
        return [
            this_start - relativedelta(months=months) - timedelta(days=1)
            for months in range(TREND_MONTHS - 2, -1, -1)
        ] + [today]

    @staticmethod
    def _gentle_ratio(part, whole):
        return round(part / whole * 100, 1) if whole > 0 else None

    @staticmethod
    def _gentle_dso(receivable, sales):
        """Days sales outstanding: the receivable over the credit sales of the
        last ``DSO_DAYS`` days, times those days; ``None`` without sales."""
        return round(receivable / sales * DSO_DAYS, 1) if sales > 0 else None

    @api.model
    def _gentle_count(self, model, domain):
        return self.env[model].search_count(domain)

    # ------------------------------------------------------------------
    # The receivable
    # ------------------------------------------------------------------

    @api.model
    def _gentle_receivable_domain(self, overdue=False):
        """The open receivable lines ("owed": as on the ageing report and the
        statement) of the current company; overdue: due before today."""
        domain = [
            *self.env["account.move.line"]._gentle_open_domain("owed"),
            ("company_id", "=", self.env.company.id),
        ]
        if overdue:
            domain.append(("date_maturity", "<", self._gentle_today()))
        return domain

    @api.model
    def _gentle_receivable(self, company, today):
        Line = self.env["account.move.line"]
        result = []
        for overdue in (False, True):
            [(amount, count)] = Line._read_group(
                self._gentle_receivable_domain(overdue=overdue),
                [],
                ["amount_residual:sum", "__count"],
            )
            result.append(
                {"amount": company.currency_id.round(amount or 0.0), "count": count}
            )
        return result

    @api.model
    def _gentle_receivable_at(self, company, days):
        """The receivable and its overdue part at the end of each of ``days``
        (past days): ``{day: (receivable, overdue)}``, in one query."""
        if not days:
            return {}
        Line = self.env["account.move.line"]
        Line.flush_model()
        self.env["account.move"].flush_model()
        self.env["account.partial.reconcile"].flush_model()
        day = SQL("d.day")
        residual = Line._gentle_residual_at_sql(day)
        rows = self.env.execute_query(
            SQL(
                """SELECT d.day,
                          COALESCE(SUM(r.residual), 0),
                          COALESCE(SUM(r.residual)
                                   FILTER (WHERE aml.date_maturity < d.day), 0)
                     FROM unnest(%(days)s::date[]) AS d(day)
                     JOIN account_move_line aml
                       ON aml.company_id = %(company)s AND aml.date <= d.day
                     JOIN account_move am ON am.id = aml.move_id
               CROSS JOIN LATERAL (SELECT %(residual)s AS residual) r
                    WHERE %(open)s
                 GROUP BY d.day""",
                days=list(days),
                company=company.id,
                residual=residual,
                open=Line._gentle_open_at_sql(day, residual=SQL("r.residual")),
            )
        )
        round_ = company.currency_id.round
        result = dict.fromkeys(days, (0.0, 0.0))
        result.update({day: (round_(total), round_(late)) for day, total, late in rows})
        return result

    # ------------------------------------------------------------------
    # Credit sales, DSO and CEI
    # ------------------------------------------------------------------

    @api.model
    def _gentle_sales_domain(self, date_from, date_to):
        """Credit sales of the current company from ``date_from`` (excluded) to
        ``date_to`` (included): posted customer invoices and receipts, by
        accounting date (see ``SALES_MOVE_TYPES``)."""
        domain = [
            ("company_id", "=", self.env.company.id),
            ("state", "=", "posted"),
            ("move_type", "in", SALES_MOVE_TYPES),
            ("date", "<=", date_to),
        ]
        if date_from:
            domain.append(("date", ">", date_from))
        return domain

    @api.model
    def _gentle_sales_by_day(self, company, date_from):
        """Credit sales per accounting day after ``date_from``:
        ``{date: amount}`` (one query for every window of the trend)."""
        groups = self.env["account.move"]._read_group(
            self._gentle_sales_domain(date_from, self._gentle_today()),
            ["date:day"],
            ["amount_total_signed:sum"],
        )
        return {day: amount for day, amount in groups}

    @api.model
    def _gentle_sales_in(self, sales, date_from, date_to):
        """Credit sales from ``date_from`` (excluded) to ``date_to`` (included)."""
        return self.env.company.currency_id.round(
            sum(amount for day, amount in sales.items() if date_from < day <= date_to)
        )

    @staticmethod
    def _gentle_cei(opening, sales, closing, closing_overdue):
        """Collection effectiveness index of a month, in percent: (receivable
        at its start + its credit sales − receivable at its end) / (receivable
        at its start + its credit sales − current receivable at its end) × 100;
        ``None`` when nothing was collectible."""
        collectible = opening + sales - (closing - closing_overdue)
        if collectible <= 0:
            return None
        return round((opening + sales - closing) / collectible * 100, 1)

    @api.model
    def _gentle_months(self, company, today, current=None):
        """The figures of each month of the trend, oldest first: the one code
        path of the Overview's trend, DSO, CEI and collected amounts, and of
        Collections → Reporting → DSO and CEI per Month.

        A month ends on its last day; the current month on ``today``. In a
        fixed number of queries, whatever the book.

        :param current: today's ``(receivable, overdue)`` when the caller has
            them already (the Overview), else read from the ledger
        :returns: list of dicts with ``date`` (the month's end), ``month``
            (its first day), ``opening`` (receivable at the end of the month
            before), ``receivable`` and ``overdue`` (at the month's end),
            ``sales`` (credit sales of the month), ``sales_90`` (of the
            ``DSO_DAYS`` days to its end), ``dso``, ``collected`` (payments
            matched with receivables in the month) and ``cei``
        """
        days = self._gentle_trend_days(today)
        first = days[0].replace(day=1)
        opening_day = first - timedelta(days=1)
        sales = self._gentle_sales_by_day(
            company, opening_day - timedelta(days=DSO_DAYS)
        )
        history = self._gentle_receivable_at(company, [opening_day, *days[:-1]])
        if current is None:
            current = self._gentle_receivable_at(company, [today])[today]
        history[today] = current
        # The whole current month, as "collected this month" on the Overview.
        collected = self._gentle_collected_by_month(
            company, first, today.replace(day=1) + relativedelta(months=1, days=-1)
        )
        months = []
        previous = opening_day
        for day in days:
            opening = history[previous][0]
            receivable, overdue = history[day]
            month_sales = self._gentle_sales_in(sales, previous, day)
            sales_90 = self._gentle_sales_in(sales, day - timedelta(days=DSO_DAYS), day)
            months.append(
                {
                    "date": day,
                    "month": day.replace(day=1),
                    "opening": opening,
                    "receivable": receivable,
                    "overdue": overdue,
                    "sales": month_sales,
                    "sales_90": sales_90,
                    "dso": self._gentle_dso(receivable, sales_90),
                    "collected": collected.get(day.replace(day=1), 0.0),
                    "cei": self._gentle_cei(opening, month_sales, receivable, overdue),
                }
            )
            previous = day
        return months

    # ------------------------------------------------------------------
    # Collected
    # ------------------------------------------------------------------

    @api.model
    def _gentle_collected_sql(self, company, date_from, date_to):
        """Customer payments reconciled with receivables from ``date_from`` to
        ``date_to`` (both included), by reconciliation date: rows of (payment
        line ``id``, reconciliation ``day``, ``amount``). A payment is a
        payment's or a bank statement line's entry; credit notes and
        write-offs do not count."""
        for model in ("account.move.line", "account.move", "account.partial.reconcile"):
            self.env[model].flush_model()
        return SQL(
            """SELECT pay.id, apr.max_date AS day, apr.amount
                 FROM account_partial_reconcile apr
                 JOIN account_move_line aml ON aml.id = apr.debit_move_id
                 JOIN account_move am ON am.id = aml.move_id
                 JOIN account_move_line pay ON pay.id = apr.credit_move_id
                 JOIN account_move pam ON pam.id = pay.move_id
                WHERE apr.company_id = %(company)s
                  AND apr.max_date BETWEEN %(date_from)s AND %(date_to)s
                  AND %(receivable)s
                  AND pay.parent_state = 'posted'
                  AND (pam.origin_payment_id IS NOT NULL
                       OR pam.statement_line_id IS NOT NULL)""",
            company=company.id,
            date_from=date_from,
            date_to=date_to,
            receivable=SQL(" AND ").join(
                self.env["account.move.line"]._gentle_receivable_sql()
            ),
        )

    @api.model
    def _gentle_collected_rows(self, company, date_from, date_to):
        """The rows of :meth:`_gentle_collected_sql`: ``[(payment line id,
        reconciliation date, amount)]``."""
        return self.env.execute_query(
            self._gentle_collected_sql(company, date_from, date_to)
        )

    @api.model
    def _gentle_collected_by_month(self, company, date_from, date_to):
        """What :meth:`_gentle_collected_sql` collected, per month:
        ``{first day of the month: amount}``, in one query."""
        rows = self.env.execute_query(
            SQL(
                """SELECT date_trunc('month', c.day)::date, SUM(c.amount)
                     FROM (%s) c GROUP BY 1""",
                self._gentle_collected_sql(company, date_from, date_to),
            )
        )
        round_ = company.currency_id.round
        return {month: round_(amount) for month, amount in rows}

    # ------------------------------------------------------------------
    # Promises, plans, cases, approvals, outbox
    # ------------------------------------------------------------------

    @api.model
    def _gentle_promises_due_domain(self, today):
        return [
            ("company_id", "=", self.env.company.id),
            ("state", "=", "open"),
            ("date_promised", "=", today),
        ]

    @api.model
    def _gentle_promises_broken_domain(self, periods):
        return [
            ("company_id", "=", self.env.company.id),
            ("state", "=", "broken"),
            ("decided_on", ">=", periods["this_start"]),
            ("decided_on", "<", periods["next_start"]),
        ]

    @api.model
    def _gentle_plans_at_risk(self, company, today):
        """Ids of the agreed plans with an instalment past its due date and not
        paid: payments go to instalments in due date order
        (``gentle.payment.plan.line._compute_paid``), so an instalment is
        unpaid past its due date when the instalments due before today add up
        to more than the plan's payments."""
        for model in ("gentle.payment.plan", "gentle.payment.plan.line"):
            self.env[model].flush_model()
        self.env["account.move"].flush_model(["amount_residual_signed"])
        rows = self.env.execute_query(
            SQL(
                """WITH plan AS (
                       SELECT p.id,
                              GREATEST(p.amount_total - COALESCE(
                                  (SELECT SUM(am.amount_residual_signed)
                                     FROM gentle_payment_plan_move_rel rel
                                     JOIN account_move am ON am.id = rel.move_id
                                    WHERE rel.plan_id = p.id), 0), 0) AS paid
                         FROM gentle_payment_plan p
                        WHERE p.state = 'agreed' AND p.company_id = %(company)s
                   )
                   SELECT plan.id
                     FROM plan
                     JOIN gentle_payment_plan_line line ON line.plan_id = plan.id
                    WHERE line.date_due < %(today)s
                 GROUP BY plan.id, plan.paid
                   HAVING SUM(line.amount) - plan.paid > %(half)s
                 ORDER BY plan.id""",
                company=company.id,
                today=today,
                half=company.currency_id.rounding / 2,
            )
        )
        # Read as the user: record rules apply.
        return self.env["gentle.payment.plan"].search(
            [("id", "in", [row[0] for row in rows])]
        )

    @api.model
    def _gentle_cases_breached_domain(self):
        """Open cases past their SLA deadline (the case's own ``is_breached``:
        a case waiting for the customer has its SLA paused)."""
        return [
            ("company_id", "=", self.env.company.id),
            ("is_breached", "=", True),
        ]

    @api.model
    def _gentle_approvals_domain(self, today):
        """Follow-ups awaiting approval, as Collections → Approvals lists them:
        one per message (all its channels); those postponed past today wait out
        of the queue."""
        return [
            ("company_id", "=", self.env.company.id),
            ("is_decision", "=", True),
            ("state", "=", "awaiting_approval"),
            "|",
            ("postponed_until", "=", False),
            ("postponed_until", "<=", today),
        ]

    @api.model
    def _gentle_approvals(self, company, today):
        [(count, oldest)] = self.env["gentle.followup.action"]._read_group(
            self._gentle_approvals_domain(today), [], ["__count", "date:min"]
        )
        return {
            "count": count,
            "oldest_days": (today - oldest).days if oldest else None,
        }

    @api.model
    def _gentle_outbox_domain(self):
        # An email about a customer shared by all companies has no company.
        return [
            "|",
            ("company_id", "=", False),
            ("company_id", "=", self.env.company.id),
        ]

    # ------------------------------------------------------------------
    # Actions: the records behind each figure
    # ------------------------------------------------------------------

    @api.model
    def _gentle_window(self, name, model, domain, views=None, xmlid=None):
        """A window action on ``domain``, from the action ``xmlid`` when given
        (its views, help and search view, without its default filters), the
        list first; named ``name``, else as the action ``xmlid``."""
        if xmlid:
            action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        else:
            action = {"type": "ir.actions.act_window", "res_model": model}
        views = views or action.get("views") or [(False, "list"), (False, "form")]
        views = sorted(views, key=lambda view: view[1] != "list")
        if name:
            action.update({"name": name, "display_name": name})
        action.update(
            {
                "domain": domain,
                "context": {"create": False},
                "views": views,
                "target": "current",
            }
        )
        return action

    @api.model
    def _gentle_lines_window(self, name, domain):
        return self._gentle_window(
            name,
            "account.move.line",
            domain,
            views=[
                (self.env.ref("account.view_move_line_tree").id, "list"),
                (False, "form"),
            ],
        ) | {"search_view_id": self.env.ref("account.view_account_move_line_filter").id}

    @api.model
    def _gentle_ageing_window(self, name, domain=()):
        """The open receivable lines on the receivables ageing report, whose
        rows are those lines ("owed"), with their customer, grade and age."""
        return self._gentle_window(
            name,
            "gentle.ageing.report",
            [("company_id", "=", self.env.company.id), *domain],
            xmlid="gentle_collections.gentle_ageing_report_action",
        )

    @api.model
    def action_open_receivable(self):
        self._gentle_check_access()
        return self._gentle_ageing_window(self.env._("Open Receivables"))

    @api.model
    def action_open_overdue(self):
        self._gentle_check_access()
        return self._gentle_ageing_window(
            self.env._("Overdue Receivables"),
            [("date_maturity", "<", self._gentle_today())],
        )

    @api.model
    def action_open_best_dso(self):
        """The receivable not yet due, over which the best possible DSO runs."""
        self._gentle_check_access()
        return self._gentle_ageing_window(
            self.env._("Receivables Not Yet Due"),
            [("date_maturity", ">=", self._gentle_today())],
        )

    @api.model
    def action_open_dso(self):
        """The credit sales of the last ``DSO_DAYS`` days (the receivable has
        its own figure)."""
        self._gentle_check_access()
        today = self._gentle_today()
        return self._gentle_sales_window(
            self.env._("Credit Sales of the Last %(days)s Days", days=DSO_DAYS),
            today - timedelta(days=DSO_DAYS),
            today,
        )

    @api.model
    def action_open_cei(self):
        """The credit sales of last month, the period of the CEI."""
        self._gentle_check_access()
        periods = self._gentle_periods(self._gentle_today())
        return self._gentle_sales_window(
            self.env._("Credit Sales of Last Month"),
            periods["last_open"],
            periods["last_end"],
        )

    @api.model
    def _gentle_sales_window(self, name, date_from, date_to):
        return self._gentle_window(
            name,
            "account.move",
            self._gentle_sales_domain(date_from, date_to),
            views=[
                (self.env.ref("account.view_out_invoice_tree").id, "list"),
                (False, "form"),
            ],
        ) | {"search_view_id": self.env.ref("account.view_account_invoice_filter").id}

    @api.model
    def action_open_collected_this_month(self):
        self._gentle_check_access()
        periods = self._gentle_periods(self._gentle_today())
        return self._gentle_collected_window(
            self.env._("Collected This Month"),
            periods["this_start"],
            periods["next_start"] - timedelta(days=1),
        )

    @api.model
    def action_open_collected_last_month(self):
        self._gentle_check_access()
        periods = self._gentle_periods(self._gentle_today())
        return self._gentle_collected_window(
            self.env._("Collected Last Month"),
            periods["last_start"],
            periods["last_end"],
        )

    @api.model
    def _gentle_collected_window(self, name, date_from, date_to):
        """The payment lines reconciled with receivables in the period."""
        rows = self._gentle_collected_rows(self.env.company, date_from, date_to)
        return self._gentle_lines_window(
            name, [("id", "in", sorted({row[0] for row in rows}))]
        )

    @api.model
    def action_open_promises_due_today(self):
        self._gentle_check_access()
        return self._gentle_window(
            self.env._("Promises Due Today"),
            "gentle.payment.promise",
            self._gentle_promises_due_domain(self._gentle_today()),
            xmlid="gentle_collections.gentle_payment_promise_action",
        )

    @api.model
    def action_open_promises_broken(self):
        self._gentle_check_access()
        return self._gentle_window(
            self.env._("Promises Broken This Month"),
            "gentle.payment.promise",
            self._gentle_promises_broken_domain(
                self._gentle_periods(self._gentle_today())
            ),
            xmlid="gentle_collections.gentle_payment_promise_action",
        )

    @api.model
    def action_open_plans_at_risk(self):
        self._gentle_check_access()
        plans = self._gentle_plans_at_risk(self.env.company, self._gentle_today())
        return self._gentle_window(
            self.env._("Payment Plans at Risk"),
            "gentle.payment.plan",
            [("id", "in", plans.ids)],
            xmlid="gentle_collections.gentle_payment_plan_action",
        )

    @api.model
    def action_open_cases_breached(self):
        self._gentle_check_access()
        return self._gentle_window(
            self.env._("Cases Past Their SLA"),
            "gentle.collection.case",
            self._gentle_cases_breached_domain(),
            xmlid="gentle_collections.gentle_collection_case_action",
        )

    @api.model
    def action_open_approvals(self):
        self._gentle_check_access()
        return self._gentle_window(
            self.env._("Approvals Waiting"),
            "gentle.followup.action",
            self._gentle_approvals_domain(self._gentle_today()),
            xmlid="gentle_collections.gentle_followup_action_action_approval",
        )

    @api.model
    def action_open_outbox(self):
        self._gentle_check_access()
        return self._gentle_window(
            None,
            "gentle.outbox",
            self._gentle_outbox_domain(),
            xmlid="gentle_collections.gentle_outbox_action",
        )
