"""Browser tours of the collector's day, on a database with the demo data:
the Work Queue with its blockers, as the demo collections user, and the
Approvals, as the administrator who manages collections. Each test creates the
records its tour needs, so that a change of the demo cannot break it."""

from datetime import timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, tagged

from .common import gentle_start_tour


class GentleDemoTourMixin:
    @classmethod
    def _gentle_overdue_invoice(cls, customer, days_overdue, amount, **values):
        today = fields.Date.today()
        invoice = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": customer.id,
                "invoice_date": today - timedelta(days=days_overdue + 30),
                "invoice_date_due": today - timedelta(days=days_overdue),
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Tour service",
                            "quantity": 1,
                            "price_unit": amount,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
                **values,
            }
        )
        invoice.action_post()
        return invoice


@tagged("post_install", "-at_install")
class TestGentleWorkQueueTour(GentleDemoTourMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.collector = cls.env.ref("base.user_demo")
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Tour Held Hardware",
                "is_company": True,
                "email": "accounts@tourheld.example.com",
                "customer_rank": 1,
                "user_id": cls.collector.id,
            }
        )
        cls.invoice = cls._gentle_overdue_invoice(
            cls.customer,
            12,
            640.0,
            gentle_hold_until=fields.Date.today() + timedelta(days=10),
            gentle_hold_note="Waiting for the signed delivery note",
        )

    def test_collector_reads_why_a_customer_gets_no_reminder(self):
        customer = self.customer.with_user(self.collector)
        self.assertEqual(customer.gentle_followup_blocker_reason, "hold")
        self.assertIn(
            "(Waiting for the signed delivery note)", customer.gentle_followup_blocker
        )
        gentle_start_tour(
            self, "/odoo", "gentle_work_queue_tour", login=self.collector.login
        )


@tagged("post_install", "-at_install")
class TestGentleApprovalsTour(GentleDemoTourMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.env.company
        default = cls.env.ref("gentle_collections.gentle_followup_policy_default")
        # A policy of one reminder, 3 days after the due date, that a manager
        # approves first.
        cls.policy = default.copy({"name": "Tour: approve first", "is_default": False})
        first = cls.policy.level_ids.sorted("day_offset")[:1]
        (cls.policy.level_ids - first).unlink()
        first.write(
            {
                "day_offset": 3,
                "tone": "neutral",
                "requires_approval": True,
                "name": "Tour reminder",
            }
        )
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Tour Approval Traders",
                "is_company": True,
                "email": "ap@tourapproval.example.com",
                "customer_rank": 1,
                "gentle_policy_id": cls.policy.id,
            }
        )
        cls._gentle_overdue_invoice(cls.customer, 10, 980.0)
        result = cls.env["gentle.followup.engine"]._gentle_run(
            company, partner_ids=cls.customer.ids, window=False
        )
        cls.waiting = result["actions"].filtered(
            lambda a: a.state == "awaiting_approval"
        )

    def test_manager_approves_a_waiting_reminder(self):
        self.assertEqual(self.waiting.mapped("channel"), ["email"])
        self.assertFalse(self.waiting.mail_message_id)
        gentle_start_tour(self, "/odoo", "gentle_approvals_tour", login="admin")
        self.waiting.invalidate_recordset()
        # Approved and sent: the email is on the customer's chatter.
        self.assertNotEqual(self.waiting.state, "awaiting_approval")
        self.assertTrue(self.waiting.mail_message_id)
        self.assertIn(self.waiting.mail_message_id, self.customer.message_ids)
