from datetime import date, timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import HttpCase, new_test_user, tagged

HEADERS = {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}


@tagged("post_install", "-at_install")
class TestGentleStatementLinks(HttpCase):
    """The statement link: signed with an expiry date and the customer's link
    version, revocable, refused without a word about the customer, never
    cached, and a read-only page."""

    @property
    def statement(self):
        return self.env["gentle.statement"]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.gentle_statement_link_days = 90
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Linked Statement Ltd",
                "email": "ap@linkedstatement.example.com",
                "is_company": True,
            }
        )
        cls.contact = cls.env["res.partner"].create(
            {"name": "Lou Linked", "parent_id": cls.customer.id}
        )
        cls.invoice = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": cls.customer.id,
                "invoice_date": date.today() - timedelta(days=40),
                "invoice_date_due": date.today() - timedelta(days=10),
                "invoice_line_ids": [
                    (0, 0, {"name": "Audit", "quantity": 1, "price_unit": 420.0})
                ],
            }
        )
        cls.invoice.action_post()
        cls.accountant = new_test_user(
            cls.env,
            login="gentle_link_accountant",
            groups="base.group_user,account.group_account_invoice",
            name="Ada Accountant",
        )
        cls.clerk = new_test_user(
            cls.env,
            login="gentle_link_clerk",
            groups="base.group_user,base.group_partner_manager",
            name="Carl Clerk",
        )

    def path(self, url):
        return url[len(self.customer.get_base_url()) :]

    def get(self, url):
        return self.url_open(self.path(url) if url.startswith("http") else url)

    def assert_refused(self, response):
        self.assertEqual(response.status_code, 403)
        self.assertIn("This statement link is no longer valid", response.text)
        self.assertNotIn(self.invoice.name, response.text)
        self.assertNotIn(self.customer.name, response.text)
        self.assert_headers(response)

    def assert_shown(self, response):
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.invoice.name, response.text)
        self.assert_headers(response)

    def assert_headers(self, response):
        for header, value in HEADERS.items():
            self.assertEqual(response.headers.get(header), value, header)

    def test_valid_link(self):
        link = self.statement._gentle_statement_link(self.customer)
        expiry = date.today() + timedelta(days=90)
        self.assertIn(f"&exp={expiry}", link)
        self.assertEqual(self.contact.gentle_statement_url, link)
        response = self.get(link)
        self.assert_shown(response)
        self.assertIn(
            f"/my/invoices/{self.invoice.id}?access_token={self.invoice.access_token}",
            response.text,
        )

    def test_expiry_boundary(self):
        today = date.today()
        # Crafted with a correct signature: the last valid day opens it ...
        self.assert_shown(
            self.get(self.statement._gentle_statement_url(self.customer, today))
        )
        # ... the day after does not.
        yesterday = today - timedelta(days=1)
        self.assert_refused(
            self.get(self.statement._gentle_statement_url(self.customer, yesterday))
        )

    def test_link_expires_after_the_company_validity(self):
        self.company.gentle_statement_link_days = 30
        made = date.today()
        link = self.statement._gentle_statement_link(self.customer)
        self.assertIn(f"&exp={made + timedelta(days=30)}", link)
        with freeze_time(made + timedelta(days=30)):
            self.assert_shown(self.get(link))
        with freeze_time(made + timedelta(days=31)):
            self.assert_refused(self.get(link))

    def test_revoke_statement_links(self):
        old = self.statement._gentle_statement_link(self.customer)
        self.assert_shown(self.get(old))
        with self.assertRaises(AccessError):
            self.customer.with_user(self.clerk).action_gentle_revoke_statement_links()
        # From a contact's form too: the customer's links are revoked.
        self.contact.with_user(self.accountant).action_gentle_revoke_statement_links()
        self.assertEqual(self.customer.gentle_statement_link_version, 1)
        note = self.customer.message_ids[:1]
        self.assertIn("Statement links revoked", note.body)
        self.assertEqual(note.author_id, self.accountant.partner_id)
        self.assert_refused(self.get(old))
        new = self.statement._gentle_statement_link(self.customer)
        self.assertNotEqual(new, old)
        self.assert_shown(self.get(new))

    def test_tampered_links(self):
        link = self.path(self.statement._gentle_statement_link(self.customer))
        expiry = date.today() + timedelta(days=90)
        token = link.split("token=")[1].split("&")[0]
        base = f"/my/statement/{self.customer.id}"
        for url in (
            # A later expiry, an earlier one, none, not a date.
            link.replace(f"exp={expiry}", f"exp={expiry + timedelta(days=1)}"),
            link.replace(f"exp={expiry}", f"exp={expiry - timedelta(days=1)}"),
            f"{base}?token={token}",
            f"{base}?token={token}&exp=abc",
            f"{base}?token={token}&exp=2026-13-45",
            f"{base}?token={token}&exp={expiry}T00:00:00",
            # Another token, another customer, a contact, no customer at all.
            f"{base}?token={token[:-1]}x&exp={expiry}",
            f"{base}?exp={expiry}",
            f"/my/statement/{self.contact.id}?token={token}&exp={expiry}",
            f"/my/statement/{self.customer.id + 10**6}?token={token}&exp={expiry}",
        ):
            with self.subTest(url=url):
                self.assert_refused(self.url_open(url))
        self.assert_shown(self.url_open(link))

    def test_get_writes_nothing(self):
        # A link made without giving the invoice an access token.
        self.env["account.move"].invalidate_model(["access_token"])
        self.assertFalse(self.invoice.access_token)
        link = self.statement._gentle_statement_url(self.customer)
        self.assert_refused(self.url_open(f"/my/statement/{self.customer.id}"))

        def snapshot():
            self.env.flush_all()
            self.env.cr.execute(
                """SELECT (SELECT count(*) FROM account_move
                            WHERE access_token IS NOT NULL),
                          (SELECT max(write_date) FROM account_move),
                          (SELECT sum(n_tup_ins + n_tup_upd + n_tup_del)
                             FROM pg_stat_xact_user_tables)"""
            )
            return self.env.cr.fetchone()

        before = snapshot()
        response = self.get(link)
        self.assert_shown(response)
        self.assertEqual(snapshot(), before)
        self.invoice.invalidate_recordset(["access_token"])
        self.assertFalse(self.invoice.access_token)
        # The pay-now link then asks to log in rather than carry a token.
        self.assertIn(
            f'href="{self.invoice.get_base_url()}/my/invoices/{self.invoice.id}"',
            response.text,
        )

    def test_validity_setting(self):
        for days in (0, -1, 3651):
            with self.subTest(days=days), self.assertRaises(ValidationError):
                self.company.gentle_statement_link_days = days
        for days in (1, 3650):
            self.company.gentle_statement_link_days = days
        settings = self.env["res.config.settings"].create(
            {"gentle_statement_link_days": 45}
        )
        settings.execute()
        self.assertEqual(self.company.gentle_statement_link_days, 45)
        self.assertEqual(
            self.statement._gentle_statement_expiry(date(2026, 1, 1)),
            date(2026, 2, 15),
        )
