"""Test helpers that other addons can reuse."""

from odoo.tests import new_test_user


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
