"""The hold rule exists twice: in SQL for the engine's set-based queries
(``gentle.followup.engine._gentle_hold_sql``) and in Python for the invoice form
(``account.move._gentle_hold_reasons``). Both are run here on the same
invoices, one per hold reason, on the days around each boundary: they must
hold exactly the same invoices."""

from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged
from odoo.tools import SQL

from .common import RUN_DATE, GentleFollowupCommon

DAY = timedelta(days=1)


@tagged("post_install", "-at_install")
class TestHoldParity(GentleFollowupCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        invoice_date = RUN_DATE - timedelta(days=60)
        due = RUN_DATE - timedelta(days=30)
        other_company = cls.env["res.company"].create({"name": "Gentle Elsewhere"})

        def invoice(partner=None, **values):
            return cls._gentle_invoice(
                partner or cls.customer, invoice_date, due, **values
            )

        cls.free = invoice()
        cls.blocked = invoice()
        cls.blocked.action_toggle_block_payment()

        paused = cls._gentle_customer("Paused Customer")
        paused.with_company(cls.company).gentle_paused = True
        cls.paused = invoice(paused)
        # Paused in another company only: chased here.
        elsewhere = cls._gentle_customer("Paused Elsewhere")
        elsewhere.with_company(other_company).gentle_paused = True
        cls.paused_elsewhere = invoice(elsewhere)

        cls.hold_today = invoice(gentle_hold_until=RUN_DATE)
        cls.hold_yesterday = invoice(gentle_hold_until=RUN_DATE - DAY)

        Case = cls.env["gentle.collection.case"].sudo()
        category = cls.env.ref(
            "gentle_collections.gentle_case_category_payment_question"
        )
        cls.open_case = invoice()
        Case.create(
            {
                "subject": "Which order is this?",
                "partner_id": cls.customer.id,
                "company_id": cls.company.id,
                "category_id": category.id,
                "move_ids": [Command.set(cls.open_case.ids)],
            }
        )
        cls.triage_case = invoice()
        Case.create(
            {
                "subject": "Unknown sender",
                "partner_id": cls.customer.id,
                "company_id": cls.company.id,
                "category_id": category.id,
                "needs_triage": True,
                "move_ids": [Command.set(cls.triage_case.ids)],
            }
        )

        # Promised for the run date, no grace: held up to the run date included.
        cls.promised = invoice()
        with freeze_time(RUN_DATE - timedelta(days=5)):
            cls.env["gentle.payment.promise"].sudo().create(
                {
                    "partner_id": cls.customer.id,
                    "company_id": cls.company.id,
                    "move_ids": [Command.set(cls.promised.ids)],
                    "amount": cls.promised.amount_residual,
                    "date_promised": RUN_DATE,
                    "grace_days": 0,
                }
            )

        cls.planned = invoice()
        with freeze_time(RUN_DATE - timedelta(days=5)):
            wizard = (
                cls.env["gentle.payment.plan.propose"]
                .sudo()
                .with_context(active_model="account.move", active_ids=cls.planned.ids)
                .create(
                    {
                        "installment_count": 3,
                        "frequency": "monthly",
                        "date_first": RUN_DATE + timedelta(days=20),
                    }
                )
            )
            action = wizard.action_create_plan()
            cls.plan = cls.env["gentle.payment.plan"].sudo().browse(action["res_id"])
            cls.plan.action_agree()

        # Hardship softens the reminders; it holds nothing.
        hardship = cls._gentle_customer("Hard Times Ltd")
        hardship.with_company(cls.company).gentle_hardship_until = RUN_DATE + DAY
        cls.hardship = invoice(hardship)

        cls.invoices = (
            cls.free
            | cls.blocked
            | cls.paused
            | cls.paused_elsewhere
            | cls.hold_today
            | cls.hold_yesterday
            | cls.open_case
            | cls.triage_case
            | cls.promised
            | cls.planned
            | cls.hardship
        )

    def held_by_sql(self, day):
        engine = self.env["gentle.followup.engine"].with_company(self.company)
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                """SELECT am.id FROM account_move am
                     JOIN res_partner rp ON rp.id = am.commercial_partner_id
                    WHERE %s AND am.id = ANY(%s)""",
                engine._gentle_hold_sql(day),
                self.invoices.ids,
            )
        )
        return self.env["account.move"].browse(sorted(row[0] for row in rows))

    def held_by_python(self, day):
        moves = self.invoices.with_company(self.company)
        return moves.filtered(lambda move: move._gentle_hold_reasons(day))

    def assert_held(self, day, expected):
        with freeze_time(day):
            by_sql = self.held_by_sql(day)
            by_python = self.held_by_python(day)
        self.assertEqual(
            set(by_sql.ids),
            set(by_python.ids),
            f"SQL and Python disagree on {day}: SQL only "
            f"{(by_sql - by_python).mapped('id')}, Python only "
            f"{(by_python - by_sql).mapped('id')}",
        )
        self.assertEqual(set(by_python.ids), set(expected.ids), f"held on {day}")

    def test_sql_and_python_hold_the_same_invoices(self):
        always = self.blocked | self.paused | self.open_case | self.planned
        # The day before the run: both hold dates still run.
        self.assert_held(
            RUN_DATE - DAY,
            always | self.hold_today | self.hold_yesterday | self.promised,
        )
        # The run date: a hold until yesterday is over; the promise's deadline
        # and a hold until today still hold.
        self.assert_held(RUN_DATE, always | self.hold_today | self.promised)
        # The day after: only the holds without a date remain.
        self.assert_held(RUN_DATE + DAY, always)

    def test_lifting_a_hold_lifts_it_in_both(self):
        self.blocked.action_toggle_block_payment()
        self.paused.commercial_partner_id.with_company(
            self.company
        ).gentle_paused = False
        self.plan.action_cancel()
        self.assert_held(RUN_DATE + DAY, self.open_case)
