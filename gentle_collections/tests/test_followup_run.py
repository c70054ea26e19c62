from datetime import date, datetime

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .common import RUN_DATE, RUN_NOW, GentleFollowupCommon


@tagged("post_install", "-at_install")
class TestFollowupRun(GentleFollowupCommon):
    """Items 5, 7 and 10: what a run sends, records and asks approval for."""

    def _emails(self, actions):
        return actions.filtered(lambda a: a.channel == "email")

    def test_one_message_per_customer(self):
        """Three invoices at different levels: one email in the firmest tone,
        listing all of them; an invoice not yet due is not listed."""
        pre_due = self._gentle_invoice(
            self.customer, date(2026, 10, 20), date(2026, 11, 14), amount=100
        )
        late = self._gentle_invoice(
            self.customer, date(2026, 10, 1), date(2026, 11, 7), amount=200
        )
        later = self._gentle_invoice(
            self.customer, date(2026, 9, 1), date(2026, 10, 26), amount=300
        )
        not_yet = self._gentle_invoice(
            self.customer, date(2026, 10, 20), date(2026, 12, 31), amount=400
        )
        other = self._gentle_customer("Bob Other")
        other_move = self._gentle_invoice(
            other, date(2026, 10, 1), date(2026, 11, 7), amount=500
        )
        with self.trap_followups() as trap:
            actions = self.run_followup()
        self.assertEqual(actions.partner_id, self.customer | other)
        self.assertEqual(
            len(self._gentle_history(pre_due | late | later | other_move)), 4
        )
        emails = self._emails(actions)
        self.assertEqual(len(emails), 2)
        mine = trap.assert_sent(self.customer)
        trap.assert_sent(other)
        self.assertEqual(mine.move_ids, pre_due | late | later)
        # later is 15 days late: the neutral level is the firmest.
        self.assertEqual(mine.level_id, self.levels[15])
        self.assertEqual(mine.tone, "neutral")
        self.assertEqual(mine.state, "queued")
        self.assertEqual(mine.amount_due, 600.0)
        self.assertEqual(
            mine.subject,
            f"{self.company.name}: payment reminder for your open invoices",
        )
        for move in (pre_due, late, later):
            self.assertIn(move.name, mine.body_html)
        self.assertNotIn(not_yet.name, mine.body_html)
        self.assertNotIn(other_move.name, mine.body_html)
        # The neutral level also schedules a call for the customer.
        calls = trap.assert_sent(self.customer, channel="call")
        self.assertEqual(calls, actions.filtered(lambda a: a.channel == "call"))
        self.assertEqual(calls.state, "sent")
        self.assertEqual(
            calls.activity_id.activity_type_id,
            self.env.ref("mail.mail_activity_data_call"),
        )
        self.assertIn(later.name, calls.activity_id.note)
        # The message is posted on the customer and sent to its address.
        [delivered] = trap.messages(self.customer)
        message = delivered["message"]
        self.assertEqual(message, mine.mail_message_id)
        self.assertEqual(message.model, "res.partner")
        self.assertEqual(message.res_id, self.customer.id)
        self.assertEqual(delivered["subject"], mine.subject)
        self.assertIn(self.customer, message.notification_ids.res_partner_id)
        self.assertEqual(delivered["emails"], [self.customer.email])
        self.assertEqual(delivered["body"], mine.body_html)
        # History: one row per line and level.
        history = self._gentle_history(pre_due | late | later)
        self.assertEqual(
            {(h.move_id, h.level_id) for h in history},
            {
                (pre_due, self.levels[-5]),
                (late, self.levels[3]),
                (later, self.levels[15]),
            },
        )
        self.assertEqual(history.partner_id, self.customer)
        self.assertEqual(set(history.mapped("date")), {RUN_DATE})
        self.assertEqual(mine.history_ids, history)
        # A second run the same day sends nothing more.
        with self.trap_followups() as trap:
            self.assertFalse(self.run_followup())
        trap.assert_nothing_sent(self.customer)
        trap.assert_nothing_sent(other)
        self.assertEqual(
            len(self._gentle_history(pre_due | late | later | other_move)), 4
        )

    def test_invoices_of_contacts_grouped_on_the_company(self):
        """Invoices addressed to two contacts of a customer: one message to the
        customer, sent to both contacts."""
        Partner = self.env["res.partner"]
        billing = Partner.create(
            {
                "name": "Billing Desk",
                "parent_id": self.customer.id,
                "email": "billing@example.com",
                "type": "invoice",
            }
        )
        buyer = Partner.create(
            {
                "name": "Bert Buyer",
                "parent_id": self.customer.id,
                "email": "bert@example.com",
            }
        )
        first = self._gentle_invoice(billing, date(2026, 10, 1), date(2026, 11, 7))
        second = self._gentle_invoice(buyer, date(2026, 10, 1), date(2026, 11, 7))
        with self.trap_followups() as trap:
            self.run_followup()
        email = trap.assert_sent(self.customer)
        self.assertEqual(email.move_ids, first | second)
        [message] = trap.messages(self.customer)
        self.assertEqual(message["recipients"], billing | buyer)
        self.assertEqual(message["emails"], ["bert@example.com", "billing@example.com"])
        self.assertEqual(
            email.mail_message_id.notification_ids.res_partner_id, billing | buyer
        )

    def test_customer_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        template = self.policy._get_template("friendly")
        template.with_context(lang="fr_FR").subject = "Petit rappel amical"
        french = self._gentle_customer("Claire Client", lang="fr_FR")
        self._gentle_invoice(french, date(2026, 10, 1), date(2026, 11, 7))
        self._gentle_invoice(self.customer, date(2026, 10, 1), date(2026, 11, 7))
        with self.trap_followups() as trap:
            self.run_followup()
        trap.assert_sent(french)
        trap.assert_sent(self.customer)
        [fr] = trap.messages(french)
        [en] = trap.messages(self.customer)
        self.assertEqual(fr["subject"], "Petit rappel amical")
        self.assertIn("07/11/2026", fr["body"])
        self.assertIn("a friendly reminder", en["subject"])
        self.assertIn("11/07/2026", en["body"])

    def test_catch_up_is_capped(self):
        """First seen 40 days late: starts at the level for its age, capped at the
        policy's catch-up tone; the next levels follow one by one."""
        move = self._gentle_invoice(self.customer, date(2026, 8, 1), date(2026, 9, 1))
        line = self._gentle_receivables(move)
        # 70 days late, reached final (45) – capped at neutral (15).
        with self.trap_followups() as trap:
            self.run_followup()
        self.assertEqual(self._gentle_history(move).level_id, self.levels[15])
        self.assertEqual(trap.assert_sent(self.customer).tone, "neutral")
        # The next level keeps the spacing between levels after the catch-up.
        self.assertEqual(line.gentle_next_level_id, self.levels[30])
        self.assertEqual(line.gentle_next_date, date(2026, 11, 25))
        # A firmer cap lets the catch-up start firmer.
        move2 = self._gentle_invoice(self.customer, date(2026, 8, 1), date(2026, 9, 1))
        self.policy.catch_up_max_tone = "firm"
        self.run_followup()
        self.assertEqual(self._gentle_history(move2).level_id, self.levels[30])
        # Within the cap, the exact level for the age is used.
        move3 = self._gentle_invoice(
            self.customer, date(2026, 10, 1), date(2026, 11, 5)
        )
        self.run_followup(now=datetime(2026, 11, 9, 10, 0))
        self.assertEqual(self._gentle_history(move3).level_id, self.levels[3])

    def test_resume_after_hold_at_next_level(self):
        move = self._gentle_invoice(self.customer, date(2026, 9, 1), date(2026, 10, 1))
        line = self._gentle_receivables(move)
        self.run_followup(now=datetime(2026, 10, 5, 10, 0))
        self.assertEqual(line.gentle_last_level_id, self.levels[3])
        move.gentle_hold_until = date(2026, 12, 31)
        with self.trap_followups() as trap:
            for day in (datetime(2026, 10, 16, 10, 0), datetime(2026, 12, 31, 10, 0)):
                self.assertFalse(self.run_followup(now=day))
        trap.assert_nothing_sent(self.customer)
        self.assertEqual(len(self._gentle_history(move)), 1)
        # 94 days late when the hold ends: the next level, not the final notice.
        with self.trap_followups() as trap:
            self.run_followup(now=datetime(2027, 1, 4, 10, 0))
        trap.assert_sent(self.customer)
        self.assertEqual(
            self._gentle_history(move).mapped("level_id"),
            self.levels[3] | self.levels[15],
        )
        self.assertEqual(line.gentle_last_level_id, self.levels[15])
        self.assertEqual(line.gentle_next_level_id, self.levels[30])
        self.assertEqual(line.gentle_next_date, date(2027, 1, 19))
        # Nothing the day before, the firm level 15 days later.
        self.assertFalse(self.run_followup(now=datetime(2027, 1, 18, 10, 0)))
        with self.trap_followups() as trap:
            self.run_followup(now=datetime(2027, 1, 19, 10, 0))
        self.assertEqual(trap.assert_sent(self.customer).level_id, self.levels[30])
        self.assertEqual(len(self._gentle_history(move)), 3)
        self.assertEqual(line.gentle_last_level_id, self.levels[30])

    def test_chatter_notes(self):
        move = self._gentle_invoice(self.customer, date(2026, 9, 1), date(2026, 11, 7))
        before = len(move.message_ids)
        self.run_followup()
        notes = move.message_ids[: len(move.message_ids) - before]
        self.assertEqual(len(notes), 1)
        self.assertIn("First reminder", notes.body)
        self.assertIn("Email", notes.body)
        customer_messages = self.env["mail.message"].search(
            [("model", "=", "res.partner"), ("res_id", "=", self.customer.id)]
        )
        self.assertTrue(
            customer_messages.filtered(lambda m: move.name in (m.body or ""))
        )

    def test_letter_and_other_activity(self):
        todo = self.env.ref("mail.mail_activity_data_todo")
        policy = self.env["gentle.followup.policy"].create(
            {
                "name": "Letters",
                "company_id": self.company.id,
                "template_ids": [
                    Command.create(
                        {
                            "tone": "firm",
                            "mail_template_id": self.env.ref(
                                "gentle_collections.mail_template_followup_firm"
                            ).id,
                        }
                    )
                ],
                "level_ids": [
                    Command.create(
                        {
                            "name": "Letter and visit",
                            "day_offset": 10,
                            "tone": "firm",
                            "send_email": False,
                            "print_letter": True,
                            "create_activity": True,
                            "activity_type_id": todo.id,
                            "activity_note": "<p>Visit the customer</p>",
                        }
                    )
                ],
            }
        )
        self.customer.with_company(self.company).gentle_policy_id = policy
        move = self._gentle_invoice(
            self.customer, date(2026, 10, 1), date(2026, 10, 31)
        )
        with self.trap_followups() as trap:
            actions = self.run_followup()
        self.assertEqual(sorted(actions.mapped("channel")), ["activity", "letter"])
        self.assertEqual(set(actions.mapped("state")), {"sent"})
        # No email: the level does not send one.
        self.assertFalse(trap.messages(self.customer))
        letter = trap.assert_sent(self.customer, channel="letter")
        self.assertEqual(letter.activity_id.res_id, self.customer.id)
        attachment = self.env["ir.attachment"].search(
            [("res_model", "=", "res.partner"), ("res_id", "=", self.customer.id)]
        )
        self.assertTrue(attachment)
        self.assertIn(attachment.name, letter.activity_id.note)
        activity = trap.assert_sent(self.customer, channel="activity")
        self.assertEqual(activity.activity_id.summary, "Letter and visit")
        self.assertIn("Visit the customer", activity.activity_id.note)
        self.assertEqual(activity.activity_id.activity_type_id, todo)
        self.assertEqual(activity.move_ids, move)
        # The responsible is the invoice's salesperson.
        self.assertEqual(activity.responsible_id, move.invoice_user_id)
        self.assertEqual(activity.activity_id.user_id, move.invoice_user_id)

    def test_sms_channel(self):
        self.levels[3].send_sms = True
        self.customer.phone = "+32 470 12 34 56"
        self._gentle_invoice(self.customer, date(2026, 10, 1), date(2026, 11, 7))
        with self.trap_followups() as trap:
            self.run_followup()
        sms = trap.assert_sent(self.customer, channel="sms")
        trap.assert_sent(self.customer, channel="email")
        self.assertTrue(sms.mail_message_id)
        self.assertIn("1,000.00", sms.body_html)
        [text] = [m for m in trap.messages(self.customer) if m["channel"] == "sms"]
        self.assertIn("1,000.00", text["body"])

    def test_missing_wording_fails_visibly(self):
        self.policy.template_ids.unlink()
        self._gentle_invoice(self.customer, date(2026, 10, 1), date(2026, 11, 7))
        with self.trap_followups() as trap:
            email = self._emails(self.run_followup())
        self.assertEqual(email.state, "failed")
        self.assertIn("no wording", email.error_message)
        trap.assert_nothing_sent(self.customer)
        with self.assertRefused(UserError, records=email, message="cannot be retried"):
            email.action_retry()

    def test_approval_queue(self):
        """The final notice waits for a manager: approve sends it unchanged,
        skip and postpone keep it unsent."""
        self.policy.catch_up_max_tone = "final"
        customers = (
            self.customer
            | self._gentle_customer("Bea Second")
            | self._gentle_customer("Cid Third")
        )
        for customer in customers:
            self._gentle_invoice(customer, date(2026, 8, 1), date(2026, 9, 1))
        with self.trap_followups() as trap:
            actions = self.run_followup()
        waiting = actions.filtered(lambda a: a.state == "awaiting_approval")
        self.assertEqual(waiting, actions)
        for customer in customers:
            trap.assert_nothing_sent(customer)
        self.assertEqual(sorted(set(waiting.mapped("channel"))), ["email", "letter"])
        self.assertEqual(waiting.partner_id, customers)
        self.assertFalse(waiting.mail_message_id)
        self.assertEqual(set(waiting.mapped("tone")), {"final"})
        emails = self._emails(waiting)
        first, second, third = (
            emails.filtered(lambda a, c=c: a.partner_id == c) for c in customers
        )
        # The history is recorded: no second queue entry on the next run.
        self.assertFalse(self.run_followup())
        # Approve: sent exactly as previewed.
        body = first.body_html
        with freeze_time("2026-11-10"), self.trap_followups() as trap:
            first.action_approve()
        self.assertEqual(first.state, "queued")
        self.assertEqual(
            trap.messages(self.customer)[0]["message"], first.mail_message_id
        )
        self.assertEqual(trap.messages(self.customer)[0]["body"], body)
        for customer in customers - self.customer:
            trap.assert_nothing_sent(customer)
        self.assertIn(
            "approved",
            self.customer.message_ids.filtered(lambda m: "approved" in (m.body or ""))[
                :1
            ].body,
        )
        # Skip: never sent.
        with self.trap_followups() as trap:
            second.action_skip()
        self.assertEqual(second.state, "skipped")
        self.assertFalse(second.mail_message_id)
        trap.assert_nothing_sent(second.partner_id)
        # Postpone: stays waiting, out of the queue for a week.
        with freeze_time("2026-11-10"), self.trap_followups() as trap:
            third.action_postpone()
        self.assertEqual(third.state, "awaiting_approval")
        self.assertEqual(third.postponed_until, date(2026, 11, 17))
        trap.assert_nothing_sent(third.partner_id)
        # Only waiting actions can be approved, skipped or postponed.
        with self.assertRefused(
            UserError, records=first | third, message="awaiting approval"
        ):
            (first | third).action_skip()
        with self.assertRefused(UserError, records=third, message="Only failed"):
            third.action_retry()
        self.assertEqual(first.action_open_partner()["res_id"], self.customer.id)

    def test_approvals_one_row_per_message(self):
        """A final notice by letter and email is one decision: one row in
        Approvals with the amount once and its age; approving, skipping or
        postponing it acts on both channels."""
        self.policy.catch_up_max_tone = "final"
        move = self._gentle_invoice(
            self.customer, date(2026, 8, 1), date(2026, 9, 1), amount=5600.0
        )
        second = self._gentle_customer("Bea Second")
        self._gentle_invoice(second, date(2026, 8, 1), date(2026, 9, 1))
        actions = self.run_followup()
        mine = actions.filtered(lambda a: a.partner_id == self.customer)
        self.assertEqual(sorted(mine.mapped("channel")), ["email", "letter"])
        approvals = self.env.ref(
            "gentle_collections.gentle_followup_action_action_approval"
        )
        rows = self.env["gentle.followup.action"].search(
            safe_eval(approvals.domain) + [("state", "=", "awaiting_approval")]
        )
        self.assertEqual(rows.partner_id, self.customer | second)
        row = rows.filtered(lambda a: a.partner_id == self.customer)
        self.assertEqual(len(row), 1)
        # The Overview counts decisions too: two, not four actions.
        with freeze_time("2026-11-10"):
            figures = (
                self.env["gentle.overview"].with_company(self.company).get_figures()
            )
        self.assertEqual(figures["approvals"], 2)
        self.assertEqual(row.amount_due, move.amount_residual)
        self.assertEqual(row.channels, "email, letter")
        with freeze_time("2026-11-13"):
            row.invalidate_recordset(["waiting_days"])
            self.assertEqual(row.waiting_days, 3)
        with freeze_time("2026-11-10"):
            row.action_approve()
        self.assertFalse(
            mine.filtered(lambda a: a.state == "awaiting_approval"),
            "both channels decided",
        )
        other = rows - row
        siblings = actions.filtered(lambda a: a.partner_id == second)
        with freeze_time("2026-11-10"):
            other.action_postpone()
        self.assertEqual(set(siblings.mapped("postponed_until")), {date(2026, 11, 17)})
        other.action_skip()
        self.assertEqual(set(siblings.mapped("state")), {"skipped"})

    def test_no_default_policy_no_follow_up(self):
        """A line whose company has no policy at all is not followed up."""
        self.policy.is_default = False
        move = self._gentle_invoice(self.customer, date(2026, 10, 1), date(2026, 11, 7))
        self.assertFalse(self._gentle_receivables(move).gentle_policy_id)
        self.assertFalse(move.gentle_next_followup_date)
        with self.trap_followups() as trap:
            self.assertFalse(self.run_followup())
        trap.assert_nothing_sent(self.customer)
        self.assertFalse(self._gentle_history(move))

    def test_run_defaults_and_limit(self):
        customers = self.customer | self._gentle_customer("Dan Fourth")
        for customer in customers:
            self._gentle_invoice(customer, date(2026, 10, 1), date(2026, 11, 7))
        result = self._gentle_run(partners=customers, limit=1)
        self.assertEqual(result["done"], 1)
        self.assertEqual(result["remaining"], 1)
        self.assertEqual(result["partner_ids"], customers.sorted("id")[:1].ids)
        result = self._gentle_run(partners=customers)
        self.assertEqual(result["done"], 1)
        self.assertEqual(result["remaining"], 0)
        self.assertGreaterEqual(result["seconds"], 0)
        # Without a date, the run uses the current time.
        with freeze_time("2026-11-10 10:00:00"):
            self.assertFalse(
                self.engine._gentle_run(self.company, partner_ids=customers.ids)["done"]
            )

    def test_run_date_is_company_local(self):
        # 23:30 UTC on 9 November is already 10 November in Brussels.
        self.assertEqual(
            self.engine._gentle_run_date(self.company, datetime(2026, 11, 9, 23, 30)),
            date(2026, 11, 10),
        )
        self.company.resource_calendar_id.tz = "America/New_York"
        self.assertEqual(
            self.engine._gentle_run_date(self.company, datetime(2026, 11, 10, 3, 0)),
            date(2026, 11, 9),
        )
        self.assertEqual(RUN_NOW.date(), RUN_DATE)
