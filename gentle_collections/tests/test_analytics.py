from datetime import date, timedelta

from odoo.tests import new_test_user, tagged
from odoo.tools import SQL

from .common import GentleFollowupCommon


@tagged("post_install", "-at_install")
class TestGentleAnalytics(GentleFollowupCommon):
    """Receivables ageing and which reminders work, read from the ledger."""

    def db_today(self):
        """The SQL views age receivables as of the database's date."""
        return self.env.execute_query(SQL("SELECT CURRENT_DATE"))[0][0]

    def test_ageing_buckets_both_sides_of_each_boundary(self):
        today = self.db_today()
        customer = self._gentle_customer("Ageing Alpha")
        cases = {
            0: "0_not_due",  # due today
            1: "1_30",
            30: "1_30",
            31: "2_60",
            60: "2_60",
            61: "3_90",
            90: "3_90",
            91: "4_older",
        }
        invoices = {}
        for days, _bucket in cases.items():
            due = today - timedelta(days=days)
            invoices[days] = self._gentle_invoice(
                customer, due - timedelta(days=30), due=due, amount=100.0 + days
            )
        paid = self._gentle_invoice(
            customer, today - timedelta(days=40), due=today - timedelta(days=10)
        )
        self.pay(paid, date=today)
        partly = self._gentle_invoice(
            customer, today - timedelta(days=40), due=today - timedelta(days=10)
        )
        self.pay(partly, amount=400.0, date=today)
        self.env.flush_all()
        rows = self.env["gentle.ageing.report"].search(
            [("partner_id", "=", customer.id)]
        )
        by_move = {row.move_id: row for row in rows}
        for days, bucket in cases.items():
            row = by_move[invoices[days]]
            self.assertEqual(row.bucket, bucket, f"{days} days overdue")
            self.assertEqual(row.days_overdue, days)
            self.assertEqual(row.amount_residual, 100.0 + days)
            self.assertEqual(row.amount_overdue, 0.0 if days == 0 else 100.0 + days)
        self.assertNotIn(paid, by_move)
        self.assertEqual(by_move[partly].amount_residual, 600.0)
        groups = self.env["gentle.ageing.report"].read_group(
            [("partner_id", "=", customer.id)],
            ["amount_residual:sum"],
            ["bucket"],
        )
        totals = {g["bucket"]: g["amount_residual"] for g in groups}
        self.assertEqual(totals["1_30"], 101.0 + 130.0 + 600.0)
        self.assertEqual(totals["4_older"], 191.0)

    def test_which_reminders_work(self):
        fast = self._gentle_customer("Fast Payer")
        slow = self._gentle_customer("Slow Payer")
        never = self._gentle_customer("Never Payer")
        invoices = {
            partner: self._gentle_invoice(
                partner, date(2026, 10, 1), due=date(2026, 10, 31)
            )
            for partner in (fast, slow, never)
        }
        self.run_followup()  # 10 November
        history = self._gentle_history(
            invoices[fast] | invoices[slow] | invoices[never]
        )
        self.assertEqual(len(history), 3)
        self.pay(invoices[fast], date=date(2026, 11, 17))  # 7 days later
        self.pay(invoices[slow], date=date(2026, 11, 18))  # 8 days later
        self.env.flush_all()
        Report = self.env["gentle.level.report"]
        rows = {
            row.partner_id: row for row in Report.search([("id", "in", history.ids)])
        }
        self.assertEqual(rows[fast].paid_on, date(2026, 11, 17))
        self.assertEqual(
            (rows[fast].days_to_pay, rows[fast].paid_7, rows[fast].paid_14), (7, 1, 1)
        )
        self.assertEqual(
            (rows[slow].days_to_pay, rows[slow].paid_7, rows[slow].paid_14), (8, 0, 1)
        )
        self.assertEqual(
            (rows[never].days_to_pay, rows[never].paid_30, rows[never].paid_on),
            (0, 0, False),
        )
        level = history[0].level_id
        self.assertEqual(rows[fast].level_id, level)
        self.assertEqual(rows[fast].tone, level.tone)
        group = Report.read_group(
            [("id", "in", history.ids)],
            ["reminder_count:sum", "paid_7:sum", "paid_14:sum", "days_to_pay:avg"],
            ["level_id"],
        )[0]
        self.assertEqual(group["reminder_count"], 3)
        self.assertEqual(group["paid_7"], 1)
        self.assertEqual(group["paid_14"], 2)
        self.assertEqual(group["days_to_pay"], 7.5)

    def test_reports_open_for_a_collector(self):
        collector = new_test_user(
            self.env,
            login="report_collector",
            groups="base.group_user,gentle_collections.group_gentle_user",
            company_id=self.company.id,
            company_ids=[self.company.id],
        )
        invoice = self._gentle_invoice(
            self.customer, date(2026, 10, 1), due=date(2026, 10, 31)
        )
        self.run_followup()
        self.env.flush_all()
        for xmlid in (
            "gentle_collections.gentle_ageing_report_action",
            "gentle_collections.gentle_level_report_action",
        ):
            action = self.env.ref(xmlid)
            Report = self.env[action.res_model].with_user(collector)
            views = Report.get_views(
                [(False, "pivot"), (False, "graph"), (False, "list")]
            )
            self.assertEqual(set(views["views"]), {"pivot", "graph", "list"})
            self.assertEqual(Report.search([]).move_id, invoice)
