"""One definition of the contact window (tools/contact_window): the pure rule,
and the engine's SQL selection and the call scheduler that both apply it, to
the minute, on the same customers."""

from datetime import date, datetime, time, timedelta

import pytz

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import BaseCase, new_test_user, tagged
from odoo.tools import SQL

from ..tools import contact_window as cw
from .common import GentleFollowupCommon

MINUTE = timedelta(minutes=1)


def _local_instants(zone_name, days, minutes):
    """Naive UTC instants at the local ``minutes`` (of the day) ±1 minute on
    ``days`` in ``zone_name``, both readings of an ambiguous local time."""
    zone = pytz.timezone(zone_name)
    instants = set()
    for day in days:
        midnight = datetime.combine(day, time())
        for minute in minutes:
            for delta in (-1, 0, 1):
                local = midnight + timedelta(minutes=minute + delta)
                for is_dst in (True, False):
                    aware = zone.localize(local, is_dst=is_dst)
                    instants.add(aware.astimezone(pytz.utc).replace(tzinfo=None))
    return instants


def _in(intervals, instant):
    return any(begin <= instant < end for begin, end in intervals)


class TestGentleContactWindowRule(BaseCase):
    def test_window_of_the_settings(self):
        self.assertEqual(cw.window(9.0, 17.0, "weekdays"), cw.Window(540, 1020, 5))
        self.assertEqual(cw.window(9.5, 12.25, "mon_sat"), cw.Window(570, 735, 6))
        # The settings' float_time widget writes thirds as 9.333…: 09:20.
        self.assertEqual(cw.window(9 + 20 / 60, 24.0, "all"), cw.Window(560, 1440, 7))
        self.assertTrue(cw.is_valid(cw.window(0.0, 24.0, "all")))
        self.assertFalse(cw.is_valid(cw.window(10.0, 10.0, "all")))
        # Within a minute of each other: the same minute, an empty window.
        self.assertFalse(cw.is_valid(cw.window(9.999, 10.0, "all")))
        self.assertFalse(cw.is_valid(cw.window(-1.0, 10.0, "all")))

    def test_open_from_the_first_minute_to_before_the_last(self):
        win = cw.window(9.0, 17.0, "weekdays")
        tuesday = date(2026, 11, 10)

        def at(hour, minute, second=0, day=tuesday):
            return datetime.combine(day, time(hour, minute, second))

        self.assertFalse(cw.is_open_local(win, at(8, 59, 59)))
        self.assertTrue(cw.is_open_local(win, at(9, 0)))
        self.assertTrue(cw.is_open_local(win, at(16, 59, 59)))
        self.assertFalse(cw.is_open_local(win, at(17, 0)))
        self.assertTrue(cw.is_open_local(win, at(10, 0, day=date(2026, 11, 13))))
        self.assertFalse(cw.is_open_local(win, at(10, 0, day=date(2026, 11, 14))))
        mon_sat = win._replace(last_day=cw.LAST_DAY["mon_sat"])
        self.assertTrue(cw.is_open_local(mon_sat, at(10, 0, day=date(2026, 11, 14))))
        self.assertFalse(cw.is_open_local(mon_sat, at(10, 0, day=date(2026, 11, 15))))

    def test_unknown_zones_are_passed_over(self):
        self.assertEqual(
            cw.first_known(False, "Mars/Olympus", "Asia/Tokyo"), "Asia/Tokyo"
        )
        # Known to PostgreSQL, not to pytz: passed over as well.
        self.assertEqual(cw.first_known("posix/Asia/Tokyo", "localtime"), "UTC")
        self.assertEqual(cw.first_known(), "UTC")

    def test_intervals_across_daylight_saving_time(self):
        win = cw.window(2.5, 4.0, "all")
        # Brussels, 29 March 2026: 02:00 CET becomes 03:00 CEST (01:00 UTC);
        # 02:30 never happens, the window opens when the clocks jump.
        self.assertEqual(
            cw.open_intervals(
                win, "Europe/Brussels", datetime(2026, 3, 29), datetime(2026, 3, 30)
            ),
            [(datetime(2026, 3, 29, 1, 0), datetime(2026, 3, 29, 2, 0))],
        )
        # 25 October 2026: 03:00 CEST becomes 02:00 CET (01:00 UTC); 02:30-03:00
        # comes twice, 02:00-02:30 in between is closed.
        self.assertEqual(
            cw.open_intervals(
                win, "Europe/Brussels", datetime(2026, 10, 25), datetime(2026, 10, 26)
            ),
            [
                (datetime(2026, 10, 25, 0, 30), datetime(2026, 10, 25, 1, 0)),
                (datetime(2026, 10, 25, 1, 30), datetime(2026, 10, 25, 3, 0)),
            ],
        )
        # Santiago skips midnight to 01:00 on 6 September 2026: no 00:00-01:00.
        self.assertEqual(
            cw.open_intervals(
                cw.window(0.0, 1.0, "all"),
                "America/Santiago",
                datetime(2026, 9, 5),
                datetime(2026, 9, 8),
            ),
            [
                (datetime(2026, 9, 5, 4, 0), datetime(2026, 9, 5, 5, 0)),
                (datetime(2026, 9, 7, 3, 0), datetime(2026, 9, 7, 4, 0)),
            ],
        )

    def test_intervals_are_the_predicate_minute_by_minute(self):
        """Over the daylight saving changes of three hemispheres, every minute
        is inside an interval exactly when the predicate says open."""
        cases = [
            ("Europe/Brussels", cw.window(2.5, 4.0, "all"), datetime(2026, 3, 28)),
            (
                "Europe/Brussels",
                cw.window(2.0, 3.0, "weekdays"),
                datetime(2026, 10, 24),
            ),
            ("America/New_York", cw.window(1.5, 2.5, "all"), datetime(2026, 10, 31)),
            ("Pacific/Auckland", cw.window(2.0, 3.5, "all"), datetime(2026, 4, 4)),
            ("America/Santiago", cw.window(0.0, 1.0, "all"), datetime(2026, 9, 5)),
            (
                "Asia/Kathmandu",
                cw.window(0.0, 24.0, "weekdays"),
                datetime(2026, 11, 13),
            ),
        ]
        for zone, win, start in cases:
            stop = start + timedelta(days=3)
            intervals = cw.open_intervals(win, zone, start, stop)
            instant = start
            while instant < stop:
                self.assertEqual(
                    _in(intervals, instant),
                    cw.is_open(win, zone, instant),
                    f"{zone} {win} at {instant} UTC",
                )
                instant += MINUTE

    def test_sql_open_zones_are_the_predicate(self):
        win = cw.window(9.0, 17.0, "weekdays")
        now = datetime(2026, 11, 10, 8, 0)
        condition = cw.open_sql(win, SQL("rp.tz"), "UTC", now)
        known, open_zones, fallback = condition.params
        self.assertEqual(set(known), set(pytz.all_timezones_set))
        self.assertIn("Europe/Brussels", open_zones)
        self.assertNotIn("America/New_York", open_zones)
        self.assertEqual(
            set(open_zones), {name for name in known if cw.is_open(win, name, now)}
        )
        self.assertFalse(fallback)  # 08:00 UTC


