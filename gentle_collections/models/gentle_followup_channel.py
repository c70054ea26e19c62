"""The channels of the follow-up: how a recorded action reaches the customer.

The engine (``gentle.followup.engine``) decides what each customer receives and
records one ``gentle.followup.action`` per channel; this service carries each
queued action out on its channel: an email posted on the customer's chatter
(with the invoice PDFs already stored), an SMS, a letter to print and post, a
call or an activity for the collector.
"""

import logging

from markupsafe import Markup, escape

from odoo import api, models
from odoo.tools import split_every

from ..tools import contact_window, pdf_compress

_logger = logging.getLogger(__name__)

# Invoices rendered per report run when their PDFs are stored (as Odoo's Send).
PDF_BATCH = 80


class GentleFollowupChannel(models.AbstractModel):
    _name = "gentle.followup.channel"
    _description = "Follow-up Channels"

    # The layout of every customer email of Collections: the company's name and
    # logo at the top, the sender's signature at the foot.
    _gentle_layout = "gentle_collections.gentle_mail_layout"

    @api.model
    def _gentle_carry_out(self, actions):
        """Send or schedule queued actions (email, SMS, letter, activities),
        each channel in one batch."""
        handlers = {
            "email": self._gentle_send_emails,
            "sms": self._gentle_send_sms,
            "letter": self._gentle_prepare_letters,
            "call": self._gentle_schedule_calls,
            "activity": self._gentle_schedule_activities,
        }
        # The invoice PDFs the emails will attach, rendered at once for the
        # whole batch (one report run per 80 invoices), not one per email.
        self._gentle_store_invoice_pdfs(
            actions.filtered(
                lambda a: (
                    a.channel == "email" and a.company_id.gentle_attachment_limit_mb > 0
                )
            ).move_ids
        )
        by_channel = actions.grouped("channel")
        for channel, handler in handlers.items():
            if channel in by_channel:
                handler(by_channel[channel])

    @api.model
    def _gentle_recipients(self, action):
        """Who the email goes to: the recipients of its message (see
        ``gentle.followup.communication._gentle_recipients``). An action
        recorded before messages were saved goes to its invoices' contacts."""
        if action.communication_id:
            return action.communication_id._gentle_recipients()
        return action.move_ids.partner_id.filtered("email") or action.partner_id

    @api.model
    def _gentle_attachments(self, action):
        """The invoice PDFs to attach to ``action``'s email, and the invoices
        left out, ``(attachments, moves)``.

        Each invoice's stored PDF is used; one that has none gets it generated
        and stored once, as sending the invoice would (a reminder never renders
        a PDF again). When their total exceeds the company's limit, the largest
        are compressed first (``tools/pdf_compress``: copies attached to the
        message, the invoices keep theirs); what still does not fit is left out,
        in due-date order, for the message to link instead. A limit of 0
        attaches nothing."""
        moves = action.move_ids.sorted(lambda m: (m.invoice_date_due or m.date, m.name))
        limit = action.company_id.gentle_attachment_limit_mb * 1024 * 1024
        attachments = self.env["ir.attachment"]
        if limit <= 0 or not moves:
            return attachments, self.env["account.move"]
        self._gentle_store_invoice_pdfs(moves)
        pdfs = {move: move.sudo().invoice_pdf_report_id for move in moves}
        sizes = {move: pdf.file_size for move, pdf in pdfs.items() if pdf}
        compressed = {}
        total = sum(sizes.values())
        for move in sorted(sizes, key=sizes.get, reverse=True):
            if total <= limit:
                break
            data = pdf_compress.compress_pdf(pdfs[move].raw)
            if len(data) < sizes[move]:
                total -= sizes[move] - len(data)
                compressed[move] = data
                sizes[move] = len(data)
        left_out = self.env["account.move"]
        used = 0
        for move in moves:
            if move not in sizes:
                left_out |= move
                continue
            if used + sizes[move] > limit:
                left_out |= move
                continue
            used += sizes[move]
            if move in compressed:
                # A copy for the message; Odoo moves it onto the message's record.
                attachments |= (
                    self.env["ir.attachment"]
                    .sudo()
                    .create(
                        {
                            "name": pdfs[move].name,
                            "raw": compressed[move],
                            "mimetype": "application/pdf",
                            "res_model": "mail.compose.message",
                            "res_id": 0,
                        }
                    )
                )
            else:
                attachments |= pdfs[move]
        return attachments, left_out

    @api.model
    def _gentle_store_invoice_pdfs(self, moves):
        """Generate and store the PDF of the customer invoices and credit notes
        among ``moves`` that have none yet, as Odoo's *Send* does (once: it is
        kept on the invoice)."""
        missing = moves.sudo().filtered(
            lambda m: (
                m.state == "posted"
                and m.move_type in ("out_invoice", "out_refund")
                and not m.invoice_pdf_report_id
            )
        )
        if not missing:
            return
        # The follow-up's own note on the invoice says it was sent: no tracking
        # message for the "sent" flag Odoo sets with the PDF.
        missing = missing.with_context(tracking_disable=True)
        for company, company_moves in missing.grouped("company_id").items():
            for batch in split_every(PDF_BATCH, company_moves.with_company(company)):
                if self._gentle_render_invoice_pdfs(batch) or len(batch) == 1:
                    continue
                # Several at once failed: wkhtmltopdf without Odoo's patched
                # Qt renders one document per run (several give an empty file).
                for move in batch:
                    self._gentle_render_invoice_pdfs(move)

    @api.model
    def _gentle_render_invoice_pdfs(self, moves):
        """Render and store the PDFs of ``moves`` (invoices, a recordset or a
        tuple of them) in one report run; whether it
        worked. A failure changes nothing: an invoice without its PDF is then
        linked in the email instead of attached (``_gentle_attachments``), and
        the next run tries again."""
        sender = self.env["account.move.send"].sudo()
        data = {
            move: {"pdf_report": sender._get_default_pdf_report_id(move)}
            for move in moves
        }
        try:
            with self.env.cr.savepoint():
                sender._prepare_invoice_pdf_report(data)
                sender._link_invoice_documents(data)
        except Exception as error:  # noqa: BLE001 - a report engine failure
            _logger.warning(
                "Collections: the PDF of %s could not be rendered (%s); "
                "the email links the invoice instead.",
                ", ".join(move.name for move in moves),
                error,
            )
            self.env.invalidate_all()
            return False
        return True

    @api.model
    def _gentle_left_out_note(self, action, moves):
        """A paragraph, in the customer's language, linking the invoices whose
        PDF could not be attached."""
        if not moves:
            return Markup()
        env = self.with_context(lang=action.partner_id.lang).env
        links = Markup(", ").join(
            Markup('<a href="%s">%s</a>') % (move.get_portal_url(), move.name)
            for move in moves
        )
        # Translated first, then the links put in (escaped text, trusted links).
        text = env._(
            "Not attached, to keep this email small enough for your mailbox: "
            "%(invoices)s – open them online."
        )
        return Markup("<p>%s</p>") % (escape(text) % {"invoices": links})

    @api.model
    def _gentle_send_emails(self, actions):
        """Post each email on its customer's chatter and queue it, all in one
        batch (``mail.thread._gentle_post_batch``): the message, its email and
        its notifications as ``message_post`` makes them."""
        wordless = actions.filtered(lambda a: not a.body_html)
        for action in wordless:
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
        actions -= wordless
        for company, company_actions in actions.grouped("company_id").items():
            values_list = []
            for action in company_actions:
                recipients = self._gentle_recipients(action)
                attachments, left_out = self._gentle_attachments(action)
                if company.gentle_attachment_limit_mb > 0:
                    # The agreements confirmed: their PDF, rendered once per plan.
                    for plan in action.agreed_plan_ids:
                        attachments |= plan._gentle_agreement_pdf()
                values_list.append(
                    {
                        # The engine's rendering, sanitized when it was
                        # stored on the action, and a note of escaped words.
                        "body": Markup(action.body_html)
                        + self._gentle_left_out_note(action, left_out),
                        "gentle_body_sanitized": True,
                        "subject": action.subject,
                        "partner_ids": recipients.ids,
                        "attachment_ids": attachments.ids,
                        "gentle_mail_kind": "follow_up",
                        "record_company_id": company.id,
                        **company._gentle_collections_sender(action.partner_id),
                    }
                )
            partners = self.env["res.partner"].concat(
                *(action.partner_id for action in company_actions)
            )
            if len(set(partners.ids)) != len(partners):
                # A customer with two emails in one batch: one post each.
                messages = self.env["mail.message"].concat(
                    *(
                        self._gentle_post_emails(
                            self._gentle_chatter(action.partner_id), [values], company
                        )
                        for action, values in zip(
                            company_actions, values_list, strict=True
                        )
                    )
                )
            else:
                messages = self._gentle_post_emails(
                    self._gentle_chatter(partners), values_list, company
                )
            for action, message in zip(company_actions, messages, strict=True):
                action._gentle_engine_write(
                    {"mail_message_id": message.id, "state": "queued"}
                )
        actions._sync_mail_state()

    @api.model
    def _gentle_post_emails(self, chatters, values_list, company):
        """Post ``values_list`` on ``chatters`` (one each) in the Collections
        layout, queued."""
        return chatters.with_context(
            mail_post_autofollow=False, mail_notify_force_send=False
        )._gentle_post_batch(
            values_list,
            email_layout_xmlid=self._gentle_layout,
            force_email_company=company,
        )

    @api.model
    def _gentle_send_one_sms(self, action):
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
    def _gentle_send_sms(self, actions):
        for action in actions:
            self._gentle_send_one_sms(action)

    @api.model
    def _gentle_prepare_letters(self, actions):
        """Print each letter and file it on the customer's chatter, with an
        activity to post it."""
        report = self.env.ref("gentle_collections.gentle_followup_letter_report")
        vals_list = []
        for action in actions:
            pdf, _fmt = self.env["ir.actions.report"]._render_qweb_pdf(
                report, action.ids
            )
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
            vals_list.append(
                {
                    "activity_type_id": self.env.ref("mail.mail_activity_data_todo").id,
                    "summary": self.env._("Print and post the follow-up letter"),
                    "note": self.env._(
                        "The letter is attached to the customer's chatter: %(name)s",
                        name=attachment.name,
                    ),
                }
            )
        self._gentle_schedule(actions, vals_list)

    @api.model
    def _gentle_schedule_calls(self, actions):
        call_type = self.env.ref("mail.mail_activity_data_call")
        vals_list = [
            {
                "activity_type_id": call_type.id,
                "summary": self.env._(
                    "Follow-up call: %(level)s", level=action.level_id.name
                ),
                "note": self.env._(
                    "Call to talk about invoices %(moves)s (%(amount)s due). Ask "
                    "whether anything stands in the way of payment and offer help: "
                    "a copy of the invoice, a payment plan.",
                    moves=", ".join(action.move_ids.mapped("name")),
                    amount=action.currency_id.format(action.amount_due),
                ),
            }
            for action in actions
        ]
        self._gentle_schedule(actions, vals_list)

    @api.model
    def _gentle_schedule_activities(self, actions):
        vals_list = []
        for action in actions:
            levels = action.history_ids.level_id.filtered("create_activity")
            level = levels[:1] or action.level_id
            activity_type = level.activity_type_id
            if not activity_type or activity_type.res_model not in (
                False,
                "res.partner",
            ):
                # As activity_schedule: a type for another model is not used.
                activity_type = self.env["res.partner"]._default_activity_type()
            vals_list.append(
                {
                    "activity_type_id": activity_type.id,
                    "summary": level.name or activity_type.summary,
                    "note": level.activity_note or activity_type.default_note,
                }
            )
        self._gentle_schedule(actions, vals_list)

    @api.model
    def _gentle_schedule(self, actions, vals_list):
        """Create the activity of each action on its customer's chatter, all in
        one batch, assigned to the action's responsible, due on its date.

        Without the "assigned to you" email Odoo sends for each activity one
        person gives another: these are the follow-up's own, scheduled by the
        hundred for the same collectors, who find them in their activities (the
        counter is updated at once) and on the Collections call list."""
        model_id = self.env["ir.model"]._get_id("res.partner")
        Type = self.env["mail.activity.type"]
        for action, vals in zip(actions, vals_list, strict=True):
            activity_type = Type.browse(vals["activity_type_id"])
            vals.update(
                {
                    "automated": True,
                    "date_deadline": action.date,
                    "res_model_id": model_id,
                    "res_id": self._gentle_chatter(action.partner_id).id,
                    # As activity_schedule: the type's default user, else the
                    # user running the follow-up.
                    "user_id": action.responsible_id.id
                    or activity_type.default_user_id.id
                    or self.env.uid,
                }
            )
        # On the customer's chatter, as the follow-up (see _gentle_chatter).
        activities = (
            self.env["mail.activity"]
            .sudo()
            .with_context(mail_activity_quick_update=True)
            .create(vals_list)
        )
        for action, activity in zip(actions, activities, strict=True):
            action._gentle_engine_write({"activity_id": activity.id, "state": "sent"})

    @api.model
    def _gentle_recheck(self, actions, now):
        """What stands in the way of sending these queued email actions at
        ``now`` (UTC), in words: ``{action: [changes]}`` for those that must not
        go out. An invoice paid or put on hold, a recalled discount ended (the
        sources' ``_gentle_approval_changes``); a newer reminder of the same
        invoice queued or sent since; the customer's contact window closed
        (the mail waited past the window it was meant for)."""
        engine = self.env["gentle.followup.engine"]
        changed = {}
        newer = (
            self.env["gentle.followup.action"].search(
                [
                    ("channel", "=", "email"),
                    ("state", "in", ("queued", "sent")),
                    ("move_ids", "in", actions.move_ids.ids),
                    ("id", "not in", actions.ids),
                ]
            )
            | actions
        )
        for action in actions:
            company = action.company_id
            changes = engine.with_company(company)._gentle_approval_changes(action)
            later = newer.filtered(
                lambda a, action=action: (
                    a.id > action.id
                    and a.partner_id == action.partner_id
                    and a.move_ids & action.move_ids
                )
            )
            if later:
                changes.append(
                    self.env._(
                        "a newer reminder of %(invoices)s was queued",
                        invoices=", ".join(
                            (later.move_ids & action.move_ids).mapped("name")
                        ),
                    )
                )
            if self._gentle_window_passed(action, now):
                changes.append(
                    self.env._(
                        "the customer's contact window closed before it could go out"
                    )
                )
            if changes:
                changed[action] = changes
        return changed

    @api.model
    def _gentle_window_passed(self, action, now):
        """Whether ``action``, prepared inside its customer's contact window
        (by the scheduled run), waited past the end of that window. One sent
        by hand outside the window was meant to go at once."""
        engine = self.env["gentle.followup.engine"]
        company = action.company_id
        window = engine._gentle_window(company)
        tz = engine._gentle_customer_tz(action.partner_id, company)
        created = action.create_date
        if not created or now <= created:
            return False
        if not contact_window.is_open(window, tz, created):
            return False
        return contact_window.open_intervals(window, tz, created, now) != [
            (created, now)
        ]

    @api.model
    def _gentle_chatter(self, partner):
        """Where the channels write: the engine's customer chatter."""
        return self.env["gentle.followup.engine"]._gentle_chatter(partner)
