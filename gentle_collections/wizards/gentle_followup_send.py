import json

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..models.gentle_followup_policy import TONES


class GentleFollowupSend(models.TransientModel):
    """'Follow up now': preview exactly what will be sent, then send it."""

    _name = "gentle.followup.send"
    _description = "Follow Up Now"

    partner_ids = fields.Many2many("res.partner", string="Customers", required=True)
    date = fields.Date(default=fields.Date.context_today, readonly=True)
    line_ids = fields.One2many(
        "gentle.followup.send.line", "wizard_id", string="Messages", readonly=True
    )
    nothing_due = fields.Text(readonly=True)

    @api.model_create_multi
    def create(self, vals_list):
        wizards = super().create(vals_list)
        for wizard in wizards:
            wizard._prepare_preview()
        return wizards

    def _prepare_preview(self):
        self.ensure_one()
        engine = self.env["gentle.followup.engine"]
        company = self.env.company
        partners = self.partner_ids.commercial_partner_id
        communications = engine.with_company(company)._gentle_prepare(
            company, self.date, partners.ids
        )
        self.line_ids = [
            (
                0,
                0,
                {
                    "partner_id": c["partner"].id,
                    "level_id": c["level"].id,
                    "tone": c["tone"],
                    "channels": ", ".join(c["channels"]),
                    "approval": c["approval"],
                    "subject": c["subject"],
                    "body_html": c["body"],
                    "move_line_ids": [(6, 0, [line.id for line, _lv in c["steps"]])],
                    "steps": json.dumps(engine._gentle_dump(c)),
                },
            )
            for c in communications
        ]
        idle = partners - self.line_ids.partner_id
        if idle:
            self.nothing_due = self.env._(
                "Nothing is due for %(names)s today (paid, on hold, or next "
                "reminder still to come).",
                names=", ".join(idle.mapped("display_name")),
            )

    def action_send(self):
        self.ensure_one()
        if not self.line_ids:
            raise UserError(
                self.env._(
                    "Nothing to send: no selected customer has a reminder due today."
                )
            )
        engine = self.env["gentle.followup.engine"].with_company(self.env.company)
        locked = set(engine._gentle_lock_partners(self.line_ids.partner_id.ids))
        communications = []
        for preview in self.line_ids.filtered(lambda p: p.partner_id.id in locked):
            communications.append(
                {
                    "partner": preview.partner_id,
                    "company": self.env.company,
                    "date": self.date,
                    "level": preview.level_id,
                    "policy": preview.level_id.policy_id,
                    "tone": preview.tone,
                    "approval": preview.approval,
                    "subject": preview.subject,
                    "body": preview.body_html,
                    **engine._gentle_load(json.loads(preview.steps)),
                }
            )
        actions = engine._gentle_execute(communications)
        if not actions:
            raise UserError(
                self.env._(
                    "These reminders were sent in the meantime by another run: "
                    "nothing was sent twice. Close this window and refresh."
                )
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._(
                    "%(count)s follow-up action(s) done for %(partners)s customer(s).",
                    count=len(actions),
                    partners=len(actions.partner_id),
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }


class GentleFollowupSendLine(models.TransientModel):
    """One customer's message in the 'Follow up now' preview."""

    _name = "gentle.followup.send.line"
    _description = "Follow Up Now: Message"

    wizard_id = fields.Many2one(
        "gentle.followup.send", required=True, ondelete="cascade"
    )
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    level_id = fields.Many2one("gentle.followup.level", readonly=True)
    tone = fields.Selection(TONES, readonly=True)
    channels = fields.Char(readonly=True)
    approval = fields.Boolean(string="Needs Approval", readonly=True)
    subject = fields.Char(readonly=True)
    body_html = fields.Html(string="Message", sanitize=False, readonly=True)
    move_line_ids = fields.Many2many("account.move.line", string="Instalments")
    steps = fields.Text(readonly=True)
