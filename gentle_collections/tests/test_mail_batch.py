from markupsafe import Markup

from odoo.tests import new_test_user, tagged

from .common import GentleFollowupCommon


@tagged("post_install", "-at_install")
class TestGentleMailBatch(GentleFollowupCommon):
    """Issue 16 item 3: the follow-up posts its emails in one batch
    (``mail.thread._gentle_post_batch``); each message, its email and its
    notifications are those ``message_post`` makes one by one."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"name": "Batch Mail Co", "email": "ar@batch.example.com"})
        cls.env["mail.alias.domain"].create(
            {"name": "batch.example.com", "catchall_alias": "replies"}
        )
        cls.watcher = new_test_user(
            cls.env,
            login="batch_watcher",
            name="Wanda Watcher",
            email="wanda@batch.example.com",
            groups="base.group_user",
            notification_type="inbox",
        )
        cls.outsider = cls.env["res.partner"].create(
            {"name": "Otto Outsider", "email": "otto@example.com"}
        )
        cls.customers = cls.env["res.partner"].concat(
            *(cls._gentle_customer(f"Batch {name}") for name in ("A", "B", "C", "D"))
        )
        # An earlier exchange on one customer: the new email threads on it.
        cls.customers[0].message_post(
            body=Markup("<p>Earlier</p>"),
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        for customer in cls.customers:
            # An internal follower (notified in Odoo) and an external one (by email).
            customer.message_subscribe(
                partner_ids=(cls.watcher.partner_id | cls.outsider).ids
            )

    def _values(self, customer, attachment):
        return {
            "body": Markup("<p>Dear %s, a reminder.</p>") % customer.name,
            "subject": f"Reminder for {customer.name}",
            "partner_ids": customer.ids,
            "attachment_ids": attachment.ids,
            "gentle_mail_kind": "follow_up",
            "record_company_id": self.company.id,
            **self.company._gentle_collections_sender(customer),
        }

    def _attachment(self, customer):
        return self.env["ir.attachment"].create(
            {
                "name": f"{customer.name}.pdf",
                "raw": b"%PDF-1.4 test",
                "res_model": "mail.compose.message",
                "res_id": 0,
            }
        )

    def _snapshot(self, message):
        """What a customer and the outbox see of ``message``."""
        mails = (
            self.env["mail.mail"].sudo().search([("mail_message_id", "=", message.id)])
        )
        notifications = message.notification_ids.sudo()
        return {
            "message": {
                name: message[name]
                for name in (
                    "author_id",
                    "email_from",
                    "reply_to",
                    "message_type",
                    "subtype_id",
                    "model",
                    "res_id",
                    "record_name",
                    "record_company_id",
                    "record_alias_domain_id",
                    "gentle_mail_kind",
                    "email_layout_xmlid",
                    "email_add_signature",
                    "is_internal",
                    "partner_ids",
                )
            }
            | {
                "parent": bool(message.parent_id),
                "attachments": message.attachment_ids.mapped(
                    lambda a: (a.name, a.res_model, a.res_id)
                ),
            },
            "mails": sorted(
                (
                    mail.subject or message.subject,
                    mail.email_from,
                    mail.reply_to,
                    mail.state,
                    mail.auto_delete,
                    tuple(mail.recipient_ids.ids),
                    mail.headers,
                    len(mail.references.split()),
                    "a reminder" in (mail.body_html or ""),
                )
                for mail in mails
            ),
            "notifications": sorted(
                (n.res_partner_id.id, n.notification_type, n.notification_status)
                for n in notifications
            ),
            "followers": sorted(
                message.env[message.model]
                .browse(message.res_id)
                .message_follower_ids.partner_id.ids
            ),
        }

    def test_batch_post_is_message_post(self):
        channel = self.env["gentle.followup.channel"]
        one_by_one = self.customers[:2]
        batched = self.customers[2:]
        expected = []
        for customer in one_by_one:
            message = (
                customer.sudo()
                .with_context(mail_post_autofollow=False, mail_notify_force_send=False)
                .message_post(
                    message_type="comment",
                    subtype_xmlid="mail.mt_comment",
                    email_layout_xmlid=channel._gentle_layout,
                    force_email_company=self.company,
                    **self._values(customer, self._attachment(customer)),
                )
            )
            expected.append(self._snapshot(message))
        messages = channel._gentle_post_emails(
            batched.sudo(),
            [self._values(c, self._attachment(c)) for c in batched],
            self.company,
        )
        self.assertEqual(messages.mapped("res_id"), batched.ids)
        got = [self._snapshot(message) for message in messages]

        def neutral(snapshot, customer):
            """The snapshot with what differs by customer put aside."""
            data = dict(snapshot)
            data["message"] = dict(data["message"], res_id=0, record_name="")
            data["message"]["partner_ids"] = (
                data["message"]["partner_ids"] - customer
            ).ids
            data["message"]["attachments"] = len(data["message"]["attachments"])
            data["mails"] = [
                (
                    subject.replace(customer.name, "X"),
                    *rest[:4],
                    tuple(pid if pid != customer.id else 0 for pid in rest[4]),
                    (rest[5] or "").replace(str(customer.id), "X"),
                    *rest[6:],
                )
                for subject, *rest in data["mails"]
            ]
            data["notifications"] = [
                (pid if pid != customer.id else 0, *rest)
                for pid, *rest in data["notifications"]
            ]
            data["followers"] = [p for p in data["followers"] if p != customer.id]
            return data

        # The first customers have no earlier message, like the batched ones
        # but the first, which threads on its "Earlier" message.
        self.assertEqual(
            neutral(got[0], batched[0]), neutral(expected[1], one_by_one[1])
        )
        self.assertEqual(
            neutral(got[1], batched[1]), neutral(expected[1], one_by_one[1])
        )
        # Each attachment moved onto its own customer, as message_post does.
        for message, customer in zip(messages, batched, strict=True):
            self.assertEqual(
                message.attachment_ids.mapped(lambda a: (a.res_model, a.res_id)),
                [("res.partner", customer.id)],
            )
        # The customer and the external follower by email, the watcher in Odoo.
        self.assertEqual(
            sorted(got[0]["notifications"]),
            sorted(
                [
                    (batched[0].id, "email", "ready"),
                    (self.outsider.id, "email", "ready"),
                    (self.watcher.partner_id.id, "inbox", "sent"),
                ]
            ),
        )

    def test_batch_threads_and_references(self):
        """A message on a record with earlier messages threads under the first
        one and references them, as message_post."""
        channel = self.env["gentle.followup.channel"]
        customer = self.customers[0]
        first = customer.message_ids.sorted("id")[:1]
        earlier = customer.message_ids.filtered("subtype_id").sorted("id")
        message = channel._gentle_post_emails(
            customer.sudo(),
            [self._values(customer, self._attachment(customer))],
            self.company,
        )
        # Contacts are not flat threads: a new email starts its own thread
        # there, as message_post's; on a flat thread it goes under the first.
        self.assertEqual(
            message.parent_id, first if customer._mail_flat_thread else first[:0]
        )
        mail = (
            self.env["mail.mail"]
            .sudo()
            .search([("mail_message_id", "=", message.id)], limit=1)
        )
        references = mail.references.split()
        self.assertEqual(references[-1], message.message_id)
        self.assertEqual(references[:-1], earlier[-3:].mapped("message_id"))

    def test_posted_by_odoobot_the_author_follows(self):
        """The scheduled action runs as OdooBot, an inactive user: as with
        message_post, the author of the email (the company) follows the
        customer instead of OdooBot."""
        channel = self.env["gentle.followup.channel"]
        root = self.env.ref("base.user_root")
        one, other = self.customers[:2]
        one.with_user(root).sudo().with_context(
            mail_post_autofollow=False, mail_notify_force_send=False
        ).message_post(
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            **self._values(one, self._attachment(one)),
        )
        channel.with_user(root)._gentle_post_emails(
            other.with_user(root).sudo(),
            [self._values(other, self._attachment(other))],
            self.company,
        )
        author = self.company.partner_id
        for customer in (one, other):
            self.assertIn(author, customer.message_follower_ids.partner_id)
            self.assertNotIn(root.partner_id, customer.message_follower_ids.partner_id)
