"""Tests of the benchmark script (tests/benchmark): its options and its report,
on real inputs, without building a book (that takes minutes)."""

import importlib.machinery
import importlib.util
from pathlib import Path

import pytest

BENCHMARK = Path(__file__).resolve().parent / "benchmark"


def load_benchmark():
    loader = importlib.machinery.SourceFileLoader("gentle_benchmark", str(BENCHMARK))
    spec = importlib.util.spec_from_loader("gentle_benchmark", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


bench = load_benchmark()

RESULTS = {
    "book": {
        "seconds": 60.0,
        "customers": 20,
        "invoices": 100,
        "payments": 40,
        "reconciled": 40,
        "open_overdue": 45,
        "profiles": {"prompt": 5, "late": 5, "very_late": 5, "never": 5},
    },
    "install": {"seconds": 30.0, "peak_mib": 200.0},
    "oca": {
        "seconds": 2.0,
        "queries": 100,
        "sql_seconds": 1.0,
        "peak_mib": 150.0,
        "lines": 40,
        "customers": 10,
    },
    "decide": {
        "seconds": 4.0,
        "queries": 50,
        "sql_seconds": 1.0,
        "peak_mib": 160.0,
        "customers": 10,
        "communications": 10,
        "lines": 40,
    },
    "whole_pass": {
        "seconds": 8.0,
        "queries": 400,
        "sql_seconds": 2.0,
        "peak_mib": 170.0,
        "batches": 2,
        "customers": 10,
        "lines": 40,
        "actions": 20,
        "errors": 0,
        "batch_queries": [150, 250],
    },
    "pay_plain": {"seconds": 10.0, "queries": 1000, "payments": 100},
    "pay_gentle": {"seconds": 11.0, "queries": 1200, "payments": 100},
}


def test_defaults_are_the_issue_book():
    args = bench.parse_args([])
    assert (args.customers, args.invoices, args.batch, args.payments) == (
        2000,
        10000,
        200,
        200,
    )
    assert not (args.skip_oca or args.install_on_large or args.html_reports)


def test_fewer_invoices_than_customers_is_refused(capsys):
    with pytest.raises(SystemExit):
        bench.parse_args(["--customers", "10", "--invoices", "5"])
    assert "--invoices must be at least --customers" in capsys.readouterr().err


def test_report_prints_table_and_ratios(capsys):
    bench.report(RESULTS, bench.parse_args(["--batch", "5"]))
    out = capsys.readouterr().out
    assert "100 posted invoices over six months, 40 paid (40 %), 45 open" in out
    assert "OCA time / gentle deciding time: 0.50" in out
    assert "OCA time / gentle whole pass time: 0.25" in out
    assert "OCA queries per customer: 10.00" in out
    assert "gentle whole pass queries per customer: 40.00, per batch: 200.00" in out
    assert "queries per batch 150-250" in out
    assert "addon's extra cost: +2.0 queries and +10.0 ms per payment" in out
    assert "OCA skipped" not in out


def test_report_says_how_to_install_oca_when_skipped(capsys):
    results = {k: v for k, v in RESULTS.items() if k != "oca"}
    results["oca_skipped"] = f"not installed: {bench.OCA_INSTALL_HINT}"
    bench.report(results, bench.parse_args([]))
    out = capsys.readouterr().out
    assert "OCA skipped: not installed: " in out
    assert "pip install odoo-addon-account-credit-control" in out
    assert "OCA time" not in out
