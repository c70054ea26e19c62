"""The Docker quick start (docker/): compose file, Odoo config, init script, image.

Docker Hub is out of reach where these tests run, so no image is pulled: the files
are checked for what README.rst promises, and by ``docker compose config`` (or
docker-compose v1) when such a binary is installed.
"""

import configparser
import importlib.machinery
import importlib.util
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
DOCKER = REPO / "docker"
COMPOSE = DOCKER / "compose.yaml"
ADDON = "gentle_collections"
ADDON_MOUNT = f"/mnt/extra-addons/{ADDON}"
ODOO_RC = "/etc/odoo/odoo.conf"


def load_runner():
    runner = str(REPO / "tests" / "run")
    loader = importlib.machinery.SourceFileLoader("gentle_tests_run", runner)
    spec = importlib.util.spec_from_loader("gentle_tests_run", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose):
    return compose["services"]


@pytest.fixture(scope="module")
def odoo_conf():
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(DOCKER / "odoo.conf", encoding="utf-8")
    return parser["options"]


def volumes(service):
    """``(source, target, mode)`` of each short-syntax volume of a service."""
    found = []
    for entry in service.get("volumes", []):
        assert isinstance(entry, str), f"use the short volume syntax: {entry}"
        source, target, *mode = entry.split(":")
        found.append((source, target, mode[0] if mode else "rw"))
    return found


def bind_source(source):
    """The host path of a bind mount (relative to the compose file), or None."""
    if source.startswith((".", "/")):
        return (DOCKER / source).resolve()
    return None  # a named volume


def env(service):
    environment = service.get("environment", {})
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    return {key: str(value) for key, value in environment.items()}


def test_services_and_images(compose, services):
    assert {"db", "odoo", "init", "mailpit", "tests"} <= set(services)
    assert services["db"]["image"] == "postgres:16"
    assert services["odoo"]["image"] == "odoo:18.0"
    assert services["init"]["image"] == "odoo:18.0"
    assert services["mailpit"]["image"].startswith("axllent/mailpit")
    assert set(compose["volumes"]) == {"db-data", "odoo-data"}


def test_ports_are_published_on_localhost_only(services):
    published = {}
    for name, service in services.items():
        for port in service.get("ports", []):
            assert isinstance(port, str), f"{name}: use 'IP:HOST:CONTAINER' ports"
            ip, host, container = port.split(":")
            assert ip == "127.0.0.1", f"{name} publishes {port} beyond localhost"
            published[name] = published.get(name, []) + [(host, container)]
        assert service.get("network_mode") != "host", name
    assert published == {
        "odoo": [("8069", "8069")],
        "mailpit": [("8025", "8025")],
    }


@pytest.mark.parametrize("name", ["odoo", "init"])
def test_addon_and_config_are_mounted_read_only(services, odoo_conf, name):
    mounts = volumes(services[name])
    binds = {target: (bind_source(src), mode) for src, target, mode in mounts}
    assert binds[ADDON_MOUNT] == (REPO / ADDON, "ro")
    assert binds[ODOO_RC] == (DOCKER / "odoo.conf", "ro")
    for source, target, mode in mounts:
        path = bind_source(source)
        if path is not None:
            assert mode == "ro", f"{name} mounts {source} writable"
            assert path.exists(), f"{name} mounts {source}, which does not exist"
        else:
            assert target == "/var/lib/odoo", f"{name}: unexpected volume {target}"
    addons_path = [p.strip() for p in odoo_conf["addons_path"].split(",")]
    assert str(Path(ADDON_MOUNT).parent) in addons_path


def test_odoo_sends_mail_to_mailpit_only(services, odoo_conf):
    assert odoo_conf["smtp_server"] == "mailpit"
    assert odoo_conf["smtp_port"] == "1025"
    assert odoo_conf["smtp_ssl"] == "False"
    for name in ("odoo", "init"):
        command = " ".join(services[name].get("command", []))
        assert "--smtp" not in command and "SMTP" not in str(env(services[name]))
    assert "mailpit" in services["odoo"]["depends_on"]
    assert "mailpit" not in services["db"].get("depends_on", {})


def test_odoo_config_names_the_db_service(services, odoo_conf):
    db_env = env(services["db"])
    assert odoo_conf["db_host"] == "db"
    assert odoo_conf["db_port"] == "5432"
    assert odoo_conf["db_user"] == db_env["POSTGRES_USER"]
    assert odoo_conf["db_password"] == db_env["POSTGRES_PASSWORD"]
    # The image's entrypoint reads "key = value" lines with single spaces.
    text = (DOCKER / "odoo.conf").read_text(encoding="utf-8")
    assert re.search(r"^db_host = db$", text, re.MULTILINE)
    assert odoo_conf["list_db"] == "False"
    assert odoo_conf["without_demo"] == "False"


def test_database_is_created_once_with_addon_and_demo(services, odoo_conf):
    init, odoo = services["init"], services["odoo"]
    script_target = init["command"][-1]
    binds = {target: bind_source(src) for src, target, _mode in volumes(init)}
    assert binds[script_target] == DOCKER / "init-db.sh"
    db_name = env(init)["GENTLE_DB"]
    assert db_name == "gentle"
    assert odoo_conf["dbfilter"] == f"^{db_name}$"
    assert odoo["command"] == ["odoo", "--database", db_name]
    assert "-i" not in odoo["command"] and "--init" not in " ".join(odoo["command"])
    assert odoo["depends_on"]["init"] == {"condition": "service_completed_successfully"}
    for name in ("init", "odoo", "tests"):
        assert services[name]["depends_on"]["db"] == {"condition": "service_healthy"}
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    pg = env(init)
    assert (pg["PGHOST"], pg["PGUSER"]) == ("db", odoo_conf["db_user"])
    assert pg["PGPASSWORD"] == odoo_conf["db_password"]


