from datetime import date, datetime

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import GentleFollowupCommon


@tagged("post_install", "-at_install")
class TestFollowupTiming(GentleFollowupCommon):
    """Item 6: reminders go out inside the customer's local contact window.

    November: Brussels is UTC+1, New York UTC-5, Tokyo UTC+9, Auckland UTC+13.
    2026-11-10 is a Tuesday, 2026-11-14 a Saturday.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.brussels = cls.customer
        cls.new_york = cls._gentle_customer("Nora York", tz="America/New_York")
        cls.no_tz = cls._gentle_customer("Zed Notz", tz=False)
        cls.auckland = cls._gentle_customer("Kiri Auckland", tz="Pacific/Auckland")
        cls.everyone = cls.brussels | cls.new_york | cls.no_tz | cls.auckland
        for customer in cls.everyone:
            cls._gentle_invoice(customer, date(2026, 9, 1), date(2026, 10, 1))

    def _open(self, now, partners=None):
        """The customers among ``partners`` whose window is open at ``now``."""
        partners = partners if partners is not None else self.everyone
        ids = self.engine._gentle_due_partner_ids(self.company, now, partners.ids)
        return self.env["res.partner"].browse(ids)

    def _assert_open(self, now, partner, is_open):
        self.assertEqual(
            bool(self._open(now, partner)),
            is_open,
            f"{partner.name} at {now} UTC should be {'open' if is_open else 'closed'}",
        )

    def test_window_start_and_end_in_customer_tz(self):
        cases = [
            # Brussels: 09:00-17:00 local = 08:00-16:00 UTC.
            (datetime(2026, 11, 10, 7, 59), self.brussels, False),
            (datetime(2026, 11, 10, 8, 0), self.brussels, True),
            (datetime(2026, 11, 10, 15, 59), self.brussels, True),
            (datetime(2026, 11, 10, 16, 0), self.brussels, False),
            # New York: 09:00-17:00 local = 14:00-22:00 UTC.
            (datetime(2026, 11, 10, 13, 59), self.new_york, False),
            (datetime(2026, 11, 10, 14, 0), self.new_york, True),
            (datetime(2026, 11, 10, 21, 59), self.new_york, True),
            (datetime(2026, 11, 10, 22, 0), self.new_york, False),
        ]
        for now, partner, is_open in cases:
            self._assert_open(now, partner, is_open)
        # At 10:00 UTC, Brussels is open but New York is in the middle of the night.
        self.assertEqual(
            self._open(datetime(2026, 11, 10, 10, 0), self.brussels | self.new_york),
            self.brussels,
        )

    def test_daylight_saving_time(self):
        # In July Brussels is UTC+2: the window opens at 07:00 UTC.
        summer = self._gentle_customer("Sunny Summer")
        self._gentle_invoice(summer, date(2026, 5, 1), date(2026, 6, 15))
        self._assert_open(datetime(2026, 7, 7, 6, 59), summer, False)
        self._assert_open(datetime(2026, 7, 7, 7, 0), summer, True)
        self._assert_open(datetime(2026, 7, 7, 14, 59), summer, True)
        self._assert_open(datetime(2026, 7, 7, 15, 0), summer, False)

    def test_fallback_to_company_calendar_tz(self):
        """No tz on the customer: the company's working-hours calendar tz."""
        self.company.resource_calendar_id.tz = "Asia/Tokyo"
        # 09:00 Tuesday in Tokyo = 00:00 UTC Tuesday.
        self._assert_open(datetime(2026, 11, 9, 23, 59), self.no_tz, False)
        self._assert_open(datetime(2026, 11, 10, 0, 0), self.no_tz, True)
        self._assert_open(datetime(2026, 11, 10, 7, 59), self.no_tz, True)
        self._assert_open(datetime(2026, 11, 10, 8, 0), self.no_tz, False)
        # A customer tz unknown to PostgreSQL also falls back to the company's.
        self.env.cr.execute(
            "UPDATE res_partner SET tz = 'Mars/Olympus' WHERE id = %s", [self.no_tz.id]
        )
        self.no_tz.invalidate_recordset(["tz"])
        self._assert_open(datetime(2026, 11, 10, 0, 0), self.no_tz, True)
        self._assert_open(datetime(2026, 11, 10, 8, 0), self.no_tz, False)

    def test_fallback_to_utc(self):
        """No tz on the customer nor a usable one on the company: UTC."""
        self.env.cr.execute(
            "UPDATE resource_calendar SET tz = 'Mars/Olympus' WHERE id = %s",
            [self.company.resource_calendar_id.id],
        )
        self.company.resource_calendar_id.invalidate_recordset(["tz"])
        logger = "odoo.addons.gentle_collections.models.gentle_followup_engine"
        with self.assertLogs(logger, "WARNING") as logs:
            self._assert_open(datetime(2026, 11, 10, 8, 59), self.no_tz, False)
            self._assert_open(datetime(2026, 11, 10, 9, 0), self.no_tz, True)
            self._assert_open(datetime(2026, 11, 10, 16, 59), self.no_tz, True)
            self._assert_open(datetime(2026, 11, 10, 17, 0), self.no_tz, False)
            self.assertEqual(
                self.engine._gentle_run_date(
                    self.company, datetime(2026, 11, 10, 23, 30)
                ),
                date(2026, 11, 10),
            )
        self.assertIn("uses UTC instead", logs.output[0])
        # Without a calendar at all: UTC as well.
        self.company.resource_calendar_id = False
        self._assert_open(datetime(2026, 11, 10, 8, 59), self.no_tz, False)
        self._assert_open(datetime(2026, 11, 10, 9, 0), self.no_tz, True)

    def test_unknown_calendar_tz_is_refused(self):
        calendar = self.company.resource_calendar_id
        with self.assertRefused(
            ValidationError, records=calendar, message="Mars/Olympus"
        ) as caught:
            calendar.tz = "Mars/Olympus"
            calendar.flush_recordset()
        self.assertIn("Choose one from the list", str(caught.exception))
        self.assertEqual(calendar.tz, "Europe/Brussels")

    def test_unknown_tz_falls_back_to_the_company_visibly(self):
        """A time zone that got in anyway (SQL, older data) is replaced by the
        company's own, and the fallback is logged and shown on the actions."""
        calendar = self.company.resource_calendar_id
        self.company.partner_id.tz = "Asia/Tokyo"
        self.env.cr.execute(
            "UPDATE resource_calendar SET tz = 'Mars/Olympus' WHERE id = %s",
            [calendar.id],
        )
        self.env.cr.execute(
            "UPDATE res_partner SET tz = 'Mars/Olympus' WHERE id = %s",
            [self.new_york.id],
        )
        self.env.invalidate_all()
        logger = "odoo.addons.gentle_collections.models.gentle_followup_engine"
        with self.assertLogs(logger, "WARNING") as logs:
            used, warning = self.engine._gentle_company_tz(self.company)
        self.assertEqual(used, "Asia/Tokyo")
        self.assertIn("Mars/Olympus", warning)
        self.assertIn("Mars/Olympus", logs.output[0])
        # Tokyo's 09:00-17:00 is 00:00-08:00 UTC, for the customer without a
        # time zone and the one whose time zone is unknown alike.
        with self.assertLogs(logger, "WARNING"):
            self._assert_open(datetime(2026, 11, 9, 23, 59), self.no_tz, False)
            self._assert_open(datetime(2026, 11, 10, 0, 0), self.no_tz, True)
            self._assert_open(datetime(2026, 11, 10, 0, 0), self.new_york, True)
            self._assert_open(datetime(2026, 11, 10, 8, 0), self.new_york, False)
            result = self._gentle_run(
                now=datetime(2026, 11, 10, 1, 0),
                partners=self.no_tz | self.new_york | self.brussels,
                window=False,
            )
        actions = result["actions"]
        self.assertTrue(actions)
        for action in actions:
            self.assertIn("Mars/Olympus", action.tz_warning)
            self.assertIn("Asia/Tokyo", action.tz_warning)
        by_customer = {action.partner_id: action for action in actions}
        self.assertIn(
            self.new_york.name,
            by_customer[self.new_york].tz_warning,
            "the customer's own unknown time zone is named",
        )
        self.assertNotIn(self.brussels.name, by_customer[self.brussels].tz_warning)
        # Once fixed, nothing is written any more.
        calendar.tz = "Europe/Brussels"
        self.assertEqual(
            self.engine._gentle_company_tz(self.company), ("Europe/Brussels", False)
        )

    def test_working_days(self):
        # Friday open, Saturday and Sunday closed, Monday open (Brussels 11:00).
        self._assert_open(datetime(2026, 11, 13, 10, 0), self.brussels, True)
        self._assert_open(datetime(2026, 11, 14, 10, 0), self.brussels, False)
        self._assert_open(datetime(2026, 11, 15, 10, 0), self.brussels, False)
        self._assert_open(datetime(2026, 11, 16, 10, 0), self.brussels, True)
        self.company.gentle_window_days = "mon_sat"
        self._assert_open(datetime(2026, 11, 14, 10, 0), self.brussels, True)
        self._assert_open(datetime(2026, 11, 15, 10, 0), self.brussels, False)
        self.company.gentle_window_days = "all"
        self._assert_open(datetime(2026, 11, 15, 10, 0), self.brussels, True)

    def test_working_day_is_the_customers_local_day(self):
        # Thursday 21:00 UTC is Friday 10:00 in Auckland: open.
        self._assert_open(datetime(2026, 11, 12, 21, 0), self.auckland, True)
        # Friday 21:00 UTC is Saturday 10:00 in Auckland: closed, though it is
        # still a working day in UTC.
        self._assert_open(datetime(2026, 11, 13, 21, 0), self.auckland, False)
        # Sunday 21:00 UTC is Monday 10:00 in Auckland: open.
        self._assert_open(datetime(2026, 11, 15, 21, 0), self.auckland, True)

    def test_configurable_hours_with_minutes(self):
        self.company.write({"gentle_window_start": 9.5, "gentle_window_end": 12.25})
        # Brussels 09:29 / 09:30 and 12:14 / 12:15.
        self._assert_open(datetime(2026, 11, 10, 8, 29), self.brussels, False)
        self._assert_open(datetime(2026, 11, 10, 8, 30), self.brussels, True)
        self._assert_open(datetime(2026, 11, 10, 11, 14), self.brussels, True)
        self._assert_open(datetime(2026, 11, 10, 11, 15), self.brussels, False)

    def test_run_respects_window_unless_told(self):
        night = datetime(2026, 11, 10, 3, 0)
        # The hourly run at 03:00 UTC: 04:00 Brussels, 22:00 New York, 16:00
        # Auckland (open).
        with self.trap_followups() as trap:
            self.run_followup(now=night)
        trap.assert_sent(self.auckland)
        for customer in self.everyone - self.auckland:
            trap.assert_nothing_sent(customer)
        # The engine's option for "Follow up now": regardless of the window.
        result = self._gentle_run(now=night, partners=self.everyone, window=False)
        self.assertEqual(
            sorted(result["partner_ids"]),
            sorted((self.everyone - self.auckland).ids),
        )

    def test_failed_customer_waits_an_hour(self):
        failed_at = datetime(2026, 11, 10, 9, 0)
        self.brussels.with_company(self.company).gentle_followup_failed_at = failed_at
        self._assert_open(datetime(2026, 11, 10, 9, 59), self.brussels, False)
        self._assert_open(datetime(2026, 11, 10, 10, 0), self.brussels, False)
        self._assert_open(datetime(2026, 11, 10, 10, 1), self.brussels, True)
        # "Follow up now" (no window) is not delayed by the cool-down.
        self.assertEqual(
            self.engine._gentle_due_partner_ids(
                self.company,
                datetime(2026, 11, 10, 9, 30),
                self.brussels.ids,
                window=False,
            ),
            self.brussels.ids,
        )
