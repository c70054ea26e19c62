"""Collections → Outbox: the customer emails of Collections that need a human."""

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .mail_message import GENTLE_MAIL_KINDS

# An email still waiting this long after it was due to go is stuck: Odoo's mail
# queue is triggered when a mail is queued, so a healthy queue sends in minutes.
STUCK_AFTER_MINUTES = 60
PROBLEMS = [
    ("failed", "Failed"),
    ("bounced", "Bounced"),
    ("stuck", "Stuck"),
]


class GentleOutbox(models.Model):
    """One row per recipient of a Collections email that failed, bounced or is
    stuck in the mail queue (read from Odoo's own notifications and mails)."""

    _name = "gentle.outbox"
    _description = "Collections Outbox"
    _auto = False
    _order = "date desc, id desc"
    _rec_name = "subject"
    # What the query reads: flushed before the outbox is searched.
    _depends = {
        "mail.notification": [
            "mail_message_id",
            "mail_mail_id",
            "res_partner_id",
            "notification_type",
            "notification_status",
            "failure_type",
            "failure_reason",
        ],
        "mail.message": [
            "gentle_mail_kind",
            "subject",
            "date",
            "model",
            "res_id",
            "record_company_id",
        ],
        "mail.mail": ["state", "scheduled_date", "failure_reason"],
        "res.partner": ["commercial_partner_id", "email", "company_id"],
        "res.users": ["partner_id", "share"],
    }

    message_id = fields.Many2one("mail.message", readonly=True)
    mail_id = fields.Many2one("mail.mail", string="Email", readonly=True)
    kind = fields.Selection(GENTLE_MAIL_KINDS, readonly=True)
    recipient_id = fields.Many2one("res.partner", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    email = fields.Char(string="Address", readonly=True)
    subject = fields.Char(readonly=True)
    date = fields.Datetime(string="Queued On", readonly=True)
    scheduled_date = fields.Datetime(string="Due to Go", readonly=True)
    problem = fields.Selection(PROBLEMS, readonly=True)
    failure_type = fields.Selection(
        selection=lambda self: (
            self.env["mail.notification"]
            ._fields["failure_type"]
            ._description_selection(self.env)
        ),
        readonly=True,
    )
    failure_reason = fields.Text(string="Error", readonly=True)
    model = fields.Char(string="Document Model", readonly=True)
    res_id = fields.Many2oneReference(
        string="Document", model_field="model", readonly=True
    )
    company_id = fields.Many2one("res.company", readonly=True)

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT n.id AS id,
                   n.mail_message_id AS message_id,
                   n.mail_mail_id AS mail_id,
                   msg.gentle_mail_kind AS kind,
                   n.res_partner_id AS recipient_id,
                   COALESCE(rp.commercial_partner_id, rp.id) AS partner_id,
                   rp.email AS email,
                   msg.subject AS subject,
                   msg.date AS date,
                   mm.scheduled_date AS scheduled_date,
                   CASE n.notification_status
                        WHEN 'bounce' THEN 'bounced'
                        WHEN 'exception' THEN 'failed'
                        ELSE 'stuck' END AS problem,
                   n.failure_type AS failure_type,
                   COALESCE(n.failure_reason, mm.failure_reason) AS failure_reason,
                   msg.model AS model,
                   msg.res_id AS res_id,
                   COALESCE(msg.record_company_id, rp.company_id) AS company_id
              FROM mail_notification n
              JOIN mail_message msg ON msg.id = n.mail_message_id
              JOIN res_partner rp ON rp.id = n.res_partner_id
         LEFT JOIN mail_mail mm ON mm.id = n.mail_mail_id
             WHERE msg.gentle_mail_kind IS NOT NULL
               AND n.notification_type = 'email'
               -- the customer's copy, not an internal follower's
               AND NOT EXISTS (SELECT 1 FROM res_users u
                                WHERE u.partner_id = n.res_partner_id
                                  AND NOT u.share)
               AND (n.notification_status IN ('exception', 'bounce')
                    OR (n.notification_status IN ('ready', 'process', 'pending')
                        AND mm.state = 'outgoing'
                        AND COALESCE(mm.scheduled_date, mm.create_date)
                            < (now() AT TIME ZONE 'UTC')
                              - make_interval(mins => %(stuck)s)))
            """,
            stuck=STUCK_AFTER_MINUTES,
        )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def _gentle_notifications(self):
        """The notifications behind those of these rows that still need a human,
        with elevated rights: mails and notifications are the mail system's,
        the rows are the user's view of them."""
        still = self.search([("id", "in", self.ids)])
        return self.env["mail.notification"].sudo().browse(still.ids)

    def action_retry(self):
        """Send again: a failed or bounced email is notified afresh to its
        recipient's current address (fix it on the customer first); a stuck one
        is handed to the mail server now. Follow-up emails are checked again
        before they go (paid, on hold, window closed: see mail.mail)."""
        notifications = self._gentle_notifications()
        if not notifications:
            raise UserError(
                self.env._("Nothing to retry: these emails were already handled.")
            )
        # Queued again, so that the check before sending applies to them.
        self._gentle_followups(notifications.mail_message_id).filtered(
            lambda a: a.state == "failed"
        )._gentle_engine_write({"state": "queued", "error_message": False})
        failed = notifications.filtered(
            lambda n: n.notification_status in ("exception", "bounce")
        )
        for message in failed.mail_message_id:
            resend = (
                self.env["mail.resend.message"]
                .sudo()
                .with_context(mail_message_to_resend=message.id)
                .create({})
            )
            resend.partner_ids.filtered(
                lambda p, f=failed: p.notification_id in f
            ).action_resend()
        stuck = (notifications - failed).mail_mail_id.filtered(
            lambda m: m.state == "outgoing"
        )
        if stuck:
            stuck.send(raise_exception=False)
        self._gentle_sync_followups(notifications.mail_message_id)
        return True

    def action_cancel(self):
        """Do not send these: their notifications are cancelled, a queued mail
        too; a follow-up is recorded as skipped and what it listed is released,
        so the next run reminds of what is still due, worded afresh."""
        notifications = self._gentle_notifications()
        if not notifications:
            raise UserError(
                self.env._("Nothing to cancel: these emails were already handled.")
            )
        reason = self.env._("Cancelled by %(user)s.", user=self.env.user.name)
        notifications.mail_mail_id.filtered(
            lambda m: m.state in ("outgoing", "exception")
        ).write({"state": "cancel", "failure_reason": reason})
        notifications.write(
            {"notification_status": "canceled", "failure_reason": reason}
        )
        messages = notifications.mail_message_id
        messages._notify_message_notification_update()
        actions = self._gentle_followups(messages).filtered(
            lambda a: a.state in ("queued", "failed")
        )
        if actions:
            self.env["gentle.followup.engine"].sudo()._gentle_set_aside(
                dict.fromkeys(actions, []), cancelled=True
            )
        return True

    @api.model
    def _gentle_followups(self, messages):
        return (
            self.env["gentle.followup.action"]
            .sudo()
            .search(
                [("mail_message_id", "in", messages.ids), ("channel", "=", "email")]
            )
        )

    @api.model
    def _gentle_sync_followups(self, messages):
        self._gentle_followups(messages)._sync_mail_state()
