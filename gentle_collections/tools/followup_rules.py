"""When a receivable line reaches which follow-up level: pure rules, no database.

The engine and the invoice summary both call :func:`next_step`, so the date shown on
an invoice and the date the engine acts on cannot drift apart.
"""

from collections import namedtuple
from datetime import timedelta

Level = namedtuple("Level", "id offset rank")
Reached = namedtuple("Reached", "offset date")
Step = namedtuple("Step", "level date")


def eligible_levels(levels, date_maturity, invoice_date):
    """Levels that make sense for a line, in offset order.

    A reminder due on or before the invoice date (a pre-due reminder for an invoice
    issued two days before its due date, say) is left out: the invoice itself has
    just told the customer.
    """
    ordered = sorted(levels, key=lambda level: level.offset)
    if not invoice_date:
        return ordered
    return [
        level
        for level in ordered
        if level.offset > 0
        or date_maturity + timedelta(days=level.offset) > invoice_date
    ]


def next_step(
    levels, date_maturity, invoice_date=None, last=None, today=None, cap_rank=None
):
    """Return the next :class:`Step` of a receivable line, or ``None``.

    :param levels: the policy's active levels, as :class:`Level` tuples
    :param date date_maturity: the line's due date
    :param date invoice_date: the invoice date (pre-due levels come after it)
    :param last: the :class:`Reached` level with the highest offset, if any
    :param date today: when given and nothing was reached yet, a line seen late
        starts at the firmest level its age has reached (catch-up) instead of the
        first one
    :param int cap_rank: catch-up never starts above this tone rank
    """
    levels = eligible_levels(levels, date_maturity, invoice_date)
    if last is not None:
        # Resume one level after the last reached: never jump because time passed
        # (on hold, or the server was down). Keep the spacing between levels.
        following = [level for level in levels if level.offset > last.offset]
        if not following:
            return None
        level = following[0]
        due = max(
            date_maturity + timedelta(days=level.offset),
            last.date + timedelta(days=level.offset - last.offset),
        )
        return Step(level, due)
    if not levels:
        return None
    if today is not None:
        reached = [
            level
            for level in levels
            if date_maturity + timedelta(days=level.offset) <= today
            and (cap_rank is None or level.rank <= cap_rank)
        ]
        if reached:
            level = reached[-1]
            return Step(level, date_maturity + timedelta(days=level.offset))
    level = levels[0]
    return Step(level, date_maturity + timedelta(days=level.offset))