def run_init_script(tmp_path, state_code):
    """Run init-db.sh with stand-ins for Odoo's python3 and odoo on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "odoo-calls"
    (bin_dir / "python3").write_text(f"#!/bin/sh\n{state_code}\n")
    (bin_dir / "odoo").write_text(f'#!/bin/sh\necho "$@" >> {calls}\n')
    for stub in bin_dir.iterdir():
        stub.chmod(0o755)
    done = subprocess.run(
        ["bash", str(DOCKER / "init-db.sh")],
        env=dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", GENTLE_DB="g1"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done, calls.read_text().split() if calls.exists() else None


def test_init_script_installs_the_addon_with_demo_data_on_first_start(tmp_path):
    done, odoo_args = run_init_script(tmp_path, "exit 0")  # no database yet
    assert done.returncode == 0, done.stderr
    assert odoo_args == [
        "-c",
        ODOO_RC,
        "-d",
        "g1",
        "-i",
        ADDON,
        "--stop-after-init",
        "--no-http",
    ]


def test_init_script_installs_when_the_module_is_not_installed(tmp_path):
    done, odoo_args = run_init_script(tmp_path, "echo uninstalled")
    assert done.returncode == 0, done.stderr
    assert odoo_args[odoo_args.index("-i") + 1] == ADDON


def test_init_script_does_nothing_on_later_starts(tmp_path):
    done, odoo_args = run_init_script(tmp_path, "echo installed")
    assert done.returncode == 0, done.stderr
    assert odoo_args is None
    assert "nothing to do" in done.stdout


def test_init_script_fails_when_the_check_fails(tmp_path):
    done, odoo_args = run_init_script(tmp_path, "echo boom >&2; exit 3")
    assert done.returncode != 0
    assert odoo_args is None


def test_tests_service_runs_the_test_command(services, odoo_conf):
    tests = services["tests"]
    assert tests["profiles"] == ["tests"]
    build = tests["build"]
    dockerfile = (DOCKER / build["context"] / build["dockerfile"]).resolve()
    assert dockerfile == DOCKER / "Dockerfile.tests"
    assert tests["command"] == ["tests/run"]
    binds = {target: (bind_source(s), mode) for s, target, mode in volumes(tests)}
    assert binds[tests["working_dir"]] == (REPO, "ro")
    pg = env(tests)
    assert pg["ODOO_PYTHON"] == "/usr/bin/python3"
    assert pg["PGHOST"] == "db" and pg["PGPORT"] == "5432"
    assert (pg["PGUSER"], pg["PGPASSWORD"]) == (
        odoo_conf["db_user"],
        odoo_conf["db_password"],
    )
    assert "ports" not in tests
    # tests/run uses exactly these variables to pick the db service.
    runner = load_runner()
    named = runner.named_postgres(env=pg)
    assert named == {"host": "db", "port": "5432", "user": "odoo", "password": "odoo"}


def test_tests_image_adds_what_the_test_command_needs():
    text = (DOCKER / "Dockerfile.tests").read_text(encoding="utf-8")
    instructions = [
        line.strip()
        for line in re.sub(r"\\\n", " ", text).splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert instructions[0] == "FROM odoo:18.0"
    assert sum(line.startswith("FROM ") for line in instructions) == 1
    pip = [line for line in instructions if "pip install" in line]
    assert len(pip) == 1 and "--break-system-packages" in pip[0]
    runner = load_runner()
    for package in runner.tool_requirements().values():
        assert re.search(rf"\s{re.escape(package)}(\s|$)", pip[0]), package
    browsers = [name for name in runner.CHROME_NAMES if name in text]
    assert browsers, "the image installs no browser tests/run looks for"
    users = [line for line in instructions if line.startswith("USER ")]
    assert users[-1] == "USER odoo", "tests must not run as root"
    assert "ENV ODOO_PYTHON=/usr/bin/python3" in " ".join(instructions)


def compose_commands():
    """Every compose binary here: docker-compose v1 and the docker compose plugin."""
    commands = []
    if shutil.which("docker-compose"):
        commands.append(["docker-compose"])
    if shutil.which("docker"):
        done = subprocess.run(
            ["docker", "compose", "version"], capture_output=True, timeout=60
        )
        if done.returncode == 0:
            commands.append(["docker", "compose"])
    return commands


def test_compose_config_is_valid(services):
    # Always checked: the YAML above. With a compose binary, its own validation too
    # (no images are pulled by "config").
    assert services
    for command in compose_commands():
        for profile in ([], ["--profile", "tests"]):
            done = subprocess.run(
                [*command, "-f", str(COMPOSE), *profile, "config", "-q"],
                capture_output=True,
                text=True,
                timeout=120,
                cwd=REPO,
            )
            assert done.returncode == 0, f"{' '.join(command)} config: {done.stderr}"
