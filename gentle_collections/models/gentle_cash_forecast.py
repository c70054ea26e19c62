from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL, format_date

from .gentle_payment_behaviour import BASES

# Weeks of the forecast, starting on Mondays: the current week is the first.
WEEKS = 13
# The ``week`` of an amount expected before today ("Expected already", first
# row) and of one expected after the last week ("Later", last row): so that
# the forecast adds up to the open receivable.
PAST = "00"
LATER = f"{WEEKS + 1:02d}"


class GentleCashForecast(models.Model):
    """Cash-in forecast: the open receivable of the current companies by the
    week each amount is expected to be paid in."""

    _name = "gentle.cash.forecast"
    _description = "Cash-in Forecast"
    _auto = False
    _order = "date_expected, id"
    _rec_name = "move_id"
    _depends = {
        "account.move.line": [
            "amount_residual",
            "reconciled",
            "date_maturity",
            "display_type",
            "parent_state",
            "company_id",
        ],
        "account.move": ["move_type", "commercial_partner_id", "payment_state"],
        "account.partial.reconcile": ["max_date", "debit_move_id"],
    }

    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    move_id = fields.Many2one("account.move", string="Invoice", readonly=True)
    date_maturity = fields.Date(string="Due Date", readonly=True)
    date_expected = fields.Date(
        string="Expected Payment",
        readonly=True,
        help="The due date plus the customer's usual days late: the median over "
        "its invoices paid in the last 12 months (from 3 of them), else over "
        "all customers of the company, else none.",
    )
    week = fields.Selection(
        selection="_selection_week",
        readonly=True,
        help="The week (from Monday) the payment is expected in. Expected "
        "already: its expected date is past and it is still open. Later: after "
        "the 13 weeks.",
    )
    week_start = fields.Date(
        readonly=True, help="The Monday of the week of the expected payment."
    )
    delay = fields.Integer(
        string="Usual Days Late",
        readonly=True,
        aggregator="avg",
        help="Days between the due date and the expected payment (negative: "
        "early); averaged in groups.",
    )
    basis = fields.Selection(
        BASES,
        readonly=True,
        help="What the expected date is read from: the customer's paid invoices, "
        "all customers' of the company, or the due date for lack of history.",
    )
    invoice_count = fields.Integer(
        string="Paid Invoices Read",
        readonly=True,
        aggregator=None,
        help="How many paid invoices the usual days late is the median of.",
    )
    amount_residual = fields.Monetary(
        string="Expected Amount",
        readonly=True,
        currency_field="currency_id",
        help="What is left to pay on the instalment.",
    )
    expected_note = fields.Char(
        string="Expected Payment Basis", compute="_compute_expected_note"
    )

    @api.model
    def _selection_week(self):
        monday = self._gentle_monday()
        return [
            (PAST, self.env._("Expected already")),
            *(
                (
                    f"{week:02d}",
                    self.env._(
                        "Week of %(date)s",
                        date=format_date(self.env, monday + timedelta(weeks=week - 1)),
                    ),
                )
                for week in range(1, WEEKS + 1)
            ),
            (LATER, self.env._("Later")),
        ]

    @api.model
    def _gentle_monday(self, today=None):
        today = today or self.env["gentle.payment.behaviour"]._gentle_today()
        return today - timedelta(days=today.weekday())

    def _compute_expected_note(self):
        Behaviour = self.env["gentle.payment.behaviour"]
        for row in self:
            row.expected_note = Behaviour._gentle_expected_note(
                row.basis, row.delay, row.invoice_count
            )

    @property
    def _table_query(self):
        """One row per open receivable line ("owed", as on the ageing report)
        of the current companies, with its expected date and week, as of the
        current company's today. One query, whatever the book."""
        Behaviour = self.env["gentle.payment.behaviour"]
        today = Behaviour._gentle_today()
        monday = self._gentle_monday(today)
        owed = self.env["account.move.line"]._gentle_open_sql("owed")
        scope = SQL(
            """SELECT aml.id AS key, aml.company_id,
                      am.commercial_partner_id AS partner_id,
                      aml.date_maturity AS date_due
                 FROM account_move_line aml
                 JOIN account_move am ON am.id = aml.move_id
                WHERE %(owed)s AND aml.company_id = ANY(%(companies)s)""",
            owed=owed,
            companies=self.env.companies.ids,
        )
        return SQL(
            """SELECT aml.id,
                      aml.company_id,
                      aml.company_currency_id AS currency_id,
                      am.commercial_partner_id AS partner_id,
                      am.id AS move_id,
                      aml.date_maturity,
                      e.date_expected,
                      CASE WHEN e.date_expected < %(today)s THEN %(past)s
                           ELSE LPAD(LEAST((e.date_expected - %(monday)s) / 7 + 1,
                                           %(later)s)::text, 2, '0')
                      END AS week,
                      e.date_expected - (EXTRACT(ISODOW FROM e.date_expected)::int - 1)
                          AS week_start,
                      e.delay,
                      e.basis,
                      e.invoice_count,
                      aml.amount_residual
                 FROM (%(expected)s) e
                 JOIN account_move_line aml ON aml.id = e.key
                 JOIN account_move am ON am.id = aml.move_id""",
            today=today,
            monday=monday,
            past=PAST,
            later=int(LATER),
            expected=Behaviour._gentle_expected_sql(scope, today),
        )

    @api.model
    def read_group(
        self, domain, fields, groupby, offset=0, limit=None, orderby=False, lazy=True
    ):
        """Grouped by week, every week of the forecast is a group, an empty
        one too: a week in which no payment is expected shows as zero in the
        graph and the pivot instead of vanishing from the 13."""
        result = super().read_group(
            domain, fields, groupby, offset, limit, orderby, lazy
        )
        groupby = [groupby] if isinstance(groupby, str) else list(groupby)
        if (
            groupby[:1] != ["week"]
            or (len(groupby) > 1 and not lazy)
            or offset
            or limit
        ):
            return result
        present = {row["week"] for row in result}
        count_key = "week_count" if lazy else "__count"
        measures = {
            spec.split(":")[0].split("(")[0]
            for spec in fields
            if spec.split(":")[0] in self._fields
            and self._fields[spec.split(":")[0]].type
            in ("integer", "float", "monetary")
        }
        codes = [code for code, _label in self._selection_week()]
        for code in codes:
            if code in present:
                continue
            row = {
                "week": code,
                count_key: 0,
                "__domain": [*domain, ("week", "=", code)],
            }
            row.update(dict.fromkeys(measures, 0.0))
            if len(groupby) > 1:
                row["__context"] = {"group_by": groupby[1:]}
            result.append(row)
        order = {code: index for index, code in enumerate(codes)}
        result.sort(key=lambda row: order.get(row["week"], len(order)))
        return result

    def action_open_invoice(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": self.move_id.id,
            "views": [(False, "form")],
            "target": "current",
        }
