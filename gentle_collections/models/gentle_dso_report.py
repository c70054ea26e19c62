from odoo import fields, models
from odoo.tools import SQL, format_date

# (column, SQL type) of a month's row, from gentle.overview._gentle_months.
COLUMNS = (
    ("month", "date"),
    ("date", "date"),
    ("opening", "numeric"),
    ("receivable", "numeric"),
    ("overdue", "numeric"),
    ("sales", "numeric"),
    ("sales_90", "numeric"),
    ("dso", "numeric"),
    ("collected", "numeric"),
    ("cei", "numeric"),
)


class GentleDsoReport(models.Model):
    """DSO and CEI per month: the Overview's trend, month by month, as a list
    and a graph (one code path: ``gentle.overview._gentle_months``)."""

    _name = "gentle.dso.report"
    _description = "DSO and CEI per Month"
    _auto = False
    _order = "company_id, month"
    _rec_name = "name"
    # A month is one row: a group of months shows the average of the month-end
    # figures and ratios (receivable, overdue, DSO, CEI) and the sum of the
    # flows (sales, collected).

    name = fields.Char(string="Month", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    month = fields.Date(
        string="Month Start", readonly=True, help="The first day of the month."
    )
    date = fields.Date(
        string="Month End",
        readonly=True,
        help="The day the month's receivable is read at: its last day, today "
        "for the current month.",
    )
    opening = fields.Monetary(
        string="Receivable at Start",
        readonly=True,
        aggregator="avg",
        help="Open customer receivables at the end of the month before.",
    )
    receivable = fields.Monetary(
        string="Receivable at End",
        readonly=True,
        aggregator="avg",
        help="Open customer receivables at the month's end.",
    )
    overdue = fields.Monetary(
        string="Overdue at End",
        readonly=True,
        aggregator="avg",
        help="The part of the receivable at the month's end past its due date.",
    )
    sales = fields.Monetary(
        string="Credit Sales",
        readonly=True,
        help="Posted customer invoices and receipts of the month, by accounting date.",
    )
    sales_90 = fields.Monetary(
        string="Credit Sales (90 Days)",
        readonly=True,
        aggregator="avg",
        help="Credit sales of the 90 days to the month's end, which the DSO "
        "compares the receivable with.",
    )
    dso = fields.Float(
        string="DSO",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Days sales outstanding at the month's end: the receivable over the "
        "credit sales of the last 90 days, times 90. Empty without sales.",
    )
    collected = fields.Monetary(
        readonly=True,
        help="Customer payments matched with receivables in the month (credit "
        "notes and write-offs do not count).",
    )
    cei = fields.Float(
        string="CEI (%)",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Collection effectiveness index of the month: (receivable at start "
        "+ credit sales − receivable at end) / (receivable at start + credit "
        "sales − current receivable at end) × 100. 100 % collected everything "
        "that could be. Empty when nothing was collectible.",
    )

    @property
    def _table_query(self):
        """The Overview's months of each current company, as rows: computed
        in a few queries per company (``gentle.overview._gentle_months``)."""
        Overview = self.env["gentle.overview"]
        rows = []
        for company in self.env.companies.sorted("id"):
            overview = Overview.with_company(company)
            months = overview._gentle_months(company, overview._gentle_today())
            for index, month in enumerate(months, start=1):
                rows.append(
                    SQL(
                        "(%s::int, %s::varchar, %s::int, %s::int, %s)",
                        company.id * 100 + index,
                        format_date(self.env, month["date"], date_format="MMMM yyyy"),
                        company.id,
                        company.currency_id.id,
                        SQL(", ").join(
                            SQL(f"%s::{sql_type}", month[column])
                            for column, sql_type in COLUMNS
                        ),
                    )
                )
        names = ", ".join(["id", "name", "company_id", "currency_id", *dict(COLUMNS)])
        return SQL(
            f"SELECT * FROM (VALUES %s) AS t({names})",  # noqa: S608 - constant names
            SQL(", ").join(rows),
        )
