from odoo import models


class MailMail(models.Model):
    """Delivery results flow back into the follow-up history."""

    _inherit = "mail.mail"

    def _postprocess_sent_message(
        self, success_pids, failure_reason=False, failure_type=None
    ):
        # Read the messages first: the parent method deletes auto-delete mails.
        messages = self.mail_message_id
        result = super()._postprocess_sent_message(
            success_pids, failure_reason=failure_reason, failure_type=failure_type
        )
        if messages:
            actions = (
                self.env["gentle.followup.action"]
                .sudo()
                .search([("mail_message_id", "in", messages.ids)])
            )
            actions._sync_mail_state()
        return result
