from datetime import date
from unittest.mock import patch

from freezegun import freeze_time
from markupsafe import Markup

from odoo.tests import Form, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

TODAY = date(2026, 3, 2)
PROMISED = date(2026, 3, 15)


@tagged("post_install", "-at_install")
class TestGentlePromiseReply(AccountTestInvoicingCommon):
    """Issue 6 item 4: a promise to pay read in a customer's e-mail reply is
    prepared for the collector to confirm."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.gentle_go_live_date = date(2026, 1, 1)
        cls.env["res.lang"]._activate_lang("fr_FR")
        common = {"company_id": cls.company.id, "company_ids": [cls.company.id]}
        cls.collector = new_test_user(
            cls.env,
            login="reply_collector",
            groups="base.group_user,gentle_collections.group_gentle_user",
            name="Rita Reader",
            **common,
        )
        cls.salesperson = new_test_user(
            cls.env,
            login="reply_salesperson",
            groups="base.group_user",
            name="Sam Sales",
            **common,
        )
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Reply Corp",
                "email": "ap@replycorp.example.com",
                "is_company": True,
                "lang": "en_US",
                "tz": "UTC",
            }
        )
        cls.contact = cls.env["res.partner"].create(
            {
                "name": "Rob Replier",
                "email": "rob@replycorp.example.com",
                "parent_id": cls.customer.id,
            }
        )
        cls.customer_fr = cls.env["res.partner"].create(
            {
                "name": "Réponse SARL",
                "email": "compta@reponse.example.com",
                "is_company": True,
                "lang": "fr_FR",
            }
        )
        cls.other_customer = cls.env["res.partner"].create(
            {"name": "Other Reply Ltd", "email": "ap@otherreply.example.com"}
        )
        cls.invoice = cls.make_invoice(cls.customer, 1000.0)
        cls.invoice_fr = cls.make_invoice(cls.customer_fr, 2000.0)
        cls.Promise = cls.env["gentle.payment.promise"]

    @classmethod
    def make_invoice(cls, partner, amount):
        invoice = cls.init_invoice(
            "out_invoice",
            partner=partner,
            invoice_date=date(2026, 2, 2),
            amounts=[amount],
        )
        invoice.invoice_date_due = date(2026, 2, 2)
        invoice.invoice_user_id = cls.collector
        invoice.action_post()
        return invoice

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    def post_email(self, record, body, author=None, subject="Re: your reminder"):
        with freeze_time(TODAY):
            return record.message_post(
                body=Markup(body),
                subject=subject,
                message_type="email",
                subtype_xmlid="mail.mt_comment",
                author_id=(author or self.contact).id,
            )

    def reply_activities(self, record):
        return record.activity_ids.filtered("gentle_reply_message_id")

    def customer_reply(self, body, message_id="<reply-1@replycorp.example.com>"):
        """A real reply by e-mail to a message posted on the customer."""
        with freeze_time(TODAY):
            reminder = self.customer.message_post(
                body="Friendly reminder: invoice still open.",
                subject="Your invoice",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
            raw = (
                "From: Rob Replier <rob@replycorp.example.com>\r\n"
                "To: collections@example.com\r\n"
                "Subject: Re: Your invoice\r\n"
                f"Message-ID: {message_id}\r\n"
                f"In-Reply-To: {reminder.message_id}\r\n"
                f"References: {reminder.message_id}\r\n"
                "Content-Type: text/plain; charset=utf-8\r\n\r\n"
                f"{body}\r\n"
            )
            return self.env["mail.thread"].message_process(False, raw)

    # ------------------------------------------------------------------
    # Replies on a customer
    # ------------------------------------------------------------------

    def test_english_reply_prepares_a_promise_to_confirm(self):
        thread_id = self.customer_reply(
            "Hello,\r\nSorry for the delay. We will pay 500.00 USD on March 15th "
            f"for {self.invoice.name}.\r\nBest regards, Rob\r\n\r\n"
            "On Mon, Mar 2, 2026 Collections wrote:\r\n"
            "> Please pay 1,000.00 USD by March 5th.\r\n"
        )
        self.assertEqual(thread_id, self.customer.id)
        activity = self.reply_activities(self.customer)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.gentle_promise_date, PROMISED)
        self.assertEqual(activity.gentle_promise_amount, 500.0)
        self.assertEqual(activity.user_id, self.collector)
        self.assertEqual(
            activity.activity_type_id, self.env.ref("mail.mail_activity_data_todo")
        )
        self.assertEqual(activity.date_deadline, TODAY)
        self.assertTrue(activity.summary.startswith("Promise in reply:"))
        self.assertIn("500.00", activity.summary)
        self.assertIn("03/15/2026", activity.summary)
        self.assertIn("We will pay 500.00 USD on March 15th", activity.note)
        # The quoted reminder is not the customer's word.
        self.assertNotIn("1,000.00", activity.note)
        self.assertEqual(activity.gentle_reply_message_id.author_id, self.contact)
        # Nothing is on hold before the collector confirms.
        self.assertFalse(self.Promise.search([("partner_id", "=", self.customer.id)]))
        with freeze_time(TODAY):
            self.invoice.invalidate_recordset()
            self.assertFalse(self.invoice.gentle_on_hold)

            action = activity.with_user(self.collector).action_gentle_record_promise()
            context = action["context"]
            self.assertEqual(context["gentle_activity_id"], activity.id)
            self.assertEqual(context["default_source"], "reply")
            self.assertEqual(context["default_date_promised"], PROMISED)
            self.assertEqual(context["default_amount"], 500.0)
            self.assertEqual(context["default_move_ids"], [(6, 0, self.invoice.ids)])
            self.assertIn("We will pay 500.00 USD", context["default_note"])
            form = Form(
                self.Promise.with_user(self.collector).with_context(**context),
                view="gentle_collections.gentle_payment_promise_view_form_quick",
            )
            self.assertEqual(form.source, "reply")
            self.assertEqual(form.date_promised, PROMISED)
            promise = form.save()
            self.assertEqual(promise.source, "reply")
            self.assertEqual(promise.amount, 500.0)
            self.assertEqual(promise.date_promised, PROMISED)
            self.assertEqual(promise.move_ids, self.invoice)
            self.assertIn("We will pay 500.00 USD", promise.note)
            self.invoice.invalidate_recordset()
            self.assertTrue(self.invoice.gentle_on_hold)
        self.assertFalse(activity.exists().filtered("active"))

    def test_same_reply_read_once(self):
        body = "We will settle the invoice on March 15, 2026."
        self.customer_reply(body)
        self.customer_reply(body)
        activity = self.reply_activities(self.customer)
        self.assertEqual(len(activity), 1)
        # Read again (e.g. posted twice through the hook): still one activity.
        message = activity.gentle_reply_message_id
        self.assertFalse(
            self.Promise._gentle_promise_from_reply(self.customer, message)
        )
        self.assertEqual(len(self.reply_activities(self.customer)), 1)

    def test_a_failure_while_reading_never_loses_the_reply(self):
        Reply = type(self.env["gentle.payment.promise.reply"])

        def broken(self, record, message):
            raise ValueError("unexpected text")

        with (
            patch.object(Reply, "_gentle_reply_promise", broken),
            mute_logger("odoo.addons.gentle_collections.models.gentle_payment_promise"),
        ):
            self.customer_reply("We will pay on March 15, 2026.")
        reply = self.customer.message_ids.filtered(lambda m: m.message_type == "email")
        self.assertIn("We will pay on March 15, 2026.", reply.body)
        self.assertFalse(self.reply_activities(self.customer))

    def test_reply_without_amount_or_too_much_uses_what_is_owed(self):
        self.post_email(self.customer, "<p>We will pay everything on 2026-03-15.</p>")
        activity = self.reply_activities(self.customer)
        self.assertEqual(activity.gentle_promise_amount, 1000.0)
        self.assertEqual(activity.gentle_promise_date, PROMISED)
        activity.unlink()
        self.post_email(
            self.customer, "<p>Payment of 5,000.00 USD will be made on 15 March.</p>"
        )
        activity = self.reply_activities(self.customer)
        self.assertEqual(activity.gentle_promise_amount, 1000.0)
        with freeze_time(TODAY):
            context = activity.action_gentle_record_promise()["context"]
        self.assertEqual(context["default_amount"], 1000.0)

    def test_unknown_sender_on_the_customer_thread(self):
        with freeze_time(TODAY):
            self.customer.message_post(
                body=Markup("<p>Hello, see the subject.</p>"),
                subject="We will transfer $300 on March 20",
                message_type="email",
                author_id=False,
                email_from="someone@elsewhere.example.com",
            )
        activity = self.reply_activities(self.customer)
        self.assertEqual(activity.gentle_promise_date, date(2026, 3, 20))
        self.assertEqual(activity.gentle_promise_amount, 300.0)

    def test_collector_falls_back_to_the_customer_salesperson(self):
        self.invoice.invoice_user_id = False
        self.customer.user_id = self.salesperson
        self.post_email(self.customer, "<p>We will pay on March 15.</p>")
        self.assertEqual(self.reply_activities(self.customer).user_id, self.salesperson)

    # ------------------------------------------------------------------
    # Nothing to prepare
    # ------------------------------------------------------------------

    def test_nothing_when_no_promise_or_not_the_customer(self):
        # An employee filed as the customer's contact is still not the customer.
        internal = new_test_user(
            self.env, login="reply_employee", groups="base.group_user"
        ).partner_id
        internal.parent_id = self.customer
        promise = "<p>We will pay on March 15.</p>"
        cases = [
            ("past date", "<p>We paid 500.00 USD on March 1.</p>", None, None),
            ("no payment word", "<p>See you on March 15, 500.00 USD.</p>", None, None),
            ("too far", "<p>We will pay on 2026-07-01.</p>", None, None),
            ("no date", "<p>We will pay 500.00 USD soon.</p>", None, None),
            ("internal user", promise, internal, None),
            ("other customer", promise, self.other_customer, None),
            ("our subject", "<p>Noted.</p>", None, "Re: Payment due March 15"),
            (
                "quoted",
                "<p>Noted.</p><blockquote>We expect your payment on March 15."
                "</blockquote>",
                None,
                None,
            ),
        ]
        for name, body, author, subject in cases:
            with self.subTest(name):
                message = self.post_email(
                    self.customer,
                    body,
                    author=author,
                    subject=subject or "Re: your reminder",
                )
                self.assertTrue(message)
                self.assertFalse(self.reply_activities(self.customer))
        # A note or a comment is never read, whoever writes it.
        with freeze_time(TODAY):
            self.customer.message_post(
                body=Markup("<p>We will pay on March 15.</p>"),
                message_type="comment",
                author_id=self.contact.id,
            )
        self.assertFalse(self.reply_activities(self.customer))

    def test_nothing_when_nothing_is_owed(self):
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=self.invoice.ids
        ).create({"payment_date": date(2026, 3, 1)})._create_payments()
        self.post_email(self.customer, "<p>We will pay on March 15.</p>")
        self.assertFalse(self.reply_activities(self.customer))

    # ------------------------------------------------------------------
    # Replies on an invoice and on a case
    # ------------------------------------------------------------------

    def test_french_reply_on_an_invoice(self):
        self.post_email(
            self.invoice_fr,
            "<p>Bonjour,</p><p>Nous réglerons la facture le 15/03/2026 pour un "
            "montant de 1 234,56 €.</p><p>Cordialement</p>",
            author=self.customer_fr,
            subject="RE: Facture",
        )
        activity = self.reply_activities(self.invoice_fr)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.gentle_promise_date, PROMISED)
        self.assertEqual(activity.gentle_promise_amount, 1234.56)
        self.assertIn("1,234.56", activity.summary)
        self.assertFalse(self.reply_activities(self.customer_fr))
        with freeze_time(TODAY):
            context = activity.action_gentle_record_promise()["context"]
            self.assertEqual(context["default_move_ids"], [(6, 0, self.invoice_fr.ids)])
            self.assertEqual(context["default_amount"], 1234.56)
            promise = Form(
                self.Promise.with_context(**context),
                view="gentle_collections.gentle_payment_promise_view_form_quick",
            ).save()
        self.assertEqual(promise.partner_id, self.customer_fr)
        self.assertEqual(promise.source, "reply")
        self.assertFalse(activity.exists().filtered("active"))

    def test_reply_on_a_case(self):
        case = self.env["gentle.collection.case"].create(
            {
                "subject": "Question on the invoice",
                "partner_id": self.customer.id,
                "category_id": self.env.ref(
                    "gentle_collections.gentle_case_category_payment_question"
                ).id,
                "move_ids": [(6, 0, self.invoice.ids)],
            }
        )
        self.post_email(case, "<p>Thanks, we will pay $250 on March 15th.</p>")
        activity = self.reply_activities(case)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.gentle_promise_amount, 250.0)
        self.assertFalse(self.reply_activities(self.customer))
        with freeze_time(TODAY):
            context = activity.action_gentle_record_promise()["context"]
            self.assertEqual(context["default_move_ids"], [(6, 0, self.invoice.ids)])
            promise = Form(
                self.Promise.with_context(**context),
                view="gentle_collections.gentle_payment_promise_view_form_quick",
            ).save()
        self.assertEqual(promise.amount, 250.0)
        self.assertEqual(promise.source, "reply")
        self.assertFalse(activity.exists().filtered("active"))
