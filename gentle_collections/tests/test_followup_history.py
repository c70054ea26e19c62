from datetime import date
from unittest.mock import patch

from psycopg2 import IntegrityError

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import RUN_DATE, GentleFollowupCommon


@tagged("post_install", "-at_install")
class TestFollowupHistory(GentleFollowupCommon):
    """Items 7 and 8: failed sends, retries, and the never-twice constraint."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.move = cls._gentle_invoice(
            cls.customer, date(2026, 10, 1), date(2026, 11, 7)
        )
        cls.line = cls._gentle_receivables(cls.move)

    def _send_queue(self, action, fail=False):
        mails = (
            self.env["mail.mail"]
            .sudo()
            .search([("mail_message_id", "=", action.mail_message_id.id)])
        )
        self.assertTrue(mails)
        if not fail:
            mails.send()
            return mails
        IrMailServer = type(self.env["ir.mail_server"])
        with (
            patch.object(
                IrMailServer,
                "send_email",
                side_effect=ConnectionRefusedError("SMTP server refused us"),
            ),
            mute_logger("odoo.addons.mail.models.mail_mail"),
        ):
            mails.send()
        return mails

    def _email_action(self):
        with self.trap_followups() as trap:
            self.run_followup()
        email = trap.assert_sent(self.customer)
        self.assertEqual(email.state, "queued")
        return email

    def test_sent_email_is_sent(self):
        email = self._email_action()
        self._send_queue(email)
        self.assertEqual(email.state, "sent")
        self.assertFalse(email.error_message)
        self.assertEqual(
            email.mail_message_id.notification_ids.mapped("notification_status"),
            ["sent"],
        )

    def test_failed_send_then_retry(self):
        email = self._email_action()
        history = self._gentle_history(self.move)
        self.assertEqual(len(history), 1)
        mails = self._send_queue(email, fail=True)
        self.assertEqual(mails.state, "exception")
        self.assertEqual(email.state, "failed")
        self.assertIn("SMTP server refused us", email.error_message)
        customer = self.customer.with_company(self.company)
        self.assertEqual(customer.gentle_failed_count, 1)
        # Never counted as sent: the line keeps its level (no second reminder
        # for it) but the action is failed, not sent.
        self.assertFalse(
            self.env["gentle.followup.action"].search_count(
                [("partner_id", "=", self.customer.id), ("state", "=", "sent")]
            )
        )
        with self.trap_followups() as trap:
            self.assertFalse(self.run_followup())
        trap.assert_nothing_sent(self.customer)
        # Retry: the same action and the same history row, queued again.
        email.action_retry()
        self.assertEqual(email.state, "queued")
        self.assertFalse(email.error_message)
        self.assertEqual(mails.state, "outgoing")
        self._send_queue(email)
        self.assertEqual(email.state, "sent")
        self.assertEqual(self._gentle_history(self.move), history)
        self.assertEqual(history.action_ids, email)
        self.assertEqual(
            self.env["gentle.followup.action"].search_count(
                [("partner_id", "=", self.customer.id), ("channel", "=", "email")]
            ),
            1,
        )
        customer.invalidate_recordset()
        self.assertEqual(customer.gentle_failed_count, 0)

    def test_bounce_marks_failed(self):
        email = self._email_action()
        email.mail_message_id.notification_ids.sudo().write(
            {"notification_status": "bounce", "failure_reason": "550 No such user"}
        )
        email._sync_mail_state()
        self.assertEqual(email.state, "failed")
        self.assertEqual(email.error_message, "550 No such user")

    @mute_logger("odoo.sql_db")
    def test_unique_line_level(self):
        self.run_followup()
        history = self._gentle_history(self.move)
        self.assertEqual(len(history), 1)
        with self.assertRaises(IntegrityError):
            with self.env.cr.savepoint():
                self.env["gentle.followup.history"].create(
                    {
                        "move_line_id": self.line.id,
                        "move_id": self.move.id,
                        "partner_id": self.customer.id,
                        "company_id": self.company.id,
                        "level_id": history.level_id.id,
                        "date": RUN_DATE,
                    }
                )
        self.assertEqual(self._gentle_history(self.move), history)
        # Another level for the same line is fine.
        self.env["gentle.followup.history"].create(
            {
                "move_line_id": self.line.id,
                "move_id": self.move.id,
                "partner_id": self.customer.id,
                "company_id": self.company.id,
                "level_id": self.levels[45].id,
                "day_offset": 45,
                "date": RUN_DATE,
            }
        )
        self.assertEqual(len(self._gentle_history(self.move)), 2)
        # The line is now past the last level: nothing more to do.
        self.assertEqual(self.line.gentle_last_level_id, self.levels[45])
        self.assertFalse(self.line.gentle_next_date)

    def test_recording_twice_keeps_one_row(self):
        """Recording the same prepared communication twice (a concurrent run)
        inserts nothing the second time and acts on nothing. The engine's
        prepare/execute interface on purpose: no public entry point records a
        communication prepared before (the wizard prepares again when sending)."""
        communications = self.engine._gentle_prepare(
            self.company, RUN_DATE, self.customer.ids
        )
        self.assertEqual(len(communications), 1)
        first = self.engine._gentle_execute(communications)
        self.assertTrue(first)
        again = self.engine._gentle_execute(communications)
        self.assertFalse(again)
        self.assertEqual(len(self._gentle_history(self.move)), 1)
