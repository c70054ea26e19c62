"""Test helpers that other addons can reuse."""

import logging
from concurrent.futures import CancelledError

from odoo.tests import new_test_user

_logger = logging.getLogger(__name__)


def gentle_start_tour(case, url_path, tour_name, **kwargs):
    """``case.start_tour(...)``, started once more when Chrome's DevTools channel
    drops before the tour could report (``CancelledError`` from the browser
    connection: the browser failed, not the tour). Any tour failure still fails.
    Each call opens a fresh Chrome, so the second attempt starts clean."""
    try:
        return case.start_tour(url_path, tour_name, **kwargs)
    except CancelledError:
        _logger.info(
            "Chrome's DevTools channel dropped before tour %s reported; "
            "starting it once more",
            tour_name,
        )
        return case.start_tour(url_path, tour_name, **kwargs)


def create_gentle_users(env, company=None):
    """Create one user per role that collections features distinguish.

    :param env: an environment with rights to create users
    :param company: the users' company (the current company by default)
    :returns: dict ``{"accountant", "manager", "account_admin", "salesman"}``
    """
    company = company or env.company
    common = {"company_id": company.id, "company_ids": [company.id]}
    return {
        # Works the collections queue.
        "accountant": new_test_user(
            env,
            login="gentle_accountant",
            groups="base.group_user,gentle_collections.group_gentle_user",
            name="Alice Accountant",
            **common,
        ),
        # Configures policies and approves final notices.
        "manager": new_test_user(
            env,
            login="gentle_manager",
            groups="base.group_user,gentle_collections.group_gentle_manager",
            name="Max Manager",
            **common,
        ),
        # Accounting administrator: collections manager by implication.
        "account_admin": new_test_user(
            env,
            login="gentle_account_admin",
            groups="base.group_user,account.group_account_manager",
            name="Ada Admin",
            **common,
        ),
        # An employee with no accounting rights at all.
        "salesman": new_test_user(
            env,
            login="gentle_salesman",
            groups="base.group_user",
            name="Sam Sales",
            **common,
        ),
    }
