"""Issue 14 item 2: a recorded promise to pay is confirmed to the customer, and
a broken one gets a gentle note, both through the follow-up engine."""

from datetime import date, datetime

from freezegun import freeze_time

from odoo import Command
from odoo.tests import Form, tagged

from .common import RUN_DATE, GentleFollowupCommon

# Monday 9 November 2026, 19:00 in Brussels: the collector records the promise
# after the customer's contact window closed.
RECORDED = datetime(2026, 11, 9, 18, 0)
PROMISED = date(2026, 11, 20)
# Tuesday 10 November 2026 in Brussels (UTC+1): 08:59, just before the window
# opens at 09:00, and 09:00.
BEFORE_WINDOW = datetime(2026, 11, 10, 7, 59)
WINDOW_OPENS = datetime(2026, 11, 10, 8, 0)

CONFIRM_EN = "Thank you – we have noted that you will pay"
BROKEN_EN = "We had noted that you would pay"
KEPT_EN = "thank you for keeping your word"


@tagged("post_install", "-at_install")
class TestGentlePromiseConfirm(GentleFollowupCommon):
    """A promise recorded any way is confirmed once, by the follow-up run."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.gentle_promise_grace_days = 3
        # Due Monday 2 November: overdue, held by the promise.
        cls.invoice = cls._gentle_invoice(
            cls.customer, date(2026, 10, 3), due=date(2026, 11, 2), amount=2000.0
        )
        cls.Promise = cls.env["gentle.payment.promise"]

    def record(self, partner=None, moves=None, amount=1250.0, day=PROMISED, at=None):
        """A promise recorded from the customer's quick form, as a collector
        does after a call."""
        partner = partner or self.customer
        moves = moves or self.invoice
        with freeze_time(at or RECORDED):
            action = self.Promise._gentle_open_form(partner, moves, source="form")
            form = Form(
                self.Promise.with_context(**action["context"]),
                view="gentle_collections.gentle_payment_promise_view_form_quick",
            )
            form.date_promised = day
            form.amount = amount
            return form.save()

    @staticmethod
    def body(message):
        return message["body"].replace("&nbsp;", "\xa0")

    def confirmations(self, trap, partner=None):
        return [
            m
            for m in trap.messages(partner or self.customer)
            if "o_gentle_promise_confirm" in m["body"]
        ]

    # ------------------------------------------------------------------
    # Sent once, in the window
    # ------------------------------------------------------------------

    def test_confirmed_once_inside_the_contact_window(self):
        promise = self.record()
        self.assertFalse(promise.confirmed_on)
        # 08:59 in Brussels: the window is closed, nothing goes out.
        self.assert_followup_sends_nothing(now=BEFORE_WINDOW)
        self.assertFalse(promise.confirmed_on)
        # 09:00: the confirmation, alone, in English.
        email, trap = self.assert_followup_sends(now=WINDOW_OPENS)
        self.assertEqual(email.confirmed_promise_ids, promise)
        self.assertFalse(email.history_ids, "a confirmation is no reminder")
        self.assertEqual(promise.confirmed_on, RUN_DATE)
        [message] = trap.messages(self.customer)
        body = self.body(message)
        self.assertIn(f"{CONFIRM_EN} $\xa01,250.00 by November 20, 2026", body)
        self.assertIn(self.invoice.name, body)
        self.assertIn("Dear Ann Customer", body)
        self.assertEqual(
            message["subject"], f"{self.company.name}: we have noted your payment date"
        )
        self.assertEqual(message["emails"], ["ann.customer@example.com"])
        self.assertEqual(
            email.communication_id.mail_template_id,
            self.env.ref("gentle_collections.mail_template_promise_confirm"),
        )
        self.assertTrue(
            promise.message_ids.filtered(
                lambda m: "Promise confirmed to the customer" in str(m.body)
            )
        )
        # Later the same day, and the next day: never again.
        self.assert_followup_sends_nothing(now=datetime(2026, 11, 10, 13, 0))
        self.assert_followup_sends_nothing(now=datetime(2026, 11, 11, 9, 0))

    def test_confirmed_in_the_customer_s_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"].search(
            [("name", "=", "gentle_collections")]
        )._update_translations(["fr_FR"])
        french = self._gentle_customer("Claire Client", lang="fr_FR")
        invoice = self._gentle_invoice(
            french, date(2026, 10, 3), due=date(2026, 11, 2), amount=2000.0
        )
        self.company.name = "Ma Société"
        self.record(partner=french, moves=invoice)
        _email, trap = self.assert_followup_sends(french, now=WINDOW_OPENS)
        [message] = trap.messages(french)
        body = self.body(message)
        self.assertIn(
            "Merci – nous avons noté que vous paierez $\xa01\xa0250,00 d’ici le "
            "20 novembre 2026",
            body,
        )
        self.assertIn("Bonjour Claire Client", body)
        self.assertIn("D’ici là, nous ne vous enverrons pas de rappel", body)
        self.assertNotIn("Dear", body)
        self.assertNotIn(CONFIRM_EN, body)
        self.assertEqual(
            message["subject"], "Ma Société\xa0: nous avons noté votre date de paiement"
        )

    def test_promised_date_passed_is_not_confirmed(self):
        """Both sides of the promised date: due today is confirmed, due
        yesterday (the customer was paused until then) is not."""
        today = self._gentle_customer("Tess Today")
        yesterday = self._gentle_customer("Yuri Yesterday")
        for partner, day in ((today, RUN_DATE), (yesterday, date(2026, 11, 9))):
            move = self._gentle_invoice(
                partner, date(2026, 10, 3), due=date(2026, 11, 2), amount=500.0
            )
            self.record(partner, move, 500.0, day, at=datetime(2026, 11, 3, 10, 0))
        with self.trap_followups() as trap:
            self.run_followup(now=WINDOW_OPENS)
        self.assertEqual(len(self.confirmations(trap, today)), 1)
        trap.assert_nothing_sent(yesterday)

    # ------------------------------------------------------------------
    # Setting, pause, one message
    # ------------------------------------------------------------------

    def test_company_setting_off_sends_nothing(self):
        self.assertTrue(self.company.gentle_promise_confirm, "on by default")
        settings = self.env["res.config.settings"].create(
            {"gentle_promise_confirm": False}
        )
        settings.execute()
        self.assertFalse(self.company.gentle_promise_confirm)
        promise = self.record()
        self.assert_followup_sends_nothing(now=WINDOW_OPENS)
        self.assertFalse(promise.confirmed_on)
        # Switched on again: the promise, still ahead, is confirmed.
        self.company.gentle_promise_confirm = True
        email, _trap = self.assert_followup_sends(now=datetime(2026, 11, 10, 9, 0))
        self.assertEqual(email.confirmed_promise_ids, promise)

    def test_paused_customer_is_not_confirmed(self):
        promise = self.record()
        self.customer.action_gentle_pause()
        self.assert_followup_sends_nothing(now=WINDOW_OPENS)
        self.assertFalse(promise.confirmed_on)
        self.customer.action_gentle_resume()
        email, _trap = self.assert_followup_sends(now=datetime(2026, 11, 10, 9, 0))
        self.assertEqual(email.confirmed_promise_ids, promise)

    def test_joins_the_reminder_of_the_same_run(self):
        # Due Saturday 7 November: its first reminder (day 3) is today.
        other = self._gentle_invoice(
            self.customer, date(2026, 10, 8), due=date(2026, 11, 7), amount=300.0
        )
        promise = self.record()
        email, trap = self.assert_followup_sends(now=WINDOW_OPENS, lines=1)
        self.assertEqual(email.history_ids.move_id, other)
        self.assertEqual(email.confirmed_promise_ids, promise)
        self.assertEqual(email.level_id, self.levels[3])
        [message] = trap.messages(self.customer)
        self.assertIn(other.name, message["body"])
        self.assertIn(CONFIRM_EN, message["body"])
        self.assertEqual(promise.confirmed_on, RUN_DATE)

    def test_reminder_awaiting_approval_does_not_hold_the_confirmation(self):
        """The day's reminder waits for a manager: the confirmation does not
        wait with it, it goes alone (the only message the customer gets)."""
        other = self._gentle_invoice(
            self.customer, date(2026, 10, 8), due=date(2026, 11, 7), amount=300.0
        )
        self.levels[3].requires_approval = True
        promise = self.record()
        with self.trap_followups() as trap:
            self.run_followup(now=WINDOW_OPENS)
        waiting = trap.actions_of(self.customer, "email", ["awaiting_approval"])
        self.assertEqual(waiting.move_ids, other)
        self.assertFalse(waiting.confirmed_promise_ids)
        email = trap.assert_sent(self.customer)
        self.assertEqual(email.confirmed_promise_ids, promise)
        self.assertFalse(email.history_ids)
        self.assertEqual(len(self.confirmations(trap)), 1)
        self.assertEqual(promise.confirmed_on, RUN_DATE)

    # ------------------------------------------------------------------
    # Kept before the confirmation went out
    # ------------------------------------------------------------------

    def test_paid_before_the_confirmation_is_thanked_not_confirmed(self):
        """Paid as promised before the window opened: no confirmation, and
        once the promise is found kept, one thank-you only."""
        promise = self.record()
        self.pay(self.invoice, 1250.0, date(2026, 11, 9))
        self.assert_followup_sends_nothing(now=WINDOW_OPENS)
        self.assertFalse(promise.confirmed_on)
        self.Promise._cron_decide(today=date(2026, 11, 24))
        self.assertEqual(promise.state, "kept")
        email, trap = self.assert_followup_sends(now=datetime(2026, 11, 24, 9, 0))
        self.assertEqual(email.thanked_promise_ids, promise)
        self.assertFalse(email.confirmed_promise_ids)
        self.assertFalse(email.broken_promise_ids)
        [message] = trap.messages(self.customer)
        self.assertIn(KEPT_EN, message["body"])
        self.assertNotIn("o_gentle_promise_confirm", message["body"])
        self.assertNotIn("o_gentle_promise_broken", message["body"])
        self.assertFalse(promise.confirmed_on)
        self.assertFalse(promise.broken_noted_on)
        self.assert_followup_sends_nothing(now=datetime(2026, 11, 25, 9, 0))

    def test_partly_paid_before_the_confirmation_is_confirmed(self):
        """The other side: one cent short of the promise, it is confirmed."""
        promise = self.record()
        self.pay(self.invoice, 1249.99, date(2026, 11, 9))
        email, _trap = self.assert_followup_sends(now=WINDOW_OPENS)
        self.assertEqual(email.confirmed_promise_ids, promise)

    def test_kept_before_any_run_is_only_thanked(self):
        """Recorded while the customer was paused, paid and found kept: the
        thank-you goes, never a confirmation after it."""
        self.customer.action_gentle_pause()
        promise = self.record(day=date(2026, 11, 12))
        self.pay(self.invoice, 1250.0, date(2026, 11, 11))
        self.Promise._cron_decide(today=date(2026, 11, 16))
        self.assertEqual(promise.state, "kept")
        self.customer.action_gentle_resume()
        email, _trap = self.assert_followup_sends(now=datetime(2026, 11, 16, 9, 0))
        self.assertEqual(email.thanked_promise_ids, promise)
        self.assertFalse(email.confirmed_promise_ids)
        self.assertFalse(promise.confirmed_on)

    def test_sources_are_declared(self):
        names = [
            source._name
            for source in self.env["gentle.followup.engine"]._gentle_sources()
        ]
        self.assertIn("gentle.followup.source.promise_confirm", names)
        self.assertIn("gentle.followup.source.broken_promise", names)


@tagged("post_install", "-at_install")
class TestGentleBrokenPromiseNote(GentleFollowupCommon):
    """A broken promise gets one gentle note through the engine, never with a
    thank-you for it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {"gentle_promise_grace_days": 3, "gentle_thanks_mode": "always"}
        )
        cls.Promise = cls.env["gentle.payment.promise"]

    def broken(self, partner, due, decided, amount=800.0):
        """An invoice of ``partner`` due ``due``, promised and found broken on
        ``decided`` (promised three grace days and a day earlier)."""
        move = self._gentle_invoice(partner, date(2026, 9, 1), due=due, amount=amount)
        promised = date.fromordinal(decided.toordinal() - 4)
        with freeze_time(datetime(2026, 10, 1, 10, 0)):
            promise = self.Promise.create(
                {
                    "partner_id": partner.id,
                    "move_ids": [Command.set(move.ids)],
                    "amount": amount,
                    "date_promised": promised,
                    "confirmed_on": date(2026, 10, 1),
                }
            )
        self.Promise._cron_decide(today=decided)
        self.assertEqual(promise.state, "broken")
        self.assertEqual(promise.decided_on, decided)
        return move, promise

    def notes(self, trap, partner):
        """The messages to ``partner`` with the note on a broken promise."""
        return [
            m for m in trap.messages(partner) if "o_gentle_promise_broken" in m["body"]
        ]

    def test_broken_promise_note_joins_the_resumed_reminder(self):
        move, promise = self.broken(self.customer, date(2026, 10, 20), RUN_DATE)
        email, trap = self.assert_followup_sends(lines=1)
        self.assertEqual(email.broken_promise_ids, promise)
        self.assertEqual(email.history_ids.move_id, move)
        self.assertFalse(email.thanked_promise_ids)
        [message] = trap.messages(self.customer)
        body = message["body"].replace("&nbsp;", "\xa0")
        self.assertIn(f"{BROKEN_EN} $\xa0800.00 by November 6, 2026", body)
        self.assertIn("plans sometimes change", body)
        self.assertIn(move.name, body)
        self.assertNotIn(KEPT_EN, body)
        self.assertEqual(promise.broken_noted_on, RUN_DATE)
        self.assertFalse(promise.thanked_on)
        # Once: the next reminder says nothing of it any more.
        with self.trap_followups() as trap:
            self.run_followup(now=datetime(2026, 11, 25, 10, 0))
        self.assertFalse(self.notes(trap, self.customer))
        self.assertTrue(trap.messages(self.customer), "the next reminder went")

    def test_broken_promise_note_alone(self):
        """Nothing else due that day: the note goes alone, in its own words."""
        # Due in December: no reminder is due on 10 November.
        move, promise = self.broken(self.customer, date(2026, 12, 31), RUN_DATE)
        email, trap = self.assert_followup_sends()
        self.assertEqual(email.broken_promise_ids, promise)
        self.assertFalse(email.history_ids)
        self.assertEqual(
            email.communication_id.mail_template_id,
            self.env.ref("gentle_collections.mail_template_promise_broken"),
        )
        [message] = trap.messages(self.customer)
        self.assertEqual(
            message["subject"], f"{self.company.name}: about the payment you planned"
        )
        self.assertIn(BROKEN_EN, message["body"])
        self.assertIn(move.name, message["body"])

    def test_broken_note_within_a_week_of_the_decision(self):
        """Decided seven days before the run: noted; eight days: not."""
        late = self._gentle_customer("Lea Late")
        later = self._gentle_customer("Leo Later")
        self.broken(late, date(2026, 12, 31), date(2026, 11, 3))
        self.broken(later, date(2026, 12, 31), date(2026, 11, 2))
        with self.trap_followups() as trap:
            self.run_followup()
        self.assertEqual(len(self.notes(trap, late)), 1)
        trap.assert_nothing_sent(later)

    def test_no_note_once_paid_or_paused(self):
        payer = self._gentle_customer("Pam Payer")
        paused = self._gentle_customer("Paul Paused")
        paid, _promise = self.broken(payer, date(2026, 12, 31), RUN_DATE)
        self.broken(paused, date(2026, 12, 31), RUN_DATE)
        self.pay(paid, date=date(2026, 11, 9))
        paused.action_gentle_pause()
        with self.trap_followups() as trap:
            self.run_followup()
        # The invoice paid is thanked for (the thank-you mode is "always"), the
        # broken promise is not mentioned.
        self.assertFalse(self.notes(trap, payer))
        self.assertEqual(trap.assert_sent(payer).thanked_move_ids, paid)
        trap.assert_nothing_sent(paused)

    def test_kept_promise_gets_no_broken_note(self):
        move = self._gentle_invoice(
            self.customer, date(2026, 9, 1), due=date(2026, 10, 20), amount=800.0
        )
        with freeze_time(datetime(2026, 10, 28, 10, 0)):
            promise = self.Promise.create(
                {
                    "partner_id": self.customer.id,
                    "move_ids": [Command.set(move.ids)],
                    "amount": 800.0,
                    "date_promised": date(2026, 11, 3),
                    "confirmed_on": date(2026, 10, 28),
                }
            )
        self.pay(move, date=date(2026, 11, 2))
        self.Promise._cron_decide(today=RUN_DATE)
        self.assertEqual(promise.state, "kept")
        email, trap = self.assert_followup_sends()
        self.assertEqual(email.thanked_promise_ids, promise)
        self.assertFalse(email.broken_promise_ids)
        self.assertFalse(self.notes(trap, self.customer))
        self.assertFalse(promise.broken_noted_on)
