from datetime import date, datetime

from freezegun import freeze_time

from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from .common import GentleTestMixin

TODAY = date(2026, 3, 2)
PROMISED = date(2026, 3, 10)
# Promised date plus the default 3 grace days: on hold until this day included.
DEADLINE = date(2026, 3, 13)


@tagged("post_install", "-at_install")
class TestGentlePaymentPromise(GentleTestMixin, AccountTestInvoicingCommon):
    """Issue 6 item 4: promises to pay hold the follow-up and feed the score."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.resource_calendar_id.tz = "UTC"
        cls.company.gentle_go_live_date = date(2026, 1, 1)
        cls.collector = new_test_user(
            cls.env,
            login="promise_collector",
            groups="base.group_user,gentle_collections.group_gentle_user",
            name="Pat Collector",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Promise Corp",
                "email": "ap@promisecorp.example.com",
                "is_company": True,
                "tz": "UTC",
            }
        )
        cls.contact = cls.env["res.partner"].create(
            {"name": "Paula Payer", "parent_id": cls.customer.id}
        )
        cls.other_customer = cls.env["res.partner"].create(
            {"name": "Other Promise Ltd", "email": "ap@otherpromise.example.com"}
        )
        cls.invoice = cls.make_invoice(cls.customer, date(2026, 2, 2), 1000.0)
        cls.other_invoice = cls.make_invoice(
            cls.other_customer, date(2026, 2, 2), 300.0
        )
        cls.Promise = cls.env["gentle.payment.promise"]
        cls.engine = cls.env["gentle.followup.engine"].with_company(cls.company)

    @classmethod
    def make_invoice(cls, partner, day, amount):
        invoice = cls.init_invoice(
            "out_invoice", partner=partner, invoice_date=day, amounts=[amount]
        )
        invoice.invoice_date_due = day
        invoice.action_post()
        return invoice

    def promise(self, amount=600.0, day=PROMISED, moves=None, **values):
        with freeze_time(TODAY):
            return self.Promise.with_user(self.collector).create(
                {
                    "partner_id": self.customer.id,
                    "move_ids": [(6, 0, (moves or self.invoice).ids)],
                    "amount": amount,
                    "date_promised": day,
                    **values,
                }
            )

    def due(self, day):
        return self.engine._gentle_due_partner_ids(
            self.company,
            datetime.combine(day, datetime.min.time()).replace(hour=10),
            [self.customer.id],
            window=False,
        )

    # ------------------------------------------------------------------
    # Capture and bad input
    # ------------------------------------------------------------------

    def test_promise_from_the_customer_form(self):
        with freeze_time(TODAY):
            action = self.contact.action_gentle_promise()
            self.assertEqual(action["target"], "new")
            context = action["context"]
            self.assertEqual(context["default_partner_id"], self.customer.id)
            self.assertEqual(context["default_amount"], 1000.0)
            form = Form(
                self.Promise.with_context(**context),
                view="gentle_collections.gentle_payment_promise_view_form_quick",
            )
            form.date_promised = PROMISED
            form.amount = 400.0
            promise = form.save()
        self.assertEqual(promise.partner_id, self.customer)
        self.assertEqual(promise.move_ids, self.invoice)
        self.assertEqual(promise.source, "form")
        self.assertEqual(promise.grace_days, 3)
        self.assertEqual(promise.date_deadline, DEADLINE)
        self.assertEqual(promise.residual_at_promise, 1000.0)
        self.assertEqual(promise.state, "open")
        self.assertEqual(self.customer.gentle_promise_count, 1)
        # From the invoice: a call, for that invoice only.
        action = self.invoice.action_gentle_promise()
        self.assertEqual(action["context"]["default_source"], "call")
        self.assertEqual(
            action["context"]["default_move_ids"], [(6, 0, self.invoice.ids)]
        )

    def test_grace_days_default_from_company(self):
        self.company.gentle_promise_grace_days = 5
        promise = self.promise()
        self.assertEqual(promise.date_deadline, date(2026, 3, 15))

    def test_bad_input_is_refused_and_nothing_saved(self):
        cases = [
            ({"day": date(2026, 3, 1)}, "in the past"),
            ({"amount": 1000.01}, "more than the invoices still owe"),
            ({"amount": 0.0}, "more than zero"),
            ({"amount": -5.0}, "more than zero"),
            ({"moves": self.other_invoice}, "belongs to Other Promise Ltd"),
        ]
        for values, message in cases:
            with self.subTest(values=values):
                with self.assertRaises(ValidationError) as caught:
                    self.promise(**values)
                self.assertIn(message, str(caught.exception))
        self.assertFalse(self.Promise.search([]))
        # Today and the whole residual are fine (both boundaries).
        self.assertEqual(self.promise(amount=1000.0, day=TODAY).state, "open")

    # ------------------------------------------------------------------
    # Hold
    # ------------------------------------------------------------------

    def test_open_promise_holds_until_date_plus_grace(self):
        self.assertEqual(self.due(DEADLINE), [self.customer.id])
        promise = self.promise()
        with freeze_time(DEADLINE):
            self.invoice.invalidate_recordset()
            self.assertTrue(self.invoice.gentle_on_hold)
            self.assertIn("Promise to pay", self.invoice.gentle_hold_reason)
            self.assertIn("600.00", self.invoice.gentle_hold_reason)
        self.assertFalse(self.due(DEADLINE))
        self.assertEqual(self.due(date(2026, 3, 14)), [self.customer.id])
        with freeze_time(date(2026, 3, 14)):
            self.invoice.invalidate_recordset()
            self.assertFalse(self.invoice.gentle_on_hold)
        promise.action_cancel()
        self.assertEqual(promise.state, "cancelled")
        self.assertEqual(self.due(DEADLINE), [self.customer.id])

    # ------------------------------------------------------------------
    # Deciding
    # ------------------------------------------------------------------

    def test_kept_promise_is_thanked(self):
        promise = self.promise()
        self.pay(self.invoice, 600.0, date(2026, 3, 9))
        self.Promise._cron_decide(today=DEADLINE)
        self.assertEqual(promise.state, "open")
        self.Promise._cron_decide(today=date(2026, 3, 14))
        self.assertEqual(promise.state, "kept")
        self.assertEqual(promise.decided_on, date(2026, 3, 14))
        self.assertTrue(
            promise.message_ids.filtered(lambda m: "Promise kept" in str(m.body))
        )
        # Deciding emails no one: the follow-up run thanks the customer.
        self.assertFalse(
            self.env["mail.mail"].search(
                [("model", "=", promise._name), ("res_id", "=", promise.id)]
            )
        )
        self.assertFalse(
            promise.message_ids.filtered(lambda m: m.message_type == "comment")
        )
        self.assertFalse(promise.activity_ids)
        self.assertFalse(promise.thanked_on)
        run = self.engine._gentle_run(
            self.company,
            now=datetime(2026, 3, 16, 10, 0),
            partner_ids=self.customer.ids,
            window=False,
        )
        email = run["actions"].filtered(lambda a: a.channel == "email")
        self.assertEqual(len(email), 1)
        self.assertEqual(email.thanked_promise_ids, promise)
        self.assertEqual(promise.thanked_on, date(2026, 3, 16))
        message = email.mail_message_id
        self.assertEqual(message.model, "res.partner")
        self.assertIn(self.customer, message.partner_ids)
        body = str(message.body)
        self.assertIn("600.00", body)
        self.assertIn("thank you for keeping your word", body)
        self.assertTrue(
            promise.message_ids.filtered(
                lambda m: "Thank-you for keeping the promise" in str(m.body)
            )
        )
        again = self.engine._gentle_run(
            self.company,
            now=datetime(2026, 3, 17, 10, 0),
            partner_ids=self.customer.ids,
            window=False,
        )
        self.assertFalse(again["actions"].thanked_promise_ids)

    def test_broken_promise_resumes_and_asks_the_collector(self):
        self.invoice.invoice_user_id = False
        promise = self.promise()
        self.pay(self.invoice, 599.0, date(2026, 3, 9))
        self.Promise._cron_decide(today=DEADLINE)
        self.assertEqual(promise.state, "open")
        self.assertFalse(self.due(DEADLINE))
        self.Promise._cron_decide(today=date(2026, 3, 14))
        self.assertEqual(promise.state, "broken")
        self.assertEqual(promise.decided_on, date(2026, 3, 14))
        self.assertTrue(
            promise.message_ids.filtered(lambda m: "Promise broken" in str(m.body))
        )
        # The invoice has no salesperson: the collector who recorded it.
        self.assertEqual(promise.activity_ids.user_id, self.collector)
        self.assertFalse(
            self.env["mail.mail"].search(
                [("model", "=", promise._name), ("res_id", "=", promise.id)]
            )
        )
        self.assertEqual(self.due(DEADLINE), [self.customer.id])

    def test_promises_feed_the_score(self):
        kept = self.promise(amount=300.0)
        broken = self.promise(amount=500.0, day=date(2026, 3, 11))
        self.pay(self.invoice, 300.0, date(2026, 3, 9))
        self.Promise._cron_decide(today=date(2026, 3, 14))
        self.Promise._cron_decide(today=date(2026, 3, 15))
        self.assertEqual((kept.state, kept.decided_on), ("kept", date(2026, 3, 14)))
        self.assertEqual(
            (broken.state, broken.decided_on), ("broken", date(2026, 3, 15))
        )
        Score = self.env["gentle.score.engine"]
        partner = self.customer.with_company(self.company)
        expected = {
            date(2026, 3, 13): (0, 0),
            date(2026, 3, 14): (1, 0),
            date(2026, 3, 15): (1, 1),
        }
        for day, counts in expected.items():
            with self.subTest(day=day):
                Score._gentle_recompute(self.company, date=day)
                partner.invalidate_recordset()
                self.assertEqual(
                    (partner.gentle_promises_kept, partner.gentle_promises_broken),
                    counts,
                )

    def test_promise_from_call_activity(self):
        activity = self.invoice.activity_schedule(
            "mail.mail_activity_data_call", summary="Follow-up call"
        )
        with freeze_time(TODAY):
            action = activity.action_gentle_record_promise()
            self.assertEqual(action["context"]["gentle_activity_id"], activity.id)
            form = Form(
                self.Promise.with_context(**action["context"]),
                view="gentle_collections.gentle_payment_promise_view_form_quick",
            )
            form.date_promised = PROMISED
            form.amount = 400.0
            promise = form.save()
        self.assertEqual(promise.move_ids, self.invoice)
        self.assertEqual(promise.source, "call")
        # The call is done, its feedback names the promise.
        self.assertFalse(activity.exists().filtered("active"))
        done = self.invoice.message_ids.filtered(
            lambda m: (
                m.mail_activity_type_id == self.env.ref("mail.mail_activity_data_call")
            )
        )
        self.assertIn("Promise to pay", done[:1].body)

    def test_promise_only_from_customer_or_invoice_activities(self):
        product = self.env["product.template"].create({"name": "Widget"})
        activity = product.activity_schedule(
            "mail.mail_activity_data_todo", summary="Not a customer"
        )
        with self.assertRaises(UserError):
            activity.action_gentle_record_promise()
