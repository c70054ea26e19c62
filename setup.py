"""Package the gentle_collections addon as ``odoo.addons.gentle_collections``.

``pip install .`` installs the addon into ``odoo/addons/`` of the target environment.
Odoo's own ``odoo`` and ``odoo.addons`` packages extend their ``__path__`` with
``pkgutil.extend_path``, so Odoo finds the addon with no ``--addons-path`` entry.
This distribution never ships ``odoo/__init__.py`` nor ``odoo/addons/__init__.py``:
they would shadow Odoo's own.

Plain setuptools, because setuptools-odoo stops at 16.0; the addon directory also
carries a whool ``pyproject.toml`` for the OCA way of building one addon.
Metadata comes from ``__manifest__.py`` so the version is stated once.
"""

import ast
import os
from pathlib import Path

from setuptools import find_packages, setup

ADDON = "gentle_collections"
PACKAGE = f"odoo.addons.{ADDON}"
HERE = Path(__file__).resolve().parent
ADDON_DIR = HERE / ADDON
# Build files of the whool packaging, not part of the addon itself.
ADDON_ROOT_SKIP = {"pyproject.toml", "PKG-INFO"}
SKIP_DIRS = {"__pycache__"}
SKIP_SUFFIXES = (".pyc", ".pyo", ".pyd")


def read_manifest():
    source = (ADDON_DIR / "__manifest__.py").read_text(encoding="utf-8")
    return ast.literal_eval(source)


def addon_packages():
    """Return the addon's Python packages, as dotted names under ``odoo.addons``."""
    return [PACKAGE] + [f"{PACKAGE}.{name}" for name in find_packages(str(ADDON_DIR))]


def addon_package_data(packages):
    """Map every package to its non-module files (everything but bytecode).

    A file belongs to the nearest enclosing Python package; ``.py`` files outside a
    package (e.g. ``migrations/<version>/*.py``) are data too, or Odoo could not run
    them after a pip install.
    """
    package_dirs = {ADDON_DIR.joinpath(*name.split(".")[3:]): name for name in packages}
    package_data = {name: [] for name in packages}
    for root, dirs, files in os.walk(ADDON_DIR):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        root_path = Path(root)
        for filename in sorted(files):
            if filename.endswith(SKIP_SUFFIXES):
                continue
            if root_path == ADDON_DIR and filename in ADDON_ROOT_SKIP:
                continue
            if root_path in package_dirs and filename.endswith(".py"):
                continue
            owner = root_path
            while owner not in package_dirs:
                owner = owner.parent
            relative = (root_path / filename).relative_to(owner).as_posix()
            package_data[package_dirs[owner]].append(relative)
    return {name: files for name, files in package_data.items() if files}


def long_description():
    readme = ADDON_DIR / "README.rst"
    return readme.read_text(encoding="utf-8") if readme.exists() else ""


manifest = read_manifest()
packages = addon_packages()

setup(
    name=f"odoo-addon-{ADDON}",
    version=manifest["version"],
    description=manifest.get("summary") or manifest["name"],
    long_description=long_description(),
    long_description_content_type="text/x-rst",
    license=manifest["license"],
    author=manifest["author"],
    url=manifest["website"],
    python_requires=">=3.10",
    # Odoo itself is not on PyPI: it is a prerequisite, not a dependency.
    install_requires=[],
    package_dir={PACKAGE: ADDON},
    packages=packages,
    package_data=addon_package_data(packages),
    include_package_data=False,
    zip_safe=False,
    classifiers=[
        "Programming Language :: Python",
        "Framework :: Odoo",
        "Framework :: Odoo :: 18.0",
        "Intended Audience :: Financial and Insurance Industry",
        "Topic :: Office/Business :: Financial :: Accounting",
    ],
)
