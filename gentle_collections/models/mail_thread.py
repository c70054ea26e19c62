from odoo import models


class MailThread(models.AbstractModel):
    """``message_post(..., gentle_mail_kind=...)`` marks a Collections email."""

    _inherit = "mail.thread"

    def _get_message_create_valid_field_names(self):
        return super()._get_message_create_valid_field_names() | {"gentle_mail_kind"}
