"""Tests of the test runner itself (tests/run): what it decides, on real inputs."""

import importlib.machinery
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

RUN = Path(__file__).resolve().parent / "run"


def load_runner():
    loader = importlib.machinery.SourceFileLoader("gentle_tests_run", str(RUN))
    spec = importlib.util.spec_from_loader("gentle_tests_run", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


run = load_runner()


def test_find_odoo_python_prefers_odoo_python_variable():
    python, version = run.find_odoo_python(env={"ODOO_PYTHON": sys.executable})
    assert python == sys.executable
    assert version.startswith("18.0")


def test_find_odoo_python_reports_what_to_install(tmp_path):
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    with pytest.raises(run.RunError) as err:
        run.find_odoo_python(env={"ODOO_PYTHON": str(fake)})
    message = str(err.value)
    assert "Odoo 18.0 was not found" in message
    assert str(fake) in message
    # One line that names the command setting Odoo up, not a page of steps.
    assert "\n" not in message
    assert "tests/setup-odoo" in message


def test_missing_odoo_stops_the_command_with_a_message(tmp_path):
    env = dict(os.environ, ODOO_PYTHON=str(tmp_path / "nowhere" / "python"))
    done = subprocess.run(
        [sys.executable, str(RUN)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 1
    assert "Odoo 18.0 was not found" in done.stderr
    (failure,) = [line for line in done.stderr.splitlines() if line.strip()]
    assert "tests/setup-odoo" in failure


def test_serve_without_odoo_names_the_setup_command(tmp_path):
    env = dict(os.environ, ODOO_PYTHON=str(tmp_path / "nowhere" / "python"))
    done = subprocess.run(
        [sys.executable, str(RUN), "--serve"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 1
    (failure,) = [line for line in done.stderr.splitlines() if line.strip()]
    assert "Odoo 18.0 was not found" in failure and "tests/setup-odoo" in failure


def test_tool_requirements_are_the_one_list(tmp_path):
    deps = run.tool_requirements()
    # What the suite cannot run without, wheel included (packaging test).
    for module in ("pytest", "pytest_odoo", "coverage", "websocket", "yaml", "wheel"):
        assert module in deps, module
    listing = tmp_path / "req.txt"
    listing.write_text("# comment\nfoo>=1  # import: foo_mod\nbar\n")
    assert run.tool_requirements(listing) == {"foo_mod": "foo>=1"}


def test_named_postgres_from_pg_variables():
    params = run.named_postgres(env={"PGHOST": "db", "PGUSER": "odoo"})
    assert params == {"host": "db", "port": "", "user": "odoo", "password": ""}


def test_named_postgres_from_odoo_config(tmp_path):
    rc = tmp_path / "odoo.conf"
    rc.write_text(
        "[options]\ndb_host = pg.local\ndb_port = 5433\ndb_user = bob\n"
        "db_password = False\n"
    )
    params = run.named_postgres(env={"HOME": str(tmp_path), "ODOO_RC": str(rc)})
    assert params == {"host": "pg.local", "port": "5433", "user": "bob", "password": ""}


def test_nothing_named_means_a_throwaway_cluster(tmp_path):
    assert run.named_postgres(env={"HOME": str(tmp_path)}) is None


def test_unreachable_server_does_not_answer(tmp_path):
    params = {"host": str(tmp_path), "port": "1", "user": "nobody", "password": ""}
    assert run.postgres_answers(sys.executable, params) is False


def test_check_log_flags_warnings_errors_criticals():
    lines = [
        "2026-11-23 10:00:00,000 123 INFO db odoo.modules.loading: loading",
        "2026-11-23 10:00:00,000 123 WARNING db odoo.models: bad field",
        "2026-11-23 10:00:00,000 123 ERROR db odoo.sql_db: boom",
        "2026-11-23 10:00:00,000 123 CRITICAL db odoo.service: down",
        "a traceback line mentioning WARNING without the log format",
    ]
    assert run.check_log(lines) == lines[1:4]
    assert run.check_log(lines, allow=["bad field", "boom", "down"]) == []


def test_odoo_report_counts_tests_and_skips():
    lines = [
        "2026-11-23 10:00:00,000 1 INFO db odoo.addons.x.tests.t: skipped "
        "test_a (odoo.addons.x.tests.t.T.test_a) : no chrome",
        "2026-11-23 10:00:01,000 1 INFO db odoo.tests.result: 0 failed, 1 error(s) "
        "of 12 tests when loading database 'db'",
    ]
    assert run.odoo_test_report(lines) == (0, 1, 12, 1)
    with pytest.raises(run.RunError):
        run.odoo_test_report(lines[:1])


def test_pytest_summary_is_the_last_summary_line():
    lines = [
        "== 3 passed in 1.00s ==",
        "noise",
        "===== 5 passed, 1 skipped in 2s =====",
    ]
    assert run.pytest_summary(lines) == "===== 5 passed, 1 skipped in 2s ====="
    assert run.pytest_summary(["nothing here"]) is None


def test_throwaway_cluster_starts_answers_and_is_removed(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    cluster = run.ThrowawayCluster(work)
    params = cluster.start()
    try:
        assert run.postgres_answers(sys.executable, params)
        if os.geteuid() == 0:
            assert (work / "pg" / "data").stat().st_uid != 0
    finally:
        cluster.stop()
    assert not run.postgres_answers(sys.executable, params)


def test_smoke_tags_name_existing_test_classes():
    tags = run.smoke_test_tags()
    assert tags.split(",") == [f"/gentle_collections:{c}" for c in run.SMOKE_CLASSES]
    # Odoo's runner runs a few classes only: the whole suite runs under pytest-odoo.
    assert 1 < len(run.SMOKE_CLASSES) <= 3
    sources = "".join(
        path.read_text()
        for path in (RUN.parent.parent / "gentle_collections" / "tests").glob(
            "test_*.py"
        )
    )
    for name in run.SMOKE_CLASSES:
        assert f"class {name}(" in sources, name


def test_the_runner_no_longer_runs_the_whole_suite_under_odoo():
    source = RUN.read_text()
    assert 'f"--test-tags={smoke_test_tags()}"' in source
    assert 'f"--test-tags=/{ADDON}",' not in source


def test_payment_demo_installed_beside_the_addon_everywhere():
    """Every database the runner installs (tests, lifecycle, --serve) gets
    Odoo's demo payment provider beside the addon, which does not depend on it:
    the statement's Pay all tour pays with it."""
    assert run.INSTALL == "gentle_collections,payment_demo"
    source = RUN.read_text()
    assert '"-i",\n                ADDON,' not in source
    assert '"-i",\n                    ADDON,' not in source
    assert '"-i", ADDON' not in source
    # The Odoo runner's database, the lifecycle install and --serve.
    assert source.count("INSTALL,") == 3
    manifest = RUN.parent.parent / "gentle_collections" / "__manifest__.py"
    assert "payment_demo" not in manifest.read_text()


def test_parse_test_count_reads_the_loader_output():
    assert run.parse_test_count("noise\ntests: 304\n") == 304
    assert run.parse_test_count("Traceback ...\n") is None


def test_pytest_collected_count():
    lines = ["platform linux", "collected 304 items", "...", "== 304 passed =="]
    assert run.pytest_collected(lines) == 304
    assert run.pytest_collected(["collected 1 item"]) == 1
    assert run.pytest_collected(["== 3 passed =="]) is None


def test_counts_fail_when_tests_disappear_or_are_not_registered():
    assert run.check_counts(304, 304, "pytest-odoo") is None
    fewer = run.check_counts(304, 290, "pytest-odoo")
    assert "290" in fewer and "304" in fewer and "disappeared" in fewer
    more = run.check_counts(304, 310, "pytest-odoo")
    assert "__init__.py" in more
    assert "no test count" in run.check_counts(304, None, "pytest-odoo")


def test_loader_counts_the_tests_odoo_would_run(tmp_path):
    """Odoo's loader, run as tests/run runs it, on the addon's real test modules."""
    config = tmp_path / "count.conf"
    run.write_odoo_config(config, sys.executable, {}, tmp_path)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            run.COUNT_TESTS_CODE,
            str(config),
            run.ADDON,
            run.smoke_test_tags(),
        ],
        capture_output=True,
        text=True,
        cwd=RUN.parent.parent,
    )
    assert done.returncode == 0, done.stderr
    smoke = run.parse_test_count(done.stdout)
    sources = [
        path.read_text()
        for path in (RUN.parent.parent / "gentle_collections" / "tests").glob(
            "test_*.py"
        )
    ]
    # Every test method of the smoke classes, and only those.
    expected = 0
    for name in run.SMOKE_CLASSES:
        (source,) = [s for s in sources if f"class {name}(" in s]
        body = source.split(f"class {name}(", 1)[1].split("\nclass ", 1)[0]
        expected += body.count("\n    def test_")
    assert smoke == expected > 0
