"""Issue 13 item 6: a reminder goes out through a real SMTP conversation and
the customer's reply comes back through Odoo's mail gateway.

The SMTP server is a small one of the standard library, started by the test on
127.0.0.1: it speaks enough SMTP (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP,
QUIT) to receive what Odoo's own ``ir.mail_server`` sends, and keeps each
delivered message as bytes. Only the test-mode guard of Odoo's mail stack is
lifted while the queue is processed; nothing of SMTP is mocked.
"""

import email
import socketserver
import threading
from datetime import date, datetime
from email import policy
from email.message import EmailMessage
from unittest.mock import patch
from urllib.parse import urlsplit

from freezegun import freeze_time
from lxml import html

from odoo import modules
from odoo.tests import HttpCase, tagged

from .common import GentleFollowupCommon

# A Tuesday, 11:00 in Brussels: inside the default 09:00-17:00 window.
RUN_NOW = datetime(2026, 3, 3, 10, 0)

BOUNCE = """From: MAILER-DAEMON <mailer-daemon@mx.example.com>
To: bounce@e2e.example.com
Subject: Undelivered Mail Returned to Sender
Message-ID: <gentle-e2e-bounce@mx.example.com>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
 boundary="gentle-bounce"

--gentle-bounce
Content-Type: text/plain

Your message could not be delivered to %(to)s.

--gentle-bounce
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; %(to)s
Action: failed
Status: 5.1.1

--gentle-bounce
Content-Type: text/rfc822-headers

Message-Id: %(message_id)s
From: %(sender)s
To: %(to)s
Subject: reminder

--gentle-bounce--
"""


class _SmtpHandler(socketserver.StreamRequestHandler):
    def reply(self, line):
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        envelope = {"from": None, "to": []}
        self.reply("220 gentle-sink ESMTP")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            command = line.decode("ascii", "replace").strip()
            verb = command[:4].upper()
            if verb == "EHLO":
                self.wfile.write(b"250-gentle-sink\r\n250 8BITMIME\r\n")
            elif verb == "HELO":
                self.reply("250 gentle-sink")
            elif verb == "MAIL":
                envelope = {"from": command[10:].strip(), "to": []}
                self.reply("250 OK")
            elif verb == "RCPT":
                envelope["to"].append(command[8:].strip())
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while True:
                    data = self.rfile.readline()
                    if not data or data == b".\r\n":
                        break
                    if data.startswith(b".."):
                        data = data[1:]
                    lines.append(data)
                self.server.delivered.append({**envelope, "data": b"".join(lines)})
                self.reply("250 OK: queued")
            elif verb in ("RSET", "NOOP"):
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")


class _SmtpSink(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _SmtpHandler)
        self.delivered = []