@tagged("post_install", "-at_install")
class TestGentleContactWindowParity(GentleFollowupCommon):
    """The engine's SQL selection, the Python predicate and the call
    scheduler's free time agree for every customer, on both sides of every
    boundary, on every contact-day setting and across daylight saving time."""

    ZONES = (
        "Europe/Brussels",
        "America/New_York",
        "Pacific/Auckland",
        "Asia/Kolkata",
        "Asia/Kathmandu",
        "America/Santiago",
        False,
    )
    # Unknown to pytz; the last two are known to PostgreSQL.
    UNKNOWN = ("Mars/Olympus", "posix/Asia/Tokyo", "localtime")
    WEEK = tuple(date(2026, 11, 9) + timedelta(days=n) for n in range(7))
    DST_DAYS = (
        date(2026, 3, 8),
        date(2026, 3, 29),
        date(2026, 4, 5),
        date(2026, 9, 6),
        date(2026, 9, 27),
        date(2026, 10, 25),
        date(2026, 11, 1),
    )
    SETTINGS = (
        ((9.0, 17.0, "weekdays"), WEEK),
        ((9.5, 12.25, "mon_sat"), WEEK),
        ((0.0, 24.0, "weekdays"), WEEK[3:]),
        ((0.0, 1.0, "weekdays"), WEEK[3:] + DST_DAYS),
        ((2.5, 4.0, "all"), DST_DAYS),
    )

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customers = cls.env["res.partner"]
        for index, tz in enumerate(cls.ZONES + cls.UNKNOWN):
            customer = cls._gentle_customer(
                f"Window Customer {index}", tz=tz if tz in cls.ZONES else False
            )
            if tz not in cls.ZONES:
                cls.env.cr.execute(
                    "UPDATE res_partner SET tz = %s WHERE id = %s", [tz, customer.id]
                )
            cls.customers |= customer
            cls._gentle_invoice(customer, date(2026, 1, 2), date(2026, 2, 1))
        cls.customers.invalidate_recordset(["tz"])
        # The collector works around the clock and has no meeting: the
        # scheduler's free time is the customer's contact window alone.
        always = (
            cls.env["resource.calendar"]
            .sudo()
            .create(
                {
                    "name": "Around the clock",
                    "tz": "UTC",
                    "attendance_ids": [Command.clear()]
                    + [
                        Command.create(
                            {
                                "name": f"Day {day}",
                                "dayofweek": str(day),
                                "hour_from": 0.0,
                                "hour_to": 24.0,
                            }
                        )
                        for day in range(7)
                    ],
                }
            )
        )
        cls.collector = new_test_user(
            cls.env,
            login="window_collector",
            groups="base.group_user,gentle_collections.group_gentle_user",
            tz="UTC",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.env["resource.resource"].sudo().create(
            {
                "name": "Window collector",
                "user_id": cls.collector.id,
                "calendar_id": always.id,
                "company_id": cls.company.id,
            }
        )

    def _selected_by_sql(self, now):
        """The customers the engine's window condition selects."""
        rows = self.env.execute_query(
            SQL(
                "SELECT rp.id FROM res_partner rp WHERE rp.id = ANY(%s) AND %s",
                self.customers.ids,
                self.engine._gentle_window_sql(self.company, now),
            )
        )
        return {row[0] for row in rows}

    def _selected_by_engine(self, now):
        """The engine's selection: due customers whose window is open."""
        ids = self.engine._gentle_due_partner_ids(self.company, now, self.customers.ids)
        return set(ids)

    def _selected_by_python(self, now):
        win = self.engine._gentle_window(self.company)
        return {
            customer.id
            for customer in self.customers
            if cw.is_open(
                win, self.engine._gentle_customer_tz(customer, self.company), now
            )
        }

    def _scheduler_free(self, customer, start, stop):
        wizard = (
            self.env["gentle.call.schedule"]
            .with_user(self.collector)
            .create({"partner_id": customer.id, "user_id": self.collector.id})
        )
        return wizard._gentle_free_intervals(start, stop)

    def _assert_agree(self, days):
        company = self.company
        start, end = company.gentle_window_start, company.gentle_window_end
        setting = company.gentle_window_days
        zones = {
            self.engine._gentle_customer_tz(customer, self.company)
            for customer in self.customers
        }
        instants = set()
        for zone in zones:
            instants |= _local_instants(
                zone, days, (round(start * 60), round(end * 60))
            )
        instants = sorted(instants)
        first = min(instants) - timedelta(days=1)
        last = max(instants) + timedelta(days=1)
        free = {
            customer.id: self._scheduler_free(customer, first, last)
            for customer in self.customers
        }
        opened = set()
        for now in instants:
            by_sql = self._selected_by_sql(now)
            by_python = self._selected_by_python(now)
            self.assertEqual(
                by_sql,
                by_python,
                f"{start}-{end} {setting} at {now} UTC: SQL only "
                f"{self.customers.browse(by_sql - by_python).mapped('tz')}, Python "
                f"only {self.customers.browse(by_python - by_sql).mapped('tz')}",
            )
            by_scheduler = {
                customer_id
                for customer_id, intervals in free.items()
                if _in(intervals, now)
            }
            self.assertEqual(
                by_scheduler,
                by_python,
                f"{start}-{end} {setting} at {now} UTC: the scheduler disagrees",
            )
            opened |= by_python
        # The engine selects by that condition (all the customers are due).
        for now in instants[:: max(len(instants) // 12, 1)]:
            self.assertEqual(
                self._selected_by_engine(now), self._selected_by_python(now)
            )
        # Every customer was seen open at least once: the grid tests something.
        self.assertEqual(opened, set(self.customers.ids))

    def _each_setting(self, limit=None):
        for (start, end, days), dates in self.SETTINGS[:limit]:
            self.company.write(
                {
                    "gentle_window_start": start,
                    "gentle_window_end": end,
                    "gentle_window_days": days,
                }
            )
            yield dates

    def test_company_calendar_tz(self):
        self.company.resource_calendar_id.tz = "Asia/Tokyo"
        for dates in self._each_setting():
            self._assert_agree(dates)

    def test_company_address_tz_without_calendar(self):
        calendar = self.company.resource_calendar_id
        self.company.resource_calendar_id = False
        self.company.partner_id.tz = "America/New_York"
        for dates in self._each_setting(2):
            self._assert_agree(dates)
        self.company.resource_calendar_id = calendar

    def test_utc_when_the_company_has_no_tz(self):
        self.company.resource_calendar_id = False
        self.company.partner_id.tz = False
        for dates in self._each_setting(2):
            self._assert_agree(dates)

    def test_zone_known_to_postgresql_only_is_the_company_s(self):
        """Fixed: a customer time zone PostgreSQL knows but pytz does not
        (``posix/…``, ``localtime``, written outside the ORM) was read by the
        SQL while the Python side (warnings, scheduler) used the company's."""
        tokyo_like = self.customers.filtered(lambda c: c.tz == "posix/Asia/Tokyo")
        # Tuesday 10:00 in Tokyo, 02:00 in Brussels: closed for the company.
        now = datetime(2026, 11, 10, 1, 0)
        self.assertNotIn(tokyo_like.id, self._selected_by_sql(now))
        warnings = self.engine._gentle_tz_warnings(tokyo_like, self.company)
        self.assertIn("posix/Asia/Tokyo", warnings[0])
        # Tuesday 10:00 in Brussels: open, like every customer of Brussels.
        self.assertIn(
            tokyo_like.id, self._selected_by_sql(datetime(2026, 11, 10, 9, 0))
        )

    def test_window_of_less_than_a_minute_is_refused(self):
        with self.assertRaises(ValidationError):
            self.company.write(
                {"gentle_window_start": 9.999, "gentle_window_end": 10.0}
            )
