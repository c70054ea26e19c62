"""Collections analytics: receivables ageing, and which reminders work.

Both are SQL views read by pivot and graph views; every figure comes from the
ledger and the follow-up history, nothing is stored twice.
"""

from odoo import fields, models, tools
from odoo.tools import SQL

from ..tools import ageing
from .gentle_followup_policy import STYLES, TONES
from .gentle_payment_behaviour import PAID_WITHIN_DAYS
from .gentle_score_snapshot import GRADES

# The states of a follow-up action that reached the customer (or its queue).
SENT_STATES = ("queued", "sent")
BUCKETS = list(
    zip(
        ageing.KEYS,
        ["Not due", "1-30 days", "31-60 days", "61-90 days", "Over 90 days"],
        strict=True,
    )
)


# The ageing report's measure of each bucket, in the order of ageing.KEYS.
BUCKET_COLUMNS = (
    "amount_not_due",
    "amount_1_30",
    "amount_31_60",
    "amount_61_90",
    "amount_over_90",
)


class GentleAgeingReport(models.Model):
    """Open customer receivables by how late they are, as of today."""

    _name = "gentle.ageing.report"
    _description = "Receivables Ageing"
    _auto = False
    _order = "days_overdue desc"
    _rec_name = "move_id"

    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    grade = fields.Selection(GRADES, readonly=True)
    move_id = fields.Many2one("account.move", string="Invoice", readonly=True)
    date_maturity = fields.Date(string="Due Date", readonly=True)
    days_overdue = fields.Integer(
        readonly=True,
        aggregator="avg",
        help="Days since the due date (0 when not yet due); averaged in groups.",
    )
    bucket = fields.Selection(BUCKETS, string="Age", readonly=True)
    amount_residual = fields.Monetary(
        string="Amount Due", readonly=True, currency_field="currency_id"
    )
    amount_overdue = fields.Monetary(
        string="Overdue", readonly=True, currency_field="currency_id"
    )
    # One measure per bucket, so that a pivot by customer always shows the
    # five columns, empty or not.
    amount_not_due = fields.Monetary(
        string="Not Due",
        readonly=True,
        currency_field="currency_id",
        help="Amount due today or later.",
    )
    amount_1_30 = fields.Monetary(
        string="1-30 Days",
        readonly=True,
        currency_field="currency_id",
        help="Amount 1 to 30 days past its due date.",
    )
    amount_31_60 = fields.Monetary(
        string="31-60 Days",
        readonly=True,
        currency_field="currency_id",
        help="Amount 31 to 60 days past its due date.",
    )
    amount_61_90 = fields.Monetary(
        string="61-90 Days",
        readonly=True,
        currency_field="currency_id",
        help="Amount 61 to 90 days past its due date.",
    )
    amount_over_90 = fields.Monetary(
        string="Over 90 Days",
        readonly=True,
        currency_field="currency_id",
        help="Amount more than 90 days past its due date.",
    )
    salesperson_id = fields.Many2one(
        "res.users", readonly=True, help="The customer's salesperson."
    )
    expected_date = fields.Date(
        string="Expected Payment",
        compute="_compute_expected",
        help="The due date plus the customer's usual days late (see the "
        "invoice's Expected Payment).",
    )
    expected_note = fields.Char(
        string="Expected Payment Basis", compute="_compute_expected"
    )

    def _compute_expected(self):
        # One query for the whole page of rows.
        Behaviour = self.env["gentle.payment.behaviour"]
        expected = Behaviour._gentle_expected(
            (row.id, row.company_id.id, row.partner_id.id, row.date_maturity)
            for row in self
        )
        for row in self:
            found = expected.get(row.id)
            row.expected_date = found.date if found else False
            row.expected_note = (
                Behaviour._gentle_expected_note(found.basis, found.delay, found.count)
                if found
                else False
            )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        # Today is the company's local date, as for the follow-up and the
        # statement: its working hours' time zone, else its own, else UTC
        # (gentle.followup.engine._gentle_company_tz; unknown names skipped).
        today = SQL("(now() AT TIME ZONE COALESCE(ctz.name, ptz.name, 'UTC'))::date")
        days = SQL("(%s - aml.date_maturity)", today)
        self.env.cr.execute(
            SQL(
                """CREATE OR REPLACE VIEW %(table)s AS (
                    SELECT aml.id,
                           aml.company_id,
                           aml.company_currency_id AS currency_id,
                           am.commercial_partner_id AS partner_id,
                           rp.gentle_grade ->> aml.company_id::text AS grade,
                           am.id AS move_id,
                           aml.date_maturity,
                           GREATEST(%(days)s, 0) AS days_overdue,
                           %(bucket)s AS bucket,
                           aml.amount_residual,
                           CASE WHEN %(days)s > 0
                                THEN aml.amount_residual ELSE 0 END
                               AS amount_overdue,
                           %(by_bucket)s,
                           rp.user_id AS salesperson_id
                      FROM account_move_line aml
                      JOIN account_move am ON am.id = aml.move_id
                      JOIN res_partner rp ON rp.id = am.commercial_partner_id
                      JOIN res_company rc ON rc.id = aml.company_id
                 LEFT JOIN resource_calendar cal ON cal.id = rc.resource_calendar_id
                 LEFT JOIN res_partner crp ON crp.id = rc.partner_id
                 LEFT JOIN pg_timezone_names ctz ON ctz.name = cal.tz
                 LEFT JOIN pg_timezone_names ptz ON ptz.name = crp.tz
                     WHERE %(owed)s
                )""",
                table=SQL.identifier(self._table),
                days=days,
                bucket=ageing.bucket_sql(days),
                by_bucket=SQL(", ").join(
                    SQL(
                        "CASE WHEN %s = %s THEN aml.amount_residual ELSE 0 END AS %s",
                        ageing.bucket_sql(days),
                        key,
                        SQL.identifier(column),
                    )
                    for key, column in zip(ageing.KEYS, BUCKET_COLUMNS, strict=True)
                ),
                # Owed, as on the statement: an invoice in payment shows.
                owed=self.env["account.move.line"]._gentle_open_sql("owed"),
            )
        )


