from datetime import date, datetime

from freezegun import freeze_time

from odoo.tests import BaseCase, tagged

from ..tools.followup_rules import Level, Reached, Step, next_step
from .common import RUN_NOW, GentleFollowupCommon


@tagged("post_install", "-at_install")
class TestFollowupState(GentleFollowupCommon):
    """Items 4 and 5: per-line follow-up state, its invoice summary, and what is
    never chased."""

    def test_next_step_of_new_invoice(self):
        move = self._gentle_invoice(
            self.customer, date(2026, 10, 1), date(2026, 10, 31)
        )
        line = self._gentle_receivables(move)
        self.assertEqual(line.gentle_policy_id, self.policy)
        self.assertEqual(line.gentle_next_level_id, self.levels[-5])
        self.assertEqual(line.gentle_next_date, date(2026, 10, 26))
        self.assertFalse(line.gentle_last_level_id)
        self.assertFalse(line.gentle_last_date)
        self.assertEqual(move.gentle_next_followup_date, date(2026, 10, 26))
        self.assertFalse(move.gentle_last_level_id)
        # Only receivable lines carry a follow-up.
        others = move.line_ids - line
        self.assertFalse(any(others.mapped("gentle_next_date")))
        self.assertFalse(others.gentle_policy_id)
        # Draft invoices are not followed up.
        draft = self._gentle_invoice(
            self.customer, date(2026, 10, 1), date(2026, 10, 31), post=False
        )
        self.assertFalse(draft.gentle_next_followup_date)

    def test_next_dates_are_stored_and_indexed(self):
        for model, name in (
            ("account.move.line", "gentle_next_date"),
            ("account.move", "gentle_next_followup_date"),
        ):
            field = self.env[model]._fields[name]
            self.assertTrue(field.store, name)
            self.assertTrue(field.index, name)

    def test_pre_due_level_skipped_when_invoice_is_late(self):
        """A reminder falling on or before the invoice date makes no sense."""
        move = self._gentle_invoice(
            self.customer, date(2026, 10, 26), date(2026, 10, 31)
        )
        self.assertEqual(
            self._gentle_receivables(move).gentle_next_level_id, self.levels[3]
        )
        self.assertEqual(move.gentle_next_followup_date, date(2026, 11, 3))
        move = self._gentle_invoice(
            self.customer, date(2026, 10, 25), date(2026, 10, 31)
        )
        self.assertEqual(move.gentle_next_followup_date, date(2026, 10, 26))

    def test_recomputed_when_due_date_changes(self):
        move = self._gentle_invoice(
            self.customer, date(2026, 10, 1), date(2026, 10, 31)
        )
        move.button_draft()
        move.invoice_date_due = date(2026, 11, 20)
        move.action_post()
        self.assertEqual(move.gentle_next_followup_date, date(2026, 11, 15))
        self.assertEqual(
            self._gentle_receivables(move).gentle_next_date, date(2026, 11, 15)
        )

    def test_recomputed_when_levels_change(self):
        move = self._gentle_invoice(
            self.customer, date(2026, 10, 1), date(2026, 10, 31)
        )
        self.levels[-5].day_offset = -10
        self.assertEqual(move.gentle_next_followup_date, date(2026, 10, 21))
        self.levels[-5].active = False
        self.assertEqual(move.gentle_next_followup_date, date(2026, 11, 3))
        line = self._gentle_receivables(move)
        self.assertEqual(line.gentle_next_level_id, self.levels[3])

    def test_recomputed_after_a_run_and_summary(self):
        move = self._gentle_invoice(
            self.customer, date(2026, 10, 1), date(2026, 10, 31)
        )
        line = self._gentle_receivables(move)
        self.assert_followup_sends(now=datetime(2026, 10, 27, 10, 0), lines=1)
        self.assertEqual(line.gentle_last_level_id, self.levels[-5])
        self.assertEqual(line.gentle_last_date, date(2026, 10, 27))
        # The next level keeps its spacing (8 days) from the day the last one
        # was actually sent (one day late): 4 November, not 3.
        self.assertEqual(line.gentle_next_level_id, self.levels[3])
        self.assertEqual(line.gentle_next_date, date(2026, 11, 4))
        self.assertEqual(move.gentle_last_level_id, self.levels[-5])
        self.assertEqual(move.gentle_last_followup_date, date(2026, 10, 27))
        self.assertEqual(move.gentle_next_followup_date, date(2026, 11, 4))
        self.assertEqual(move.gentle_history_ids.level_id, self.levels[-5])
        self.assertEqual(line.gentle_history_ids, move.gentle_history_ids)
        action = move.action_gentle_history()
        self.assertEqual(action["domain"], [("move_ids", "in", move.ids)])

    def test_manual_hold(self):
        move = self._gentle_invoice(self.customer, date(2026, 9, 1), date(2026, 10, 1))
        line = self._gentle_receivables(move)
        self.assertEqual(line.gentle_next_date, date(2026, 9, 26))
        move.write(
            {"gentle_hold_until": date(2026, 11, 20), "gentle_hold_note": "Query"}
        )
        # The next follow-up date moves to the day after the hold.
        self.assertEqual(line.gentle_next_date, date(2026, 11, 21))
        self.assertEqual(move.gentle_next_followup_date, date(2026, 11, 21))
        with freeze_time("2026-11-10"):
            move.invalidate_recordset(["gentle_on_hold", "gentle_hold_reason"])
            self.assertTrue(move.gentle_on_hold)
            self.assertIn("On hold until 11/20/2026", move.gentle_hold_reason)
            self.assertIn("Query", move.gentle_hold_reason)
            held = self.env["account.move"].search(
                [("gentle_on_hold", "=", True), ("id", "=", move.id)]
            )
            self.assertEqual(held, move)
            self.assertFalse(
                self.env["account.move"].search(
                    [("gentle_on_hold", "=", False), ("id", "=", move.id)]
                )
            )
        # Not chased up to and including the hold's last day.
        self.assert_followup_sends_nothing(now=datetime(2026, 11, 20, 10, 0))
        self.assertFalse(self._gentle_history(move))
        # The next working day, it is.
        self.assert_followup_sends(now=datetime(2026, 11, 23, 10, 0), lines=1)
        with freeze_time("2026-11-23"):
            move.invalidate_recordset(["gentle_on_hold", "gentle_hold_reason"])
            self.assertFalse(move.gentle_on_hold)
            self.assertFalse(move.gentle_hold_reason)
        # Lifting the hold restores the date.
        other = self._gentle_invoice(self.customer, date(2026, 9, 1), date(2026, 10, 1))
        other.gentle_hold_until = date(2026, 12, 1)
        other.gentle_hold_until = False
        self.assertEqual(other.gentle_next_followup_date, date(2026, 9, 26))

    def test_instalments_follow_their_own_dates(self):
        move = self._gentle_invoice(
            self.customer, date(2026, 10, 1), term=self._gentle_instalment_term()
        )
        first, second = self._gentle_receivables(move)
        self.assertEqual(first.date_maturity, date(2026, 10, 11))
        self.assertEqual(second.date_maturity, date(2026, 11, 10))
        self.assertEqual(first.gentle_next_date, date(2026, 10, 6))
        self.assertEqual(second.gentle_next_date, date(2026, 11, 5))
        self.assertEqual(move.gentle_next_followup_date, date(2026, 10, 6))
        # 14 October: the first instalment is 3 days late, the second not due.
        email, _trap = self.assert_followup_sends(
            now=datetime(2026, 10, 14, 10, 0), lines=1
        )
        history = self._gentle_history(move)
        self.assertEqual(history.move_line_id, first)
        self.assertEqual(history.level_id, self.levels[3])
        self.assertEqual(first.gentle_next_level_id, self.levels[15])
        self.assertEqual(first.gentle_next_date, date(2026, 10, 26))
        self.assertFalse(second.gentle_last_level_id)
        self.assertEqual(second.gentle_next_date, date(2026, 11, 5))
        self.assertEqual(move.gentle_next_followup_date, date(2026, 10, 26))
        # The amount in the message is the first instalment only.
        self.assertEqual(email.amount_due, 300.0)
        # 5 November: the second instalment's pre-due reminder; the first
        # instalment's second reminder is due too: one message for both.
        self.assert_followup_sends(now=datetime(2026, 11, 5, 10, 0), lines=2)
        self.assertEqual(
            set(
                self._gentle_history(move).mapped(
                    lambda h: (h.move_line_id, h.level_id)
                )
            ),
            {
                (first, self.levels[3]),
                (first, self.levels[15]),
                (second, self.levels[-5]),
            },
        )

    def test_paid_invoice_not_chased(self):
        move = self._gentle_invoice(self.customer, date(2026, 9, 1), date(2026, 10, 1))
        self.pay(move, date=date(2026, 10, 5))
        self.assertIn(move.payment_state, ("paid", "in_payment"))
        self.assertFalse(move.gentle_next_followup_date)
        self.assert_followup_sends_nothing()

    def test_partially_paid_invoice_is_chased_for_the_rest(self):
        move = self._gentle_invoice(self.customer, date(2026, 9, 1), date(2026, 10, 1))
        self.pay(move, amount=400.0, date=date(2026, 10, 5))
        self.assertEqual(move.payment_state, "partial")
        email, trap = self.assert_followup_sends(lines=1)
        self.assertEqual(email.amount_due, 600.0)
        self.assertIn("600.00", trap.messages(self.customer)[0]["body"])

    def test_reversed_invoice_not_chased(self):
        move = self._gentle_invoice(self.customer, date(2026, 9, 1), date(2026, 10, 1))
        self.assertTrue(move.gentle_next_followup_date)
        move._reverse_moves(cancel=True)
        self.assertEqual(move.payment_state, "reversed")
        self.assertFalse(move.gentle_next_followup_date)
        self.assert_followup_sends_nothing()

    def test_zero_residual_not_chased(self):
        move = self._gentle_invoice(
            self.customer, date(2026, 9, 1), date(2026, 10, 1), amount=0.0
        )
        self.assertFalse(move.gentle_next_followup_date)
        self.assert_followup_sends_nothing()

    def test_credit_note_not_chased(self):
        refund = self._gentle_invoice(
            self.customer, date(2026, 9, 1), date(2026, 10, 1), move_type="out_refund"
        )
        self.assertFalse(refund.gentle_next_followup_date)
        self.assert_followup_sends_nothing()

    def test_blocked_invoice_is_held(self):
        move = self._gentle_invoice(self.customer, date(2026, 9, 1), date(2026, 10, 1))
        move.action_toggle_block_payment()
        self.assertEqual(move.payment_state, "blocked")
        self.assertTrue(move.gentle_on_hold)
        self.assertIn("Payment blocked", move.gentle_hold_reason)
        self.assert_followup_sends_nothing()
        move.action_toggle_block_payment()
        self.assert_followup_sends(lines=1)

    def test_paused_customer_is_held(self):
        move = self._gentle_invoice(self.customer, date(2026, 9, 1), date(2026, 10, 1))
        self.customer.action_gentle_pause()
        self.assertTrue(self.customer.with_company(self.company).gentle_paused)
        self.assertIn("Customer paused", move.gentle_hold_reason)
        self.assert_followup_sends_nothing()
        # Paused in another company only: still chased here.
        other = self.env["res.company"].sudo().create({"name": "Gentle Pause Co"})
        self.customer.action_gentle_resume()
        self.customer.sudo().with_company(other).gentle_paused = True
        self.assert_followup_sends(lines=1)

    def test_go_live_date(self):
        old = self._gentle_invoice(self.customer, date(2026, 8, 1), date(2026, 9, 1))
        recent = self._gentle_invoice(
            self.customer, date(2026, 9, 1), date(2026, 10, 1)
        )
        self.company.gentle_go_live_date = date(2026, 9, 2)
        self.assert_followup_sends(lines=1)
        self.assertFalse(self._gentle_history(old))
        self.assertTrue(self._gentle_history(recent))
        # A line due on the go-live date itself is chased.
        self.company.gentle_go_live_date = date(2026, 9, 1)
        self.assert_followup_sends(lines=1)
        self.assertTrue(self._gentle_history(old))

    def test_partner_work_queue_fields(self):
        self._gentle_invoice(self.customer, date(2026, 9, 1), date(2026, 10, 1))
        self._gentle_invoice(
            self.customer, date(2026, 10, 1), date(2026, 12, 1), amount=500
        )
        customer = self.customer.with_company(self.company)
        with freeze_time("2026-11-10"):
            customer.invalidate_recordset()
            self.assertEqual(customer.gentle_amount_due, 1500.0)
            self.assertEqual(customer.gentle_amount_overdue, 1000.0)
            self.assertEqual(customer.gentle_next_followup_date, date(2026, 9, 26))
            self.assertTrue(customer.gentle_needs_action)
            self.assertIn(
                customer,
                self.env["res.partner"].search([("gentle_needs_action", "=", True)]),
            )
        self.run_followup(now=RUN_NOW)
        with freeze_time("2026-11-10"):
            customer.invalidate_recordset()
            self.assertFalse(customer.gentle_needs_action)
            # 40 days late: the neutral level, an email and a call.
            self.assertEqual(customer.gentle_action_count, 2)
            self.assertEqual(customer.gentle_failed_count, 0)
            action = customer.action_gentle_actions()
            self.assertEqual(action["domain"], [("partner_id", "=", customer.id)])


