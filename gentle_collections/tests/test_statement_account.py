"""The statement of account: every open item (invoices, credit notes,
unapplied payments) with a running balance, the items under an open case
marked and left out of the amount asked, the discounts still open, the
company's header, in the customer's language; and its PDF behind the same
signed link."""

from datetime import date, datetime, time, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.tests import HttpCase, tagged

from .common import GentleFollowupCommon


def _case(env, customer, moves, subject="Wrong quantity"):
    return env["gentle.collection.case"].create(
        {
            "subject": subject,
            "partner_id": customer.id,
            "category_id": env.ref(
                "gentle_collections.gentle_case_category_pricing_dispute"
            ).id,
            "move_ids": [Command.set(moves.ids)],
        }
    )


@tagged("post_install", "-at_install")
class TestGentleStatementAccount(GentleFollowupCommon):
    @property
    def statement(self):
        return self.env["gentle.statement"]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = date(2026, 11, 10)
        cls.company.write(
            {
                "street": "12 Rue des Lilas",
                "city": "Lyon",
                "zip": "69001",
                "email": "billing@lilas.example.com",
                "phone": "+33 4 00 00 00 00",
            }
        )
        customer = cls.customer
        cls.old = cls._gentle_invoice(
            customer, date(2026, 6, 1), due=date(2026, 7, 1), amount=500.0
        )
        cls.recent = cls._gentle_invoice(
            customer, date(2026, 10, 1), due=date(2026, 10, 31), amount=300.0
        )
        cls.disputed = cls._gentle_invoice(
            customer, date(2026, 10, 20), due=date(2026, 11, 19), amount=200.0
        )
        cls.refund = cls._gentle_invoice(
            customer,
            date(2026, 10, 15),
            due=date(2026, 10, 15),
            amount=120.0,
            move_type="out_refund",
        )
        cls.payment = cls.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": customer.id,
                "amount": 80.0,
                "date": date(2026, 11, 2),
                "journal_id": cls.company_data["default_journal_bank"].id,
            }
        )
        cls.payment.action_post()

    def values(self, today=None):
        return self.statement._gentle_statement_values(
            self.customer, today or self.today
        )

    def test_credit_note_and_payment_lower_the_net_total(self):
        values = self.values()
        by_move = {line["move"]: line for line in values["lines"]}
        self.assertEqual(
            set(by_move),
            {
                self.old,
                self.recent,
                self.disputed,
                self.refund,
                self.payment.move_id,
            },
        )
        self.assertEqual(by_move[self.refund]["kind"], "Credit note")
        self.assertEqual(by_move[self.refund]["residual"], -120.0)
        self.assertEqual(by_move[self.payment.move_id]["kind"], "Payment")
        self.assertEqual(by_move[self.payment.move_id]["residual"], -80.0)
        # Credits have no pay-now link and are never "overdue".
        self.assertFalse(by_move[self.refund]["pay_url"])
        self.assertFalse(by_move[self.refund]["overdue_text"])
        self.assertEqual(values["total"], 500.0 + 300.0 + 200.0 - 120.0 - 80.0)
        self.assertEqual(values["total_text"], "$\xa0800.00")
        # The ages sum to the net balance: a credit lowers its own bucket.
        self.assertEqual(sum(age[1] for age in values["ages"]), 800.0)
        self.assertEqual(values["asked"], 800.0)
        # Paying a credit note applies it: it is off the statement.
        self.pay(self.old)
        self.assertNotIn(self.old, [line["move"] for line in self.values()["lines"]])

    def test_running_balance_in_due_date_order(self):
        lines = self.values()["lines"]
        self.assertEqual(
            [line["move"] for line in lines],
            [
                self.old,  # due 1 July
                self.refund,  # 15 October
                self.recent,  # 31 October
                self.payment.move_id,  # 2 November
                self.disputed,  # 19 November
            ],
        )
        self.assertEqual(
            [line["balance"] for line in lines], [500.0, 380.0, 680.0, 600.0, 800.0]
        )
        self.assertEqual(lines[1]["balance_text"], "$\xa0380.00")
        self.assertEqual(
            [line["overdue_text"] for line in lines],
            ["132 days overdue", False, "10 days overdue", False, False],
        )

    def test_open_case_is_under_review_and_not_asked(self):
        case = _case(self.env, self.customer, self.disputed)
        values = self.values()
        line = next(line for line in values["lines"] if line["move"] == self.disputed)
        self.assertEqual(line["review"], f"Under review: case {case.name}")
        self.assertTrue(case.name.startswith("CASE/"))
        self.assertEqual(values["total"], 800.0)
        self.assertEqual(values["review"], 200.0)
        self.assertEqual(values["asked"], 600.0)
        self.assertEqual(values["asked_moves"], self.old | self.recent)
        self.assertEqual(
            values["credit_lines"].move_id, self.refund | self.payment.move_id
        )
        # Resolved: the invoice is asked again.
        case.outcome = "explained"
        case.action_resolve()
        values = self.values()
        line = next(line for line in values["lines"] if line["move"] == self.disputed)
        self.assertFalse(line["review"])
        self.assertEqual(values["review"], 0.0)
        self.assertEqual(values["asked"], 800.0)
        self.assertEqual(values["asked_moves"], self.old | self.recent | self.disputed)

    def test_case_to_triage_holds_nothing(self):
        case = _case(self.env, self.customer, self.disputed)
        case.needs_triage = True
        self.assertEqual(self.values()["asked"], 800.0)

    def test_discount_shown_until_its_date(self):
        term = self.env["account.payment.term"].create(
            {
                "name": "2/10 net 30",
                "company_id": self.company.id,
                "early_discount": True,
                "discount_percentage": 2.0,
                "discount_days": 10,
                "line_ids": [
                    Command.create(
                        {"value": "percent", "value_amount": 100, "nb_days": 30}
                    )
                ],
            }
        )
        move = self._gentle_invoice(
            self.customer, date(2026, 11, 1), amount=1000.0, term=term
        )
        receivable = self._gentle_receivables(move)
        self.assertEqual(receivable.discount_date, date(2026, 11, 11))

        def discount(day):
            # 11:00 in Brussels: the statement's today is the company's date.
            with freeze_time(datetime.combine(day, time(10, 0))):
                values = self.statement._gentle_statement_values(self.customer)
            self.assertEqual(values["today"], day)
            return next(
                line["discount"] for line in values["lines"] if line["move"] == move
            )

        self.assertEqual(
            discount(date(2026, 11, 10)), "Pay by 11/11/2026 and save $\xa020.00"
        )
        self.assertEqual(
            discount(date(2026, 11, 11)), "Pay by 11/11/2026 and save $\xa020.00"
        )
        self.assertFalse(discount(date(2026, 11, 12)))

    def test_header_and_customer_language(self):
        header = self.values()["header"]
        self.assertEqual(header["name"], self.company.name)
        self.assertIn("12 Rue des Lilas", header["address"])
        self.assertIn("Lyon", " ".join(header["address"]))
        self.assertIn("69001", " ".join(header["address"]))
        self.assertEqual(header["email"], "billing@lilas.example.com")
        self.assertEqual(header["phone"], "+33 4 00 00 00 00")
        # Dates, amounts and words in the customer's language.
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"].search(
            [("name", "=", "gentle_collections")]
        )._update_translations(["fr_FR"])
        case = _case(self.env, self.customer, self.disputed)
        customer = self.customer.with_context(lang="fr_FR")
        values = self.statement._gentle_statement_values(customer, self.today)
        kinds = {line["move"]: line["kind"] for line in values["lines"]}
        self.assertEqual(kinds[self.refund], "Avoir")
        self.assertEqual(kinds[self.payment.move_id], "Paiement")
        review = next(line["review"] for line in values["lines"] if line["cases"])
        self.assertEqual(review, f"En cours d'examen : dossier {case.name}")
        first = values["lines"][0]
        self.assertEqual(first["due_text"], "01/07/2026")
        self.assertEqual(first["residual_text"], "$\xa0500,00")
        self.assertEqual(values["today_text"], "10/11/2026")

    def test_pdf_lists_the_items(self):
        case = _case(self.env, self.customer, self.disputed)
        html = str(
            self.env["ir.actions.report"]._render_qweb_html(
                "gentle_collections.report_gentle_statement", self.customer.ids
            )[0]
        )
        for move in (self.old, self.recent, self.disputed, self.refund):
            self.assertIn(move.name, html)
        self.assertIn(self.payment.move_id.name, html)
        self.assertIn(f"Under review: case {case.name}", html)
        self.assertIn("12 Rue des Lilas", html)
        self.assertIn("Amount asked", html)
        # Net balance 800, under review 200, asked 600.
        self.assertIn("800.00", html)
        self.assertIn("600.00", html)


