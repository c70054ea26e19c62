from datetime import date, datetime

from freezegun import freeze_time

from odoo.tests import tagged

from .common import RUN_NOW, GentleFollowupCommon


@tagged("post_install", "-at_install")
class TestFollowupDeliveryRecheck(GentleFollowupCommon):
    """Issue 13, item 2: a follow-up email still in the outgoing queue is
    checked once more when Odoo's mail queue sends it: paid, on hold,
    superseded by a newer reminder, or kept past its contact window, it is
    cancelled and recorded as such; otherwise it goes out."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Due 7 November: the first reminder (3 days) is due on 10 November.
        cls.move = cls._gentle_invoice(
            cls.customer, date(2026, 10, 1), date(2026, 11, 7), amount=500.0
        )

    def _queue(self, now=RUN_NOW):
        with freeze_time(now):
            email = self._gentle_run(now=now)["actions"].filtered(
                lambda a: a.channel == "email"
            )
        self.assertEqual(email.state, "queued")
        return email, self._mail(email)

    def _mail(self, email):
        mail = (
            self.env["mail.mail"]
            .sudo()
            .search([("mail_message_id", "=", email.mail_message_id.id)])
        )
        self.assertEqual(len(mail), 1)
        return mail

    def _prepared_at(self, email, when):
        """The action as if the run had prepared it at ``when`` (UTC)."""
        email.flush_recordset()
        self.env.cr.execute(
            "UPDATE gentle_followup_action SET create_date = %s WHERE id = %s",
            (when, email.id),
        )
        email.invalidate_recordset(["create_date"])

    def _send(self, mail, now):
        with freeze_time(now):
            mail.send()
        self.env.invalidate_all()

    def _delivery(self, email, mail):
        """``cancel`` when held back (the mail stays, cancelled), else the
        action's delivery state (a sent mail is deleted by Odoo)."""
        if mail.exists() and mail.state == "cancel":
            return "cancel"
        return email.state

    def test_sent_when_nothing_changed(self):
        email, mail = self._queue()
        self._send(mail, datetime(2026, 11, 10, 10, 5))
        self.assertEqual(self._delivery(email, mail), "sent")

    def test_paid_while_queued_is_cancelled_and_released(self):
        email, mail = self._queue()
        self._gentle_pay(self.move, date(2026, 11, 10))
        self._send(mail, datetime(2026, 11, 10, 10, 5))
        self.assertEqual(mail.state, "cancel")
        self.assertIn("paid or settled", mail.failure_reason)
        self.assertEqual(email.state, "skipped")
        self.assertIn("paid or settled", email.error_message)
        self.assertFalse(email.history_ids.exists())
        note = self.customer.message_ids.filtered(
            lambda m: "not sent" in (m.body or "")
        )
        self.assertTrue(note)
        self.assertEqual(
            email.mail_message_id.notification_ids.mapped("notification_status"),
            ["canceled"],
        )

    def test_window_boundary(self):
        """Prepared at 16:59 in Brussels (window until 17:00): sent at 16:59:30,
        cancelled at 17:01, and cancelled the next morning too (it waited past
        its window); prepared at 16:00 and sent at 16:30 it goes out."""
        for prepared, sent_at, expected in (
            (
                datetime(2026, 11, 10, 15, 59),
                datetime(2026, 11, 10, 15, 59, 30),
                "sent",
            ),
            (datetime(2026, 11, 10, 15, 59), datetime(2026, 11, 10, 16, 1), "cancel"),
            (datetime(2026, 11, 10, 15, 59), datetime(2026, 11, 11, 9, 0), "cancel"),
            (datetime(2026, 11, 10, 15, 0), datetime(2026, 11, 10, 15, 30), "sent"),
        ):
            with self.subTest(prepared=prepared, sent_at=sent_at):
                email, mail = self._queue(prepared)
                self._prepared_at(email, prepared)
                self._send(mail, sent_at)
                self.assertEqual(self._delivery(email, mail), expected)
                if expected == "cancel":
                    self.assertIn("contact window closed", email.error_message)
                    # Released: the next run in the window reminds afresh.
                    self.assertFalse(email.history_ids.exists())
                else:
                    self.assertEqual(email.history_ids.move_id, self.move)
                    email.history_ids.sudo().unlink()

    def test_sent_by_hand_outside_the_window_goes_out(self):
        email, mail = self._queue()
        # "Follow up now" at 20:00 in Brussels: meant to go at once.
        self._prepared_at(email, datetime(2026, 11, 10, 19, 0))
        self._send(mail, datetime(2026, 11, 10, 19, 5))
        self.assertEqual(self._delivery(email, mail), "sent")

    def test_superseded_by_a_newer_reminder(self):
        first, first_mail = self._queue(datetime(2026, 11, 10, 10, 0))
        # Stuck in the outbox; the 15-day level is due on 22 November.
        second, second_mail = self._queue(datetime(2026, 11, 23, 10, 0))
        self.assertNotEqual(first.level_id, second.level_id)
        self._prepared_at(first, datetime(2026, 11, 10, 10, 0))
        self._prepared_at(second, datetime(2026, 11, 23, 10, 0))
        self._send(first_mail | second_mail, datetime(2026, 11, 23, 10, 5))
        self.assertEqual(self._delivery(first, first_mail), "cancel")
        self.assertIn("newer reminder", first.error_message)
        self.assertIn(self.move.name, first.error_message)
        self.assertEqual(self._delivery(second, second_mail), "sent")
