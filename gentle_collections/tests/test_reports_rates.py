"""The collections reports read from the ledger: the ageing by customer keeps
its five buckets, which reminders work as rates whose group totals are ratios
of sums, and DSO and CEI per month are the Overview's trend."""

from datetime import date, datetime, timedelta

from odoo.tests import tagged
from odoo.tools import SQL

from .common import GentleFollowupCommon, create_gentle_users, freeze_time

# The follow-up runs on 10 November 2026 (common.RUN_NOW); the rates are read
# when every reminder's 30 days are over.
LATER = datetime(2026, 12, 31, 10, 0)
BUCKET_MEASURES = (
    "amount_not_due",
    "amount_1_30",
    "amount_31_60",
    "amount_61_90",
    "amount_over_90",
)


@tagged("post_install", "-at_install")
class TestGentleAgeingByCustomer(GentleFollowupCommon):
    """The ageing pivot by customer: five bucket measures, always."""

    def test_every_bucket_shows_for_a_customer_with_two(self):
        today = self.env.execute_query(SQL("SELECT CURRENT_DATE"))[0][0]
        customer = self._gentle_customer("Two Buckets")
        self._gentle_invoice(
            customer, today, due=today + timedelta(days=5), amount=300.0
        )
        self._gentle_invoice(
            customer, today - timedelta(days=70), due=today - timedelta(days=45)
        )
        self._gentle_invoice(
            customer,
            today - timedelta(days=70),
            due=today - timedelta(days=31),
            amount=200.0,
        )
        self.env.flush_all()
        Report = self.env["gentle.ageing.report"]
        [group] = Report.read_group(
            [("partner_id", "=", customer.id)],
            [f"{name}:sum" for name in (*BUCKET_MEASURES, "amount_residual")],
            ["partner_id"],
        )
        self.assertEqual(
            [group[name] for name in BUCKET_MEASURES], [300.0, 0.0, 1200.0, 0.0, 0.0]
        )
        self.assertEqual(group["amount_residual"], 1500.0)
        # The pivot opens by customer with the five buckets and the total as
        # measures: the columns are there whatever the amounts.
        arch = Report.get_views([(False, "pivot")])["views"]["pivot"]["arch"]
        for name in (*BUCKET_MEASURES, "amount_residual"):
            self.assertIn(f'name="{name}" type="measure"', arch)
        self.assertIn('name="partner_id" type="row"', arch)
        self.assertNotIn('name="grade" type="row"', arch)
        # Grade is a group-by of the search view.
        search = Report.get_views([(False, "search")])["views"]["search"]["arch"]
        self.assertIn("'group_by': 'grade'", search)