class GentleLevelReport(models.Model):
    """Which reminders work: for each level a receivable line reached and was
    reminded of, whether and how fast its invoice was paid afterwards."""

    _name = "gentle.level.report"
    _description = "Follow-up Effectiveness"
    _auto = False
    _order = "date desc"
    _rec_name = "level_id"
    _depends = {
        "gentle.followup.history": [
            "company_id",
            "partner_id",
            "move_id",
            "level_id",
            "date",
            "action_ids",
        ],
        "gentle.followup.action": ["state", "tone"],
        "gentle.followup.level": ["policy_id", "tone"],
        "res.partner": ["gentle_grade", "gentle_style"],
        "account.move": ["payment_state", "state", "move_type"],
        "account.partial.reconcile": ["max_date", "debit_move_id"],
    }

    company_id = fields.Many2one("res.company", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    grade = fields.Selection(GRADES, readonly=True)
    move_id = fields.Many2one("account.move", string="Invoice", readonly=True)
    policy_id = fields.Many2one("gentle.followup.policy", readonly=True)
    level_id = fields.Many2one("gentle.followup.level", readonly=True)
    tone = fields.Selection(
        TONES, readonly=True, help="The tone of the message the customer received."
    )
    style = fields.Selection(
        STYLES,
        string="Communication Style",
        readonly=True,
        help="The customer's communication style, which chose the wording.",
    )
    date = fields.Date(string="Reached On", readonly=True)
    paid_on = fields.Date(
        readonly=True,
        help="When the invoice was fully paid (its last reconciliation), if it was.",
    )
    days_to_pay = fields.Integer(
        readonly=True,
        aggregator="avg",
        help="Days from this reminder to full payment (paid invoices only); "
        "averaged in groups.",
    )
    reminder_count = fields.Integer(
        string="Reminders",
        readonly=True,
        help="Reminders sent (one per invoice line and level reached).",
    )
    paid_7 = fields.Integer(
        string="Paid within 7 days",
        readonly=True,
        help="Reminders whose invoice was fully paid within 7 days.",
    )
    paid_14 = fields.Integer(
        string="Paid within 14 days",
        readonly=True,
        help="Reminders whose invoice was fully paid within 14 days.",
    )
    paid_30 = fields.Integer(
        string="Paid within 30 days",
        readonly=True,
        help="Reminders whose invoice was fully paid within 30 days.",
    )
    # A rate is 100 or 0 per reminder (NULL while its days are not over and
    # it is not paid yet), averaged: in every group, and in the totals, the
    # reminders paid in time over the reminders whose days are over, a ratio
    # of sums and never an average of ratios.
    rate_7 = fields.Float(
        string="% Paid within 7 days",
        readonly=True,
        aggregator="avg",
        digits=(16, 2),
        help="Share of the reminders paid within 7 days, in percent; reminders "
        "sent fewer than 7 days ago and not paid yet are left out.",
    )
    rate_14 = fields.Float(
        string="% Paid within 14 days",
        readonly=True,
        aggregator="avg",
        digits=(16, 2),
        help="Share of the reminders paid within 14 days, in percent; reminders "
        "sent fewer than 14 days ago and not paid yet are left out.",
    )
    rate_30 = fields.Float(
        string="% Paid within 30 days",
        readonly=True,
        aggregator="avg",
        digits=(16, 2),
        help="Share of the reminders paid within 30 days, in percent; reminders "
        "sent fewer than 30 days ago and not paid yet are left out.",
    )

    def init(self):
        # Read as of today (see _table_query): no view any more.
        tools.drop_view_if_exists(self.env.cr, self._table)

    @property
    def _table_query(self):
        """One row per reminder sent: a history row (a line reaching a level)
        with a follow-up action queued or sent; its tone is the message's."""
        Behaviour = self.env["gentle.payment.behaviour"]
        today = Behaviour._gentle_today()
        paid_on = SQL("p.paid_on")
        flags, rates = [], []
        for days in PAID_WITHIN_DAYS:
            within = Behaviour._gentle_paid_within_sql(paid_on, SQL("h.date"), days)
            flags.append(SQL("(%s)::int AS %s", within, SQL.identifier(f"paid_{days}")))
            rates.append(
                SQL(
                    """CASE WHEN %(within)s THEN 100.0
                            WHEN h.date + %(days)s >= %(today)s THEN NULL
                            ELSE 0.0 END AS %(name)s""",
                    within=within,
                    days=days,
                    today=today,
                    name=SQL.identifier(f"rate_{days}"),
                )
            )
        return SQL(
            """SELECT h.id,
                      h.company_id,
                      h.partner_id,
                      rp.gentle_grade ->> h.company_id::text AS grade,
                      h.move_id,
                      lv.policy_id,
                      h.level_id,
                      COALESCE(sent.tone, lv.tone) AS tone,
                      rp.gentle_style AS style,
                      h.date,
                      p.paid_on,
                      CASE WHEN p.paid_on >= h.date
                           THEN p.paid_on - h.date END AS days_to_pay,
                      1 AS reminder_count,
                      %(flags)s,
                      %(rates)s
                 FROM gentle_followup_history h
                 JOIN gentle_followup_level lv ON lv.id = h.level_id
                 JOIN res_partner rp ON rp.id = h.partner_id
                 JOIN LATERAL (
                      SELECT a.tone
                        FROM gentle_followup_action_history_rel rel
                        JOIN gentle_followup_action a ON a.id = rel.action_id
                       WHERE rel.history_id = h.id AND a.state IN %(sent)s
                    ORDER BY a.id
                       LIMIT 1
                 ) sent ON TRUE
            LEFT JOIN (%(paid)s) p ON p.move_id = h.move_id""",
            flags=SQL(", ").join(flags),
            rates=SQL(", ").join(rates),
            sent=SENT_STATES,
            paid=Behaviour._gentle_paid_invoices_sql(),
        )
