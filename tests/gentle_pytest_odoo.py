"""pytest plugin: run Odoo 18 tests under pytest-odoo as Odoo's own runner does.

Odoo 18 reads ``odoo.modules.module.current_test`` to stay in test mode: no real
SMTP connection, no commit in the mail queue, test cursors for HTTP. Odoo's runner
sets it around every test; pytest-odoo 2.3 does so only for Odoo 19 and later, so
under pytest-odoo an Odoo 18 test would try to reach a real mail server.
``tests/run`` loads this plugin with ``-p gentle_pytest_odoo``.
"""

import pytest


@pytest.hookimpl(trylast=True)
def pytest_runtest_setup(item):
    import odoo.modules.module

    instance = getattr(item, "instance", None)
    if instance is not None:
        odoo.modules.module.current_test = instance


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item):
    import odoo.modules.module

    odoo.modules.module.current_test = False
