from datetime import date, timedelta

from odoo.tests import HttpCase, tagged

from .common import GentleFollowupCommon


@tagged("post_install", "-at_install")
class TestGentleStatement(GentleFollowupCommon):
    """Customer statement: open invoices, ageing, discounts, pay-now links."""

    @property
    def statement(self):
        return self.env["gentle.statement"]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = date(2026, 11, 10)
        cls.recent = cls._gentle_invoice(
            cls.customer, date(2026, 10, 1), due=date(2026, 10, 31), amount=300.0
        )  # 10 days overdue
        cls.old = cls._gentle_invoice(
            cls.customer, date(2026, 6, 1), due=date(2026, 7, 1), amount=500.0
        )  # 132 days overdue
        cls.future = cls._gentle_invoice(
            cls.customer, date(2026, 11, 1), due=date(2026, 12, 1), amount=200.0
        )
        cls.paid = cls._gentle_invoice(
            cls.customer, date(2026, 10, 1), due=date(2026, 10, 31), amount=50.0
        )
        cls._gentle_pay(cls.paid, date(2026, 11, 2))

    def test_lines_ages_and_total(self):
        # Without an access token, the pay-now link asks to log in.
        self.assertFalse(self.old.access_token)
        values = self.statement._gentle_statement_values(self.customer, self.today)
        self.assertEqual(
            values["lines"][0]["pay_url"],
            f"{self.old.get_base_url()}/my/invoices/{self.old.id}",
        )
        self.assertFalse(self.old.access_token)
        # Sending the link gives the invoices their access token.
        self.statement._gentle_statement_link(self.customer)
        values = self.statement._gentle_statement_values(self.customer, self.today)
        moves = [line["move"] for line in values["lines"]]
        self.assertEqual(moves, [self.old, self.recent, self.future])
        self.assertEqual(
            [line["days_overdue"] for line in values["lines"]], [132, 10, 0]
        )
        self.assertEqual(
            [amount for _label, amount, _text in values["ages"]],
            [200.0, 300.0, 0.0, 0.0, 500.0],
        )
        self.assertEqual(values["total"], 1000.0)
        pay_url = values["lines"][0]["pay_url"]
        self.assertIn(f"/my/invoices/{self.old.id}?access_token=", pay_url)
        self.assertIn(self.old.access_token, pay_url)

    def test_boundary_days_of_the_ages(self):
        # Due 30 days ago: 1-30; 31 days ago: 31-60.
        values = self.statement._gentle_statement_values(
            self.customer, date(2026, 11, 30)
        )
        by_move = {line["move"]: line["age"] for line in values["lines"]}
        self.assertEqual(by_move[self.recent], "1_30")
        values = self.statement._gentle_statement_values(
            self.customer, date(2026, 12, 1)
        )
        by_move = {line["move"]: line["age"] for line in values["lines"]}
        self.assertEqual(by_move[self.recent], "2_60")
        self.assertEqual(by_move[self.future], "0_not_due")  # due today

    def test_token_is_signed_per_customer(self):
        other = self._gentle_customer("Other Statement Co")
        expiry = self.statement._gentle_statement_expiry()
        exp = str(expiry)
        token = self.statement._gentle_statement_token(self.customer, expiry)
        self.assertTrue(
            self.statement._gentle_check_statement_token(self.customer, token, exp)
        )
        self.assertFalse(
            self.statement._gentle_check_statement_token(other, token, exp)
        )
        self.assertFalse(
            self.statement._gentle_check_statement_token(self.customer, "", exp)
        )
        self.assertFalse(
            self.statement._gentle_check_statement_token(self.customer, token, None)
        )
        self.assertIn(f"?token={token}&exp={exp}", self.customer.gentle_statement_url)

    def test_reminders_link_the_statement(self):
        result = self._gentle_run()
        email = result["actions"].filtered(lambda a: a.channel == "email")
        body = email.mail_message_id.body
        self.assertIn(f"/my/statement/{self.customer.id}?token=", body)
        self.assertIn("&amp;exp=", body)

    def test_pdf_statement(self):
        report = self.env.ref("gentle_collections.gentle_statement_report")
        html = str(
            self.env["ir.actions.report"]._render_qweb_html(
                report.report_name, self.customer.ids
            )[0]
        )
        for move in (self.old, self.recent, self.future):
            self.assertIn(move.name, html)
        self.assertNotIn(self.paid.name, html)
        self.assertIn("Statement of Account", html)
        self.assertIn("1,000.00", html)  # total due
        action = self.customer.action_gentle_print_statement()
        # Before the first print Odoo asks for the document layout, then prints.
        report_action = action.get("context", {}).get("report_action", action)
        self.assertEqual(report_action["report_name"], report.report_name)
        self.assertEqual(report_action["context"]["active_ids"], self.customer.ids)


@tagged("post_install", "-at_install")
class TestGentleStatementPortal(HttpCase):
    @property
    def statement(self):
        return self.env["gentle.statement"]

    def test_statement_page_without_login(self):
        customer = self.env["res.partner"].create(
            {"name": "Portal Statement Ltd", "email": "ap@portalstatement.example.com"}
        )
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": customer.id,
                "invoice_date": date.today() - timedelta(days=40),
                "invoice_date_due": date.today() - timedelta(days=10),
                "invoice_line_ids": [
                    (0, 0, {"name": "Audit", "quantity": 1, "price_unit": 420.0})
                ],
            }
        )
        invoice.action_post()
        link = self.statement._gentle_statement_link(customer)
        url = link[len(customer.get_base_url()) :]
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        self.assertIn(invoice.name, response.text)
        self.assertIn("Pay now", response.text)
        self.assertIn(f"/my/invoices/{invoice.id}?access_token=", response.text)
        # The pay-now link opens the invoice without a login.
        invoice.invalidate_recordset(["access_token"])
        pay = self.url_open(
            f"/my/invoices/{invoice.id}?access_token={invoice.access_token}"
        )
        self.assertEqual(pay.status_code, 200)
        self.assertIn(invoice.name, pay.text)
        # A wrong or missing token shows nothing.
        wrong = self.url_open(f"/my/statement/{customer.id}?token=forged")
        self.assertEqual(wrong.status_code, 403)
        self.assertNotIn(invoice.name, wrong.text)
        self.assertEqual(self.url_open(f"/my/statement/{customer.id}").status_code, 403)
