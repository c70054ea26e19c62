"""Tests of tests/setup-odoo against small fake Odoo sources, offline.

The fake source is a real git repository (and a real tarball) holding a minimal
``requirements.txt`` and an ``odoo`` package whose in-tree build backend needs
nothing from the network; requirements and test tools come from a local wheelhouse
of wheels built here. Each run makes a real virtualenv.
"""

import base64
import hashlib
import importlib.machinery
import importlib.util
import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

SETUP = Path(__file__).resolve().parent / "setup-odoo"

BACKEND = '''
"""In-tree PEP 517/660 backend of the fake Odoo: needs nothing to build."""
import base64, hashlib, os, zipfile

NAME, VERSION = "odoo", "18.0"
HERE = os.path.dirname(os.path.abspath(__file__))


def _wheel(directory, files):
    name = f"{NAME}-{VERSION}-py3-none-any.whl"
    info = f"{NAME}-{VERSION}.dist-info"
    files = dict(files)
    files[f"{info}/METADATA"] = (
        f"Metadata-Version: 2.1\\nName: {NAME}\\nVersion: {VERSION}\\n"
    )
    files[f"{info}/WHEEL"] = (
        "Wheel-Version: 1.0\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
    )
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest())
        record.append(f"{path},sha256={digest.rstrip(b'=').decode()},{len(text.encode())}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = "\\n".join(record) + "\\n"
    with zipfile.ZipFile(os.path.join(directory, name), "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return name


def get_requires_for_build_wheel(config_settings=None):
    return []


get_requires_for_build_editable = get_requires_for_build_wheel


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    return _wheel(wheel_directory, {"fake_odoo_src.pth": HERE + "\\n"})


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    raise RuntimeError("the fake Odoo installs editable only")
'''


