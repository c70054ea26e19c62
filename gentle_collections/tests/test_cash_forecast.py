"""Expected payment dates from each customer's own record, and the 13-week
cash-in forecast built on them."""

from datetime import date, datetime, timedelta

from odoo.tests import tagged
from odoo.tools import format_date

from .common import GentleFollowupCommon, create_gentle_users, freeze_time

# Tuesday 10 November 2026: the forecast's first week starts on Monday 9.
NOW = datetime(2026, 11, 10, 10, 0)
TODAY = NOW.date()
MONDAY = date(2026, 11, 9)


class GentleBehaviourCommon(GentleFollowupCommon):
    @classmethod
    def _paid_invoices(cls, partner, days_late, paid_on=None):
        """One invoice per ``days_late``, paid that many days after its due
        date (negative: early); the last payment on ``paid_on`` (default: some
        weeks before today)."""
        moves = cls.env["account.move"]
        for index, late in enumerate(days_late):
            paid = (paid_on or date(2026, 10, 1)) - timedelta(days=index)
            due = paid - timedelta(days=late)
            move = cls._gentle_invoice(
                partner, due - timedelta(days=30), due=due, amount=100.0
            )
            cls.pay(move, date=paid)
            moves |= move
        return moves


@tagged("post_install", "-at_install")
class TestGentleExpectedPayment(GentleBehaviourCommon):
    """The median days late of the customer's invoices paid in the last 12
    months, from 3 of them; else the company's customers'; else the due date."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.late = cls._gentle_customer("Late Payer")
        cls._paid_invoices(cls.late, [10, 12])
        # Paid 364 days before today: in the window; 365: out of it.
        cls._paid_invoices(cls.late, [20], paid_on=TODAY - timedelta(days=364))
        cls._paid_invoices(cls.late, [100], paid_on=TODAY - timedelta(days=365))
        cls.on_time = cls._gentle_customer("On Time Payer")
        cls._paid_invoices(cls.on_time, [-2, 0, 0])
        # Two paid invoices: too few to judge the customer on its own.
        cls.young = cls._gentle_customer("Young Customer")
        cls._paid_invoices(cls.young, [30, 30])
        cls.new = cls._gentle_customer("New Customer")
        due = date(2026, 11, 20)
        cls.open = {
            partner: cls._gentle_invoice(partner, date(2026, 11, 1), due=due)
            for partner in (cls.late, cls.on_time, cls.young, cls.new)
        }

    def expected(self, moves):
        with freeze_time(NOW):
            moves.invalidate_recordset(["gentle_expected_date", "gentle_expected_note"])
            return {
                move.partner_id: (move.gentle_expected_date, move.gentle_expected_note)
                for move in moves
            }

    def test_late_on_time_and_no_history_of_its_own(self):
        moves = self.env["account.move"].union(*self.open.values())
        expected = self.expected(moves)
        self.assertEqual(
            expected[self.late],
            (
                date(2026, 12, 2),
                "Usually pays 12 days late (median of 3 paid invoices)",
            ),
        )
        self.assertEqual(
            expected[self.on_time],
            (date(2026, 11, 20), "Usually pays on time (median of 3 paid invoices)"),
        )
        # The company's 8 paid invoices in the window: -2 0 0 10 | 12 20 30 30.
        company = (
            date(2026, 12, 1),
            "Too little payment history of its own: customers usually pay "
            "11 days late (median of 8 paid invoices)",
        )
        self.assertEqual(expected[self.new], company)
        self.assertEqual(expected[self.young], company)

    def test_no_history_anywhere_assumes_the_due_date(self):
        other = self.setup_other_company(name="Empty Co")["company"]
        move = self.init_invoice(
            "out_invoice",
            partner=self.new,
            invoice_date=date(2026, 11, 1),
            amounts=[500.0],
            company=other,
            post=True,
        )
        move.invoice_date_due = date(2026, 11, 30)
        self.assertEqual(
            self.expected(move)[self.new],
            (date(2026, 11, 30), "No payment history: due date assumed"),
        )

    def test_paid_invoices_have_no_expected_date(self):
        paid = self._paid_invoices(self.new, [1])
        self.assertEqual(self.expected(paid)[self.new], (False, False))

    def test_one_query_for_any_number_of_invoices(self):
        def count(moves):
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            with freeze_time(NOW):
                moves.mapped("gentle_expected_date")
            return self.env.cr.sql_log_count - before

        one = self.open[self.late]
        all_moves = self.env["account.move"].union(*self.open.values())
        count(all_moves)  # warm the ORM's caches
        self.assertEqual(count(all_moves), count(one))


@tagged("post_install", "-at_install")
class TestGentleCashForecast(GentleBehaviourCommon):
    """The open receivable by the week of its expected payment."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Every customer of the company pays 7 days late.
        cls.habit = cls._gentle_customer("Habit Payer")
        cls._paid_invoices(cls.habit, [7, 7, 7])
        cls.customer_b = cls._gentle_customer("Forecast Customer")
        # Expected on (due date + 7 days) -> week.
        cls.cases = {
            date(2026, 11, 8): "00",  # Sunday before today's week: already
            date(2026, 11, 9): "00",  # Monday of this week, before today
            date(2026, 11, 10): "01",  # today
            date(2026, 11, 15): "01",  # Sunday: still this week
            date(2026, 11, 16): "02",  # Monday: the next week
            date(2027, 2, 7): "13",  # the last day of the 13th week
            date(2027, 2, 8): "14",  # after it: later
        }
        cls.moves = {
            expected: cls._gentle_invoice(
                cls.customer_b,
                date(2026, 10, 1),
                due=expected - timedelta(days=7),
                amount=100.0 + index,
            )
            for index, expected in enumerate(cls.cases)
        }
        cls.users = create_gentle_users(cls.env, cls.company)

    def forecast(self, user=None, companies=None):
        """The customer's forecast rows, with the current ``companies``
        (default this one). Read them under ``freeze_time(NOW)``: the forecast
        is read afresh, as of today, by every query."""
        Forecast = self.env["gentle.cash.forecast"].with_context(
            allowed_company_ids=(companies or self.company).ids
        )
        if user:
            Forecast = Forecast.with_user(user)
        self.env.flush_all()
        return Forecast.search([("partner_id", "=", self.customer_b.id)])

    @freeze_time(NOW)
    def test_amounts_fall_in_the_week_of_their_expected_payment(self):
        rows = self.forecast()
        by_move = {row.move_id: row for row in rows}
        self.assertEqual(len(rows), len(self.cases))
        for expected, week in self.cases.items():
            row = by_move[self.moves[expected]]
            self.assertEqual((row.date_expected, row.week), (expected, week), expected)
            self.assertEqual(row.basis, "company")
        self.assertEqual(
            by_move[self.moves[date(2026, 11, 10)]].expected_note,
            "Too little payment history of its own: customers usually pay 7 days "
            "late (median of 3 paid invoices)",
        )
        groups = self.env["gentle.cash.forecast"].read_group(
            [("partner_id", "=", self.customer_b.id)],
            ["amount_residual:sum"],
            ["week"],
        )
        labels = dict(
            self.env["gentle.cash.forecast"]
            ._fields["week"]
            ._description_selection(self.env)
        )
        totals = {group["week"]: group["amount_residual"] for group in groups}
        # Every week is a group, in order, the empty ones at zero: the graph
        # shows the 13 weeks whatever falls in them.
        weeks = [f"{week:02d}" for week in range(15)]
        expected_totals = dict.fromkeys(weeks, 0.0)
        expected_totals.update(
            {"00": 201.0, "01": 205.0, "02": 104.0, "13": 105.0, "14": 106.0}
        )
        self.assertEqual(totals, expected_totals)
        self.assertEqual([group["week"] for group in groups], weeks)
        empty = next(group for group in groups if group["week"] == "05")
        self.assertEqual(empty["week_count"], 0)
        self.assertFalse(
            self.env["gentle.cash.forecast"].search(empty["__domain"]),
            "an empty week's group opens no record",
        )
        # The graph's and the pivot's call (not lazy) gets the same groups.
        eager = self.env["gentle.cash.forecast"].read_group(
            [("partner_id", "=", self.customer_b.id)],
            ["amount_residual:sum"],
            ["week"],
            lazy=False,
        )
        self.assertEqual(
            [(g["week"], g["amount_residual"], g["__count"]) for g in eager],
            [
                (
                    w,
                    expected_totals[w],
                    1 if w in ("02", "13", "14") else (2 if w in ("00", "01") else 0),
                )
                for w in weeks
            ],
        )
        self.assertEqual(labels["00"], "Expected already")
        self.assertEqual(
            labels["02"], f"Week of {format_date(self.env, date(2026, 11, 16))}"
        )
        self.assertEqual(labels["14"], "Later")
        # The forecast adds up to what the customer owes.
        owed = sum(move.amount_residual for move in self.moves.values())
        self.assertEqual(sum(totals.values()), owed)
        action = by_move[self.moves[date(2026, 11, 16)]].action_open_invoice()
        self.assertEqual(
            (action["res_model"], action["res_id"]),
            ("account.move", self.moves[date(2026, 11, 16)].id),
        )

    def test_partly_paid_and_paid(self):
        move = self.moves[date(2026, 11, 16)]
        self.pay(move, amount=40.0, date=date(2026, 11, 2))
        self.pay(self.moves[date(2026, 11, 15)], date=date(2026, 11, 2))
        with freeze_time(NOW):
            by_move = {row.move_id: row for row in self.forecast()}
            self.assertEqual(by_move[move].week, "02")
        self.assertEqual(by_move[move].amount_residual, 64.0)
        self.assertNotIn(self.moves[date(2026, 11, 15)], by_move)

    def test_current_companies_only(self):
        other = self.setup_other_company(name="Forecast Other Co")["company"]
        theirs = self.init_invoice(
            "out_invoice",
            partner=self.customer_b,
            invoice_date=date(2026, 11, 1),
            amounts=[900.0],
            company=other,
            post=True,
        )
        with freeze_time(NOW):
            self.assertNotIn(theirs, self.forecast().move_id)
            self.assertIn(theirs, self.forecast(companies=self.company | other).move_id)
            # A collector of this company only sees its rows, never the other's.
            collector = self.users["accountant"]
            self.assertEqual(len(self.forecast(user=collector)), len(self.cases))
            rows = (
                self.env["gentle.cash.forecast"]
                .with_user(collector)
                .search([("company_id", "=", other.id)])
            )
            self.assertFalse(rows)

    def test_queries_do_not_grow_with_the_invoices(self):
        Forecast = self.env["gentle.cash.forecast"]

        def count():
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            with freeze_time(NOW):
                Forecast.read_group([], ["amount_residual:sum"], ["week"])
                Forecast.search([]).read(["week", "date_expected", "expected_note"])
            return self.env.cr.sql_log_count - before

        count()
        small = count()
        for number in range(6):
            self._gentle_invoice(
                self._gentle_customer(f"Bulk Forecast {number}"),
                date(2026, 10, 1),
                due=date(2026, 11, 1) + timedelta(days=7 * number),
            )
        self.assertEqual(count(), small)
