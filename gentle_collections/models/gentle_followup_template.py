from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .gentle_followup_policy import STYLES, TONES


class GentleFollowupTemplate(models.Model):
    """The wording a policy uses for one tone."""

    _name = "gentle.followup.template"
    _description = "Follow-up Wording"
    _order = "policy_id, style desc, id"

    policy_id = fields.Many2one(
        "gentle.followup.policy", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="policy_id.company_id", store=True)
    tone = fields.Selection(TONES, required=True)
    style = fields.Selection(
        STYLES,
        help="The customers' communication style this wording is for. Empty: for "
        "every customer. A customer gets the wording of their own style when the "
        "policy has one for the tone, else the wording without a style.",
    )
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Email Template",
        required=True,
        domain=[("model", "=", "gentle.followup.communication")],
        help="Rendered on the follow-up message: object.partner_id is the "
        "customer, object.move_line_ids the invoice lines it reminds of, and "
        "object._gentle_followup_table() inserts what it lists.",
    )

    _sql_constraints = [
        (
            "tone_unique",
            "UNIQUE NULLS NOT DISTINCT (policy_id, tone, style)",
            "A policy has one wording per tone and style: edit the existing one "
            "instead.",
        ),
    ]

    @api.constrains("mail_template_id")
    def _check_template_model(self):
        for wording in self:
            if wording.mail_template_id.model != "gentle.followup.communication":
                raise ValidationError(
                    self.env._(
                        "The template %(template)s is written for %(model)s; "
                        "follow-up wording must be a template on Follow-up "
                        "Message (gentle.followup.communication).",
                        template=wording.mail_template_id.name,
                        model=wording.mail_template_id.model,
                    )
                )
