"""When a customer may be contacted: the one definition of the contact window.

A company sets the hours (``gentle_window_start`` / ``gentle_window_end``,
local time as hours, e.g. 9.5 for 09:30) and the days (``gentle_window_days``).
They are read on the customer's own clock: the customer's time zone, else the
company's (``gentle.followup.engine._gentle_company_tz``: its working hours',
else its address's, else UTC). A time zone name pytz does not know (from SQL,
older data) is passed over, never read as UTC.

The rule is :func:`is_open_local`, on whole minutes of the local day: the
window is open from its first minute to before its last, on the days up to
``last_day`` (ISO weekday). Everything else is built from it:

- :func:`is_open`: the predicate at a UTC instant, for one time zone;
- :func:`open_sql`: the SQL condition the engine selects customers with; it is
  computed here, with :func:`is_open`, for every known time zone, so SQL does
  no time arithmetic of its own;
- :func:`open_intervals`: the UTC intervals the window is open, for the call
  scheduler, exact across daylight saving time changes.

No database here; a parity test runs the SQL and the predicate on the same
customers.
"""

from collections import namedtuple
from datetime import datetime, time, timedelta

import pytz

from odoo.tools import SQL

# The last ISO weekday (Monday 1) of each ``gentle_window_days`` setting.
LAST_DAY = {"weekdays": 5, "mon_sat": 6, "all": 7}
KNOWN_ZONES = tuple(sorted(pytz.all_timezones_set))
_KNOWN = frozenset(KNOWN_ZONES)

# ``start`` and ``end``: minutes of the local day; ``last_day``: ISO weekday.
Window = namedtuple("Window", "start end last_day")

_STEP = timedelta(hours=1)


def window(start_hours, end_hours, days):
    """The :class:`Window` of a company's settings (hours as floats, rounded
    to the minute, as the settings show them)."""
    return Window(round(start_hours * 60), round(end_hours * 60), LAST_DAY[days])


def is_valid(win):
    """Whether the window opens before it closes, within the day."""
    return 0 <= win.start < win.end <= 24 * 60


def is_known(name):
    """Whether ``name`` is a time zone this rule can use."""
    return bool(name) and name in _KNOWN


def first_known(*names):
    """The first known time zone of ``names``, else ``"UTC"``."""
    return next((name for name in names if is_known(name)), "UTC")


def is_open_local(win, local):
    """Whether the window is open at the local (wall clock) datetime ``local``."""
    minute = local.hour * 60 + local.minute
    return local.isoweekday() <= win.last_day and win.start <= minute < win.end


def is_open(win, zone_name, now):
    """Whether the window is open at ``now`` (naive UTC) in time zone
    ``zone_name`` (a known one, see :func:`first_known`)."""
    local = pytz.utc.localize(now).astimezone(pytz.timezone(zone_name))
    return is_open_local(win, local)


def open_sql(win, tz, fallback, now):
    """SQL condition, true when the window is open at ``now`` (naive UTC) for
    a customer whose time zone column is ``tz`` (SQL), falling back to the
    known zone ``fallback`` when ``tz`` is empty or unknown."""
    utc = pytz.utc.localize(now)
    open_zones = [
        name
        for name in KNOWN_ZONES
        if is_open_local(win, utc.astimezone(pytz.timezone(name)))
    ]
    return SQL(
        "(CASE WHEN %(tz)s = ANY(%(known)s) THEN %(tz)s = ANY(%(open)s) "
        "ELSE %(fallback)s END)",
        tz=tz,
        known=list(KNOWN_ZONES),
        open=open_zones,
        fallback=is_open(win, fallback, now),
    )


def _offset(zone, utc):
    return pytz.utc.localize(utc).astimezone(zone).utcoffset()


def _segments(zone, start, stop):
    """``(begin, end, utc offset)``: ``[start, stop)`` (naive UTC) cut where
    the UTC offset of ``zone`` changes (found to the second)."""
    begin, offset = start, _offset(zone, start)
    probe = start
    while probe < stop:
        ahead = min(probe + _STEP, stop)
        if _offset(zone, ahead) == offset:
            probe = ahead
            continue
        low, high = 0, int((ahead - probe).total_seconds())
        while high - low > 1:
            middle = (low + high) // 2
            if _offset(zone, probe + timedelta(seconds=middle)) == offset:
                low = middle
            else:
                high = middle
        change = probe + timedelta(seconds=high)
        yield begin, change, offset
        begin, offset, probe = change, _offset(zone, change), change
    if begin < stop:
        yield begin, stop, offset


def open_intervals(win, zone_name, start, stop):
    """The ``(begin, end)`` naive UTC intervals within ``[start, stop)`` when
    the window is open in ``zone_name``, in order: exactly the instants where
    :func:`is_open` is true (to the minute)."""
    zone = pytz.timezone(zone_name)
    intervals = []
    for begin, end, offset in _segments(zone, start, stop):
        local_begin, local_end = begin + offset, end + offset
        day = local_begin.date()
        while datetime.combine(day, time()) < local_end:
            if day.isoweekday() <= win.last_day:
                midnight = datetime.combine(day, time())
                opens = max(midnight + timedelta(minutes=win.start), local_begin)
                closes = min(midnight + timedelta(minutes=win.end), local_end)
                if opens < closes:
                    opens, closes = opens - offset, closes - offset
                    if intervals and intervals[-1][1] >= opens:
                        intervals[-1] = (intervals[-1][0], closes)
                    else:
                        intervals.append((opens, closes))
            day += timedelta(days=1)
    return intervals
