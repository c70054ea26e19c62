from odoo import fields, models

# What kind of Collections email a message is; a message without one is not the
# addon's. Read by the outbox (gentle.outbox).
GENTLE_MAIL_KINDS = [
    ("follow_up", "Follow-up"),
    ("case_ack", "Case acknowledgement"),
    ("call_agenda", "Call agenda"),
]


class MailMessage(models.Model):
    """Marks the messages Collections sends to customers."""

    _inherit = "mail.message"

    gentle_mail_kind = fields.Selection(
        GENTLE_MAIL_KINDS,
        string="Collections Email",
        index="btree_not_null",
        readonly=True,
        help="Set on the emails Collections sends to customers: follow-ups "
        "(reminders, thank-yous, instalments, discount reminders), case "
        "acknowledgements and call agendas. Collections → Outbox lists those "
        "that failed, bounced or are stuck.",
    )
