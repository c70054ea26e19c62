"""Issue 12 item 4: one check of whose invoices a case, a plan, a promise and
the plan proposal hold (gentle.invoice.owner.mixin)."""

import re
from datetime import date, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import GentleFollowupCommon

TODAY = date(2026, 3, 2)

MODELS = (
    "gentle.collection.case",
    "gentle.payment.plan",
    "gentle.payment.promise",
    "gentle.payment.plan.propose",
)


@tagged("post_install", "-at_install")
class TestGentleInvoiceOwner(GentleFollowupCommon):
    """For each model holding invoices: another customer's invoice, another
    company's invoice and a move of another type are refused, naming the
    invoice; a refused write changes nothing; a valid invoice is accepted."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_customer = cls._gentle_customer("Olga Other")
        day = date(2026, 2, 2)
        cls.invoice = cls._gentle_invoice(cls.customer, day)
        cls.invoice_2 = cls._gentle_invoice(cls.customer, day)
        cls.receipt = cls._gentle_invoice(cls.customer, day, move_type="out_receipt")
        cls.refund = cls._gentle_invoice(cls.customer, day, move_type="out_refund")
        cls.bill = cls._gentle_invoice(cls.customer, day, move_type="in_invoice")
        cls.draft = cls._gentle_invoice(cls.customer, day, post=False)
        cls.others_invoice = cls._gentle_invoice(cls.other_customer, day)
        other_company = cls.setup_other_company()["company"]
        cls.foreign_invoice = cls.init_invoice(
            "out_invoice",
            partner=cls.customer,
            invoice_date=day,
            amounts=[500.0],
            company=other_company,
            post=True,
        )
        cls.category = cls.env.ref(
            "gentle_collections.gentle_case_category_payment_question"
        )

    def values(self, model, moves):
        values = {"partner_id": self.customer.id, "move_ids": [Command.set(moves.ids)]}
        if model == "gentle.collection.case":
            values.update(subject="About my invoice", category_id=self.category.id)
        elif model == "gentle.payment.promise":
            values.update(date_promised=TODAY + timedelta(days=7), amount=100.0)
        return values

    def make(self, model, moves):
        return self.env[model].create(self.values(model, moves))

    def refused(self, model, moves, text):
        """Creating with ``moves`` and adding them to a valid record are both
        refused naming ``text``; nothing of either is saved."""
        Model = self.env[model]
        count = Model.search_count([])
        with self.assertRefused(ValidationError, re.escape(text), models=[model]):
            self.make(model, self.invoice | moves)
        self.assertEqual(Model.search_count([]), count)
        record = self.make(model, self.invoice)
        with self.assertRefused(ValidationError, re.escape(text), records=record):
            record.write({"move_ids": [Command.link(move.id) for move in moves]})
        record.invalidate_recordset()
        self.assertEqual(record.move_ids, self.invoice)
        return record

    @freeze_time(TODAY)
    def test_another_customers_invoice_is_refused(self):
        for model in MODELS:
            with self.subTest(model):
                self.refused(model, self.others_invoice, self.others_invoice.name)
                # Moving the record to another customer: its invoices stay
                # with their own.
                record = self.make(model, self.invoice)
                with self.assertRefused(
                    ValidationError, re.escape(self.invoice.name), records=record
                ):
                    record.write({"partner_id": self.other_customer.id})
                record.invalidate_recordset()
                self.assertEqual(record.partner_id, self.customer)

    @freeze_time(TODAY)
    def test_another_companys_invoice_is_refused(self):
        for model in MODELS:
            with self.subTest(model):
                record = self.refused(
                    model, self.foreign_invoice, self.foreign_invoice.name
                )
                self.assertNotIn(self.foreign_invoice, record.move_ids)

    @freeze_time(TODAY)
    def test_a_move_of_another_type_or_a_draft_is_refused(self):
        refused = {
            "gentle.collection.case": self.bill | self.draft,
            "gentle.payment.plan": self.refund | self.bill | self.draft,
            "gentle.payment.promise": self.refund | self.bill | self.draft,
            "gentle.payment.plan.propose": self.refund | self.bill | self.draft,
        }
        for model, moves in refused.items():
            for move in moves:
                with self.subTest(model=model, move=move.move_type, state=move.state):
                    record = self.refused(model, move, move.display_name)
                    self.assertNotIn(move, record.move_ids)

    @freeze_time(TODAY)
    def test_own_invoices_are_accepted(self):
        accepted = {
            # Customers ask about their credit notes too.
            "gentle.collection.case": self.invoice_2 | self.receipt | self.refund,
            # Receipts are chased by the follow-up: they may be promised and
            # planned alike.
            "gentle.payment.plan": self.invoice_2 | self.receipt,
            "gentle.payment.promise": self.invoice_2 | self.receipt,
            "gentle.payment.plan.propose": self.invoice_2 | self.receipt,
        }
        for model, moves in accepted.items():
            with self.subTest(model):
                record = self.make(model, self.invoice)
                record.write({"move_ids": [Command.link(m.id) for m in moves]})
                self.assertEqual(record.move_ids, self.invoice | moves)
                self.assertTrue(record._check_company_auto)
                self.assertTrue(record._fields["move_ids"].check_company)

    @freeze_time(TODAY)
    def test_proposal_of_an_invoice_paid_meanwhile_is_refused(self):
        wizard = self.make("gentle.payment.plan.propose", self.invoice | self.invoice_2)
        self.pay(self.invoice_2, date=TODAY)
        Plan = self.env["gentle.payment.plan"]
        with self.assertRefused(
            UserError,
            "Only open, posted invoices",
            records=wizard,
            models=["gentle.payment.plan"],
        ) as caught:
            wizard.action_create_plan()
        self.assertIn(self.invoice_2.name, str(caught.exception))
        self.assertFalse(Plan.search([("partner_id", "=", self.customer.id)]))
