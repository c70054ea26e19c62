from odoo import api, fields, models
from odoo.exceptions import UserError

# What a collector may write into one message: a letter, not a document.
MAX_SUBJECT = 255
MAX_BODY = 100_000


class GentleFollowupMessageEdit(models.TransientModel):
    """Change the words of one follow-up message before it is sent."""

    _name = "gentle.followup.message.edit"
    _description = "Edit a Follow-up Message"

    communication_id = fields.Many2one(
        "gentle.followup.communication", required=True, readonly=True
    )
    send_id = fields.Many2one(
        "gentle.followup.send",
        readonly=True,
        ondelete="cascade",
        help="The Follow up now preview this edit was opened from: back to it "
        "once done.",
    )
    subject = fields.Char(required=True)
    body_html = fields.Html(string="Message", required=True, sanitize_style=True)

    @api.model
    def _gentle_open(self, communication):
        wizard = self.create(
            {
                "communication_id": communication.id,
                "send_id": self.env.context.get("gentle_send_id"),
                "subject": communication.subject,
                "body_html": communication.body_html,
            }
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Edit the message"),
            "res_model": self._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_save(self):
        """Keep the words as written for this one message (sanitized like the
        chatter's messages): the preview shows them and they are sent."""
        self.ensure_one()
        if (
            len(self.subject or "") > MAX_SUBJECT
            or len(self.body_html or "") > MAX_BODY
        ):
            raise UserError(
                self.env._(
                    "This message is too long to send: keep the subject under "
                    "%(subject)s characters and the text under %(body)s characters.",
                    subject=MAX_SUBJECT,
                    body=MAX_BODY,
                )
            )
        self.communication_id._gentle_edit(self.subject, self.body_html)
        return self.action_back()

    def action_back(self):
        """Back to the preview the edit was opened from (it shows the words
        kept), else close."""
        self.ensure_one()
        if not self.send_id:
            return {"type": "ir.actions.act_window_close"}
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Follow up now"),
            "res_model": "gentle.followup.send",
            "res_id": self.send_id.id,
            "view_mode": "form",
            "target": "new",
        }
