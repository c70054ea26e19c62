"""The packaging test needs nothing beyond what .ci/run installs.

.ci/run installs ``tests/requirements-test.txt`` into Odoo's virtualenv. Here a
virtualenv made as a new machine makes it (``python -m venv``: old setuptools, no
``wheel``) gets exactly those tools and what they depend on – copied, offline, from
the environment running this test – and runs ``tests/test_packaging.py`` in it.
"""

import importlib.machinery
import importlib.metadata
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
CI_RUN = REPO / ".ci" / "run"


def load_runner():
    loader = importlib.machinery.SourceFileLoader(
        "gentle_tests_run", str(TESTS / "run")
    )
    spec = importlib.util.spec_from_loader("gentle_tests_run", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def fresh_venv(path):
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(path)], check=True, timeout=300)
    python = path / "bin" / "python"
    site = subprocess.run(
        [
            str(python),
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['purelib'])",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return python, Path(site)


def venv_has(python, module):
    return (
        subprocess.run(
            [str(python), "-c", f"import {module}"], capture_output=True
        ).returncode
        == 0
    )


def closure(requirements, exclude):
    """Installed distributions for ``requirements`` and all they depend on."""
    found, todo = {}, [Requirement(r) for r in requirements]
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        if name in found or name in exclude:
            continue
        if req.marker and not req.marker.evaluate({"extra": ""}):
            continue
        dist = importlib.metadata.distribution(req.name)
        found[name] = dist
        todo.extend(Requirement(r) for r in dist.requires or ())
    return found


def copy_distributions(dists, target):
    """Copy the installed files of ``dists`` (not their scripts) into ``target``."""
    for dist in dists.values():
        for file in dist.files or ():
            if file.parts[0] == ".." or "__pycache__" in file.parts:
                continue
            source = Path(dist.locate_file(file))
            if source.is_file():
                dest = target / file
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, dest)


def give_tools(python, site, target, requirements):
    """Make ``requirements`` (and their dependencies) importable in the venv."""
    have = {
        canonicalize_name(name)
        for name in subprocess.run(
            [
                str(python),
                "-c",
                "import importlib.metadata as m;"
                "print('\\n'.join(d.metadata['Name'] for d in m.distributions()))",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    }
    dists = closure(requirements, exclude=have)
    copy_distributions(dists, target)
    (site / "ci-tools.pth").write_text(f"{target}\n")
    return dists


def test_ci_installs_the_one_list_of_test_tools():
    text = CI_RUN.read_text(encoding="utf-8")
    assert "-r tests/requirements-test.txt" in text
    assert "wheel" in load_runner().tool_requirements()


def test_packaging_test_passes_with_only_what_ci_installs(tmp_path):
    python, site = fresh_venv(tmp_path / "venv")
    # The machine of the bug: a new virtualenv has no wheel.
    assert not venv_has(python, "wheel")
    requirements = list(load_runner().tool_requirements().values())

    # Without the listed wheel, setuptools < 70.1 cannot build the wheel at all:
    # the packaging test would fail, so this check is able to see the bug.
    without_wheel = [r for r in requirements if canonicalize_name(r) != "wheel"]
    given = give_tools(python, site, tmp_path / "tools-without-wheel", without_wheel)
    assert "wheel" not in given
    setuptools_version = subprocess.run(
        [str(python), "-c", "import setuptools; print(setuptools.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if tuple(int(x) for x in setuptools_version.split(".")[:2]) < (70, 1):
        build = subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "wheel",
                "-q",
                "--no-deps",
                "--no-index",
                "--no-build-isolation",
                "-w",
                str(tmp_path / "dist"),
                str(REPO),
            ],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=tmp_path,
        )
        assert build.returncode != 0
        assert "bdist_wheel" in build.stdout + build.stderr

    # With exactly the list .ci/run installs, the packaging test passes.
    shutil.rmtree(tmp_path / "tools-without-wheel")
    given = give_tools(python, site, tmp_path / "tools", requirements)
    assert "wheel" in given and "pytest" in given
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.setdefault("ODOO_PYTHON", load_runner().find_odoo_python()[0])
    done = subprocess.run(
        [
            str(python),
            "-m",
            "pytest",
            "-p",
            "no:odoo",
            "-p",
            "no:cacheprovider",
            "-q",
            "-rs",
            str(TESTS / "test_packaging.py"),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
        cwd=REPO,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert re.search(r"\b\d+ passed\b", output) and "skipped" not in output, output
