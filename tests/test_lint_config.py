"""tests/lint and .pre-commit-config.yaml run the same OCA tools, same versions."""

import configparser
import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
LINT = (REPO / "tests" / "lint").read_text(encoding="utf-8")


def lint_value(name):
    found = re.search(rf"^{name}=(\S+)$", LINT, re.M)
    assert found, f"tests/lint sets no {name}"
    return found.group(1)


def hooks():
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    return {repo["repo"].lower(): repo for repo in config["repos"]}


def test_pre_commit_pins_what_tests_lint_installs():
    repos = hooks()
    assert repos["https://github.com/oca/maintainer-tools"]["rev"] == lint_value(
        "maintainer_tools_rev"
    )
    assert repos["https://github.com/oca/odoo-pre-commit-hooks"]["rev"] == (
        "v" + lint_value("odoo_hooks_version")
    )
    assert repos["https://github.com/astral-sh/ruff-pre-commit"]["rev"] == (
        "v" + lint_value("ruff_version")
    )
    pylint = repos["https://github.com/oca/pylint-odoo"]
    assert pylint["rev"] == "v" + lint_value("pylint_odoo_version")
    rcfiles = sorted(arg for hook in pylint["hooks"] for arg in hook["args"])
    assert rcfiles == ["--rcfile=.pylintrc", "--rcfile=.pylintrc-mandatory"]
    for rcfile in rcfiles:
        assert f'pylint" {rcfile} ' in LINT, rcfile
    ids = {hook["id"] for repo in repos.values() for hook in repo["hooks"]}
    assert {"oca-gen-addon-readme", "oca-checks-odoo-module", "oca-checks-po"} <= ids
    for tool in ("oca-gen-addon-readme", "oca-checks-odoo-module", "oca-checks-po"):
        assert f'bin/{tool}"' in LINT, tool


def enabled(rcfile):
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(REPO / rcfile)
    text = parser["MESSAGES CONTROL"]["enable"]
    lines = [line.split("#")[0].strip().rstrip(",") for line in text.splitlines()]
    return {name for line in lines for name in line.split(",") if name.strip()}


def test_optional_pass_holds_every_mandatory_check_and_oca_optional_ones():
    mandatory, optional = enabled(".pylintrc-mandatory"), enabled(".pylintrc")
    assert mandatory < optional
    # OCA's optional checks that pylint-odoo 10 still has.
    assert {"deprecated-module", "redefined-builtin", "too-complex"} <= optional
    # The one left off is named, with its reason, in the file.
    assert "consider-merging-classes-inherited" not in optional
    assert (
        "consider-merging-classes-inherited stays off"
        in (REPO / ".pylintrc").read_text()
    )
