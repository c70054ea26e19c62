from odoo import fields, models
from odoo.exceptions import UserError


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
    gentle_discount_max_margin_share = fields.Float(
        related="company_id.gentle_discount_max_margin_share", readonly=False
    )
    gentle_discount_guard_unknown_cost = fields.Boolean(
        related="company_id.gentle_discount_guard_unknown_cost", readonly=False
    )
    gentle_promise_grace_days = fields.Integer(
        related="company_id.gentle_promise_grace_days", readonly=False
    )
    gentle_promise_confirm = fields.Boolean(
        related="company_id.gentle_promise_confirm", readonly=False
    )
    gentle_sender = fields.Selection(related="company_id.gentle_sender", readonly=False)
    gentle_attachment_limit_mb = fields.Float(
        related="company_id.gentle_attachment_limit_mb", readonly=False
    )
    gentle_discount_nudge_days = fields.Integer(
        related="company_id.gentle_discount_nudge_days", readonly=False
    )

    # Caps on collection terms (issue 11, item 7)
    gentle_late_fee_max_rate = fields.Float(
        related="company_id.gentle_late_fee_max_rate", readonly=False
    )
    gentle_late_fee_max_amount = fields.Float(
        related="company_id.gentle_late_fee_max_amount", readonly=False
    )
    gentle_promise_max_days = fields.Integer(
        related="company_id.gentle_promise_max_days", readonly=False
    )
    gentle_statement_link_days = fields.Integer(
        related="company_id.gentle_statement_link_days", readonly=False
    )

    gentle_thanks_mode = fields.Selection(
        related="company_id.gentle_thanks_mode", readonly=False
    )
    gentle_thanks_period_days = fields.Integer(
        related="company_id.gentle_thanks_period_days", readonly=False
    )

    def action_gentle_preview_run(self):
        """Before going live: the messages the next run would send, to every
        customer due now (contact windows aside), in the "Follow up now"
        preview. Nothing is sent unless the user presses Send."""
        self.ensure_one()
        self.execute()
        company = self.company_id
        engine = self.env["gentle.followup.engine"].with_company(company)
        due = engine._gentle_due_partner_ids(
            company, fields.Datetime.now(), window=False
        )
        if not due:
            raise UserError(
                self.env._(
                    "No customer of %(company)s has a reminder due today: nothing "
                    "would be sent. Check the go-live date and the policies.",
                    company=company.name,
                )
            )
        partners = self.env["res.partner"].browse(due[: company.gentle_batch_size])
        return partners.with_company(company).action_gentle_followup_now()
