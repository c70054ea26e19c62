from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    """Collections block of the Accounting settings."""

    _inherit = "res.config.settings"

    gentle_window_start = fields.Float(
        related="company_id.gentle_window_start", readonly=False
    )
    gentle_window_end = fields.Float(
        related="company_id.gentle_window_end", readonly=False
    )
    gentle_window_days = fields.Selection(
        related="company_id.gentle_window_days", readonly=False
    )
    gentle_batch_size = fields.Integer(
        related="company_id.gentle_batch_size", readonly=False
    )
    gentle_default_policy_id = fields.Many2one(
        related="company_id.gentle_default_policy_id"
    )
    gentle_go_live_date = fields.Date(
        related="company_id.gentle_go_live_date", readonly=False
    )
    gentle_score_min_paid = fields.Integer(
        related="company_id.gentle_score_min_paid", readonly=False
    )
    gentle_grade_a_min = fields.Integer(
        related="company_id.gentle_grade_a_min", readonly=False
    )
    gentle_grade_b_min = fields.Integer(
        related="company_id.gentle_grade_b_min", readonly=False
    )
    gentle_grade_c_min = fields.Integer(
        related="company_id.gentle_grade_c_min", readonly=False
    )
