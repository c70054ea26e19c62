from collections import defaultdict

from markupsafe import Markup

from odoo import Command, models
from odoo.tools import SQL, clean_context, split_every

# Odoo's message_post looks this many earlier messages up for the References of
# an email, and keeps three of them.
REFERENCES_LOOKUP = 32
REFERENCES_KEPT = 3


class MailThread(models.AbstractModel):
    """``message_post(..., gentle_mail_kind=...)`` marks a Collections email;
    :meth:`_gentle_post_batch` posts many emails, each on its own record, as
    ``message_post`` would one by one but in a few queries."""

    _inherit = "mail.thread"

    def _get_message_create_valid_field_names(self):
        return super()._get_message_create_valid_field_names() | {"gentle_mail_kind"}

    def _gentle_post_batch(
        self, values_list, subtype_xmlid="mail.mt_comment", **notify_kwargs
    ):
        """Post one comment on each record of ``self`` and email it, as
        ``record.message_post(**values)`` would for each ``values`` of
        ``values_list`` (in the order of ``self``), with the same message, the
        same followers, the same ``mail.mail`` and ``mail.notification`` rows;
        but the messages, their emails and their notifications are each created
        in one batch, and the lookups message_post makes per record (thread
        parent, references, followers) are one query for all.

        Each ``values`` holds ``body`` (Markup; with ``gentle_body_sanitized``
        when the caller sanitized it already, as the chatter does),
        ``subject``, ``partner_ids``, ``attachment_ids`` (existing
        attachments), and any ``mail.message`` field (``author_id``,
        ``email_from``, ``reply_to``, ``gentle_mail_kind``,
        ``record_company_id``). ``notify_kwargs`` are
        those of ``_notify_thread`` (``email_layout_xmlid``,
        ``force_email_company``: one for all); emails are queued, never sent
        at once.

        :returns: the messages, in the order of ``self``
        :rtype: mail.message
        """
        if not self:
            return self.env["mail.message"]
        self = self._fallback_lang()
        subtype_id = self.env["ir.model.data"]._xmlid_to_res_id(subtype_xmlid)
        message_type = "comment"
        layout = notify_kwargs.pop("email_layout_xmlid", False)
        alias_domains = self.sudo()._mail_get_alias_domains(
            default_company=self.env.company
        )
        companies = self._mail_get_companies(default=self.env.company)
        parents = self._gentle_thread_parents()
        msg_values_list = []
        sanitized_bodies = []
        for record, values in zip(self, values_list, strict=True):
            values = dict(values)
            sanitized_bodies.append(values.pop("gentle_body_sanitized", False))
            attachment_ids = values.pop("attachment_ids", None) or []
            author_id, email_from = record._message_compute_author(
                values.pop("author_id", None),
                values.pop("email_from", None),
                raise_on_email=True,
            )
            msg_values = {
                "email_add_signature": True,
                "record_name": record.sudo().display_name,
                "author_id": author_id,
                "author_guest_id": False,
                "email_from": email_from,
                "model": record._name,
                "res_id": record.id,
                "message_type": message_type,
                "parent_id": parents.get(record.id, False),
                "subtype_id": subtype_id,
                "record_alias_domain_id": alias_domains[record.id].id,
                "record_company_id": companies[record.id].id,
                **values,
                "body": Markup(values.get("body") or ""),
                "subject": values.get("subject") or False,
                "partner_ids": list(values.get("partner_ids") or []),
                "attachment_ids": [Command.link(aid) for aid in attachment_ids],
            }
            if layout:
                msg_values["email_layout_xmlid"] = layout
            msg_values_list.append(msg_values)
        self._gentle_fill_reply_to(msg_values_list)
        self._gentle_move_pending_attachments(msg_values_list)
        messages = self._gentle_create_messages(msg_values_list, sanitized_bodies)
        self._gentle_subscribe_authors(msg_values_list)
        for record, message, msg_values in zip(
            self, messages, msg_values_list, strict=True
        ):
            record._message_post_after_hook(message, msg_values)
        self._gentle_notify_batch(messages, msg_values_list, **notify_kwargs)
        return messages

    def _gentle_fill_reply_to(self, msg_values_list):
        """The reply-to message_post computes when none is given: per sender,
        for all their records at once."""
        missing = defaultdict(list)
        for record, msg_values in zip(self, msg_values_list, strict=True):
            if "reply_to" not in msg_values:
                missing[msg_values["email_from"]].append(record.id)
        for email_from, ids in missing.items():
            reply_tos = self.browse(ids)._notify_get_reply_to(default=email_from)
            for record, msg_values in zip(self, msg_values_list, strict=True):
                if record.id in reply_tos and "reply_to" not in msg_values:
                    msg_values["reply_to"] = reply_tos[record.id]

    def _gentle_create_messages(self, msg_values_list, sanitized_bodies):
        """Create the messages in one batch. A body the caller sanitized
        already (as the chatter does) is stored as it is, in one query, rather
        than sanitized once more by the ORM: unless it holds inline images,
        which the message turns into attachments."""
        kept = {}
        for index, msg_values in enumerate(msg_values_list):
            body = msg_values["body"]
            if sanitized_bodies[index] and body and "data:" not in body:
                kept[index] = body
        messages = self._message_create(
            [
                dict(values, body="") if index in kept else values
                for index, values in enumerate(msg_values_list)
            ]
        )
        if kept:
            self.env.execute_query(
                SQL(
                    """UPDATE mail_message m SET body = v.body
                         FROM unnest(%s::int[], %s::text[]) AS v(id, body)
                        WHERE m.id = v.id""",
                    [messages[index].id for index in kept],
                    [str(body) for body in kept.values()],
                )
            )
            messages.invalidate_recordset(["body"])
        return messages

    def _gentle_subscribe_authors(self, msg_values_list):
        """As message_post: the user posting follows the records, to get
        replies; a user no longer active (OdooBot, who runs the scheduled
        actions) posts on behalf of the author, who follows instead."""
        if self.env.context.get("mail_create_nosubscribe"):
            return
        if self.env.user.active:
            self._message_subscribe(partner_ids=self.env.user.partner_id.ids)
            return
        by_author = defaultdict(list)
        for record, msg_values in zip(self, msg_values_list, strict=True):
            if msg_values["author_id"]:
                by_author[msg_values["author_id"]].append(record.id)
        authors = self.env["res.partner"].browse(list(by_author))
        for author in authors.filtered("active"):
            self.browse(by_author[author.id])._message_subscribe(partner_ids=author.ids)

    def _gentle_log_notes(self, bodies):
        """Log ``{record id: body}`` as notes, as ``_message_log_batch`` does,
        each distinct body sanitized once rather than once per note: the
        follow-up writes the same few notes on hundreds of invoices.

        :returns: the notes (sudo)
        """
        if not bodies:
            return self.env["mail.message"].sudo()
        Message = self.env["mail.message"]
        body_field = Message._fields["body"]
        sanitized = {}
        for body in bodies.values():
            if body not in sanitized:
                sanitized[body] = body_field.convert_to_cache(body, Message) or ""
        records = self.browse(list(bodies))
        notes = records._message_log_batch(bodies=dict.fromkeys(bodies, ""))
        self.env.execute_query(
            SQL(
                """UPDATE mail_message m SET body = v.body
                     FROM unnest(%s::int[], %s::text[]) AS v(id, body)
                    WHERE m.id = v.id""",
                notes.ids,
                [str(sanitized[bodies[note.res_id]]) for note in notes],
            )
        )
        notes.invalidate_recordset(["body"])
        return notes

    def _gentle_thread_parents(self):
        """``{record id: id of its first message}``: the parent message_post
        gives a new message of a flat thread, in one query."""
        if not self._mail_flat_thread:
            return {}
        self.env["mail.message"].flush_model(["model", "res_id", "message_type"])
        rows = self.env.execute_query(
            SQL(
                """SELECT DISTINCT ON (res_id) res_id, id
                     FROM mail_message
                    WHERE model = %s AND res_id = ANY(%s)
                      AND message_type != 'user_notification'
                    ORDER BY res_id, id""",
                self._name,
                self.ids,
            )
        )
        return dict(rows)

    def _gentle_move_pending_attachments(self, msg_values_list):
        """Attachments still on a composer (copies made for the email) move to
        the record of their message, as message_post moves them."""
        attachment_ids = {
            command[1]
            for values in msg_values_list
            for command in values["attachment_ids"]
        }
        if not attachment_ids:
            return
        pending = (
            self.env["ir.attachment"]
            .sudo()
            .browse(attachment_ids)
            .filtered(
                lambda a: (
                    a.res_model in ("mail.compose.message", "mail.scheduled.message")
                    and a.create_uid.id == self.env.uid
                )
            )
        )
        if not pending:
            return
        owners = {
            command[1]: (values["model"], values["res_id"])
            for values in msg_values_list
            for command in values["attachment_ids"]
        }
        for attachment in pending:
            model, res_id = owners[attachment.id]
            attachment.write({"res_model": model, "res_id": res_id})

    def _gentle_references(self, messages):
        """``{message: References header}`` as message_post computes it: up to
        three earlier messages of the record (public discussions first), then
        the message itself; one query for all."""
        messages = messages.sudo()
        self.env["mail.message"].flush_model()
        rows = self.env.execute_query(
            SQL(
                """SELECT res_id, message_id, is_internal,
                          COALESCE(internal, FALSE), message_type, id
                     FROM (
                        SELECT msg.res_id, msg.message_id, msg.is_internal,
                               st.internal, msg.message_type, msg.id,
                               row_number() OVER (
                                   PARTITION BY msg.res_id ORDER BY msg.id DESC
                               ) AS rank
                          FROM mail_message msg
                          JOIN mail_message_subtype st ON st.id = msg.subtype_id
                         WHERE msg.model = %s AND msg.res_id = ANY(%s)
                           AND msg.id != ALL(%s)
                           AND msg.message_id IS NOT NULL
                     ) earlier
                    WHERE rank <= %s""",
                self._name,
                self.ids,
                messages.ids,
                REFERENCES_LOOKUP,
            )
        )
        earlier = defaultdict(list)
        outgoing_types = ("comment", "auto_comment", "email", "email_outgoing")
        for res_id, message_id, internal, st_internal, mtype, mid in rows:
            key = (
                not internal and not st_internal,
                mtype in outgoing_types,
                mtype != "user_notification",
            )
            earlier[res_id].append((key, mid, message_id))
        references = {}
        for message in messages:
            # Odoo's order: by id descending, then stably by preference.
            ranked = sorted(earlier[message.res_id], key=lambda r: -r[1])
            ranked = sorted(ranked, key=lambda r: r[0], reverse=True)
            kept = sorted(ranked[:REFERENCES_KEPT], key=lambda r: r[1])
            references[message] = " ".join([r[2] for r in kept] + [message.message_id])
        return references

    def _gentle_notify_batch(self, messages, msg_values_list, **notify_kwargs):
        """Notify the recipients of ``messages`` (one per record of ``self``)
        as ``_notify_thread`` does, the rows created in one batch: the inbox of
        internal followers, and one email per message and language group."""
        pids = {pid for values in msg_values_list for pid in values["partner_ids"]}
        data = self.env["mail.followers"]._get_recipient_data(
            self, "comment", msg_values_list[0]["subtype_id"], list(pids)
        )
        real_author_id = self.env.user.partner_id.id if self.env.user.active else False
        references = self._gentle_references(messages)
        batch_size = (
            int(self.env["ir.config_parameter"].sudo().get_param("mail.batch_size"))
            or 50
        )
        mail_values_list = []
        notified = []
        for record, message, msg_values in zip(
            self, messages, msg_values_list, strict=True
        ):
            own = set(msg_values["partner_ids"])
            real_author = real_author_id or msg_values["author_id"]
            recipients = [
                pdata
                for pid, pdata in data[record.id].items()
                if (pdata["is_follower"] or pid in own)
                and pid != real_author
                and pdata["active"] is not False
            ]
            if not recipients:
                continue
            record = record._fallback_lang()
            inbox = [r for r in recipients if r["notif"] == "inbox"]
            if inbox:
                record._notify_thread_by_inbox(message, inbox, msg_vals=msg_values)
                record._notify_thread_by_web_push(message, inbox, msg_vals=msg_values)
            emails = [r for r in recipients if r["notif"] == "email"]
            if not emails:
                continue
            base = record._gentle_base_mail_values(message, references[message])
            msg_vals = {**msg_values, "tracking_value_ids": []}
            for (
                _lang,
                render_values,
                group,
            ) in record._notify_get_classified_recipients_iterator(
                message, emails, msg_vals=msg_vals, **notify_kwargs
            ):
                body = record._notify_by_email_render_layout(
                    message, group, msg_vals=msg_vals, render_values=render_values
                )
                for recipient_ids in split_every(batch_size, group.pop("recipients")):
                    mail_values_list.append(
                        record._notify_by_email_get_final_mail_values(
                            recipient_ids, base, additional_values={"body_html": body}
                        )
                    )
                    notified.append((message, recipient_ids))
        if not mail_values_list:
            return
        mails = (
            self.env["mail.mail"]
            .sudo()
            .with_context(clean_context(self.env.context))
            .create(mail_values_list)
        )
        self.env["mail.notification"].sudo().with_context(
            clean_context(self.env.context)
        ).create(
            [
                {
                    "author_id": message.author_id.id,
                    "is_read": True,
                    "mail_mail_id": mail.id,
                    "mail_message_id": message.id,
                    "notification_status": "ready",
                    "notification_type": "email",
                    "res_partner_id": pid,
                }
                for mail, (message, recipient_ids) in zip(mails, notified, strict=True)
                for pid in recipient_ids
            ]
        )

    def _gentle_base_mail_values(self, message, references):
        """The values every email of ``message`` shares, as
        ``_notify_by_email_get_base_mail_values`` makes them (its References
        computed in batch: :meth:`_gentle_references`)."""
        subject = message.subject or message.record_name
        values = {
            "mail_message_id": message.id,
            "references": references,
            "auto_delete": True,
        }
        if subject:
            subject = " ".join(subject.splitlines())
        if subject != message.subject:
            values["subject"] = subject
        headers = {}
        bounce = message.sudo().record_alias_domain_id.bounce_email
        if bounce:
            headers["Return-Path"] = bounce
        headers = self._notify_by_email_get_headers(headers=headers)
        if headers:
            values["headers"] = repr(headers)
        return values
