"""Collections analytics: receivables ageing, and which reminders work.

Both are SQL views read by pivot and graph views; every figure comes from the
ledger and the follow-up history, nothing is stored twice.
"""

from odoo import fields, models, tools
from odoo.tools import SQL

from ..tools import ageing
from .account_move_line import PAID_PAYMENT_STATES
from .gentle_followup_policy import TONES
from .gentle_score_snapshot import GRADES

BUCKETS = list(
    zip(
        ageing.KEYS,
        ["Not due", "1-30 days", "31-60 days", "61-90 days", "Over 90 days"],
        strict=True,
    )
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
                               AS amount_overdue
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
                # Owed, as on the statement: an invoice in payment shows.
                owed=self.env["account.move.line"]._gentle_open_sql("owed"),
            )
        )


class GentleLevelReport(models.Model):
    """Which reminders work: for each level reached, whether and how fast the
    invoice was paid afterwards."""

    _name = "gentle.level.report"
    _description = "Follow-up Effectiveness"
    _auto = False
    _order = "date desc"
    _rec_name = "level_id"

    company_id = fields.Many2one("res.company", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    grade = fields.Selection(GRADES, readonly=True)
    move_id = fields.Many2one("account.move", string="Invoice", readonly=True)
    policy_id = fields.Many2one("gentle.followup.policy", readonly=True)
    level_id = fields.Many2one("gentle.followup.level", readonly=True)
    tone = fields.Selection(TONES, readonly=True)
    date = fields.Date(string="Reached On", readonly=True)
    paid_on = fields.Date(
        readonly=True, help="When the invoice was fully paid, if it was."
    )
    days_to_pay = fields.Integer(
        readonly=True,
        aggregator="avg",
        help="Days from this reminder to full payment (paid invoices only); "
        "averaged in groups.",
    )
    reminder_count = fields.Integer(
        string="Reminders", readonly=True, help="Levels reached (one per row)."
    )
    paid_7 = fields.Integer(
        string="Paid within 7 days",
        readonly=True,
        help="1 when the invoice was fully paid within 7 days of this reminder.",
    )
    paid_14 = fields.Integer(string="Paid within 14 days", readonly=True)
    paid_30 = fields.Integer(string="Paid within 30 days", readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """CREATE OR REPLACE VIEW %(table)s AS (
                    WITH paid AS (
                        SELECT aml.move_id, MAX(apr.max_date) AS paid_on
                          FROM account_move_line aml
                          JOIN account_move am ON am.id = aml.move_id
                          JOIN account_partial_reconcile apr
                            ON apr.debit_move_id = aml.id
                         WHERE aml.display_type = 'payment_term'
                           AND am.payment_state IN %(paid_states)s
                      GROUP BY aml.move_id
                    )
                    SELECT h.id,
                           h.company_id,
                           h.partner_id,
                           rp.gentle_grade ->> h.company_id::text AS grade,
                           h.move_id,
                           lv.policy_id,
                           h.level_id,
                           lv.tone,
                           h.date,
                           p.paid_on,
                           CASE WHEN p.paid_on >= h.date
                                THEN p.paid_on - h.date END AS days_to_pay,
                           1 AS reminder_count,
                           COALESCE((p.paid_on >= h.date
                                     AND p.paid_on - h.date <= 7)::int, 0)
                               AS paid_7,
                           COALESCE((p.paid_on >= h.date
                                     AND p.paid_on - h.date <= 14)::int, 0)
                               AS paid_14,
                           COALESCE((p.paid_on >= h.date
                                     AND p.paid_on - h.date <= 30)::int, 0)
                               AS paid_30
                      FROM gentle_followup_history h
                      JOIN gentle_followup_level lv ON lv.id = h.level_id
                      JOIN res_partner rp ON rp.id = h.partner_id
                 LEFT JOIN paid p ON p.move_id = h.move_id
                )""",
                table=SQL.identifier(self._table),
                paid_states=PAID_PAYMENT_STATES,
            )
        )
