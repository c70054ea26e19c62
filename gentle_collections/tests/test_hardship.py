from datetime import date

from freezegun import freeze_time

from odoo.tests import tagged

from .common import RUN_DATE, RUN_NOW, GentleFollowupCommon

PLAN_SENTENCE = "payment plan in instalments"


@tagged("post_install", "-at_install")
class TestGentleHardship(GentleFollowupCommon):
    """Issue 6 item 5: hardship mode softens the follow-up for a while."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Let a late invoice start at the level for its age (firm at 30 days).
        cls.policy.catch_up_max_tone = "final"
        cls.other = cls._gentle_customer("Bob Steady")

    def _sent(self, partner, now=RUN_NOW):
        """Run the follow-up; the email ``partner`` was sent and its message."""
        with self.trap_followups() as trap:
            self.run_followup(now=now)
        email = trap.assert_sent(partner)
        [message] = trap.messages(partner)
        return email, message

    def test_hardship_caps_the_tone_at_neutral(self):
        """35 days late: the firm level. In hardship, a neutral message offering a
        payment plan; the other customer gets the firm one."""
        for partner in (self.customer, self.other):
            self._gentle_invoice(partner, date(2026, 9, 1), date(2026, 10, 6))
        with freeze_time(RUN_NOW):
            self.customer.action_gentle_hardship_on()
        with self.trap_followups() as trap:
            self.run_followup()
        firm = trap.assert_sent(self.other)
        self.assertEqual(firm.level_id, self.levels[30])
        self.assertEqual(firm.tone, "firm")
        [firm_message] = trap.messages(self.other)
        self.assertNotIn(PLAN_SENTENCE, firm_message["body"])
        soft = trap.assert_sent(self.customer)
        self.assertEqual(soft.level_id, self.levels[30])
        self.assertEqual(soft.tone, "neutral")
        [soft_message] = trap.messages(self.customer)
        neutral = self.policy._get_template("neutral")
        self.assertNotEqual(neutral, self.policy._get_template("firm"))
        self.assertEqual(
            soft_message["subject"],
            neutral._render_field("subject", soft.communication_id.ids)[
                soft.communication_id.id
            ],
        )
        self.assertIn(PLAN_SENTENCE, soft_message["body"])

    def test_friendly_level_stays_friendly(self):
        self._gentle_invoice(self.customer, date(2026, 10, 1), date(2026, 11, 7))
        with freeze_time(RUN_NOW):
            self.customer.action_gentle_hardship_on()
        email, message = self._sent(self.customer)
        self.assertEqual(email.tone, "friendly")
        self.assertIn(PLAN_SENTENCE, message["body"])

    def test_hardship_on_and_off_logged_on_chatter(self):
        contact = self.env["res.partner"].create(
            {"name": "Ann's Accountant", "parent_id": self.customer.id}
        )
        with freeze_time(RUN_NOW):
            contact.action_gentle_hardship_on()
            self.assertEqual(self.customer.gentle_hardship_until, date(2027, 2, 8))
            self.assertTrue(self.customer.gentle_hardship)
            self.assertTrue(contact.gentle_hardship)
            self.assertIn(
                self.customer,
                self.env["res.partner"].search([("gentle_hardship", "=", True)]),
            )
            note = self.customer.message_ids[:1]
            self.assertIn("Hardship mode on until", str(note.body))
            self.assertIn("02/08/2027", str(note.body))
            self.customer.action_gentle_hardship_off()
            self.assertFalse(self.customer.gentle_hardship_until)
            self.customer.invalidate_recordset(["gentle_hardship"])
            self.assertFalse(self.customer.gentle_hardship)
            self.assertIn("Hardship mode off", str(self.customer.message_ids[:1].body))

    def test_hardship_ends_after_its_date(self):
        self._gentle_invoice(self.customer, date(2026, 9, 1), date(2026, 10, 6))
        with freeze_time(RUN_NOW):
            self.customer.action_gentle_hardship_on(until=RUN_DATE)
            self.assertTrue(self.customer.gentle_hardship)
        with freeze_time(date(2026, 11, 11)):
            self.customer.invalidate_recordset(["gentle_hardship"])
            self.assertFalse(self.customer.gentle_hardship)
            self.assertNotIn(
                self.customer,
                self.env["res.partner"].search([("gentle_hardship", "=", True)]),
            )
        # The next day's run is firm again.
        email, message = self._sent(self.customer, now=RUN_NOW.replace(day=11))
        self.assertEqual(email.tone, "firm")
        self.assertNotIn(PLAN_SENTENCE, message["body"])
