"""One definition of ageing: the pure rule, and the report and the statement
that both apply it with the same "today" (the company's local date)."""

from datetime import timedelta

from freezegun import freeze_time

from odoo.tests import BaseCase, tagged
from odoo.tools import SQL

from ..tools import ageing
from .common import GentleFollowupCommon


class TestGentleAgeingRule(BaseCase):
    def test_bucket_boundaries(self):
        """Both sides of every boundary."""
        expected = {
            -5: "0_not_due",
            0: "0_not_due",
            1: "1_30",
            30: "1_30",
            31: "2_60",
            60: "2_60",
            61: "3_90",
            90: "3_90",
            91: "4_older",
            400: "4_older",
        }
        self.assertEqual({d: ageing.bucket(d) for d in expected}, expected)
        self.assertEqual(ageing.KEYS[0], ageing.NOT_DUE)
        self.assertEqual(ageing.KEYS[-1], ageing.OLDER)


@tagged("post_install", "-at_install")
class TestGentleAgeingParity(GentleFollowupCommon):
    OFFSETS = (-3, 0, 1, 30, 31, 60, 61, 90, 91, 120)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A time zone far from the database's: the company's local date is
        # what both the report and the statement call today.
        cls.company.resource_calendar_id.tz = "Pacific/Kiritimati"
        # The report's now() is the transaction's start, shared by the tests.
        cls.now = cls.env.cr.now()
        cls.local_today = cls.engine._gentle_run_date(cls.company, cls.now)
        cls.moves = {
            offset: cls._gentle_invoice(
                cls.customer,
                cls.local_today - timedelta(days=max(offset, 0) + 5),
                due=cls.local_today - timedelta(days=offset),
                amount=100.0 + offset,
            )
            for offset in cls.OFFSETS
        }

    def _report(self):
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                """SELECT move_id, bucket, days_overdue FROM gentle_ageing_report
                    WHERE move_id = ANY(%s)""",
                [move.id for move in self.moves.values()],
            )
        )
        return {move_id: (bucket, days) for move_id, bucket, days in rows}

    def test_report_and_statement_agree(self):
        """On the same invoices, the report (SQL) and the statement (Python) put
        every line in the same bucket, counted from the company's local date,
        on both sides of every boundary."""
        report = self._report()
        with freeze_time(self.now):
            lines, _ages, _total, _currency = self.env[
                "gentle.statement"
            ]._gentle_statement_lines(self.customer)
        statement = {line["move"].id: line["age"] for line in lines}
        expected = {
            move.id: ageing.bucket(offset) for offset, move in self.moves.items()
        }
        self.assertEqual(statement, expected)
        self.assertEqual({m: bucket for m, (bucket, _d) in report.items()}, expected)
        self.assertEqual(
            {m: days for m, (_b, days) in report.items()},
            {move.id: max(offset, 0) for offset, move in self.moves.items()},
        )

    def test_unknown_time_zone_falls_back_like_the_engine(self):
        """An unknown time zone name (from before the check, or from SQL) does
        not break the report: it falls back to the company's own, as the
        engine does."""
        self.env.execute_query(
            SQL(
                "UPDATE resource_calendar SET tz = 'Mars/Olympus' WHERE id = %s",
                self.company.resource_calendar_id.id,
            )
        )
        self.company.resource_calendar_id.invalidate_recordset(["tz"])
        self.company.partner_id.tz = "Pacific/Kiritimati"
        with self.assertLogs(
            "odoo.addons.gentle_collections.models.gentle_followup_engine", "WARNING"
        ):
            run_date = self.engine._gentle_run_date(self.company, self.now)
        self.assertEqual(run_date, self.local_today)
        report = self._report()
        self.assertEqual(
            {m: days for m, (_b, days) in report.items()},
            {move.id: max(offset, 0) for offset, move in self.moves.items()},
        )