@tagged("post_install", "-at_install")
class TestGentleReminderRates(GentleFollowupCommon):
    """Which reminders work: reminders sent and the share paid within 7, 14 and
    30 days, per level, tone and style; group totals are ratios of sums."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        direct = {"gentle_style": "direct"}
        cls.fast = cls._gentle_customer("Rate Fast", **direct)
        cls.faster = cls._gentle_customer("Rate Faster", **direct)
        cls.never = cls._gentle_customer("Rate Never", **direct)
        cls.subtle = cls._gentle_customer("Rate Subtle", gentle_style="subtle")
        # Due 31 October, 10 days late on the run: the friendly level (+3).
        cls.invoices = {
            partner: cls._gentle_invoice(partner, date(2026, 10, 1), date(2026, 10, 31))
            for partner in (cls.fast, cls.faster, cls.never)
        }
        # Due 20 October, 21 days late: the neutral level (+15).
        cls.invoices[cls.subtle] = cls._gentle_invoice(
            cls.subtle, date(2026, 9, 20), date(2026, 10, 20)
        )

    def _report(self, now=LATER, user=None):
        Report = self.env["gentle.level.report"]
        if user:
            Report = Report.with_user(user)
        self.env.flush_all()
        return Report, freeze_time(now)

    def _groups(self, groupby, now=LATER):
        Report, frozen = self._report(now)
        with frozen:
            return {
                group[groupby][0]
                if isinstance(group[groupby], tuple)
                else group[groupby]: group
                for group in Report.read_group(
                    [("partner_id", "in", list(self.invoices_partners))],
                    [
                        "reminder_count:sum",
                        "paid_7:sum",
                        "paid_14:sum",
                        "paid_30:sum",
                        "rate_7:avg",
                        "rate_14:avg",
                        "rate_30:avg",
                    ],
                    [groupby],
                )
            }

    @property
    def invoices_partners(self):
        return [partner.id for partner in self.invoices]

    def _send_and_pay(self):
        self.run_followup()  # 10 November
        self.pay(self.invoices[self.fast], date=date(2026, 11, 17))  # day 7
        self.pay(self.invoices[self.faster], date=date(2026, 11, 12))  # day 2
        self.pay(self.invoices[self.subtle], date=date(2026, 11, 25))  # day 15
        history = self._gentle_history(
            self.env["account.move"].union(*self.invoices.values())
        )
        self.assertEqual(len(history), 4)
        return history

    def test_rates_per_level_tone_and_style_and_their_totals(self):
        history = self._send_and_pay()
        friendly = history.filtered(lambda h: h.partner_id != self.subtle).level_id
        neutral = history.filtered(lambda h: h.partner_id == self.subtle).level_id
        self.assertEqual((friendly.tone, neutral.tone), ("friendly", "neutral"))
        by_level = self._groups("level_id")
        self.assertEqual(
            [
                by_level[friendly.id][key]
                for key in ("reminder_count", "paid_7", "paid_14", "paid_30")
            ],
            [3, 2, 2, 2],
        )
        self.assertAlmostEqual(by_level[friendly.id]["rate_7"], 66.67, places=2)
        self.assertAlmostEqual(by_level[friendly.id]["rate_30"], 66.67, places=2)
        # Paid on day 15: not within 7 or 14 days, within 30.
        self.assertEqual(
            [by_level[neutral.id][key] for key in ("paid_7", "paid_14", "paid_30")],
            [0, 0, 1],
        )
        self.assertEqual(
            [by_level[neutral.id][key] for key in ("rate_7", "rate_14", "rate_30")],
            [0.0, 0.0, 100.0],
        )
        by_tone = self._groups("tone")
        self.assertAlmostEqual(by_tone["friendly"]["rate_7"], 66.67, places=2)
        self.assertEqual(by_tone["neutral"]["rate_30"], 100.0)
        by_style = self._groups("style")
        self.assertEqual(by_style["direct"]["reminder_count"], 3)
        self.assertAlmostEqual(by_style["direct"]["rate_7"], 66.67, places=2)
        self.assertEqual(by_style["subtle"]["rate_7"], 0.0)
        # The total: 2 of 4 within 7 days (50 %), 3 of 4 within 30 days (75 %);
        # an average of the levels' rates would say 33.33 % and 83.33 %.
        Report, frozen = self._report()
        with frozen:
            [total] = Report.read_group(
                [("partner_id", "in", self.invoices_partners)],
                ["reminder_count:sum", "rate_7:avg", "rate_30:avg"],
                [],
            )
        self.assertEqual(total["reminder_count"], 4)
        self.assertEqual((total["rate_7"], total["rate_30"]), (50.0, 75.0))

    def test_a_reminder_counts_once_its_days_are_over(self):
        history = self._send_and_pay()
        friendly = history.filtered(lambda h: h.partner_id == self.never).level_id
        # "Never" was reminded on 10 November and has not paid: left out of the
        # 7-day rate while its 7 days run (to 17 November), a failure from 18
        # November; the other two paid within 7 days.
        for day, rate, paid in ((17, 100.0, 2), (18, 66.67, 2)):
            group = self._groups("level_id", now=datetime(2026, 11, day, 10, 0))[
                friendly.id
            ]
            self.assertAlmostEqual(group["rate_7"], rate, places=2, msg=day)
            self.assertEqual((group["paid_7"], group["reminder_count"]), (paid, 3))

    def test_only_reminders_sent_count(self):
        history = self._send_and_pay()
        actions = history.filtered(lambda h: h.partner_id == self.never).action_ids
        actions.sudo().write({"state": "failed"})
        by_level = self._groups("level_id")
        friendly = history.filtered(lambda h: h.partner_id == self.fast).level_id
        self.assertEqual(by_level[friendly.id]["reminder_count"], 2)
        self.assertEqual(by_level[friendly.id]["rate_7"], 100.0)

    def test_collectors_and_managers_read_the_reports(self):
        self._send_and_pay()
        users = create_gentle_users(self.env, self.company)
        for role in ("accountant", "manager"):
            for model in (
                "gentle.level.report",
                "gentle.ageing.report",
                "gentle.dso.report",
                "gentle.cash.forecast",
            ):
                Report = self.env[model].with_user(users[role])
                with freeze_time(LATER):
                    Report.search([], limit=1).read()
                    views = Report.get_views([(False, "list"), (False, "search")])
                self.assertIn("list", views["views"], f"{model} for the {role}")
            Report, frozen = self._report(user=users[role])
            with frozen:
                self.assertEqual(
                    len(Report.search([("partner_id", "in", self.invoices_partners)])),
                    4,
                )


@tagged("post_install", "-at_install")
class TestGentleDsoReport(GentleFollowupCommon):
    """DSO and CEI per month are the Overview's trend, month by month."""

    NOW = datetime(2026, 11, 10, 10, 0)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        customer = cls.customer
        invoice = cls._gentle_invoice
        inv1 = invoice(customer, date(2026, 9, 15), date(2026, 10, 15), 1000.0)
        cls.pay(inv1, amount=400.0, date=date(2026, 10, 31))
        inv2 = invoice(customer, date(2026, 10, 20), date(2026, 11, 19), 2000.0)
        cls.pay(inv2, amount=500.0, date=date(2026, 11, 1))
        inv4 = invoice(customer, date(2026, 8, 1), date(2026, 8, 31), 800.0)
        cls.pay(inv4, date=date(2026, 9, 10))
        cls.users = create_gentle_users(cls.env, cls.company)

    def _rows(self, user=None):
        Report = self.env["gentle.dso.report"]
        if user:
            Report = Report.with_user(user)
        with freeze_time(self.NOW):
            rows = Report.search([("company_id", "=", self.company.id)])
            return rows, {row.date: row for row in rows}

    def test_the_months_are_the_overviews_trend(self):
        with freeze_time(self.NOW):
            figures = self.env["gentle.overview"].get_figures()
        rows, by_date = self._rows()
        self.assertEqual(len(rows), 12)
        self.assertEqual(rows[0].month, date(2025, 12, 1))
        self.assertEqual(rows[-1].date, date(2026, 11, 10), "the current month: today")
        for point in figures["trend"]:
            row = by_date[date.fromisoformat(point["date"])]
            self.assertEqual(
                (row.receivable, row.overdue, row.dso),
                (point["receivable"], point["overdue"], point["dso"] or 0.0),
                point["date"],
            )
        october, november = by_date[date(2026, 10, 31)], by_date[date(2026, 11, 10)]
        self.assertEqual(october.cei, figures["cei"])
        self.assertEqual(october.collected, figures["collected_last_month"])
        self.assertEqual(november.collected, figures["collected_this_month"])

    def test_known_figures_of_a_month(self):
        _rows, by_date = self._rows()
        october = by_date[date(2026, 10, 31)]
        # 1000 owed at the end of September, 2000 sold, 2600 owed of which 600
        # overdue: CEI (1000 + 2000 − 2600) / (1000 + 2000 − 2000) = 40 %.
        self.assertEqual(
            (october.opening, october.sales, october.receivable, october.overdue),
            (1000.0, 2000.0, 2600.0, 600.0),
        )
        self.assertEqual(
            (october.cei, october.collected, october.dso), (40.0, 400.0, 78.0)
        )
        september = by_date[date(2026, 9, 30)]
        # 800 paid on 10 September: collected; nothing overdue at the end.
        self.assertEqual((september.collected, september.overdue), (800.0, 0.0))

    def test_a_collector_reads_it_as_a_graph_and_a_list(self):
        collector = self.users["accountant"]
        rows, _by_date = self._rows(user=collector)
        self.assertEqual(len(rows), 12)
        views = (
            self.env["gentle.dso.report"]
            .with_user(collector)
            .get_views([(False, "graph"), (False, "list")])
        )
        self.assertIn('type="line"', views["views"]["graph"]["arch"])
