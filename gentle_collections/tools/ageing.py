"""How late a receivable is: the one definition of the ageing buckets.

The receivables ageing report (SQL, :func:`bucket_sql`) and the customer's
statement (Python, :func:`bucket`) both use it, with the same "today": the
company's local date (``gentle.followup.engine._gentle_run_date``), so that a
line never sits in one bucket on the report and another on the statement.
"""

from odoo.tools import SQL

NOT_DUE = "0_not_due"
# (most days overdue, bucket), in order; later than the last: OLDER.
LIMITS = ((30, "1_30"), (60, "2_60"), (90, "3_90"))
OLDER = "4_older"
KEYS = (NOT_DUE, *(key for _days, key in LIMITS), OLDER)


def bucket(days_overdue):
    """The bucket of a line ``days_overdue`` days past its due date (zero or
    less: not due yet)."""
    if days_overdue <= 0:
        return NOT_DUE
    for days, key in LIMITS:
        if days_overdue <= days:
            return key
    return OLDER


def bucket_sql(days_overdue):
    """SQL CASE giving :func:`bucket` of the SQL expression ``days_overdue``."""
    return SQL(
        "CASE WHEN %s <= 0 THEN %s %s ELSE %s END",
        days_overdue,
        NOT_DUE,
        SQL(" ").join(
            SQL("WHEN %s <= %s THEN %s", days_overdue, days, key)
            for days, key in LIMITS
        ),
        OLDER,
    )
