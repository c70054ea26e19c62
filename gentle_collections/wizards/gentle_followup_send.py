from odoo import Command, api, fields, models
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
        # Preview lines are written by the engine only (see the line's write).
        self.sudo().line_ids = [
            Command.create(
                {
                    "partner_id": c.partner.id,
                    "level_id": c.level.id,
                    "tone": c.tone,
                    "channels": ", ".join(c.channels),
                    "approval": c.approval,
                    "subject": c.subject,
                    "body_html": c.body,
                    "move_line_ids": [
                        Command.set([line.id for line, _lv in c.items.get("steps", [])])
                    ],
                    "signature": engine._gentle_signature(c),
                }
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
        """Send what the preview showed, prepared again under the customers'
        locks: the preview is only what the user agreed to, never what is sent.
        When the follow-up due now differs from the preview (an invoice posted,
        paid or reminded since), nothing is sent and the user is told."""
        self.ensure_one()
        if not self.line_ids:
            raise UserError(
                self.env._(
                    "Nothing to send: no selected customer has a reminder due today."
                )
            )
        if self.date != fields.Date.context_today(self):
            raise UserError(
                self.env._(
                    "This preview was prepared for %(date)s: close this window and "
                    "open Follow up now again to see what is due today.",
                    date=self.date,
                )
            )
        company = self.env.company
        engine = self.env["gentle.followup.engine"].with_company(company)
        previews = {preview.partner_id.id: preview for preview in self.line_ids}
        locked = engine._gentle_lock_partners(list(previews))
        communications = engine._gentle_prepare(company, self.date, locked)
        if not communications:
            raise UserError(
                self.env._(
                    "These reminders were sent in the meantime by another run: "
                    "nothing was sent twice. Close this window and refresh."
                )
            )
        fresh = {c.partner.id: c for c in communications}
        changed = self.env["res.partner"].browse(
            partner_id
            for partner_id, preview in previews.items()
            if partner_id not in fresh or not preview._gentle_matches(fresh[partner_id])
        )
        if changed:
            raise UserError(
                self.env._(
                    "What is due for %(names)s changed since this preview (an "
                    "invoice was posted, paid, put on hold or reminded by another "
                    "run): nothing was sent. Close this window and open Follow up "
                    "now again to see what would be sent.",
                    names=", ".join(changed.mapped("display_name")),
                )
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
    # Sanitized like the chatter's message bodies, as the sent message will be.
    body_html = fields.Html(string="Message", sanitize_style=True, readonly=True)
    move_line_ids = fields.Many2many(
        "account.move.line", string="Instalments", readonly=True
    )
    # What the preview showed, as the engine identifies it (see
    # gentle.followup.engine._gentle_signature).
    signature = fields.Text(readonly=True)

    @api.model_create_multi
    def create(self, vals_list):
        self._gentle_check_engine()
        return super().create(vals_list)

    def write(self, vals):
        self._gentle_check_engine()
        return super().write(vals)

    def _gentle_check_engine(self):
        """Previews are prepared by the follow-up engine, never written by users."""
        if not self.env.su:
            raise UserError(
                self.env._(
                    "The preview of Follow up now shows what the follow-up "
                    "prepared and cannot be edited: close it and open Follow up "
                    "now again."
                )
            )

    def _gentle_matches(self, communication):
        """Whether ``communication``, prepared again, is what this line previewed."""
        self.ensure_one()
        engine = self.env["gentle.followup.engine"]
        return (
            self.signature == engine._gentle_signature(communication)
            and (self.subject or False) == (communication.subject or False)
            and (self.body_html or "") == (communication.body or "")
        )
