from datetime import date

from odoo.tests import tagged

from ..controllers.portal import CASE_MESSAGE_MAX_CHARS, CASE_PORTAL_DAILY_CAP
from .test_support_portal import GentleCasePortalCommon


@tagged("post_install", "-at_install")
class TestGentlePortalHardening(GentleCasePortalCommon):
    """The question form of an invoice's portal page, posted by whoever holds
    the invoice's link: bounded input, one open question per invoice, a daily
    cap per customer, and a clean 400 on bad parameters."""

    def setUp(self):
        super().setUp()
        self.invoice._portal_ensure_token()
        self.csrf_token = self.csrf(self.page(self.invoice))

    def page(self, invoice):
        return f"/my/invoices/{invoice.id}?access_token={invoice.access_token}"

    def cases(self):
        return self.env["gentle.collection.case"].search(
            [("partner_id", "=", self.customer.id)]
        )

    def ask(self, invoice=None, **data):
        invoice = invoice or self.invoice
        invoice._portal_ensure_token()
        values = {
            "csrf_token": self.csrf_token,
            "access_token": invoice.access_token,
            "category_id": self.pricing.id,
            "message": "Why is the price higher than quoted?",
        }
        values.update(data)
        return self.url_open(f"/my/invoices/{invoice.id}/gentle_case", data=values)

    def test_message_length_boundary(self):
        self.assertEqual(CASE_MESSAGE_MAX_CHARS, 5000)
        response = self.ask(message="x" * 5001)
        self.assertEqual(response.status_code, 400)
        self.assertIn("Your message is too long", response.text)
        self.assertIn("5000 characters at most", response.text)
        self.assertNotIn("x" * 5001, response.text)
        self.assertFalse(self.cases())
        # A megabyte is refused the same way.
        response = self.ask(message="y" * 1_000_000)
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self.cases())
        # Exactly the limit is taken; Windows line breaks count as one.
        response = self.ask(message="z" * 4998 + "\r\nz")
        self.assertEqual(response.status_code, 200)
        case = self.cases()
        self.assertEqual(len(case), 1)
        self.assertIn(case.name, response.url)
        self.assertIn("z" * 4998, case.description)

    def test_exactly_the_limit_is_accepted(self):
        response = self.ask(message="z" * CASE_MESSAGE_MAX_CHARS)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(self.cases()), 1)

    def test_one_open_question_per_invoice(self):
        self.ask()
        case = self.cases()
        self.assertEqual(len(case), 1)
        response = self.ask(message="Any news?")
        self.assertEqual(response.status_code, 409)
        self.assertIn("already being handled", response.text)
        self.assertIn(case.name, response.text)
        self.assertEqual(self.cases(), case)
        self.assertNotIn("Any news?", "".join(case.message_ids.mapped("body")))
        # Once the question is answered, the customer may ask another one.
        case.action_cancel()
        response = self.ask(message="Another question")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(self.cases()), 2)

    def test_daily_cap_per_customer(self):
        self.assertEqual(CASE_PORTAL_DAILY_CAP, 3)
        invoices = self.invoice + self.env["account.move"].concat(
            *(
                self.init_invoice(
                    "out_invoice",
                    partner=self.customer,
                    invoice_date=date(2026, 2, 3),
                    amounts=[100.0 + n],
                    post=True,
                )
                for n in range(CASE_PORTAL_DAILY_CAP)
            )
        )
        for invoice in invoices[:CASE_PORTAL_DAILY_CAP]:
            self.assertEqual(self.ask(invoice).status_code, 200)
        self.assertEqual(len(self.cases()), CASE_PORTAL_DAILY_CAP)
        response = self.ask(invoices[-1])
        self.assertEqual(response.status_code, 429)
        self.assertIn("several questions from you today", response.text)
        self.assertEqual(len(self.cases()), CASE_PORTAL_DAILY_CAP)

    def test_bad_parameters_are_a_clean_400(self):
        for category_id in (
            "abc",
            "",
            "-1",
            "1.5",
            "99999999999",
            "9" * 5000,
            str(
                self.env["gentle.case.category"].search([], order="id desc")[:1].id + 1
            ),
        ):
            with self.subTest(category_id=category_id[:20]):
                response = self.ask(category_id=category_id)
                self.assertEqual(response.status_code, 400)
                self.assertIn("Please choose a topic", response.text)
        hidden = self.pricing.copy(
            {"portal_visible": False, "code": "gentle_test_hidden"}
        )
        self.assertEqual(self.ask(category_id=hidden.id).status_code, 400)
        self.assertEqual(self.ask(message="  \r\n ").status_code, 400)
        response = self.url_open(
            f"/my/invoices/{self.invoice.id}/gentle_case",
            data={
                "csrf_token": self.csrf_token,
                "access_token": self.invoice.access_token,
                "category_id": self.pricing.id,
            },
        )
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self.cases())
