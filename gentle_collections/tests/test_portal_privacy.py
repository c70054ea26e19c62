from datetime import date

from odoo.tests import HttpCase, JsonRpcException, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

# Case fields a customer must not read: who handles it and how it is routed.
CASE_INTERNALS = (
    "user_id",
    "tier_id",
    "escalation_count",
    "managers_alerted",
    "is_breached",
    "sla_remaining_hours",
    "is_dispute",
    "category_code",
)


@tagged("post_install", "-at_install")
class TestGentlePortalPrivacy(AccountTestInvoicingCommon, HttpCase):
    """A portal customer reads their partner, invoices and cases over RPC without
    seeing the internal credit assessment or the collections workings."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.customer = cls.env["res.partner"].create(
            {"name": "Private Corp", "email": "ap@privatecorp.example.com"}
        )
        cls.customer.write(
            {
                "gentle_score": 31,
                "gentle_grade": "D",
                "gentle_score_date": date(2026, 2, 1),
                "gentle_dispute_count": 2,
                "gentle_overdue_exposure": 1234.0,
                "gentle_paused": True,
                "gentle_hardship_until": date(2099, 1, 1),
            }
        )
        cls.portal_user = new_test_user(
            cls.env,
            login="gentle_private_portal",
            groups="base.group_portal",
            partner_id=cls.customer.id,
            name="Private Corp",
        )
        cls.billing = new_test_user(
            cls.env,
            login="gentle_private_billing",
            groups="base.group_user,account.group_account_invoice",
            name="Bill Billing",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.auditor = new_test_user(
            cls.env,
            login="gentle_private_auditor",
            groups="base.group_user,account.group_account_readonly",
            name="Audrey Auditor",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.specialist = new_test_user(
            cls.env,
            login="gentle_private_specialist",
            groups="base.group_user,gentle_collections.group_gentle_user",
            name="Sid Specialist",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.invoice = cls.init_invoice(
            "out_invoice",
            partner=cls.customer,
            invoice_date=date(2026, 2, 2),
            amounts=[500.0],
            post=True,
        )
        cls.invoice.write(
            {"gentle_hold_until": date(2099, 1, 1), "gentle_hold_note": "Lawyer says"}
        )
        pricing = cls.env.ref("gentle_collections.gentle_case_category_pricing_dispute")
        cls.tier = cls.env["gentle.support.tier"].create(
            {
                "name": "Tier Nine",
                "sla_hours": 16,
                "member_ids": [(6, 0, cls.specialist.ids)],
                "category_ids": [(6, 0, pricing.ids)],
            }
        )
        cls.case = cls.env["gentle.collection.case"].create(
            {
                "subject": "Price question",
                "partner_id": cls.customer.id,
                "category_id": pricing.id,
                "move_ids": [(6, 0, cls.invoice.ids)],
            }
        )

    def call_kw(self, model, method, args, kwargs=None):
        return self.make_jsonrpc_request(
            "/web/dataset/call_kw",
            {
                "model": model,
                "method": method,
                "args": args,
                "kwargs": kwargs or {},
            },
        )

    def assertRefused(self, model, method, args, kwargs=None):
        with (
            self.assertRaises(JsonRpcException) as refused,
            mute_logger("odoo.http"),
        ):
            self.call_kw(model, method, args, kwargs)
        self.assertIn("AccessError", str(refused.exception))

    def test_portal_rpc_hides_the_credit_assessment(self):
        self.assertEqual(self.case.user_id, self.specialist)  # routed
        self.authenticate("gentle_private_portal", "gentle_private_portal")
        partner = self.customer.id
        # fields_get: no collections field of the customer or the invoice.
        for model in ("res.partner", "account.move", "account.move.line"):
            described = self.call_kw(model, "fields_get", [], {"attributes": ["type"]})
            self.assertTrue(described)
            self.assertFalse(
                [name for name in described if name.startswith("gentle_")], model
            )
        # Reading what the portal's own pages read (all fields would include
        # bank accounts, which Odoo refuses to portal users on its own).
        (values,) = self.call_kw(
            "res.partner",
            "read",
            [[partner], ["name", "email", "city", "country_id", "display_name"]],
        )
        self.assertEqual(values["name"], "Private Corp")
        # Asking for a field by name, or filtering on it: refused.
        for name in (
            "gentle_score",
            "gentle_grade",
            "gentle_score_explanation",
            "gentle_overdue_exposure",
            "gentle_dispute_count",
            "gentle_hardship",
            "gentle_paused",
            "gentle_statement_url",
        ):
            self.assertRefused("res.partner", "read", [[partner], [name]])
        self.assertRefused(
            "res.partner",
            "search_read",
            [[("id", "=", partner)]],
            {"fields": ["gentle_score", "gentle_grade"]},
        )
        self.assertRefused(
            "res.partner", "search_read", [[("gentle_grade", "=", "D")]], {}
        )
        # Their invoice: readable, without its hold note or follow-up state.
        (move,) = self.call_kw(
            "account.move",
            "read",
            [[self.invoice.id], ["name", "amount_total", "state", "payment_state"]],
        )
        self.assertEqual(move["name"], self.invoice.name)
        self.assertRefused(
            "account.move", "read", [[self.invoice.id], ["gentle_hold_note"]]
        )
        # Their case: readable, without who handles it and how it is routed.
        (case,) = self.call_kw("gentle.collection.case", "read", [[self.case.id]])
        self.assertEqual(case["subject"], "Price question")
        for name in CASE_INTERNALS:
            self.assertNotIn(name, case)
        described = self.call_kw("gentle.collection.case", "fields_get", [], {})
        self.assertFalse(set(CASE_INTERNALS) & set(described))
        self.assertRefused(
            "gentle.collection.case",
            "search_read",
            [[]],
            {"fields": ["subject", "user_id", "tier_id"]},
        )

    def test_portal_pages_still_work(self):
        self.authenticate("gentle_private_portal", "gentle_private_portal")
        page = self.url_open(f"/my/invoices/{self.invoice.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn(self.invoice.name, page.text)
        self.assertIn("Question about this invoice?", page.text)
        listing = self.url_open("/my/cases")
        self.assertEqual(listing.status_code, 200)
        self.assertIn(self.case.name, listing.text)
        self.assertIn("Tier Nine", listing.text)
        page = self.url_open(f"/my/cases/{self.case.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Price question", page.text)
        self.assertIn("Tier Nine", page.text)
        self.assertEqual(self.url_open("/my").status_code, 200)

    def test_accounting_users_still_read_them(self):
        for user in (self.billing, self.auditor, self.specialist):
            customer = self.customer.with_user(user)
            (values,) = customer.read(
                ["gentle_score", "gentle_grade", "gentle_hardship", "gentle_paused"]
            )
            self.assertEqual(values["gentle_score"], 31, user.login)
            self.assertEqual(values["gentle_grade"], "D")
            self.assertTrue(values["gentle_hardship"])
            self.assertTrue(customer.search([("gentle_grade", "=", "D")]))
            (move,) = self.invoice.with_user(user).read(["gentle_hold_note"])
            self.assertEqual(move["gentle_hold_note"], "Lawyer says")
        (case,) = self.case.with_user(self.specialist).read(["user_id", "tier_id"])
        self.assertEqual(case["tier_id"][0], self.tier.id)
        # The accountant's forms still show them.
        form = (
            self.env["res.partner"]
            .with_user(self.specialist)
            .get_views([(False, "form")])["views"]["form"]["arch"]
        )
        self.assertIn('name="gentle_score"', form)
        form = (
            self.env["account.move"]
            .with_user(self.billing)
            .get_views([(False, "form")])["views"]["form"]["arch"]
        )
        self.assertIn('name="gentle_hold_until"', form)