@tagged("post_install", "-at_install")
class TestFollowupRules(BaseCase):
    """The pure rules shared by the stored next date and the run: no database."""

    LEVELS = [Level(1, -5, 0), Level(2, 3, 0), Level(3, 15, 1), Level(4, 45, 3)]

    def test_first_level_and_invoice_date(self):
        due = date(2026, 10, 31)
        self.assertEqual(
            next_step(self.LEVELS, due), Step(self.LEVELS[0], date(2026, 10, 26))
        )
        # Issued the day the pre-due reminder would go: skipped.
        step = next_step(self.LEVELS, due, invoice_date=date(2026, 10, 26))
        self.assertEqual(step.level.id, 2)
        self.assertIsNone(next_step([], due))

    def test_catch_up_and_cap(self):
        due = date(2026, 9, 1)
        today = date(2026, 11, 10)
        self.assertEqual(next_step(self.LEVELS, due, today=today).level.id, 4)
        self.assertEqual(
            next_step(self.LEVELS, due, today=today, cap_rank=1).level.id, 3
        )
        # Nothing reached yet: the first level.
        step = next_step(self.LEVELS, due, today=date(2026, 8, 1))
        self.assertEqual(step, Step(self.LEVELS[0], date(2026, 8, 27)))

    def test_resume_keeps_spacing(self):
        due = date(2026, 9, 1)
        last = Reached(3, date(2026, 12, 1))
        step = next_step(self.LEVELS, due, last=last, today=date(2027, 6, 1))
        self.assertEqual(step, Step(self.LEVELS[2], date(2026, 12, 13)))
        self.assertIsNone(next_step(self.LEVELS, due, last=Reached(45, due)))
