"""Collections → Overview (``gentle.overview``): each figure on a small book
with known numbers, on both sides of its boundary; each figure's action opens
exactly the records it counts; companies see only their own figures; the
number of queries does not grow with the book."""

from datetime import date, datetime, timedelta

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import GentleFollowupCommon, create_gentle_users, freeze_time

# A Tuesday, 11:00 in Brussels: "today" is 10 November 2026, this month is
# November, last month October.
NOW = datetime(2026, 11, 10, 10, 0)
TODAY = NOW.date()


class GentleOverviewCommon(GentleFollowupCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = create_gentle_users(cls.env, cls.company)
        cls.collector = cls.users["accountant"]

    def figures(self, user=None, company=None, now=NOW):
        overview = self.env["gentle.overview"]
        if user:
            overview = overview.with_user(user)
        if company:
            overview = overview.with_company(company)
        with freeze_time(now):
            return overview.get_figures()

    def opened(self, figure, user=None, company=None, now=NOW):
        """The records the action of ``figure`` opens, as its list would."""
        overview = self.env["gentle.overview"]
        if user:
            overview = overview.with_user(user)
        if company:
            overview = overview.with_company(company)
        with freeze_time(now):
            action = getattr(overview, f"action_open_{figure}")()
            self.assertEqual(action["type"], "ir.actions.act_window")
            self.assertEqual(action["views"][0][1], "list", "opens on a list")
            self.env.flush_all()
            return overview.env[action["res_model"]].search(action["domain"])


@tagged("post_install", "-at_install")
class TestGentleOverviewLedger(GentleOverviewCommon):
    """The receivable, overdue, collected, DSO, CEI and the trend."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        customer = cls.customer
        invoice = cls._gentle_invoice
        # Sep 15, due Oct 15: 400 paid on Oct 31 (last month), 600 overdue.
        cls.inv1 = invoice(customer, date(2026, 9, 15), date(2026, 10, 15), 1000.0)
        cls.payment1 = cls.pay(cls.inv1, amount=400.0, date=date(2026, 10, 31))
        # Oct 20, due Nov 19: 500 paid on Nov 1 (this month), 1500 not yet due.
        cls.inv2 = invoice(customer, date(2026, 10, 20), date(2026, 11, 19), 2000.0)
        cls.payment2 = cls.pay(cls.inv2, amount=500.0, date=date(2026, 11, 1))
        # Nov 5, due Dec 5, less a credit note of 200 applied: 2800 not yet due.
        cls.inv3 = invoice(customer, date(2026, 11, 5), date(2026, 12, 5), 3000.0)
        cls.refund = invoice(
            customer, date(2026, 11, 2), amount=200.0, move_type="out_refund"
        )
        (cls.inv3 | cls.refund).line_ids.filtered(
            lambda line: line.display_type == "payment_term"
        ).reconcile()
        # Aug 1, due Aug 31, paid in full on Sep 10: in neither month.
        cls.inv4 = invoice(customer, date(2026, 8, 1), date(2026, 8, 31), 800.0)
        cls.pay(cls.inv4, date=date(2026, 9, 10))
        # Not the company's receivables: a draft, a vendor bill.
        invoice(customer, date(2026, 11, 3), amount=9000.0, post=False)
        invoice(customer, date(2026, 11, 3), amount=7000.0, move_type="in_invoice")
        # Another company, empty until a test books there.
        cls.other = cls.setup_other_company(name="Other Co")["company"]

    def _lines(self, *moves):
        return self.env["account.move.line"].union(
            *(self._gentle_receivables(move) for move in moves)
        )

    def assertRows(self, rows, lines):  # noqa: N802 - named like the assertions
        """The receivables ageing report ``rows`` are exactly ``lines`` (its
        rows are the open receivable lines, by id)."""
        self.assertEqual(rows._name, "gentle.ageing.report")
        self.assertEqual(sorted(rows.ids), sorted(lines.ids))

    def test_receivable_and_overdue(self):
        figures = self.figures()
        self.assertEqual(figures["receivable"], {"amount": 4900.0, "count": 3})
        self.assertEqual(
            figures["overdue"], {"amount": 600.0, "count": 1, "share": 12.2}
        )
        self.assertEqual(figures["currency_id"], self.company.currency_id.id)
        self.assertRows(
            self.opened("receivable"), self._lines(self.inv1, self.inv2, self.inv3)
        )
        self.assertRows(self.opened("overdue"), self._lines(self.inv1))

    def test_overdue_from_the_day_after_the_due_date(self):
        # inv2 is due on 19 November: not overdue that day, overdue the next.
        on_due = self.figures(now=datetime(2026, 11, 19, 10, 0))
        self.assertEqual(on_due["overdue"]["amount"], 600.0)
        self.assertRows(
            self.opened("overdue", now=datetime(2026, 11, 19, 10, 0)),
            self._lines(self.inv1),
        )
        self.assertRows(
            self.opened("best_dso", now=datetime(2026, 11, 19, 10, 0)),
            self._lines(self.inv2, self.inv3),
        )
        after = self.figures(now=datetime(2026, 11, 20, 10, 0))
        self.assertEqual(after["overdue"]["amount"], 2100.0)
        self.assertRows(
            self.opened("overdue", now=datetime(2026, 11, 20, 10, 0)),
            self._lines(self.inv1, self.inv2),
        )

    def test_collected_this_month_and_last_month(self):
        figures = self.figures()
        # 31 October counts for October, 1 November for November; the credit
        # note is no payment, the payment of September is in neither month.
        self.assertEqual(figures["collected_this_month"], 500.0)
        self.assertEqual(figures["collected_last_month"], 400.0)
        this_month = self.opened("collected_this_month")
        self.assertEqual(this_month.move_id.origin_payment_id, self.payment2)
        self.assertEqual(sum(this_month.mapped("credit")), 500.0)
        last_month = self.opened("collected_last_month")
        self.assertEqual(last_month.move_id.origin_payment_id, self.payment1)
        # On the 31 October itself, the 400 is this month's, and September's
        # payment of inv4 last month's.
        october = self.figures(now=datetime(2026, 10, 31, 10, 0))
        self.assertEqual(october["collected_this_month"], 400.0)
        self.assertEqual(october["collected_last_month"], 800.0)

    def test_dso_best_possible_dso_and_cei(self):
        figures = self.figures()
        # Credit sales from 12 August to 10 November: 1000 + 2000 + 3000.
        self.assertEqual(figures["sales_90"], 6000.0)
        # 4900 / 6000 × 90, and 4300 (not yet due) / 6000 × 90.
        self.assertEqual(figures["dso"], 73.5)
        self.assertEqual(figures["best_dso"], 64.5)
        # October: 1000 owed on 30 September, 2000 sold, 2600 owed on 31
        # October of which 2000 not yet due: (1000 + 2000 − 2600) /
        # (1000 + 2000 − 2000).
        self.assertEqual(figures["cei"], 40.0)
        self.assertEqual(figures["last_month"], "October 2026")
        self.assertEqual(self.opened("dso"), self.inv1 | self.inv2 | self.inv3)
        self.assertRows(self.opened("best_dso"), self._lines(self.inv2, self.inv3))
        self.assertEqual(self.opened("cei"), self.inv2)

    def test_trend_of_twelve_month_ends(self):
        trend = self.figures()["trend"]
        self.assertEqual(len(trend), 12)
        self.assertEqual(trend[0]["date"], "2025-12-31")
        by_date = {point["date"]: point for point in trend}
        expected = {
            # inv4 open and due that day: not overdue yet; sales: inv4.
            "2026-08-31": (800.0, 0.0, 90.0),
            # inv1 only (inv4 paid); sales since 2 July: inv4 + inv1.
            "2026-09-30": (1000.0, 0.0, 50.0),
            # inv1 less 400 (overdue), inv2; sales since 2 August: inv1 + inv2.
            "2026-10-31": (2600.0, 600.0, 78.0),
            # Today: the figures above.
            "2026-11-10": (4900.0, 600.0, 73.5),
        }
        for day, (receivable, overdue, dso) in expected.items():
            point = by_date[day]
            self.assertEqual(
                (point["receivable"], point["overdue"], point["dso"]),
                (receivable, overdue, dso),
                day,
            )
        self.assertEqual(
            (by_date["2026-07-31"]["receivable"], by_date["2026-07-31"]["dso"]),
            (0.0, None),
            "no sales, no DSO",
        )
        self.assertEqual(trend[-1]["label"], "Nov 2026")

    def test_receivable_at_today_is_the_open_receivable(self):
        overview = self.env["gentle.overview"]
        with freeze_time(NOW):
            self.assertEqual(
                overview._gentle_receivable_at(self.company, [TODAY]),
                {TODAY: (4900.0, 600.0)},
            )

    def test_empty_book_reads_zero_and_no_ratio(self):
        empty = self.other
        figures = self.figures(company=empty)
        self.assertEqual(figures["receivable"], {"amount": 0.0, "count": 0})
        self.assertEqual(figures["overdue"]["share"], None)
        for key in ("dso", "best_dso", "cei"):
            self.assertIsNone(figures[key], key)
        self.assertEqual(figures["collected_this_month"], 0.0)
        self.assertFalse(self.opened("receivable", company=empty))

    def test_each_company_sees_its_own_book(self):
        other = self.other
        invoice = self.init_invoice(
            "out_invoice",
            partner=self.customer,
            invoice_date=date(2026, 11, 3),
            amounts=[10000.0],
            company=other,
            post=True,
        )
        invoice.invoice_date_due = date(2026, 11, 4)
        self.pay(invoice, amount=1000.0, date=date(2026, 11, 5))
        mine = self.figures()
        self.assertEqual(mine["receivable"]["amount"], 4900.0)
        self.assertEqual(mine["collected_this_month"], 500.0)
        theirs = self.figures(company=other)
        self.assertEqual(theirs["receivable"], {"amount": 9000.0, "count": 1})
        self.assertEqual(theirs["overdue"]["amount"], 9000.0)
        self.assertEqual(theirs["collected_this_month"], 1000.0)
        self.assertEqual(theirs["sales_90"], 10000.0)
        self.assertEqual(self.opened("receivable", company=other).move_id, invoice)
        self.assertEqual(self.opened("dso", company=other), invoice)

    def test_queries_do_not_grow_with_the_book(self):
        def count():
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            self.figures()
            return self.env.cr.sql_log_count - before

        count()  # the first call fills the ORM's caches (rules, groups)
        small = count()
        for number in range(5):
            customer = self._gentle_customer(f"Bulk Customer {number}")
            move = self._gentle_invoice(
                customer, date(2026, 10, 1), date(2026, 10, 31), 100.0
            )
            self.pay(move, amount=50.0, date=date(2026, 11, 2))
        self.assertEqual(count(), small)

    def test_collectors_only(self):
        self.assertEqual(
            self.figures(user=self.collector)["receivable"]["amount"], 4900.0
        )
        self.assertRows(
            self.opened("overdue", user=self.collector), self._lines(self.inv1)
        )
        salesman = self.users["salesman"]
        with self.assertRaises(AccessError):
            self.figures(user=salesman)
        with self.assertRaises(AccessError):
            self.opened("receivable", user=salesman)


@tagged("post_install", "-at_install")
class TestGentleOverviewWork(GentleOverviewCommon):
    """Promises, plans, cases, approvals and failed sends."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other = cls.setup_other_company(name="Other Co")["company"]
        cls.invoice = cls._gentle_invoice(
            cls.customer, date(2026, 9, 1), date(2026, 10, 1), 5000.0
        )
        cls.other_invoice = cls.init_invoice(
            "out_invoice",
            partner=cls.customer,
            invoice_date=date(2026, 9, 1),
            amounts=[700.0],
            company=cls.other,
            post=True,
        )
        Promise = cls.env["gentle.payment.promise"]

        def promise(day, on, **values):
            with freeze_time(datetime(on.year, on.month, on.day, 10)):
                return Promise.create(
                    {
                        "partner_id": cls.customer.id,
                        "move_ids": [Command.set(cls.invoice.ids)],
                        "date_promised": day,
                        "amount": 100.0,
                        "grace_days": 0,
                        **values,
                    }
                )

        # Broken: decided on 1 November (this month) and 31 October (last).
        cls.broken_now = promise(date(2026, 10, 20), date(2026, 10, 15))
        cls.broken_now._gentle_decide(date(2026, 11, 1))
        cls.broken_before = promise(date(2026, 10, 20), date(2026, 10, 15))
        cls.broken_before._gentle_decide(date(2026, 10, 31))
        # Due today, tomorrow; due today but cancelled.
        cls.due_today = promise(TODAY, TODAY)
        cls.due_tomorrow = promise(TODAY + timedelta(days=1), TODAY)
        promise(TODAY, TODAY).action_cancel()

        # Plans agreed on 20 October: instalments due 5 November (unpaid, at
        # risk), 5 November (paid), 10 November (today: not late yet).
        cls.at_risk = cls._plan("Late Payer", date(2026, 11, 5))
        cls.paid_plan = cls._plan("Punctual Payer", date(2026, 11, 5))
        cls.pay(cls.paid_plan.move_ids, amount=400.0, date=date(2026, 11, 4))
        cls.due_plan = cls._plan("Today Payer", TODAY)

        # Cases: SLA a minute ago, in a minute; past but waiting on the
        # customer (paused) or resolved; another company's.
        cls.breached = cls._case(NOW - timedelta(minutes=1))
        cls.in_time = cls._case(NOW + timedelta(minutes=1))
        cls._case(NOW - timedelta(days=1)).write({"state": "waiting"})
        cls._case(NOW - timedelta(days=1)).write(
            {"state": "resolved", "outcome": "explained"}
        )
        cls.other_breached = cls._case(NOW - timedelta(days=1), company=cls.other)

        # Approvals: waiting since 1 and 8 November; postponed to after today;
        # sent; another company's.
        cls.oldest = cls._action(date(2026, 11, 1))
        cls.newest = cls._action(date(2026, 11, 8))
        cls._action(date(2026, 10, 1), postponed_until=date(2026, 11, 12))
        cls._action(date(2026, 10, 1), state="sent")
        cls.other_waiting = cls._action(date(2026, 11, 9), company=cls.other)

        # Failed sends: one of this company, one of the other.
        cls.failed = cls._failed_send(cls.company)
        cls.other_failed = cls._failed_send(cls.other)

    @classmethod
    def _plan(cls, name, first_due):
        customer = cls._gentle_customer(name)
        move = cls._gentle_invoice(customer, date(2026, 9, 1), date(2026, 10, 1))
        with freeze_time(datetime(2026, 10, 20, 10)):
            plan = cls.env["gentle.payment.plan"].create(
                {
                    "partner_id": customer.id,
                    "move_ids": [Command.set(move.ids)],
                    "line_ids": [
                        Command.create({"date_due": first_due, "amount": 400.0}),
                        Command.create(
                            {
                                "date_due": first_due + timedelta(days=30),
                                "amount": 600.0,
                            }
                        ),
                    ],
                }
            )
            plan.action_agree()
        return plan

    @classmethod
    def _case(cls, deadline, company=None):
        company = company or cls.company
        move = cls.invoice if company == cls.company else cls.other_invoice
        return (
            cls.env["gentle.collection.case"]
            .with_company(company)
            .create(
                {
                    "subject": "Which invoice is this?",
                    "category_id": cls.env.ref(
                        "gentle_collections.gentle_case_category_invoice_copy"
                    ).id,
                    "partner_id": cls.customer.id,
                    "company_id": company.id,
                    "move_ids": [Command.set(move.ids)],
                    "sla_deadline": deadline,
                }
            )
        )

    @classmethod
    def _action(cls, day, company=None, **values):
        return (
            cls.env["gentle.followup.action"]
            .sudo()
            .create(
                {
                    "partner_id": cls.customer.id,
                    "company_id": (company or cls.company).id,
                    "channel": "email",
                    "state": "awaiting_approval",
                    "date": day,
                    **values,
                }
            )
        )

    @classmethod
    def _failed_send(cls, company):
        message = (
            cls.env["mail.message"]
            .sudo()
            .create(
                {
                    "model": "res.partner",
                    "res_id": cls.customer.id,
                    "message_type": "email",
                    "subject": "Your invoices",
                    "gentle_mail_kind": "follow_up",
                    "record_company_id": company.id,
                }
            )
        )
        return (
            cls.env["mail.notification"]
            .sudo()
            .create(
                {
                    "mail_message_id": message.id,
                    "res_partner_id": cls.customer.id,
                    "notification_type": "email",
                    "notification_status": "exception",
                    "failure_type": "mail_smtp",
                }
            )
        )

    def test_promises_due_today_and_broken_this_month(self):
        figures = self.figures()
        self.assertEqual(figures["promises_due_today"], 1)
        self.assertEqual(figures["promises_broken"], 1)
        self.assertEqual(self.opened("promises_due_today"), self.due_today)
        self.assertEqual(self.opened("promises_broken"), self.broken_now)
        # Tomorrow, the other promise falls due; in October, the other was
        # broken that month.
        tomorrow = datetime(2026, 11, 11, 10, 0)
        self.assertEqual(self.figures(now=tomorrow)["promises_due_today"], 1)
        self.assertEqual(
            self.opened("promises_due_today", now=tomorrow), self.due_tomorrow
        )
        self.assertEqual(
            self.opened("promises_broken", now=datetime(2026, 10, 31, 10, 0)),
            self.broken_before,
        )

    def test_plans_with_an_unpaid_instalment_past_due(self):
        self.assertEqual(self.figures()["plans_at_risk"], 1)
        self.assertEqual(self.opened("plans_at_risk"), self.at_risk)
        # The same as the instalments' own state says.
        plans = self.at_risk | self.paid_plan | self.due_plan
        late = plans.with_context(gentle_plan_today=TODAY).filtered(
            lambda plan: "late" in plan.line_ids.mapped("state")
        )
        self.assertEqual(late, self.at_risk)
        # The next day, today's instalment is late too.
        tomorrow = datetime(2026, 11, 11, 10, 0)
        self.assertEqual(
            self.opened("plans_at_risk", now=tomorrow), self.at_risk | self.due_plan
        )

    def test_cases_past_their_sla(self):
        self.assertEqual(self.figures()["cases_breached"], 1)
        self.assertEqual(self.opened("cases_breached"), self.breached)
        # Two minutes later, the case in time is past its SLA too.
        later = NOW + timedelta(minutes=2)
        self.assertEqual(self.figures(now=later)["cases_breached"], 2)
        self.assertEqual(
            self.opened("cases_breached", now=later), self.breached | self.in_time
        )

    def test_approvals_waiting_and_the_oldest(self):
        figures = self.figures()
        self.assertEqual(figures["approvals"], 2)
        self.assertEqual(figures["approvals_oldest_days"], 9)
        self.assertEqual(self.opened("approvals"), self.oldest | self.newest)

    def test_failed_or_stuck_sends(self):
        self.assertEqual(self.figures()["outbox"], 1)
        self.assertEqual(self.opened("outbox").ids, self.failed.ids)

    def test_each_company_sees_its_own_work(self):
        figures = self.figures(company=self.other)
        self.assertEqual(
            {
                key: figures[key]
                for key in (
                    "promises_due_today",
                    "promises_broken",
                    "plans_at_risk",
                    "cases_breached",
                    "approvals",
                    "outbox",
                )
            },
            {
                "promises_due_today": 0,
                "promises_broken": 0,
                "plans_at_risk": 0,
                "cases_breached": 1,
                "approvals": 1,
                "outbox": 1,
            },
        )
        self.assertEqual(
            self.opened("cases_breached", company=self.other), self.other_breached
        )
        self.assertEqual(
            self.opened("approvals", company=self.other), self.other_waiting
        )
        self.assertEqual(
            self.opened("outbox", company=self.other).ids, self.other_failed.ids
        )

    def test_collector_sees_the_same(self):
        figures = self.figures(user=self.collector)
        self.assertEqual(
            (
                figures["promises_due_today"],
                figures["plans_at_risk"],
                figures["cases_breached"],
                figures["approvals"],
                figures["outbox"],
            ),
            (1, 1, 1, 2, 1),
        )
        self.assertEqual(
            self.opened("cases_breached", user=self.collector), self.breached
        )
