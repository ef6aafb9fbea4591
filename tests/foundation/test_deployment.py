"""The deployment files are valid, and production settings are secure."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
STRONG_SECRET = "x7Gm2Qp9Lr4Tz8Vb1Nc6Yh3Kd5Sw0Fj-Ea7Ui2Oo9Pl4Mk8Nj1Bh6Vg3Cf5Xd0Zs"


def test_compose_file_matches_the_compose_specification():
    result = subprocess.run(
        [
            Path(sys.executable).parent / "check-jsonschema",
            "--builtin-schema",
            "vendor.compose-spec",
            "docker-compose.yml",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_runs_web_worker_and_beat_from_one_image_beside_postgres_and_redis():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"db", "redis", "web", "worker", "beat"} <= set(services)
    images = {services[name]["image"] for name in ("web", "worker", "beat")}
    assert images == {"collections-crm:latest"}
    assert services["db"]["image"].startswith("postgres:") and services["redis"]["image"].startswith("redis:")
    assert "gunicorn" in services["web"]["command"]


def test_the_compose_client_accepts_the_file_where_it_is_installed():
    client = shutil.which("docker-compose")
    command = [client, "config", "-q"] if client else None
    if command is None and shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True)
        command = ["docker", "compose", "config", "-q"] if probe.returncode == 0 else None
    if command is None:
        # No compose client on this machine: the schema test above is the check that runs.
        return
    env = {**os.environ, "SECRET_KEY": STRONG_SECRET}
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def _manage(*args, **env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_a_mistyped_boolean_is_refused_with_its_name():
    result = _manage("check", DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_a_malformed_number_is_refused_with_its_name():
    result = _manage("check", DEBUG="1", LOGIN_FAILURE_LIMIT="five")
    assert result.returncode != 0
    assert "LOGIN_FAILURE_LIMIT='five' is not a whole number" in result.stderr


def test_production_settings_pass_the_deployment_checklist():
    result = _manage("check", "--deploy", DEBUG="0", SECRET_KEY=STRONG_SECRET, ALLOWED_HOSTS="crm.example.com")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)" in result.stdout
    assert "WARNING" not in result.stderr + result.stdout


def test_behind_a_tls_proxy_the_redirect_can_be_turned_off_without_warnings():
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.SECURE_SSL_REDIRECT, settings.SECURE_HSTS_SECONDS, settings.SESSION_COOKIE_SECURE)",
        DEBUG="0",
        SECRET_KEY=STRONG_SECRET,
        ALLOWED_HOSTS="crm.example.com",
        SECURE_SSL_REDIRECT="0",
    )
    assert result.stdout.strip().splitlines()[-1].split() == ["False", "31536000", "True"], result.stderr
    checked = _manage(
        "check",
        "--deploy",
        DEBUG="0",
        SECRET_KEY=STRONG_SECRET,
        ALLOWED_HOSTS="crm.example.com",
        SECURE_SSL_REDIRECT="0",
    )
    assert "WARNING" not in checked.stderr + checked.stdout and checked.returncode == 0


def test_the_makefile_and_the_image_vendor_the_same_front_end_files():
    assert "sh bin/vendor-frontend.sh node_modules static/vendor" in (ROOT / "Makefile").read_text()
    assert "sh bin/vendor-frontend.sh node_modules vendor" in (ROOT / "Dockerfile").read_text()


@pytest.mark.slow
def test_the_image_build_serves_the_sign_in_page_and_hashed_static_files_with_debug_off():
    """.ci/serve-check carries out the Dockerfile outside a container (collectstatic with the
    manifest storage), migrates, starts gunicorn with DEBUG=0 and fetches a page and its static
    files. The checkout's node_modules (from `make`) stands in for `npm ci`: no network."""
    node_modules = ROOT / "node_modules"
    assert (node_modules / "chart.js").is_dir(), "run `make` first: the front-end packages are not installed"
    result = subprocess.run(
        [sys.executable, str(ROOT / ".ci" / "serve-check"), "--node-modules", str(node_modules)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "/accounts/login/ 200" in result.stdout
    assert re.search(r"/static/vendor/chart\.umd\.min\.[0-9a-f]{12}\.js 200", result.stdout), result.stdout
