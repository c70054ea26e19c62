from datetime import timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged

from .common import gentle_start_tour


@tagged("post_install", "-at_install")
class TestGentleFoundationTour(HttpCase):
    def test_accountant_finds_collections(self):
        gentle_start_tour(
            self, "/odoo", "gentle_collections_foundation_tour", login="admin"
        )
        self.env.invalidate_all()
        # The tour saves the settings: the new window start is stored.
        self.assertEqual(self.env.ref("base.main_company").gentle_window_start, 8.0)


@tagged("post_install", "-at_install")
class TestGentleFollowupTour(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        today = fields.Date.today()
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Tour Lantern Supplies",
                "is_company": True,
                "email": "accounts@tourlantern.example.com",
                "tz": "Europe/Brussels",
                "customer_rank": 1,
            }
        )
        cls.invoice = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": cls.customer.id,
                "invoice_date": today - timedelta(days=50),
                "invoice_date_due": today - timedelta(days=20),
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Lantern repair",
                            "quantity": 1,
                            "price_unit": 750.0,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        cls.invoice.action_post()

    def test_accountant_adds_level_and_follows_up_now(self):
        policy = self.env.ref("gentle_collections.gentle_followup_policy_default")
        Action = self.env["gentle.followup.action"]
        self.assertFalse(policy.level_ids.filtered(lambda lv: lv.day_offset == 60))
        self.assertFalse(Action.search([("partner_id", "=", self.customer.id)]))

        gentle_start_tour(
            self, "/odoo", "gentle_collections_followup_tour", login="admin"
        )

        self.env.invalidate_all()
        added = policy.level_ids.filtered(lambda lv: lv.day_offset == 60)
        self.assertEqual(added.name, "Last word before collection agency")
        self.assertEqual(added.tone, "final")
        self.assertTrue(added.send_email)
        actions = Action.search([("partner_id", "=", self.customer.id)])
        email = actions.filtered(lambda a: a.channel == "email")
        self.assertEqual(len(email), 1)
        self.assertIn(self.invoice, email.move_ids)
        self.assertTrue(email.mail_message_id)
        self.assertIn("Tour Lantern Supplies", email.mail_message_id.body)
        # The words the collector rewrote in the preview were sent, and who
        # wrote them is recorded on the message.
        self.assertEqual(
            email.mail_message_id.subject, "A word about your lantern invoice"
        )
        self.assertEqual(
            email.communication_id.edited_by_id, self.env.ref("base.user_admin")
        )
        self.assertEqual(
            self.invoice.line_ids.filtered(
                lambda line: line.display_type == "payment_term"
            ).gentle_history_ids.move_id,
            self.invoice,
        )


@tagged("post_install", "-at_install")
class TestGentleOverviewTour(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.collector = new_test_user(
            cls.env,
            login="gentle_overview_collector",
            groups="base.group_user,gentle_collections.group_gentle_user",
            name="Olive Overview",
        )
        customer = cls.env["res.partner"].create(
            {"name": "Tour Overdue Ltd", "is_company": True}
        )
        today = fields.Date.today()
        invoice = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": customer.id,
                "invoice_date": today - timedelta(days=40),
                "invoice_date_due": today - timedelta(days=10),
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Survey",
                            "quantity": 1,
                            "price_unit": 420.0,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        invoice.action_post()
        cls.case = cls.env["gentle.collection.case"].create(
            {
                "subject": "Tour: which invoice is this?",
                "category_id": cls.env.ref(
                    "gentle_collections.gentle_case_category_invoice_copy"
                ).id,
                "partner_id": customer.id,
                "move_ids": [Command.set(invoice.ids)],
                "sla_deadline": fields.Datetime.now() - timedelta(hours=1),
            }
        )

    def test_collector_starts_on_the_overview(self):
        overview = self.env["gentle.overview"].with_user(self.collector)
        self.assertIn(
            self.case,
            self.env["gentle.collection.case"].search(
                overview.action_open_cases_breached()["domain"]
            ),
        )
        menu = self.env.ref("gentle_collections.gentle_overview_menu")
        self.assertEqual(
            menu.parent_id.child_id.sorted("sequence")[:1], menu, "first entry"
        )
        gentle_start_tour(
            self, "/odoo", "gentle_overview_tour", login=self.collector.login
        )
