from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .gentle_followup_policy import TONES


class GentleFollowupTemplate(models.Model):
    """The wording a policy uses for one tone."""

    _name = "gentle.followup.template"
    _description = "Follow-up Wording"
    _order = "policy_id, id"

    policy_id = fields.Many2one(
        "gentle.followup.policy", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="policy_id.company_id", store=True)
    tone = fields.Selection(TONES, required=True)
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Email Template",
        required=True,
        domain=[("model", "=", "res.partner")],
        help="Rendered on the customer, with the invoices to mention available "
        "through object._gentle_followup_lines().",
    )

    _sql_constraints = [
        (
            "tone_unique",
            "UNIQUE(policy_id, tone)",
            "A policy has one wording per tone: edit the existing one instead.",
        ),
    ]

    @api.constrains("mail_template_id")
    def _check_template_model(self):
        for wording in self:
            if wording.mail_template_id.model != "res.partner":
                raise ValidationError(
                    self.env._(
                        "The template %(template)s is written for %(model)s; "
                        "follow-up wording must be a template on Contact "
                        "(res.partner).",
                        template=wording.mail_template_id.name,
                        model=wording.mail_template_id.model,
                    )
                )
