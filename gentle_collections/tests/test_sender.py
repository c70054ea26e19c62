from datetime import date

from odoo.tests import new_test_user, tagged
from odoo.tools import formataddr

from .common import RUN_NOW, GentleFollowupCommon


@tagged("post_install", "-at_install")
class TestGentleSender(GentleFollowupCommon):
    """Issue 13 item 1: customer emails of Collections come from the company or
    the customer's collector, never OdooBot; replies land on the customer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {"name": "Gentle Sender Co", "email": "ar@sender.example.com"}
        )
        cls.alias_domain = cls.env["mail.alias.domain"].create(
            {"name": "sender.example.com", "catchall_alias": "replies"}
        )
        cls.collector = new_test_user(
            cls.env,
            login="sender_collector",
            name="Rita Collector",
            email="rita@sender.example.com",
            groups="base.group_user,gentle_collections.group_gentle_user",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
            signature="<p>Rita, your billing contact</p>",
        )
        cls.customer.user_id = cls.collector
        cls._gentle_invoice(cls.customer, date(2026, 10, 1), date(2026, 11, 7))

    def _send(self):
        # The cron runs as OdooBot: what the customer sees must not depend on it.
        engine = self.engine.with_user(self.env.ref("base.user_root"))
        result = engine._gentle_run(
            self.company, now=RUN_NOW, partner_ids=self.customer.ids
        )
        action = result["actions"].filtered(lambda a: a.channel == "email")
        self.assertEqual(len(action), 1)
        return (
            self.env["mail.mail"]
            .sudo()
            .search(
                [
                    ("mail_message_id", "=", action.mail_message_id.id),
                    ("recipient_ids", "in", self.customer.ids),
                ]
            )
        )

    def assert_company_header(self, mail):
        self.assertIn("Gentle Sender Co", mail.body_html)
        self.assertNotIn("Your Contact", mail.body_html)
        self.assertNotIn("OdooBot", mail.email_from)
        self.assertNotIn("odoobot", mail.reply_to or "")

    def test_company_sender_with_catchall(self):
        self.company.write(
            {"gentle_sender": "company", "alias_domain_id": self.alias_domain.id}
        )
        mail = self._send()
        company_from = formataddr(("Gentle Sender Co", "ar@sender.example.com"))
        self.assertEqual(mail.email_from, company_from)
        self.assertEqual(mail.author_id, self.company.partner_id)
        self.assertEqual(
            mail.reply_to,
            formataddr(("Gentle Sender Co", "replies@sender.example.com")),
        )
        self.assert_company_header(mail)
        self.assertNotIn("Rita, your billing contact", mail.body_html)

    def test_company_sender_without_alias_domain_replies_to_the_sender(self):
        self.company.write({"gentle_sender": "company", "alias_domain_id": False})
        mail = self._send()
        company_from = formataddr(("Gentle Sender Co", "ar@sender.example.com"))
        self.assertEqual(mail.email_from, company_from)
        self.assertEqual(mail.reply_to, company_from)
        self.assert_company_header(mail)

    def test_collector_sender_signs(self):
        self.company.write({"gentle_sender": "collector", "alias_domain_id": False})
        mail = self._send()
        collector_from = formataddr(
            ("Rita Collector (Gentle Sender Co)", "rita@sender.example.com")
        )
        self.assertEqual(mail.email_from, collector_from)
        self.assertEqual(mail.reply_to, collector_from)
        self.assertEqual(mail.author_id, self.collector.partner_id)
        self.assert_company_header(mail)
        self.assertIn("Rita, your billing contact", mail.body_html)

    def test_collector_without_email_falls_back_to_the_company(self):
        self.collector.partner_id.email = False
        self.company.write(
            {"gentle_sender": "collector", "alias_domain_id": self.alias_domain.id}
        )
        mail = self._send()
        self.assertEqual(
            mail.email_from,
            formataddr(("Gentle Sender Co", "ar@sender.example.com")),
        )
        self.assertEqual(mail.author_id, self.company.partner_id)
        self.assert_company_header(mail)

    def test_customer_without_collector_gets_the_company(self):
        self.customer.user_id = False
        self.company.write({"gentle_sender": "collector", "alias_domain_id": False})
        mail = self._send()
        self.assertEqual(
            mail.email_from,
            formataddr(("Gentle Sender Co", "ar@sender.example.com")),
        )

    def test_setting_in_accounting_settings(self):
        settings = self.env["res.config.settings"].create({})
        settings.gentle_sender = "collector"
        settings.execute()
        self.assertEqual(self.env.company.gentle_sender, "collector")
