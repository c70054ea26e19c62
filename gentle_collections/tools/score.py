"""The relationship score: a customer's payment behaviour in one number and a grade.

Pure arithmetic, no database: the model gathers the components in SQL and calls
:func:`compute_score` for each customer. The formula is documented in
``readme/DESCRIPTION.md`` and in the fields' help; keep the three in step.
"""

from collections import namedtuple

Components = namedtuple(
    "Components",
    [
        "paid_invoices",  # invoices paid (wholly) in the last 12 months
        "avg_days_late",  # amount-weighted average days late of those payments
        "on_time_ratio",  # share of the amount paid on or before the due date, 0..1
        "overdue_days",  # amount-weighted days overdue of what is open today
        "overdue_amount",  # open amount past its due date today
        "disputes",  # disputes in the last 12 months (not the seller's error)
        "promises_kept",
        "promises_broken",
        "plans_broken",
        "tenure_days",  # days since the first invoice
        "volume",  # amount invoiced in the last 12 months
    ],
)

# Weights and caps: each penalty is capped so that no single habit sinks a customer.
LATE_DAY_PENALTY = 1.0  # per average day late
LATE_CAP = 40
OFF_TIME_WEIGHT = 25  # for a customer who never pays on time
EXPOSURE_DAY_PENALTY = 0.5  # per amount-weighted day overdue today
EXPOSURE_CAP = 20
DISPUTE_PENALTY, DISPUTE_CAP = 5, 15
BROKEN_PROMISE_PENALTY, BROKEN_PROMISE_CAP = 8, 16
BROKEN_PLAN_PENALTY, BROKEN_PLAN_CAP = 10, 20
KEPT_PROMISE_BONUS, KEPT_PROMISE_CAP = 2, 6
TENURE_BONUS_PER_YEAR, TENURE_CAP = 2, 6

NEW_SCORE = 50
DEFAULT_THRESHOLDS = {"A": 85, "B": 70, "C": 50}
DEFAULT_MIN_PAID = 3


def compute_score(components, min_paid=DEFAULT_MIN_PAID, thresholds=None):
    """Return ``(score, grade, is_new)`` for one customer.

    :param Components components: the customer's payment behaviour
    :param int min_paid: fewer paid invoices than this in 12 months means ``new``
    :param dict thresholds: lowest score of grades A, B and C (D is below C)
    """
    thresholds = thresholds or DEFAULT_THRESHOLDS
    # Without any paid invoice there is nothing to judge, whatever the setting.
    if components.paid_invoices < max(min_paid, 1):
        return NEW_SCORE, "new", True
    score = 100.0
    score -= min(LATE_CAP, components.avg_days_late * LATE_DAY_PENALTY)
    score -= (1.0 - components.on_time_ratio) * OFF_TIME_WEIGHT
    score -= min(EXPOSURE_CAP, components.overdue_days * EXPOSURE_DAY_PENALTY)
    score -= min(DISPUTE_CAP, components.disputes * DISPUTE_PENALTY)
    score -= min(
        BROKEN_PROMISE_CAP, components.promises_broken * BROKEN_PROMISE_PENALTY
    )
    score -= min(BROKEN_PLAN_CAP, components.plans_broken * BROKEN_PLAN_PENALTY)
    score += min(KEPT_PROMISE_CAP, components.promises_kept * KEPT_PROMISE_BONUS)
    score += min(TENURE_CAP, components.tenure_days / 365.0 * TENURE_BONUS_PER_YEAR)
    score = int(round(max(0.0, min(100.0, score))))
    return score, grade_for(score, thresholds), False


def grade_for(score, thresholds=None):
    """The grade of a score: A, B, C or D."""
    thresholds = thresholds or DEFAULT_THRESHOLDS
    for grade in ("A", "B", "C"):
        if score >= thresholds[grade]:
            return grade
    return "D"
