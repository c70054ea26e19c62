"""The channels of the follow-up: how a recorded action reaches the customer.

The engine (``gentle.followup.engine``) decides what each customer receives and
records one ``gentle.followup.action`` per channel; this service carries each
queued action out on its channel: an email posted on the customer's chatter
(with the invoice PDFs already stored), an SMS, a letter to print and post, a
call or an activity for the collector.
"""

from markupsafe import Markup, escape

from odoo import api, models


class GentleFollowupChannel(models.AbstractModel):
    _name = "gentle.followup.channel"
    _description = "Follow-up Channels"

    # The layout of every customer email of Collections: the company's name and
    # logo at the top, the sender's signature at the foot.
    _gentle_layout = "gentle_collections.gentle_mail_layout"

    @api.model
    def _gentle_carry_out(self, actions):
        """Send or schedule queued actions (email, SMS, letter, activities)."""
        handlers = {
            "email": self._gentle_send_email,
            "sms": self._gentle_send_sms,
            "letter": self._gentle_prepare_letter,
            "call": self._gentle_schedule_call,
            "activity": self._gentle_schedule_activity,
        }
        for action in actions:
            handlers[action.channel](action)

    @api.model
    def _gentle_recipients(self, action):
        """Who the email goes to: the first source's contacts with an email
        address (the invoices' contacts), else the customer itself."""
        for source in self.env["gentle.followup.engine"]._gentle_sources():
            contacts = source._gentle_recipients(action)
            if contacts:
                return contacts
        return action.partner_id

    @api.model
    def _gentle_attachments(self, action):
        """The invoice PDFs to attach to ``action``'s email: those already stored
        on the invoices (a reminder never renders a PDF), in invoice order, while
        their total stays within the company's limit."""
        limit = action.company_id.gentle_attachment_limit_mb * 1024 * 1024
        attachments = self.env["ir.attachment"]
        total = 0
        for move in action.move_ids.sorted(lambda m: (m.invoice_date_due, m.name)):
            pdf = move.sudo().invoice_pdf_report_id
            if not pdf:
                continue
            if total + pdf.file_size > limit:
                break
            total += pdf.file_size
            attachments |= pdf
        return attachments

    @api.model
    def _gentle_send_email(self, action):
        if not action.body_html:
            action._gentle_engine_write(
                {
                    "state": "failed",
                    "error_message": self.env._(
                        "The policy %(policy)s has no wording for the tone %(tone)s: "
                        "add an email template to the policy, then retry.",
                        policy=action.policy_id.display_name,
                        tone=action.tone,
                    ),
                }
            )
            return
        recipients = self._gentle_recipients(action)
        attachments = self._gentle_attachments(action)
        company = action.company_id
        message = (
            self._gentle_chatter(action.partner_id)
            .with_context(mail_post_autofollow=False, mail_notify_force_send=False)
            .message_post(
                body=Markup(action.body_html),
                subject=action.subject,
                partner_ids=recipients.ids,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
                email_layout_xmlid=self._gentle_layout,
                force_email_company=company,
                attachment_ids=attachments.ids,
                **company._gentle_collections_sender(action.partner_id),
            )
        )
        action._gentle_engine_write({"mail_message_id": message.id, "state": "queued"})
        action._sync_mail_state()

    @api.model
    def _gentle_send_sms(self, action):
        text = self.env._(
            "%(company)s: a friendly reminder that %(amount)s is due on your "
            "account. Reply or call us if anything is unclear.",
            company=action.company_id.name,
            amount=action.currency_id.format(action.amount_due),
        )
        message = self._gentle_chatter(action.partner_id)._message_sms(
            text, partner_ids=action.partner_id.ids
        )
        action._gentle_engine_write(
            {"mail_message_id": message.id, "body_html": escape(text)}
        )
        action._sync_mail_state()

    @api.model
    def _gentle_prepare_letter(self, action):
        report = self.env.ref("gentle_collections.gentle_followup_letter_report")
        pdf, _fmt = self.env["ir.actions.report"]._render_qweb_pdf(report, action.ids)
        # On the customer's chatter, as the follow-up (see _gentle_chatter).
        attachment = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": self.env._(
                        "Follow-up letter - %(partner)s.pdf",
                        partner=action.partner_id.display_name,
                    ),
                    "raw": pdf,
                    "res_model": "res.partner",
                    "res_id": action.partner_id.id,
                    "mimetype": "application/pdf",
                }
            )
        )
        activity = self._gentle_chatter(action.partner_id).activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=action.date,
            summary=self.env._("Print and post the follow-up letter"),
            note=self.env._(
                "The letter is attached to the customer's chatter: %(name)s",
                name=attachment.name,
            ),
            user_id=action.responsible_id.id,
        )
        action._gentle_engine_write({"activity_id": activity.id, "state": "sent"})

    @api.model
    def _gentle_schedule_call(self, action):
        moves = ", ".join(action.move_ids.mapped("name"))
        activity = self._gentle_chatter(action.partner_id).activity_schedule(
            "mail.mail_activity_data_call",
            date_deadline=action.date,
            summary=self.env._("Follow-up call: %(level)s", level=action.level_id.name),
            note=self.env._(
                "Call to talk about invoices %(moves)s (%(amount)s due). Ask whether "
                "anything stands in the way of payment and offer help: a copy of the "
                "invoice, a payment plan.",
                moves=moves,
                amount=action.currency_id.format(action.amount_due),
            ),
            user_id=action.responsible_id.id,
        )
        action._gentle_engine_write({"activity_id": activity.id, "state": "sent"})

    @api.model
    def _gentle_schedule_activity(self, action):
        levels = action.history_ids.level_id.filtered("create_activity")
        level = levels[:1] or action.level_id
        activity = self._gentle_chatter(action.partner_id).activity_schedule(
            activity_type_id=level.activity_type_id.id,
            date_deadline=action.date,
            summary=level.name,
            note=level.activity_note or "",
            user_id=action.responsible_id.id,
        )
        action._gentle_engine_write({"activity_id": activity.id, "state": "sent"})

    @api.model
    def _gentle_chatter(self, partner):
        """Where the channels write: the engine's customer chatter."""
        return self.env["gentle.followup.engine"]._gentle_chatter(partner)
