"""Tests of the shared test layer itself (``common.py``): its helpers must see
what they claim to see, or every test built on them proves nothing."""

from datetime import date, datetime

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import RUN_NOW, GentleFollowupCommon


@tagged("post_install", "-at_install")
class TestGentleTestLayer(GentleFollowupCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.held = cls._gentle_customer("Hal Held")
        cls.move = cls._gentle_invoice(
            cls.customer, date(2026, 10, 1), date(2026, 11, 7)
        )
        cls.held_move = cls._gentle_invoice(
            cls.held, date(2026, 10, 1), date(2026, 11, 7)
        )
        cls.held_move.gentle_hold_until = date(2026, 12, 31)

    def test_trap_sees_the_reminder_and_nothing_for_a_held_customer(self):
        with self.trap_followups() as trap:
            actions = self.run_followup()
        email = trap.assert_sent(self.customer)
        self.assertEqual(actions, trap.actions)
        self.assertEqual(email.move_ids, self.move)
        [message] = trap.messages(self.customer)
        self.assertEqual(message["channel"], "email")
        self.assertEqual(message["subject"], email.subject)
        self.assertIn(self.move.name, message["body"])
        self.assertEqual(message["recipients"], self.customer)
        self.assertEqual(message["emails"], [self.customer.email])
        trap.assert_nothing_sent(self.held)
        self.assertEqual(trap.messages(self.held), [])
        # The assertions fail when they should, or they would prove nothing.
        with self.assertRaises(AssertionError):
            trap.assert_nothing_sent(self.customer)
        with self.assertRaises(AssertionError):
            trap.assert_sent(self.held)
        with self.assertRaises(AssertionError):
            trap.assert_sent(self.customer, count=2)
        with self.assertRaises(AssertionError):
            trap.assert_sent(self.customer, channel="sms")

    def test_trap_sees_nothing_outside_its_block(self):
        self.run_followup()
        with self.trap_followups() as trap:
            self.assertFalse(self.run_followup())
        self.assertFalse(trap.actions)
        self.assertFalse(trap.customer_messages)
        trap.assert_nothing_sent(self.customer)

    def test_run_followup_is_the_scheduled_action(self):
        """It keeps to the contact window, like the hourly cron, and sends once
        a day; the hold ends on its date."""
        night = datetime(2026, 11, 10, 6, 0)  # 07:00 in Brussels
        with self.trap_followups() as trap:
            self.assertFalse(self.run_followup(now=night))
        trap.assert_nothing_sent(self.customer)
        with self.trap_followups() as trap:
            self.run_followup(now=RUN_NOW)
            self.run_followup(now=RUN_NOW.replace(hour=14))
        trap.assert_sent(self.customer, count=1)
        with self.trap_followups() as trap:
            self.run_followup(now=datetime(2027, 1, 4, 10, 0))
        trap.assert_sent(self.held)
        # Another company's actions are not returned when asked for one.
        self.assertFalse(
            self.run_followup(now=datetime(2027, 1, 5, 10, 0), company=self.company)
            - self.env["gentle.followup.action"].search(
                [("company_id", "=", self.company.id)]
            )
        )

    def test_pay_registers_a_real_payment(self):
        partial = self.pay(self.move, amount=400.0, date=date(2026, 11, 9))
        # Posted, in process until the bank statement matches it.
        self.assertIn(partial.state, ("in_process", "paid"))
        self.assertEqual(partial.date, date(2026, 11, 9))
        self.assertEqual(partial.amount, 400.0)
        self.assertEqual(self.move.payment_state, "partial")
        self.assertEqual(self.move.amount_residual, 600.0)
        self.pay(self.move)
        self.assertIn(self.move.payment_state, ("paid", "in_payment"))
        self.assertFalse(self.move.amount_residual)

    def test_assert_refused(self):
        email = self.run_followup().filtered(lambda a: a.channel == "email")
        user_env = self.env(user=self.env.ref("base.user_admin"))
        with self.assertRefused(
            UserError, records=email, message="cannot be changed"
        ) as caught:
            email.with_env(user_env).subject = "Rewritten"
        self.assertIn("Subject", str(caught.exception))
        self.assertNotEqual(email.subject, "Rewritten")
        # Not raised, or raised with another message: the assertion fails.
        with self.assertRaises(AssertionError):
            with self.assertRefused(UserError, records=email):
                pass
        with self.assertRaises(AssertionError):
            with self.assertRefused(UserError, records=email, message="no such text"):
                email.with_env(user_env).subject = "Rewritten"
