from odoo import fields, models

GRADES = [
    ("A", "A – Excellent"),
    ("B", "B – Good"),
    ("C", "C – Watch"),
    ("D", "D – At risk"),
    ("new", "New"),
]


class GentleScoreSnapshot(models.Model):
    """A customer's relationship score at the end of a month, for the trend."""

    _name = "gentle.score.snapshot"
    _description = "Relationship Score Snapshot"
    _order = "month desc"
    _rec_name = "month"

    partner_id = fields.Many2one(
        "res.partner", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one("res.company", required=True, ondelete="cascade")
    month = fields.Date(required=True, help="First day of the month.")
    score = fields.Integer()
    grade = fields.Selection(GRADES)
    avg_days_late = fields.Float()
    on_time_ratio = fields.Float()
    overdue_exposure = fields.Float()

    _sql_constraints = [
        (
            "month_unique",
            "UNIQUE(partner_id, company_id, month)",
            "A customer has one score snapshot per month.",
        ),
    ]
