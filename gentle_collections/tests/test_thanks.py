from datetime import date, datetime

from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon


@tagged("post_install", "-at_install")
class TestGentleThanks(AccountTestInvoicingCommon):
    """Thank-you notes: the follow-up engine's third source."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.resource_calendar_id.tz = "UTC"
        cls.company.write(
            {
                "gentle_go_live_date": date(2026, 1, 1),
                "gentle_thanks_mode": "always",
                "gentle_thanks_period_days": 30,
            }
        )
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Grateful Goods",
                "email": "ap@gratefulgoods.example.com",
                "is_company": True,
                "tz": "UTC",
            }
        )

    def make_invoice(self, due, amount=100.0, partner=None):
        invoice = self.init_invoice(
            "out_invoice",
            partner=partner or self.customer,
            invoice_date=date(2026, 1, 15),
            amounts=[amount],
        )
        invoice.invoice_date_due = due
        invoice.action_post()
        return invoice

    def pay(self, invoice, day, amount=None):
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create(
            {"amount": amount or invoice.amount_residual, "payment_date": day}
        )._create_payments()

    def run_followup(self, day, hour=10):
        return self.env["gentle.followup.engine"]._gentle_run(
            self.company,
            now=datetime(day.year, day.month, day.day, hour),
            partner_ids=[self.customer.id],
            window=False,
        )

    def due_on(self, day):
        return bool(
            self.env["gentle.followup.engine"]._gentle_due_partner_ids(
                self.company,
                datetime(day.year, day.month, day.day, 10),
                [self.customer.id],
                window=False,
            )
        )

    def thanks(self):
        return self.env["gentle.followup.action"].search(
            [
                ("partner_id", "=", self.customer.id),
                ("thanked_move_ids", "!=", False),
            ],
            order="id",
        )

    # ------------------------------------------------------------------

    def test_paid_invoice_is_thanked_once(self):
        invoice = self.make_invoice(date(2026, 3, 31))
        self.assertFalse(self.due_on(date(2026, 3, 5)))
        self.pay(invoice, date(2026, 3, 5))
        self.assertTrue(self.due_on(date(2026, 3, 5)))
        result = self.run_followup(date(2026, 3, 5))
        sent = self.thanks()
        self.assertEqual(sent, result["actions"])
        self.assertEqual(sent.channel, "email")
        self.assertEqual(sent.tone, "friendly")
        self.assertFalse(sent.level_id)
        self.assertEqual(sent.thanked_move_ids, invoice)
        self.assertIn("Thank-you", sent.name)
        message = sent.mail_message_id
        self.assertIn("thank you for your payment", message.subject)
        self.assertIn(invoice.name, message.body)
        self.assertIn(self.customer, message.partner_ids)
        self.assertEqual(invoice.gentle_thanked_on, date(2026, 3, 5))
        self.assertIn("Thank-you for the payment", invoice.message_ids[0].body)
        self.assertFalse(self.due_on(date(2026, 3, 5)))
        self.run_followup(date(2026, 3, 6))
        self.assertEqual(len(self.thanks()), 1)

    def test_off_thanks_nobody(self):
        self.company.gentle_thanks_mode = "off"
        invoice = self.make_invoice(date(2026, 3, 31))
        self.pay(invoice, date(2026, 3, 5))
        self.assertFalse(self.due_on(date(2026, 3, 5)))
        self.run_followup(date(2026, 3, 5))
        self.assertFalse(self.thanks())
        self.assertFalse(invoice.gentle_thanked_on)

    def test_only_recent_full_payments(self):
        """Paid up to 7 days ago: thanked; 8 days ago, partly paid or reversed
        by a credit note: not."""
        invoice = self.make_invoice(date(2026, 3, 31))
        self.pay(invoice, date(2026, 3, 5))
        self.assertFalse(self.due_on(date(2026, 3, 13)))  # 8 days later
        self.assertTrue(self.due_on(date(2026, 3, 12)))  # 7 days later
        partly = self.make_invoice(date(2026, 3, 31), partner=self.customer)
        invoice.gentle_thanked_on = date(2026, 1, 1)  # out of the period
        self.pay(partly, date(2026, 3, 6), amount=40.0)
        self.assertFalse(self.due_on(date(2026, 3, 6)))
        reversed_invoice = self.make_invoice(date(2026, 3, 31))
        reversal = reversed_invoice._reverse_moves(cancel=True)
        self.assertEqual(reversal.state, "posted")
        self.assertFalse(self.due_on(date(2026, 3, 6)))

    def test_after_reminder_only(self):
        self.company.gentle_thanks_mode = "after_reminder"
        quiet = self.make_invoice(date(2026, 3, 31))
        self.pay(quiet, date(2026, 3, 5))
        self.assertFalse(self.due_on(date(2026, 3, 5)))
        reminded = self.make_invoice(date(2026, 3, 10), amount=250.0)
        quiet.gentle_thanked_on = False
        reminders = self.run_followup(date(2026, 3, 20))
        self.assertTrue(reminders["actions"].filtered(lambda a: a.move_ids))
        self.pay(reminded, date(2026, 3, 22))
        self.run_followup(date(2026, 3, 22))
        self.assertEqual(self.thanks().thanked_move_ids, reminded)

    def test_first_on_time_payment_in_a_year(self):
        self.company.gentle_thanks_mode = "first_on_time"
        self.company.gentle_thanks_period_days = 1
        late = self.make_invoice(date(2026, 2, 10))
        self.pay(late, date(2026, 2, 20))
        self.assertFalse(self.due_on(date(2026, 2, 20)))  # late: no thanks
        on_due_date = self.make_invoice(date(2026, 3, 5))
        self.pay(on_due_date, date(2026, 3, 5))  # on the due date is on time
        self.run_followup(date(2026, 3, 5))
        self.assertEqual(self.thanks().thanked_move_ids, on_due_date)
        # The next on-time payment is not the first any more.
        again = self.make_invoice(date(2026, 4, 30))
        self.pay(again, date(2026, 4, 20))
        self.assertFalse(self.due_on(date(2026, 4, 20)))
        # A day late is late.
        day_late = self.make_invoice(date(2026, 5, 1))
        self.pay(day_late, date(2026, 5, 2))
        self.assertFalse(self.due_on(date(2026, 5, 2)))

    def test_at_most_once_per_period(self):
        first = self.make_invoice(date(2026, 3, 31))
        self.pay(first, date(2026, 3, 2))
        self.run_followup(date(2026, 3, 2))
        self.assertEqual(first.gentle_thanked_on, date(2026, 3, 2))
        second = self.make_invoice(date(2026, 4, 30))
        self.pay(second, date(2026, 3, 26))
        # Thanked on 2 March, 30-day period: not before 1 April.
        self.assertFalse(self.due_on(date(2026, 3, 31)))
        self.assertTrue(self.due_on(date(2026, 4, 1)))
        self.run_followup(date(2026, 4, 1))
        self.assertEqual(self.thanks()[-1].thanked_move_ids, second)

    def test_several_paid_invoices_in_one_note(self):
        first = self.make_invoice(date(2026, 3, 31), amount=100.0)
        second = self.make_invoice(date(2026, 3, 31), amount=200.0)
        self.pay(first, date(2026, 3, 4))
        self.pay(second, date(2026, 3, 5))
        self.run_followup(date(2026, 3, 5))
        sent = self.thanks()
        self.assertEqual(len(sent), 1)
        self.assertEqual(sent.thanked_move_ids, first | second)
        self.assertIn(first.name, sent.mail_message_id.body)
        self.assertIn(second.name, sent.mail_message_id.body)

    def test_thanks_travel_with_a_reminder(self):
        """A customer who paid one invoice and has another to remind gets one
        message: the thanks first, then the invoices due."""
        paid = self.make_invoice(date(2026, 3, 31))
        overdue = self.make_invoice(date(2026, 2, 20), amount=300.0)
        self.pay(paid, date(2026, 3, 5))
        result = self.run_followup(date(2026, 3, 5))
        emails = result["actions"].filtered(lambda a: a.channel == "email")
        self.assertEqual(len(emails), 1)
        self.assertEqual(emails.move_ids, overdue)
        self.assertEqual(emails.thanked_move_ids, paid)
        body = emails.mail_message_id.body
        self.assertIn("thank you for settling", body)
        self.assertLess(body.index(paid.name), body.index(overdue.name))

    def test_thanks_claimed_elsewhere_drop_the_whole_message(self):
        """Issue 11, item 4: a message with a thank-you and a reminder, whose
        thank-you another run sent first, is dropped whole: the reminder's
        steps are not marked done, and the next run sends the reminder."""
        paid = self.make_invoice(date(2026, 3, 31))
        overdue = self.make_invoice(date(2026, 2, 20), amount=300.0)
        self.pay(paid, date(2026, 3, 5))
        engine = self.env["gentle.followup.engine"]
        day = date(2026, 3, 5)
        [both] = engine._gentle_prepare(self.company, day, self.customer.ids)
        [thanks_only] = engine._gentle_prepare(self.company, day, self.customer.ids)
        self.assertEqual(both.items["thanks"], paid)
        self.assertTrue(both.items["steps"])
        thanks_only.items["steps"] = []
        self.assertTrue(engine._gentle_execute([thanks_only]))
        self.assertFalse(engine._gentle_execute([both]))
        History = self.env["gentle.followup.history"]
        self.assertFalse(History.search([("move_id", "=", overdue.id)]))
        result = self.run_followup(day)
        email = result["actions"].filtered(lambda a: a.channel == "email")
        self.assertEqual(email.move_ids, overdue)
        self.assertFalse(email.thanked_move_ids)
        self.assertEqual(len(self.thanks()), 1)

    def test_sent_in_the_contact_window(self):
        invoice = self.make_invoice(date(2026, 3, 31))
        self.pay(invoice, date(2026, 3, 6))
        # The scheduled action runs as the superuser; Friday 6 March, 9-17 UTC.
        engine = self.env["gentle.followup.engine"].sudo()
        with freeze_time(datetime(2026, 3, 6, 17, 0)):
            engine._cron_followup(now=datetime(2026, 3, 6, 17, 0))
        self.assertFalse(self.thanks())
        engine._cron_followup(now=datetime(2026, 3, 6, 16, 59))
        self.assertEqual(self.thanks().thanked_move_ids, invoice)

    def test_preview_then_send(self):
        invoice = self.make_invoice(date(2026, 3, 31))
        self.pay(invoice, date(2026, 3, 5))
        with freeze_time(date(2026, 3, 5)):
            wizard = self.env["gentle.followup.send"].create(
                {"partner_ids": [(6, 0, self.customer.ids)]}
            )
            preview = wizard.communication_ids.body_html
            self.assertIn(invoice.name, preview)
            self.assertFalse(invoice.gentle_thanked_on)
            wizard.action_send()
        self.assertEqual(self.thanks().body_html, preview)
        self.assertEqual(self.thanks().communication_id.thanked_move_ids, invoice)
        self.assertEqual(invoice.gentle_thanked_on, date(2026, 3, 5))

    def test_period_must_be_positive(self):
        with self.assertRaises(ValidationError) as err:
            self.company.write({"gentle_thanks_period_days": 0})
        self.assertIn("at least one day", str(err.exception))
        self.assertEqual(self.company.gentle_thanks_period_days, 30)
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.gentle_thanks_mode, "always")
