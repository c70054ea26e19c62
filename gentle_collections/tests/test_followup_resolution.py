from datetime import date

from odoo import Command
from odoo.tests import tagged

from .common import GentleFollowupCommon


@tagged("post_install", "-at_install")
class TestFollowupResolution(GentleFollowupCommon):
    """Item 3: invoice override > customer override > grade > company default."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Policy = cls.env["gentle.followup.policy"]
        cls.graded = Policy.create(
            {
                "name": "Grade A ladder",
                "company_id": cls.company.id,
                "grade_ids": [
                    Command.set(cls.env.ref("gentle_collections.gentle_grade_a").ids)
                ],
                "level_ids": [Command.create({"name": "A nudge", "day_offset": 7})],
            }
        )
        cls.customer_policy = Policy.create(
            {
                "name": "Customer ladder",
                "company_id": cls.company.id,
                "level_ids": [Command.create({"name": "C nudge", "day_offset": 10})],
            }
        )
        cls.invoice_policy = Policy.create(
            {
                "name": "Invoice ladder",
                "company_id": cls.company.id,
                "level_ids": [Command.create({"name": "I nudge", "day_offset": 20})],
            }
        )

    def _policy_of(self, move):
        return self._gentle_receivables(move).gentle_policy_id

    def test_resolution_order(self):
        customer = self.customer.with_company(self.company)
        move = self._gentle_invoice(customer, date(2026, 10, 1), date(2026, 10, 31))
        line = self._gentle_receivables(move)
        # Company default.
        self.assertEqual(self._policy_of(move), self.policy)
        self.assertEqual(line.gentle_next_level_id, self.levels[-5])
        self.assertEqual(line.gentle_next_date, date(2026, 10, 26))
        # Grade-matched policy beats the default.
        customer.gentle_grade = "A"
        self.assertEqual(self._policy_of(move), self.graded)
        self.assertEqual(line.gentle_next_date, date(2026, 11, 7))
        # Another grade: back to the default.
        customer.gentle_grade = "B"
        self.assertEqual(self._policy_of(move), self.policy)
        customer.gentle_grade = "A"
        # Customer override beats the grade.
        customer.gentle_policy_id = self.customer_policy
        self.assertEqual(self._policy_of(move), self.customer_policy)
        self.assertEqual(line.gentle_next_date, date(2026, 11, 10))
        # Invoice override beats everything.
        move.gentle_policy_id = self.invoice_policy
        self.assertEqual(self._policy_of(move), self.invoice_policy)
        self.assertEqual(line.gentle_next_date, date(2026, 11, 20))
        self.assertEqual(move.gentle_next_followup_date, date(2026, 11, 20))
        # Removing the overrides falls back step by step.
        move.gentle_policy_id = False
        self.assertEqual(self._policy_of(move), self.customer_policy)
        customer.gentle_policy_id = False
        self.assertEqual(self._policy_of(move), self.graded)

    def test_override_is_per_company(self):
        """The customer override is company dependent: another company's
        setting does not leak into this one."""
        other = self.env["res.company"].sudo().create({"name": "Gentle Other Co"})
        self.customer.sudo().with_company(
            other
        ).gentle_policy_id = other.gentle_default_policy_id
        move = self._gentle_invoice(
            self.customer, date(2026, 10, 1), date(2026, 10, 31)
        )
        self.assertEqual(self._policy_of(move), self.policy)
        self.assertTrue(other.gentle_default_policy_id)
        self.assertNotEqual(other.gentle_default_policy_id, self.policy)

    def test_run_uses_resolved_policy(self):
        """The run sends the level of the invoice's own policy."""
        move = self._gentle_invoice(
            self.customer,
            date(2026, 10, 1),
            date(2026, 10, 15),
            gentle_policy_id=self.invoice_policy.id,
        )
        actions = self.run_followup()
        history = self._gentle_history(move)
        self.assertEqual(len(history), 1)
        self.assertEqual(history.level_id, self.invoice_policy.level_ids)
        self.assertEqual(actions.history_ids, history)
        self.assertEqual(actions.policy_id, self.invoice_policy)
        self.assertEqual(actions.level_id, self.invoice_policy.level_ids)

    def test_graded_policy_order_by_sequence(self):
        """Two policies for the same grade: the first by sequence wins."""
        second = self.graded.copy({"name": "Second A", "sequence": 1})
        self.assertEqual(
            self.engine._gentle_match_policy(
                self.customer.with_company(self.company), self.company
            ),
            self.env["gentle.followup.policy"],
        )
        self.customer.with_company(self.company).gentle_grade = "A"
        self.assertEqual(
            self.engine._gentle_match_policy(self.customer, self.company), second
        )

    def test_new_graded_policy_applies_to_open_invoices(self):
        """Creating, regrading or deleting a grade policy re-resolves the open
        invoices at once: their next follow-up date follows."""
        customer = self.customer.with_company(self.company)
        customer.gentle_grade = "B"
        move = self._gentle_invoice(customer, date(2026, 10, 1), date(2026, 10, 31))
        line = self._gentle_receivables(move)
        self.assertEqual(line.gentle_policy_id, self.policy)
        grade_b = self.env.ref("gentle_collections.gentle_grade_b")
        policy_b = self.env["gentle.followup.policy"].create(
            {
                "name": "Grade B ladder",
                "company_id": self.company.id,
                "grade_ids": [Command.set(grade_b.ids)],
                "level_ids": [Command.create({"name": "B nudge", "day_offset": 12})],
            }
        )
        self.assertEqual(line.gentle_policy_id, policy_b)
        self.assertEqual(line.gentle_next_date, date(2026, 11, 12))
        self.assertEqual(move.gentle_next_followup_date, date(2026, 11, 12))
        # The graded policy now targets another grade: back to the default.
        policy_b.grade_ids = [Command.set(self.graded.grade_ids.ids)]
        self.assertEqual(line.gentle_policy_id, self.policy)
        self.assertEqual(move.gentle_next_followup_date, date(2026, 10, 26))
        # A customer override that is deleted falls back as well.
        customer.gentle_policy_id = policy_b
        self.assertEqual(move.gentle_next_followup_date, date(2026, 11, 12))
        policy_b.unlink()
        self.assertEqual(line.gentle_policy_id, self.policy)
        self.assertEqual(move.gentle_next_followup_date, date(2026, 10, 26))
