from odoo import fields, models


class MailMail(models.Model):
    """Delivery results flow back into the follow-up history; a follow-up
    email is checked once more just before it goes out."""

    _inherit = "mail.mail"

    def _send(
        self,
        auto_commit=False,
        raise_exception=False,
        smtp_session=None,
        alias_domain_id=False,
        mail_server=False,
        post_send_callback=None,
    ):
        held = self._gentle_hold_back()
        return super(MailMail, self - held)._send(
            auto_commit=auto_commit,
            raise_exception=raise_exception,
            smtp_session=smtp_session,
            alias_domain_id=alias_domain_id,
            mail_server=mail_server,
            post_send_callback=post_send_callback,
        )

    def _gentle_hold_back(self):
        """The follow-up emails among these that must not go out any more
        (paid, on hold, superseded, window closed: see
        ``gentle.followup.channel._gentle_recheck``): cancelled, and their
        actions set aside with the reason. Returns them."""
        mails = self.filtered(lambda m: m.state == "outgoing" and m.mail_message_id)
        if not mails:
            return self.browse()
        actions = (
            self.env["gentle.followup.action"]
            .sudo()
            .search(
                [
                    ("mail_message_id", "in", mails.mail_message_id.ids),
                    ("channel", "=", "email"),
                    ("state", "=", "queued"),
                ]
            )
        )
        if not actions:
            return self.browse()
        changed = (
            self.env["gentle.followup.channel"]
            .sudo()
            ._gentle_recheck(actions, fields.Datetime.now())
        )
        if not changed:
            return self.browse()
        self.env["gentle.followup.engine"].sudo()._gentle_set_aside(changed)
        held = self.browse()
        for action, changes in changed.items():
            mail = mails.filtered(
                lambda m, a=action: m.mail_message_id == a.mail_message_id
            )
            reason = self.env._(
                "Follow-up not sent: %(changes)s.", changes="; ".join(changes)
            )
            mail.write({"state": "cancel", "failure_reason": reason})
            self.env["mail.notification"].sudo().search(
                [("mail_mail_id", "in", mail.ids)]
            ).write({"notification_status": "canceled", "failure_reason": reason})
            held |= mail
        return held

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
