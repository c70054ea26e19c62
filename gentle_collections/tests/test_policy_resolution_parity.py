"""One order of policy resolution (``gentle.followup.engine._gentle_resolve_policy``):
invoice policy, else customer policy (per company), else the first policy by
sequence matching the customer's grade, else the company default. Every level
of fallback is checked, and every caller gives the same answer: the stored
policy of the receivable lines, the invoice's late-fee and discount policy,
and the resolver itself."""

from datetime import date

from odoo import Command
from odoo.tests import tagged

from .common import GentleFollowupCommon


@tagged("post_install", "-at_install")
class TestGentlePolicyResolutionParity(GentleFollowupCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Policy = cls.env["gentle.followup.policy"]
        grade_b = cls.env.ref("gentle_collections.gentle_grade_b")

        def policy(name, sequence=10, grades=None):
            return Policy.create(
                {
                    "name": name,
                    "company_id": cls.company.id,
                    "sequence": sequence,
                    "grade_ids": [Command.set(grades.ids)] if grades else [],
                    "level_ids": [Command.create({"name": name, "day_offset": 5})],
                }
            )

        cls.graded_late = policy("B ladder, second", sequence=20, grades=grade_b)
        cls.graded_first = policy("B ladder, first", sequence=5, grades=grade_b)
        cls.customer_policy = policy("Customer ladder")
        cls.invoice_policy = policy("Invoice ladder")
        cls.other_company = (
            cls.env["res.company"].sudo().create({"name": "Gentle Elsewhere"})
        )
        cls.partner = cls.customer.with_company(cls.company)
        cls.posted = cls._gentle_invoice(cls.partner, date(2026, 10, 1))
        cls.draft = cls._gentle_invoice(cls.partner, date(2026, 10, 1), post=False)
        cls.instalments = cls._gentle_invoice(
            cls.partner, date(2026, 10, 1), term=cls._gentle_instalment_term()
        )
        cls.moves = cls.posted | cls.draft | cls.instalments

    def _assert_resolved(self, expected, message):
        engine = self.engine
        for move in self.moves:
            receivables = self._gentle_receivables(move)
            self.assertTrue(receivables)
            label = f"{message}: {move.name or 'draft'}"
            self.assertEqual(
                engine._gentle_resolve_policy(move.partner_id, self.company, move),
                expected,
                label,
            )
            self.assertEqual(receivables.gentle_policy_id, expected, label)
            self.assertEqual(move._gentle_fee_policy(), expected, label)

    def test_every_level_of_fallback(self):
        partner = self.partner
        # The company default.
        self._assert_resolved(self.policy, "default")
        self.assertEqual(
            self.engine._gentle_resolve_policy(partner, self.company), self.policy
        )
        # A grade no policy matches: still the default.
        partner.gentle_grade = "C"
        self._assert_resolved(self.policy, "unmatched grade")
        # The grade: the first matching policy by sequence.
        partner.gentle_grade = "B"
        self._assert_resolved(self.graded_first, "grade")
        self.graded_late.sequence = 1
        self._assert_resolved(self.graded_late, "grade, sequence changed")
        self.graded_late.active = False
        self._assert_resolved(self.graded_first, "grade, first archived")
        # The customer's policy beats the grade; another company's does not
        # count.
        self.customer.with_company(
            self.other_company
        ).sudo().gentle_policy_id = self.invoice_policy
        self._assert_resolved(self.graded_first, "other company's customer policy")
        partner.gentle_policy_id = self.customer_policy
        self._assert_resolved(self.customer_policy, "customer")
        self.assertEqual(
            self.engine._gentle_resolve_policy(partner, self.company),
            self.customer_policy,
        )
        # The invoice's policy beats everything, on that invoice only.
        self.posted.gentle_policy_id = self.invoice_policy
        self.assertEqual(
            self._gentle_receivables(self.posted).gentle_policy_id,
            self.invoice_policy,
        )
        self.assertEqual(self.posted._gentle_fee_policy(), self.invoice_policy)
        self.assertEqual(
            self.engine._gentle_resolve_policy(partner, self.company, self.posted),
            self.invoice_policy,
        )
        self.assertEqual(
            self._gentle_receivables(self.instalments).gentle_policy_id,
            self.customer_policy,
        )
        # Back down, level by level.
        self.posted.gentle_policy_id = False
        self._assert_resolved(self.customer_policy, "invoice policy removed")
        partner.gentle_policy_id = False
        self._assert_resolved(self.graded_first, "customer policy removed")
        partner.gentle_grade = False
        self._assert_resolved(self.policy, "grade removed")

    def test_a_contact_resolves_as_its_company(self):
        """An invoice sent to a contact person resolves by the customer (the
        commercial partner), everywhere."""
        contact = self.env["res.partner"].create(
            {"name": "Ann's Accountant", "parent_id": self.customer.id}
        )
        self.partner.gentle_policy_id = self.customer_policy
        move = self._gentle_invoice(contact, date(2026, 10, 1))
        self.assertEqual(
            self._gentle_receivables(move).gentle_policy_id, self.customer_policy
        )
        self.assertEqual(move._gentle_fee_policy(), self.customer_policy)
        self.assertEqual(
            self.engine._gentle_resolve_policy(contact, self.company, move),
            self.customer_policy,
        )
