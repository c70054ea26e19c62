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
    gentle_go_live_date = fields.Date(
        related="company_id.gentle_go_live_date", readonly=False
    )
