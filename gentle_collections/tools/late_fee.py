"""How much a late fee is and when an invoice is still in its grace days:
plain functions, no ORM (``gentle.late.fee.charge`` applies them)."""

# A monthly rate is a percentage of what is owed: never more than all of it.
MAX_RATE = 100.0


def fee_period(day):
    """The month a fee charged on ``day`` is for: its first day (one fee per
    invoice and month)."""
    return day.replace(day=1)


def capped_fixed_amount(amount, max_amount):
    """A fixed fee of ``amount`` under the company's ``max_amount``, never
    negative (a cap lowered after the policy was set still applies)."""
    return max(0.0, min(amount, max_amount))


def capped_rate(rate, max_rate):
    """A monthly ``rate`` (percent) under the company's ``max_rate`` and 100,
    never negative."""
    return max(0.0, min(rate, max_rate, MAX_RATE))


def rate_fee(residual, rate):
    """The fee at ``rate`` percent of what is owed (``residual``, whatever its
    sign), not rounded."""
    return abs(residual) * rate / 100.0


def within_grace(day, due, grace_days):
    """True when ``day`` is at most ``grace_days`` days after the due date
    ``due`` (False without a due date)."""
    return bool(due) and (day - due).days <= grace_days
