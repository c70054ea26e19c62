"""Packaging: ``pip install .`` yields the whole addon as ``odoo.addons.*``.

The wheel is built from a copy of the checkout in a temporary directory (so no
``build/`` or ``*.egg-info`` lands in the checkout) and installed with
``pip --target`` into another temporary directory, never into Odoo's environment.
"""

import ast
import email.parser
import fnmatch
import importlib.machinery
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

try:
    import tomllib
except ImportError:  # Python 3.10: pip vendors the same parser
    from pip._vendor import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent
ADDON = "gentle_collections"
ADDON_DIR = REPO / ADDON
PREFIX = f"odoo/addons/{ADDON}/"
# Build file of the whool packaging at the addon root: not part of the addon.
BUILD_ONLY = {"pyproject.toml"}
SKIP_DIRS = {"__pycache__"}
SKIP_SUFFIXES = (".pyc", ".pyo", ".pyd")
BUILD_LEFTOVERS = ("build", "dist", "*.egg-info")
PIP_ENV = {"PIP_NO_INPUT": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def load_runner():
    loader = importlib.machinery.SourceFileLoader(
        "gentle_tests_run", str(REPO / "tests" / "run")
    )
    spec = importlib.util.spec_from_loader("gentle_tests_run", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def read_manifest():
    return ast.literal_eval((ADDON_DIR / "__manifest__.py").read_text(encoding="utf-8"))


def skipped(relative):
    parts = relative.split("/")
    return (
        any(part in SKIP_DIRS for part in parts)
        or relative.endswith(SKIP_SUFFIXES)
        or relative in BUILD_ONLY
    )


def addon_files_on_disk():
    """Every file of the addon directory, relative to it, bytecode excluded."""
    found = set()
    for root, dirs, files in os.walk(ADDON_DIR):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
        for name in files:
            relative = (Path(root) / name).relative_to(ADDON_DIR).as_posix()
            if not skipped(relative):
                found.add(relative)
    return found


def git_tracked_addon_files():
    """Files of the addon that git tracks (and that exist), or None without git."""
    git = shutil.which("git")
    if not git:
        return None
    done = subprocess.run(
        [git, "-C", str(REPO), "ls-files", "-z", "--", ADDON],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0 or not done.stdout:
        return None  # not a git checkout (e.g. a copy mounted in a container)
    tracked = set()
    for path in filter(None, done.stdout.split("\0")):
        relative = Path(path).relative_to(ADDON).as_posix()
        if (ADDON_DIR / relative).is_file() and not skipped(relative):
            tracked.add(relative)
    return tracked


def leftovers():
    """Build leftovers in the checkout (root and addon directory)."""
    return {
        str(path.relative_to(REPO))
        for base in (REPO, ADDON_DIR)
        for pattern in BUILD_LEFTOVERS
        for path in base.glob(pattern)
    }


def find_odoo_python():
    """Odoo's Python as tests/run finds it; a missing Odoo fails, never skips."""
    runner = load_runner()
    try:
        python, _version = runner.find_odoo_python()
    except runner.RunError as err:
        pytest.fail(f"packaging check needs Odoo 18.0's Python: {err}")
    return python


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    before = leftovers()
    src = tmp_path_factory.mktemp("src")
    for name in ("setup.py", "MANIFEST.in", "LICENSE"):
        shutil.copy2(REPO / name, src / name)
    shutil.copytree(
        ADDON_DIR,
        src / ADDON,
        ignore=shutil.ignore_patterns("__pycache__", "*.py[cod]"),
    )
    out = tmp_path_factory.mktemp("dist")
    # --no-index/--no-build-isolation: build with the setuptools at hand, offline.
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-index",
            "--no-build-isolation",
            "-w",
            str(out),
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ, **PIP_ENV),
    )
    assert done.returncode == 0, (
        f"building the wheel failed (needs setuptools and wheel in {sys.executable}):"
        f"\n{done.stdout}\n{done.stderr}"
    )
    wheels = sorted(out.glob("*.whl"))
    assert len(wheels) == 1, wheels
    assert leftovers() == before, "the build left files in the checkout"
    return wheels[0]


@pytest.fixture(scope="module")
def wheel_names(wheel):
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def addon_names(names):
    return {name[len(PREFIX) :] for name in names if name.startswith(PREFIX)}


def test_wheel_holds_every_file_of_the_addon(wheel_names):
    in_wheel = addon_names(wheel_names)
    on_disk = addon_files_on_disk()
    assert "__manifest__.py" in on_disk and "__init__.py" in on_disk
    assert sorted(on_disk - in_wheel) == [], "files of the addon missing in the wheel"
    assert sorted(in_wheel - on_disk) == [], (
        "files in the wheel that are not the addon's"
    )
    tracked = git_tracked_addon_files()
    if tracked is not None:
        assert tracked, "git tracks no file of the addon"
        assert sorted(tracked - in_wheel) == [], (
            "git-tracked files missing in the wheel"
        )


def test_wheel_holds_the_files_the_manifest_loads(wheel_names):
    in_wheel = addon_names(wheel_names)
    manifest = read_manifest()
    for key in ("data", "demo"):
        for path in manifest.get(key, []):
            assert path in in_wheel, f"{key} file {path} missing in the wheel"
    for bundle, entries in manifest.get("assets", {}).items():
        for entry in entries:
            pattern = entry[-1] if isinstance(entry, tuple) else entry
            if not pattern.startswith(f"{ADDON}/"):
                continue
            pattern = pattern[len(ADDON) + 1 :].replace("/**/", "/*")
            matches = fnmatch.filter(in_wheel, pattern)
            assert matches, f"asset {entry} of {bundle} matches nothing in the wheel"
    for static in ("static/description/icon.png",):
        assert static in in_wheel


def test_wheel_does_not_shadow_odoo(wheel_names):
    assert "odoo/__init__.py" not in wheel_names
    assert "odoo/addons/__init__.py" not in wheel_names
    for name in wheel_names:
        assert name.startswith(PREFIX) or name.split("/")[0].endswith(".dist-info"), (
            f"{name} is outside odoo/addons/{ADDON}/"
        )
        assert "__pycache__" not in name and not name.endswith(SKIP_SUFFIXES), name


def test_wheel_metadata_follows_the_manifest(wheel):
    manifest = read_manifest()
    with zipfile.ZipFile(wheel) as archive:
        (metadata_name,) = [
            n for n in archive.namelist() if n.endswith(".dist-info/METADATA")
        ]
        metadata = email.parser.Parser().parsestr(
            archive.read(metadata_name).decode("utf-8")
        )
    assert metadata["Name"].replace("_", "-") == "odoo-addon-gentle-collections"
    assert metadata["Version"] == manifest["version"]
    # An Odoo 18.0 addon version: 18.0.x.y.z.
    assert re.fullmatch(r"18\.0\.\d+\.\d+\.\d+", manifest["version"])
    assert wheel.name.startswith(f"odoo_addon_{ADDON}-{manifest['version']}-")
    assert metadata["License"] == manifest["license"] == "LGPL-3"
    assert "Framework :: Odoo :: 18.0" in metadata.get_all("Classifier")


PROBE = """
import json, os, sys
import odoo
from odoo.tools import config
core_addons = os.path.join(os.path.dirname(odoo.__file__), "addons")
config.parse_config(
    ["-c", sys.argv[1], "--addons-path", core_addons, "--data-dir", sys.argv[2]]
)
from odoo.modules import module
module.initialize_sys_path()
import odoo.addons.gentle_collections as addon
manifest = module.get_manifest("gentle_collections")
print(json.dumps({
    "addons_path": config["addons_path"],
    "odoo_addons_path": list(odoo.addons.__path__),
    "module_path": module.get_module_path("gentle_collections", display_warning=False),
    "imported_from": addon.__file__,
    "version": manifest.get("version"),
}))
"""


def test_installed_wheel_is_found_by_odoo_without_addons_path(wheel, tmp_path):
    python = find_odoo_python()
    target = tmp_path / "site"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            "--target",
            str(target),
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, **PIP_ENV),
    )
    assert done.returncode == 0, done.stderr
    installed = target / "odoo" / "addons" / ADDON
    assert (installed / "__manifest__.py").is_file()
    assert not (target / "odoo" / "__init__.py").exists()
    assert not (target / "odoo" / "addons" / "__init__.py").exists()

    rc = tmp_path / "odoo.conf"
    rc.write_text("[options]\n")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("ODOO_RC", "OPENERP_SERVER", "PYTHONPATH")
    }
    env.update(PYTHONPATH=str(target), PYTHONDONTWRITEBYTECODE="1")
    done = subprocess.run(
        [python, "-c", PROBE, str(rc), str(tmp_path / "data")],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    # The addons path names Odoo's own addons only: not this checkout.
    for entry in found["addons_path"].split(",") + found["odoo_addons_path"]:
        assert Path(entry).resolve() != REPO, found
    assert found["module_path"], f"Odoo did not find {ADDON}: {found}"
    assert Path(found["module_path"]).resolve() == installed.resolve(), found
    assert Path(found["imported_from"]).resolve() == installed / "__init__.py"
    assert found["version"] == read_manifest()["version"]


def test_whool_pyproject_for_the_oca_wheel():
    pyproject = ADDON_DIR / "pyproject.toml"
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    build = data["build-system"]
    assert build["build-backend"] == "whool.buildapi"
    assert any(
        req.split(";")[0].strip().startswith("whool") for req in build["requires"]
    )
    # whool packages what git tracks: the file must be committed with the addon.
    tracked = git_tracked_addon_files()
    if tracked is not None:
        done = subprocess.run(
            ["git", "-C", str(REPO), "ls-files", "--error-unmatch", str(pyproject)],
            capture_output=True,
        )
        assert done.returncode == 0, "gentle_collections/pyproject.toml is not in git"
    # No second, conflicting packaging inside the addon.
    assert not (ADDON_DIR / "setup.py").exists()
    assert not (ADDON_DIR / "setup.cfg").exists()