@tagged("post_install", "-at_install")
class TestGentleStatementAccountPortal(HttpCase):
    """The statement page shows the company and the items, and its PDF opens
    under the same signed link only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.write({"street": "7 Lantern Lane", "city": "Bruges"})
        cls.customer = cls.env["res.partner"].create(
            {"name": "Signed Pdf Ltd", "email": "ap@signedpdf.example.com"}
        )
        cls.invoice = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": cls.customer.id,
                "invoice_date": date.today() - timedelta(days=40),
                "invoice_date_due": date.today() - timedelta(days=10),
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Audit",
                            "quantity": 1,
                            "price_unit": 420.0,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        cls.invoice.action_post()
        cls.disputed = cls.invoice.copy({"invoice_date": date.today()})
        cls.disputed.action_post()
        cls.case = _case(cls.env, cls.customer, cls.disputed)

    def path(self, url):
        return url[len(self.customer.get_base_url()) :]

    def test_page_shows_header_items_and_pdf_link(self):
        link = self.path(
            self.env["gentle.statement"]._gentle_statement_link(self.customer)
        )
        response = self.url_open(link)
        self.assertEqual(response.status_code, 200)
        text = response.text
        self.assertIn(self.company.name, text)
        self.assertIn("7 Lantern Lane", text)
        self.assertIn(self.invoice.name, text)
        self.assertIn(f"Under review: case {self.case.name}", text)
        self.assertIn("Amount asked", text)
        query = link.split("?", 1)[1]
        pdf_path = f"/my/statement/{self.customer.id}/pdf?{query}"
        self.assertIn(pdf_path.replace("&", "&amp;"), text)

    def test_page_in_the_customers_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"].search(
            [("name", "=", "gentle_collections")]
        )._update_translations(["fr_FR"])
        self.customer.lang = "fr_FR"
        link = self.path(
            self.env["gentle.statement"]._gentle_statement_link(self.customer)
        )
        text = self.url_open(link).text
        self.assertIn("Montant demandé", text)
        self.assertIn(f"examen : dossier {self.case.name}", text)
        self.assertIn("Télécharger le PDF", text)
        due = self.invoice.invoice_date_due
        self.assertIn(due.strftime("%d/%m/%Y"), text)

    def test_pdf_behind_the_signature(self):
        link = self.path(
            self.env["gentle.statement"]._gentle_statement_link(self.customer)
        )
        query = link.split("?", 1)[1]
        base = f"/my/statement/{self.customer.id}/pdf"
        response = self.url_open(f"{base}?{query}")
        self.assertEqual(response.status_code, 200)
        self.assertIn("attachment;", response.headers["Content-Disposition"])
        self.assertIn(
            "Statement%20-%20Signed%20Pdf%20Ltd.pdf",
            response.headers["Content-Disposition"],
        )
        self.assertEqual(response.headers["Cache-Control"], "private, no-store")
        # Rendered as HTML while Odoo runs its tests (no PDF engine call).
        self.assertIn(self.invoice.name, response.text)
        self.assertIn(f"Under review: case {self.case.name}", response.text)
        token = query.split("token=")[1].split("&")[0]
        expiry = query.split("exp=")[1]
        later = date.fromisoformat(expiry) + timedelta(days=1)
        yesterday = date.today() - timedelta(days=1)
        expired = self.env["gentle.statement"]._gentle_statement_url(
            self.customer, yesterday, absolute=False
        )
        for url in (
            f"{base}?token={token[:-1]}x&exp={expiry}",
            f"{base}?token={token}&exp={later}",
            f"{base}?exp={expiry}",
            f"/my/statement/{self.customer.id + 10**6}/pdf?{query}",
            expired.replace("?", "/pdf?"),
        ):
            with self.subTest(url=url):
                refused = self.url_open(url)
                self.assertEqual(refused.status_code, 403)
                self.assertNotIn(self.invoice.name, refused.text)
                self.assertNotIn("Signed Pdf Ltd", refused.text)
                self.assertNotIn("Content-Disposition", refused.headers)
