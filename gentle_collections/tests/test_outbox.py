"""Collections → Outbox: every Collections email that failed, bounced or is
stuck, with its address and error, Retry and Cancel.

Failures are real: Odoo's mail server record points at a port of 127.0.0.1
where nothing listens (the connection is refused), then at the small SMTP
server of the delivery test; only the test-mode guard of Odoo's mail stack is
lifted while mail goes out.
"""

import email
import socket
import threading
from datetime import timedelta
from email import policy
from unittest.mock import patch

from odoo import modules
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import RUN_NOW, GentleFollowupCommon, create_gentle_users
from .test_delivery_e2e import BOUNCE, _SmtpSink


def _closed_port():
    """A port of 127.0.0.1 where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@tagged("post_install", "-at_install")
class TestGentleOutbox(GentleFollowupCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alias_domain = cls.env["mail.alias.domain"].create(
            {
                "name": "outbox.example.com",
                "catchall_alias": "replies",
                "bounce_alias": "bounce",
            }
        )
        cls.company.write(
            {"email": "ar@outbox.example.com", "alias_domain_id": cls.alias_domain.id}
        )
        cls.users = create_gentle_users(cls.env, cls.company)
        cls.collector = cls.users["accountant"]
        cls.invoice = cls._gentle_invoice(
            cls.customer,
            RUN_NOW.date() - timedelta(days=40),
            RUN_NOW.date() - timedelta(days=20),
        )

    def setUp(self):
        super().setUp()
        self.env["ir.mail_server"].search([]).active = False
        self.server = self.env["ir.mail_server"].create(
            {
                "name": "Nowhere",
                "smtp_host": "127.0.0.1",
                "smtp_port": _closed_port(),
                "smtp_encryption": "none",
                "from_filter": "outbox.example.com",
            }
        )

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    def _sink(self):
        """Start an SMTP server and point Odoo's mail server at it."""
        sink = _SmtpSink()
        thread = threading.Thread(target=sink.serve_forever, daemon=True)
        thread.start()
        self.addCleanup(thread.join, 5)
        self.addCleanup(sink.server_close)
        self.addCleanup(sink.shutdown)
        self.server.smtp_port = sink.server_address[1]
        return sink

    def _really(self):
        """Lift Odoo's test-mode guard: mail goes over SMTP."""
        return patch.object(modules.module, "current_test", False)

    def _process_queue(self):
        mails = self.env["mail.mail"].sudo().search([("state", "=", "outgoing")])
        with self._really():
            mails.send()

    def _outbox(self, user=None):
        return self.env["gentle.outbox"].with_user(user or self.collector).search([])

    def _remind(self):
        """The scheduled follow-up emails the customer; returns its action."""
        email_action, _trap = self.assert_followup_sends()
        return email_action

    def _db_now(self):
        self.env.cr.execute("SELECT now() AT TIME ZONE 'UTC'")
        return self.env.cr.fetchone()[0]

    # ------------------------------------------------------------------
    # Failed
    # ------------------------------------------------------------------

    def test_failed_reminder_is_listed_then_retried(self):
        action = self._remind()
        self.assertFalse(self._outbox(), "nothing failed yet")
        self._process_queue()
        action.invalidate_recordset()
        self.assertEqual(action.state, "failed")

        row = self._outbox()
        self.assertEqual(len(row), 1, "the customer's copy only")
        self.assertEqual(row.partner_id, self.customer)
        self.assertEqual(row.email, "ann.customer@example.com")
        self.assertEqual(row.kind, "follow_up")
        self.assertEqual(row.problem, "failed")
        self.assertEqual(row.message_id, action.mail_message_id)
        self.assertTrue(row.failure_reason, "the error is shown")
        self.assertEqual(self.customer.with_user(self.collector).gentle_outbox_count, 1)

        # The address was wrong: fixed, then retried by the collector.
        self.customer.email = "ann.payables@example.com"
        sink = self._sink()
        with self._really():
            row.action_retry()
        self.assertEqual(
            [item["to"] for item in sink.delivered], [["<ann.payables@example.com>"]]
        )
        delivered = email.message_from_bytes(
            sink.delivered[0]["data"], policy=policy.default
        )
        self.assertEqual(delivered["Subject"], action.mail_message_id.subject)
        self.assertFalse(self._outbox(), "the outbox is empty again")
        action.invalidate_recordset()
        self.assertEqual(action.state, "sent")
        self.assertEqual(self.customer.with_user(self.collector).gentle_outbox_count, 0)

    def test_retry_of_a_reminder_paid_since_sends_nothing(self):
        action = self._remind()
        self._process_queue()
        self.pay(self.invoice, date=RUN_NOW.date())
        sink = self._sink()
        with self._really():
            self._outbox().action_retry()
        self.assertFalse(sink.delivered, "a paid invoice is not reminded of")
        action.invalidate_recordset()
        self.assertEqual(action.state, "skipped")
        self.assertIn("paid", action.error_message)

    def test_cancel_records_and_the_next_run_reminds_afresh(self):
        action = self._remind()
        self._process_queue()
        self._outbox().action_cancel()
        self.assertFalse(self._outbox())
        action.invalidate_recordset()
        self.assertEqual(action.state, "skipped")
        self.assertIn("Alice Accountant", action.error_message)
        notes = self.customer.message_ids.filtered(
            lambda m: "cancelled by Alice Accountant from the outbox" in (m.body or "")
        )
        self.assertEqual(len(notes), 1)
        # What the cancelled reminder listed is due again, the next day.
        self.assert_followup_sends(now=RUN_NOW + timedelta(days=1))

    def test_nothing_to_retry_or_cancel_is_said(self):
        self._remind()
        self._process_queue()
        row = self._outbox()
        row.action_cancel()
        with self.assertRaisesRegex(UserError, "already handled"):
            row.action_retry()
        with self.assertRaisesRegex(UserError, "already handled"):
            row.action_cancel()

    # ------------------------------------------------------------------
    # Stuck
    # ------------------------------------------------------------------

    def test_stuck_after_an_hour_in_the_queue(self):
        action = self._remind()
        mail = (
            self.env["mail.mail"]
            .sudo()
            .search([("mail_message_id", "=", action.mail_message_id.id)])
        )
        mail = mail.filtered(lambda m: self.customer in m.recipient_ids)
        now = self._db_now()
        mail.scheduled_date = now - timedelta(minutes=59)
        self.assertFalse(self._outbox(), "59 minutes: not stuck yet")
        mail.scheduled_date = now - timedelta(minutes=61)
        row = self._outbox()
        self.assertEqual(row.problem, "stuck")
        self.assertEqual(row.mail_id, mail)
        sink = self._sink()
        with self._really():
            row.action_retry()
        self.assertEqual(len(sink.delivered), 1)
        self.assertFalse(self._outbox())

    # ------------------------------------------------------------------
    # Other kinds, bounces
    # ------------------------------------------------------------------

    def test_case_acknowledgement_failure_is_listed(self):
        # Acknowledgements go out at once: over the refused connection.
        with self._really():
            self.env["gentle.collection.case"].create(
                {
                    "subject": "Which order is this?",
                    "partner_id": self.customer.id,
                    "source": "portal",
                    "category_id": self.env.ref(
                        "gentle_collections.gentle_case_category_payment_question"
                    ).id,
                    "move_ids": [(6, 0, self.invoice.ids)],
                }
            )
        row = self._outbox()
        self.assertEqual(row.kind, "case_ack")
        self.assertEqual(row.email, "ann.customer@example.com")
        self.assertEqual(row.problem, "failed")

    def test_bounce_is_listed_and_shown_on_the_customer(self):
        self._remind()
        sink = self._sink()
        self._process_queue()
        delivered = {
            to: email.message_from_bytes(item["data"], policy=policy.default)
            for item in sink.delivered
            for to in item["to"]
        }
        reminder = delivered["<ann.customer@example.com>"]
        self.assertFalse(self._outbox())
        self.env["mail.thread"].message_process(
            False,
            BOUNCE
            % {
                "to": "ann.customer@example.com",
                "message_id": reminder["Message-Id"],
                "sender": reminder["From"],
            },
        )
        row = self._outbox()
        self.assertEqual(row.problem, "bounced")
        self.assertEqual(row.partner_id, self.customer)
        customer = self.customer.with_user(self.collector)
        self.assertEqual(customer.message_bounce, 1)
        self.assertEqual(customer.gentle_outbox_count, 1)
        action = customer.action_gentle_outbox()
        self.assertEqual(
            self.env["gentle.outbox"]
            .with_user(self.collector)
            .search(action["domain"]),
            row,
        )

    def test_other_emails_are_not_the_outbox(self):
        with self._really():
            self.customer.message_post(
                body="About your order",
                partner_ids=self.customer.ids,
                subtype_xmlid="mail.mt_comment",
            )
        failed = self.env["mail.notification"].search(
            [
                ("res_partner_id", "=", self.customer.id),
                ("notification_status", "=", "exception"),
            ]
        )
        self.assertTrue(failed, "the email did fail")
        self.assertFalse(self._outbox(), "but it is not a Collections email")

    # ------------------------------------------------------------------
    # Access
    # ------------------------------------------------------------------

    def test_rights(self):
        self._remind()
        self._process_queue()
        self.assertEqual(len(self._outbox()), 1)
        other_company = self.env["res.company"].create({"name": "Other Outbox Co"})
        outsider = new_test_user(
            self.env,
            login="outbox_outsider",
            groups="base.group_user,gentle_collections.group_gentle_user",
            company_id=other_company.id,
            company_ids=[other_company.id],
        )
        self.assertFalse(self._outbox(outsider), "another company's outbox")
        with self.assertRaises(AccessError):
            self._outbox(self.users["salesman"])
