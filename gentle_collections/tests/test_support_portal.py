import re
from datetime import date

from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from .common import gentle_start_tour


class GentleCasePortalCommon(AccountTestInvoicingCommon, HttpCase):
    """A customer with a portal user, a support tier and an invoice."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.specialist = new_test_user(
            cls.env,
            login="gentle_specialist",
            groups="base.group_user,gentle_collections.group_gentle_user",
            name="Sue Specialist",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        pricing = cls.env.ref("gentle_collections.gentle_case_category_pricing_dispute")
        cls.pricing = pricing
        cls.env["gentle.support.tier"].create(
            {
                "name": "Billing",
                "sla_hours": 16,
                "member_ids": [(6, 0, cls.specialist.ids)],
                "category_ids": [(6, 0, pricing.ids)],
            }
        )
        cls.customer = cls.env["res.partner"].create(
            {"name": "Portal Corp", "email": "ap@portalcorp.example.com"}
        )
        cls.other = cls.env["res.partner"].create(
            {"name": "Someone Else", "email": "ap@else.example.com"}
        )
        cls.portal_user = new_test_user(
            cls.env,
            login="gentle_portal",
            groups="base.group_portal",
            partner_id=cls.customer.id,
            name="Portal Corp",
        )
        cls.invoice = cls.init_invoice(
            "out_invoice",
            partner=cls.customer,
            invoice_date=date(2026, 2, 2),
            amounts=[500.0],
            post=True,
        )
        cls.other_invoice = cls.init_invoice(
            "out_invoice",
            partner=cls.other,
            invoice_date=date(2026, 2, 2),
            amounts=[80.0],
            post=True,
        )

    def csrf(self, url):
        page = self.url_open(url)
        self.assertEqual(page.status_code, 200)
        return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)

    def post_question(self, invoice, token=None):
        url = f"/my/invoices/{invoice.id}/gentle_case"
        return self.url_open(
            url,
            data={
                "csrf_token": token,
                "category_id": self.pricing.id,
                "message": "Why is the price higher than quoted?",
            },
        )


@tagged("post_install", "-at_install")
class TestGentleCasePortal(GentleCasePortalCommon):
    """Customers ask about their invoices from the portal, and only theirs."""

    def test_portal_customer_opens_and_reads_only_own_cases(self):
        self.authenticate("gentle_portal", "gentle_portal")
        token = self.csrf(f"/my/invoices/{self.invoice.id}")
        response = self.post_question(self.invoice, token)
        case = self.env["gentle.collection.case"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertEqual(len(case), 1)
        self.assertEqual(case.move_ids, self.invoice)
        self.assertEqual(case.source, "portal")
        self.assertEqual(case.category_id, self.pricing)
        self.assertEqual(case.user_id, self.specialist)
        self.assertIn(case.name, response.url)
        self.assertIn(self.portal_user.partner_id, case.message_partner_ids)
        # Their case: readable, listed.
        page = self.url_open(f"/my/cases/{case.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Why is the price higher than quoted?", page.text)
        self.assertIn(case.name, self.url_open("/my/cases").text)
        # Another customer's invoice and case: refused, nothing created.
        self.post_question(self.other_invoice, token)
        self.assertFalse(
            self.env["gentle.collection.case"].search(
                [("partner_id", "=", self.other.id)]
            )
        )
        other_case = self.env["gentle.collection.case"].create(
            {
                "subject": "Not yours",
                "partner_id": self.other.id,
                "category_id": self.pricing.id,
                "move_ids": [(6, 0, self.other_invoice.ids)],
            }
        )
        page = self.url_open(f"/my/cases/{other_case.id}")
        self.assertNotIn("Not yours", page.text)
        self.assertTrue(page.url.endswith("/my"), page.url)

    def test_question_without_topic_or_message_is_refused(self):
        self.authenticate("gentle_portal", "gentle_portal")
        token = self.csrf(f"/my/invoices/{self.invoice.id}")
        response = self.url_open(
            f"/my/invoices/{self.invoice.id}/gentle_case",
            data={"csrf_token": token, "category_id": self.pricing.id, "message": ""},
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("Please choose a topic", response.text)
        self.assertFalse(
            self.env["gentle.collection.case"].search(
                [("partner_id", "=", self.customer.id)]
            )
        )

    def test_tour_portal_question_reaches_the_specialist_queue(self):
        gentle_start_tour(
            self,
            f"/my/invoices/{self.invoice.id}",
            "gentle_case_portal_tour",
            login="gentle_portal",
        )
        case = self.env["gentle.collection.case"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertEqual(case.user_id, self.specialist)
        gentle_start_tour(
            self,
            "/odoo/action-gentle_collections.gentle_collection_case_action",
            "gentle_case_queue_tour",
            login="gentle_specialist",
        )
        self.assertEqual(case.state, "in_progress")