@tagged("post_install", "-at_install")
class TestGentleDeliveryE2E(GentleFollowupCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.env["ir.module.module"].search(
            [("name", "=", "gentle_collections")]
        )._update_translations(["fr_FR"])
        cls.alias_domain = cls.env["mail.alias.domain"].create(
            {
                "name": "e2e.example.com",
                "catchall_alias": "replies",
                "bounce_alias": "bounce",
            }
        )
        cls.company.write(
            {
                "name": "Gentle E2E Co",
                "email": "ar@e2e.example.com",
                "alias_domain_id": cls.alias_domain.id,
                "gentle_sender": "company",
            }
        )
        # Other companies of the database stay out of this run.
        cls.env["res.company"].search([("id", "!=", cls.company.id)]).write(
            {"gentle_go_live_date": date(2099, 1, 1)}
        )
        cls.customer_fr = cls._gentle_customer("Claire Client", lang="fr_FR")
        cls.invoice_en = cls._gentle_invoice(
            cls.customer, date(2026, 2, 1), date(2026, 2, 28)
        )
        cls.invoice_fr = cls._gentle_invoice(
            cls.customer_fr, date(2026, 2, 1), date(2026, 2, 28)
        )

    def setUp(self):
        super().setUp()
        self.sink = _SmtpSink()
        thread = threading.Thread(target=self.sink.serve_forever, daemon=True)
        thread.start()
        self.addCleanup(thread.join, 5)
        self.addCleanup(self.sink.server_close)
        self.addCleanup(self.sink.shutdown)
        self.env["ir.mail_server"].search([]).active = False
        self.env["ir.mail_server"].create(
            {
                "name": "Test SMTP sink",
                "smtp_host": "127.0.0.1",
                "smtp_port": self.sink.server_address[1],
                "smtp_encryption": "none",
                # The domain it may send for: without it Odoo sends as
                # notifications@<alias domain>, with the sender's name only.
                "from_filter": "e2e.example.com",
                "sequence": 1,
            }
        )

    def _deliver(self):
        """The scheduled follow-up, then Odoo's mail queue over SMTP."""
        with freeze_time(RUN_NOW):
            engine = self.env["gentle.followup.engine"].with_user(
                self.env.ref("base.user_root")
            )
            for _call in range(10):
                if engine._cron_followup(now=RUN_NOW) is None:
                    break
            mails = (
                self.env["mail.mail"]
                .sudo()
                .search(
                    [
                        ("model", "=", "res.partner"),
                        ("res_id", "in", (self.customer | self.customer_fr).ids),
                        ("state", "=", "outgoing"),
                    ]
                )
            )
            # The customers, and the internal follower of their records (the
            # user who created them) who gets a copy.
            customers = self.customer | self.customer_fr
            self.assertEqual(
                mails.filtered(lambda m: m.recipient_ids & customers).recipient_ids,
                customers,
            )
            messages = mails.mail_message_id
            with patch.object(modules.module, "current_test", False):
                mails.process_email_queue(ids=mails.ids)
        # Sent mails are deleted by Odoo; their notifications say "sent".
        notifications = self.env["mail.notification"].search(
            [
                ("mail_message_id", "in", messages.ids),
                ("res_partner_id", "in", customers.ids),
            ]
        )
        self.assertEqual(notifications.mapped("notification_status"), ["sent"] * 2)
        return {
            to: email.message_from_bytes(item["data"], policy=policy.default)
            for item in self.sink.delivered
            for to in item["to"]
        }

    @staticmethod
    def _address(header):
        (address,) = header.addresses
        return address.display_name, address.addr_spec

    def _links(self, message):
        body = message.get_body(("html",)).get_content()
        return [a.get("href") for a in html.fromstring(body).iter("a")]

    def _assert_opens(self, url):
        self.assertTrue(url.startswith("http"), url)
        parts = urlsplit(url)
        response = self.url_open(
            parts.path + (f"?{parts.query}" if parts.query else "")
        )
        self.assertEqual(response.status_code, 200, url)

    def test_reminders_delivered_then_reply_and_bounce(self):
        delivered = self._deliver()
        company_from = ("Gentle E2E Co", "ar@e2e.example.com")
        reply_to = ("Gentle E2E Co", "replies@e2e.example.com")
        # (the internal follower of the customers gets a copy too)
        self.assertLessEqual(
            {"<ann.customer@example.com>", "<claire.client@example.com>"},
            set(delivered),
        )
        english = delivered["<ann.customer@example.com>"]
        french = delivered["<claire.client@example.com>"]
        for message in (english, french):
            self.assertEqual(self._address(message["From"]), company_from)
            self.assertNotIn("OdooBot", message["From"])
            self.assertEqual(self._address(message["Reply-To"]), reply_to)
            self.assertTrue(message["Message-Id"])
            body = message.get_body(("html",)).get_content()
            self.assertIn("Gentle E2E Co", body)
            self.assertNotIn("Your Contact", body)
            limit = self.company.gentle_attachment_limit_mb * 1024 * 1024
            size = sum(len(part.get_content()) for part in message.iter_attachments())
            self.assertLessEqual(size, limit)
        self.assertIn("ann.customer@example.com", english["To"])
        self.assertIn("claire.client@example.com", french["To"])
        self.assertEqual(
            english["Subject"], "Gentle E2E Co: a friendly reminder about your invoices"
        )
        self.assertEqual(
            french["Subject"],
            "Gentle E2E Co\xa0: petit rappel concernant vos factures",
        )
        self.assertIn("Dear Ann Customer", english.get_body(("html",)).get_content())
        self.assertIn("Bonjour Claire Client", french.get_body(("html",)).get_content())

        # The links open the invoice and the statement on this server.
        links = self._links(english)
        invoice_links = [u for u in links if f"/my/invoices/{self.invoice_en.id}" in u]
        statement_links = [u for u in links if "/my/statement/" in u]
        self.assertTrue(invoice_links, links)
        self.assertTrue(statement_links, links)
        with freeze_time(RUN_NOW):
            self._assert_opens(invoice_links[0])
            self._assert_opens(statement_links[0])

        # The customer answers the reminder, to its Reply-To.
        reply = EmailMessage(policy=policy.SMTP)
        reply["From"] = "Ann Customer <ann.customer@example.com>"
        reply["To"] = english["Reply-To"]
        reply["Subject"] = f"Re: {english['Subject']}"
        reply["Message-ID"] = "<gentle-e2e-reply@example.com>"
        reply["In-Reply-To"] = english["Message-Id"]
        reply["References"] = english["Message-Id"]
        reply.set_content("Thanks, we will pay on 15 March.\n\nAnn")
        with freeze_time("2026-03-04 09:00:00"):
            thread_id = self.env["mail.thread"].message_process(False, reply.as_bytes())
        self.assertEqual(thread_id, self.customer.id)
        answer = self.customer.message_ids.filtered(
            lambda m: m.message_id == "<gentle-e2e-reply@example.com>"
        )
        self.assertEqual(len(answer), 1)
        activity = self.customer.activity_ids.filtered("gentle_reply_message_id")
        self.assertEqual(activity.gentle_reply_message_id, answer)
        self.assertEqual(activity.gentle_promise_date, date(2026, 3, 15))

        # A bounce of the French reminder marks the address.
        self.assertFalse(self.customer_fr.message_bounce)
        raw = BOUNCE % {
            "to": "claire.client@example.com",
            "message_id": french["Message-Id"],
            "sender": french["From"],
        }
        self.env["mail.thread"].message_process(False, raw)
        self.assertGreater(self.customer_fr.message_bounce, 0)
