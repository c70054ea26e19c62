from datetime import date

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged
from odoo.tools import SQL

from .common import GentleFollowupCommon, create_gentle_users, gentle_start_tour

PAYLOAD = '<p>Hello</p><img src="x" onerror="window.top.__gentle_xss=1">'


@tagged("post_install", "-at_install")
class TestFollowupHostileInput(GentleFollowupCommon):
    """Issue 11, item 1: message bodies are the engine's, sanitized; users can
    neither write them on an action nor on a "Follow up now" preview."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = create_gentle_users(cls.env, cls.company)
        cls.collector = cls.users["accountant"]
        cls.move = cls._gentle_invoice(
            cls.customer, date(2026, 10, 1), date(2026, 11, 7)
        )

    def _email_action(self):
        with self.trap_followups() as trap:
            self.run_followup()
        return trap.assert_sent(self.customer)

    def test_collector_cannot_write_the_message(self):
        action = self._email_action()
        body = action.body_html
        as_collector = action.with_user(self.collector)
        for values in (
            {"body_html": PAYLOAD},
            {"subject": "Pay now"},
            {"state": "queued"},
            {"history_ids": [(5, 0, 0)]},
            {"move_ids": [(5, 0, 0)]},
            {"mail_message_id": False},
        ):
            with self.assertRefused(
                UserError,
                records=[action, action.mail_message_id],
                message="Use Approve",
            ):
                as_collector.write(values)
        action.invalidate_recordset()
        self.assertEqual(action.body_html, body)
        self.assertEqual(action.state, "queued")
        self.assertTrue(action.history_ids)
        # What a collector may do: hand the action to someone else.
        as_collector.write({"responsible_id": self.collector.id})
        self.assertEqual(action.responsible_id, self.collector)

    def test_collector_cannot_create_an_action(self):
        Action = self.env["gentle.followup.action"].with_user(self.collector)
        with self.assertRefused(
            UserError,
            models=["gentle.followup.action", "mail.message"],
            message="recorded by the follow-up itself",
        ):
            Action.create(
                {
                    "partner_id": self.customer.id,
                    "company_id": self.company.id,
                    "channel": "email",
                    "state": "awaiting_approval",
                    "body_html": PAYLOAD,
                }
            )
        self.assertFalse(
            self.env["gentle.followup.action"].search(
                [("partner_id", "=", self.customer.id)]
            )
        )

    def test_engine_writes_are_sanitized(self):
        action = self._email_action()
        action.sudo().write({"body_html": PAYLOAD})
        self.assertIn("Hello", action.body_html)
        self.assertIn("<img", action.body_html)
        self.assertNotIn("onerror", action.body_html)

    def test_collector_cannot_approve(self):
        action = self._email_action()
        action.sudo().write({"state": "awaiting_approval"})
        with (
            self.trap_followups() as trap,
            self.assertRefused(
                AccessError, records=action, models=["gentle.followup.history"]
            ),
        ):
            action.with_user(self.collector).action_approve()
        self.assertEqual(action.state, "awaiting_approval")
        trap.assert_nothing_sent(self.customer)
        manager = self.users["manager"]
        with self.trap_followups() as trap:
            action.with_user(manager).action_skip()
        self.assertEqual(action.state, "skipped")
        trap.assert_nothing_sent(self.customer)

    @freeze_time("2026-11-10 10:00:00")
    def test_collector_cannot_write_a_preview(self):
        wizard = (
            self.customer.with_user(self.collector)
            .with_company(self.company)
            .action_gentle_followup_now()
        )
        wizard = (
            self.env["gentle.followup.send"]
            .with_user(self.collector)
            .browse(wizard["res_id"])
        )
        preview = wizard.communication_ids
        self.assertEqual(len(preview), 1)
        body = preview.body_html
        # The preview is the engine's draft message: collectors read it only.
        with self.assertRefused(AccessError, records=preview):
            preview.write({"body_html": PAYLOAD})
        with self.assertRefused(UserError, records=[wizard, preview]):
            wizard.write(
                {"communication_ids": [(1, preview.id, {"body_html": PAYLOAD})]}
            )
        other = self._gentle_message(self.customer, date(2026, 11, 10))
        with self.assertRefused(UserError, records=[wizard]):
            wizard.write({"communication_ids": [(6, 0, other.ids)]})
        with self.assertRefused(
            UserError, models=["gentle.followup.send", "gentle.followup.communication"]
        ):
            self.env["gentle.followup.send"].with_user(self.collector).create(
                {
                    "partner_ids": [(6, 0, self.customer.ids)],
                    "communication_ids": [
                        (0, 0, {"partner_id": self.customer.id, "body_html": PAYLOAD})
                    ],
                }
            )
        with self.assertRefused(AccessError, models=["gentle.followup.communication"]):
            self.env["gentle.followup.communication"].with_user(self.collector).create(
                {
                    "partner_id": self.customer.id,
                    "company_id": self.company.id,
                    "date": date(2026, 11, 10),
                    "body_html": PAYLOAD,
                }
            )
        self.assertEqual(wizard.communication_ids, preview)
        preview.invalidate_recordset()
        self.assertEqual(preview.body_html, body)
        with self.trap_followups() as trap:
            wizard.action_send()
        email = trap.assert_sent(self.customer)
        self.assertEqual(email.body_html, body)
        [message] = trap.messages(self.customer)
        self.assertEqual(message["body"], body)
        self.assertNotIn("onerror", message["body"])


@tagged("post_install", "-at_install")
class TestFollowupXssTour(HttpCase):
    """Issue 11, item 1: an action whose body was stored unsanitized (legacy
    data) opens without running the script it holds."""

    def test_legacy_body_runs_no_script(self):
        company = self.env.ref("base.main_company")
        partner = self.env["res.partner"].create(
            {"name": "Gentle Legacy Customer", "is_company": True}
        )
        action = (
            self.env["gentle.followup.action"]
            .sudo()
            .create(
                {
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "channel": "email",
                    "state": "awaiting_approval",
                    "subject": "Legacy reminder",
                }
            )
        )
        # As stored before bodies were sanitized: straight in the database.
        self.env.cr.execute(
            SQL(
                "UPDATE gentle_followup_action SET body_html = %s WHERE id = %s",
                "<p>Legacy reminder</p>" + PAYLOAD,
                action.id,
            )
        )
        action.invalidate_recordset(["body_html"])
        self.assertIn("onerror", action.body_html)
        gentle_start_tour(
            self,
            f"/odoo/action-gentle_collections.gentle_followup_action_action/{action.id}",
            "gentle_followup_xss_tour",
            login="admin",
        )


@tagged("post_install", "-at_install")
class TestFollowupApprovalRecheck(GentleFollowupCommon):
    """Issue 11, item 10: approving sends what is still true, never what was
    rendered days ago about invoices paid or put on hold since."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy.catch_up_max_tone = "final"
        cls.move = cls._gentle_invoice(cls.customer, date(2026, 8, 1), date(2026, 9, 1))

    def _waiting(self):
        with self.trap_followups() as trap:
            actions = self.run_followup()
        waiting = actions.filtered(lambda a: a.state == "awaiting_approval")
        self.assertTrue(waiting)
        trap.assert_nothing_sent(self.customer)
        return waiting

    def test_paid_since_is_not_sent(self):
        waiting = self._waiting()
        email = waiting.filtered(lambda a: a.channel == "email")
        self.pay(self.move, date=date(2026, 11, 11))
        with freeze_time("2026-11-12"), self.trap_followups() as trap:
            result = email.action_approve()
        trap.assert_nothing_sent(self.customer)
        self.assertEqual(result["params"]["type"], "warning")
        self.assertIn(self.move.name, result["params"]["message"])
        # Neither the email nor the letter prepared with it goes out.
        self.assertEqual(set(waiting.mapped("state")), {"skipped"})
        self.assertFalse(waiting.mail_message_id)
        self.assertIn("paid or settled", email.error_message)
        # Released: nothing of this invoice is recorded as reminded any more.
        self.assertFalse(
            self.env["gentle.followup.history"].search([("move_id", "=", self.move.id)])
        )
        note = self.customer.message_ids.filtered(
            lambda m: "not sent" in (m.body or "")
        )
        self.assertTrue(note)

    def test_put_on_hold_since_is_not_sent_and_comes_back(self):
        waiting = self._waiting()
        email = waiting.filtered(lambda a: a.channel == "email")
        self.customer.gentle_paused = True
        with freeze_time("2026-11-12"), self.trap_followups() as trap:
            email.action_approve()
        trap.assert_nothing_sent(self.customer)
        self.assertEqual(email.state, "skipped")
        self.assertIn("on hold", email.error_message)
        self.assertFalse(email.mail_message_id)
        # Once the hold is lifted, the next run prepares a fresh reminder.
        self.customer.gentle_paused = False
        with self.trap_followups() as trap:
            again = self.run_followup()
        # Fresh, and again for approval (a final notice).
        self.assertEqual(
            set(trap.actions_of(self.customer, "email").mapped("state")),
            {"awaiting_approval"},
        )
        self.assertEqual(again.move_ids, self.move)

    def test_unchanged_is_sent(self):
        waiting = self._waiting()
        email = waiting.filtered(lambda a: a.channel == "email")
        body = email.body_html
        with freeze_time("2026-11-12"), self.trap_followups() as trap:
            self.assertTrue(email.action_approve())
        self.assertEqual(email.state, "queued")
        self.assertEqual(trap.assert_sent(self.customer), email)
        [message] = trap.messages(self.customer)
        self.assertEqual(message["body"], body)