def load_setup():
    loader = importlib.machinery.SourceFileLoader("gentle_setup_odoo", str(SETUP))
    spec = importlib.util.spec_from_loader("gentle_setup_odoo", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def make_wheel(wheelhouse, name, module_text):
    """A real pure-Python wheel holding one module ``name``."""
    info = f"{name}-1.0.dist-info"
    files = {
        f"{name}.py": module_text,
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n",
        f"{info}/WHEEL": (
            "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest())
        record.append(f"{path},sha256={digest.rstrip(b'=').decode()},{len(text)}")
    files[f"{info}/RECORD"] = "\n".join(record + [f"{info}/RECORD,,"]) + "\n"
    with zipfile.ZipFile(wheelhouse / f"{name}-1.0-py3-none-any.whl", "w") as whl:
        for path, text in files.items():
            whl.writestr(path, text)


def write_tree(root, major=18):
    (root / "odoo").mkdir(parents=True)
    (root / "odoo" / "__init__.py").write_text("")
    (root / "odoo" / "release.py").write_text(
        f"version_info = ({major}, 0, 0, 'final', 0, '')\nversion = '{major}.0'\n"
    )
    (root / "requirements.txt").write_text("# what the fake Odoo needs\nfakedep\n")
    (root / "fake_backend.py").write_text(BACKEND)
    (root / "pyproject.toml").write_text(
        '[build-system]\nrequires = []\nbuild-backend = "fake_backend"\n'
        'backend-path = ["."]\n'
    )


def git(*args, cwd):
    subprocess.run(
        ["git", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        env=dict(
            os.environ,
            GIT_AUTHOR_NAME="t",
            GIT_AUTHOR_EMAIL="t@example.com",
            GIT_COMMITTER_NAME="t",
            GIT_COMMITTER_EMAIL="t@example.com",
        ),
    )


@pytest.fixture(scope="module")
def fake(tmp_path_factory):
    """A git source (branch 'main', tag '17.0' of an Odoo 17 tree), a tarball and
    a wheelhouse with the fake requirement and the fake test tool."""
    base = tmp_path_factory.mktemp("fake")
    repo = base / "odoo-git"
    repo.mkdir()
    git("init", "-q", "-b", "main", cwd=repo)
    old = base / "old17"
    write_tree(old, major=17)
    for path in old.rglob("*"):
        if path.is_file():
            target = repo / path.relative_to(old)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", "odoo 17", cwd=repo)
    git("tag", "17.0", cwd=repo)
    (repo / "odoo" / "release.py").write_text(
        "version_info = (18, 0, 0, 'final', 0, '')\nversion = '18.0'\n"
    )
    git("commit", "-q", "-am", "odoo 18", cwd=repo)

    tree = base / "tar-tree" / "odoo-18.0"
    write_tree(tree)
    tarball = base / "odoo_18.0.tar.gz"
    with tarfile.open(tarball, "w:gz") as archive:
        archive.add(tree, arcname="odoo-18.0")

    wheelhouse = base / "wheels"
    wheelhouse.mkdir()
    make_wheel(wheelhouse, "fakedep", "VALUE = 'dep'\n")
    make_wheel(wheelhouse, "faketool", "VALUE = 'tool'\n")
    tools = base / "requirements-test.txt"
    tools.write_text("faketool  # import: faketool\n")
    return {"git": repo, "tarball": tarball, "wheels": wheelhouse, "tools": tools}


def setup_odoo(fake, prefix, source, *extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull  # no machine-wide index or find-links
    done = subprocess.run(
        [
            sys.executable,
            str(SETUP),
            "--source",
            str(source),
            "--prefix",
            str(prefix),
            "--wheelhouse",
            str(fake["wheels"]),
            "--system-packages",
            "skip",
            "--test-requirements",
            str(fake["tools"]),
            "--python",
            sys.executable,
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    return done


def venv_imports(prefix, code):
    done = subprocess.run(
        [str(prefix / "venv" / "bin" / "python"), "-c", code],
        capture_output=True,
        text=True,
        cwd="/",
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_git_source_installs_layout_and_second_run_does_nothing(fake, tmp_path):
    prefix = tmp_path / "odoo"
    done = setup_odoo(fake, prefix, fake["git"], "--ref", "main")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (prefix / "src" / "odoo" / "release.py").is_file()
    assert not (prefix / "src" / ".git").exists()
    found = json.loads(
        venv_imports(
            prefix,
            (
                "import json, os, odoo, odoo.release, fakedep, faketool;"
                "print(json.dumps([os.path.dirname(odoo.__file__),"
                " odoo.release.version, fakedep.VALUE, faketool.VALUE]))"
            ),
        )
    )
    # Editable: the venv imports odoo from the source tree itself.
    assert found == [str((prefix / "src" / "odoo").resolve()), "18.0", "dep", "tool"]
    assert "setuptools<70" in (prefix / "build-constraints.txt").read_text()
    assert "Odoo 18.0 is ready" in done.stdout

    again = setup_odoo(fake, prefix, fake["git"], "--ref", "main")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "source: " in again.stdout and "is up to date" in again.stdout
    assert "nothing to do" in again.stdout
    assert "installing" not in again.stdout and "exporting" not in again.stdout


def test_tarball_source_with_one_top_directory(fake, tmp_path):
    prefix = tmp_path / "odoo"
    done = setup_odoo(fake, prefix, fake["tarball"])
    assert done.returncode == 0, done.stdout + done.stderr
    assert (prefix / "src" / "requirements.txt").is_file()
    assert not (prefix / "src" / "odoo-18.0").exists()
    assert (
        venv_imports(prefix, "import odoo.release; print(odoo.release.version)")
        == "18.0"
    )
    again = setup_odoo(fake, prefix, fake["tarball"])
    assert "nothing to do" in again.stdout, again.stdout


def test_bad_sources_say_what_to_do_and_change_nothing(fake, tmp_path):
    prefix = tmp_path / "odoo"
    missing = setup_odoo(fake, prefix, tmp_path / "nowhere")
    assert missing.returncode == 1
    assert "does not exist" in missing.stderr
    assert not prefix.exists()

    plain = tmp_path / "plain"
    plain.mkdir()
    not_git = setup_odoo(fake, prefix, plain)
    assert not_git.returncode == 1 and "not a git repository" in not_git.stderr

    bad_ref = setup_odoo(fake, prefix, fake["git"], "--ref", "no-such-branch")
    assert bad_ref.returncode == 1
    assert "'no-such-branch' is not in" in bad_ref.stderr and "--ref" in bad_ref.stderr
    assert not prefix.exists()

    bad_file = tmp_path / "notes.txt"
    bad_file.write_text("hello")
    not_tar = setup_odoo(fake, prefix, bad_file)
    assert not_tar.returncode == 1 and "not a tarball" in not_tar.stderr

    # An installed prefix keeps its tree when the next source is not Odoo 18.0.
    good = setup_odoo(fake, prefix, fake["git"], "--ref", "main")
    assert good.returncode == 0, good.stderr
    stamp = (prefix / "src" / ".gentle-setup-source.json").read_text()
    old = setup_odoo(fake, prefix, fake["git"], "--ref", "17.0")
    assert old.returncode == 1
    assert "Odoo 17.0, not 18.0" in old.stderr
    assert (prefix / "src" / ".gentle-setup-source.json").read_text() == stamp
    assert "version = '18.0'" in (prefix / "src" / "odoo" / "release.py").read_text()
    assert not list(prefix.glob(".setup-*")), "scratch directory left behind"


def test_a_tree_it_did_not_make_is_never_overwritten(fake, tmp_path):
    prefix = tmp_path / "odoo"
    (prefix / "src").mkdir(parents=True)
    (prefix / "src" / "mine.txt").write_text("my own checkout")
    done = setup_odoo(fake, prefix, fake["git"], "--ref", "main")
    assert done.returncode == 1
    assert "was not made by tests/setup-odoo" in done.stderr
    assert (prefix / "src" / "mine.txt").read_text() == "my own checkout"


def test_missing_system_packages_are_named_with_the_command(monkeypatch):
    setup = load_setup()
    if setup.missing_debian_packages({"coreutils": ""}) is None:
        pytest.fail("dpkg-query is missing: the checks below need a Debian system")
    assert setup.missing_debian_packages({"coreutils": "", "no-such-pkg-xyz": ""}) == [
        "no-such-pkg-xyz"
    ]
    monkeypatch.setattr(setup, "SYSTEM_PACKAGES", {"no-such-pkg-xyz": "a test"})
    with pytest.raises(setup.SetupError) as err:
        setup.system_packages("check")
    assert "apt-get install -y no-such-pkg-xyz" in str(err.value)
    assert "no-such-pkg-xyz (a test)" in str(err.value)
    # Every package it needs is a real Debian package name, with a reason.
    assert {"postgresql", "wkhtmltopdf", "chromium", "libpq-dev"} <= set(
        load_setup().SYSTEM_PACKAGES
    )
