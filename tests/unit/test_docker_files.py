"""docker/ cannot run here (no engine): keep it true to the code by reading it.

docker/compose.yaml is production-shaped: one image for every Fidelio service, the migration
as a one-shot service the others wait for, the FCM credentials as a secret, health checks
everywhere, and nginx in front of two API replicas. Where the docker compose plugin exists,
`docker compose config` accepts the file too (no image is built)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from api.settings import variables

ROOT = Path(__file__).resolve().parents[2]


def test_the_image_copies_every_layer_and_the_migrations() -> None:
    dockerfile = (ROOT / "docker" / "Dockerfile").read_text()
    for package in ("api", "domain", "gamification", "push", "webhooks", "migrations"):
        assert f"COPY {package} ./{package}" in dockerfile
    assert "USER fidelio" in dockerfile and "HEALTHCHECK" in dockerfile


def test_the_compose_topology_is_api_twice_worker_postgres_redis() -> None:
    compose = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text())
    services = compose["services"]
    assert {"api", "worker", "postgres", "redis", "migrate"} <= set(services)
    assert services["api"]["deploy"]["replicas"] == 2
    assert services["worker"]["command"][:2] == ["fidelio", "worker"]


def test_every_variable_the_compose_file_sets_is_one_the_settings_read() -> None:
    compose = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text())
    read = {variable.name for _, variable in variables()}
    for name in ("api", "worker", "migrate"):
        environment = compose["services"][name]["environment"]
        assert set(environment) <= read, set(environment) - read


DOCKER = Path(__file__).resolve().parents[2] / "docker"
COMPOSE = DOCKER / "compose.yaml"
FIDELIO = ("migrate", "api", "worker")


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE.read_text())
    return document["services"]


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def test_one_image_built_once_runs_every_fidelio_service(services: dict[str, Any]) -> None:
    images = {services[name]["image"] for name in FIDELIO}
    assert len(images) == 1
    built = [name for name, service in services.items() if "build" in service]
    assert built == ["migrate"]
    assert services["migrate"]["build"]["dockerfile"] == "docker/Dockerfile"
    assert (DOCKER / "Dockerfile").exists()


def test_the_migration_is_a_one_shot_service_the_others_wait_for(
    services: dict[str, Any],
) -> None:
    migrate = services["migrate"]
    assert migrate["command"] == ["fidelio", "migrate"]
    assert migrate.get("restart", "no") == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("api", "worker"):
        waits = services[name]["depends_on"]
        assert waits["migrate"]["condition"] == "service_completed_successfully"
        assert waits["postgres"]["condition"] == "service_healthy"
        assert waits["redis"]["condition"] == "service_healthy"


def test_the_fcm_credentials_are_a_secret_mounted_where_the_settings_read_them(
    document: dict[str, Any], services: dict[str, Any]
) -> None:
    assert "file" in document["secrets"]["fcm"]
    for name in ("api", "worker"):
        service = services[name]
        assert "fcm" in service["secrets"]
        assert service["environment"]["FCM_CREDENTIALS_FILE"] == "/run/secrets/fcm"
        text = yaml.safe_dump(service)
        assert "service_account" not in text and "private_key" not in text


def test_every_long_running_service_has_a_health_check(services: dict[str, Any]) -> None:
    for name in ("api", "worker", "proxy", "postgres", "redis"):
        check = services[name]["healthcheck"]
        assert not check.get("disable") and check["test"], name
    # The worker's check asks the port its command serves /healthz on.
    worker = services["worker"]
    port = worker["command"][worker["command"].index("--metrics-port") + 1]
    assert f":{port}/healthz" in " ".join(worker["healthcheck"]["test"])
    assert ":8000/readyz" in " ".join(services["api"]["healthcheck"]["test"])


def test_a_reverse_proxy_fronts_two_api_replicas(services: dict[str, Any]) -> None:
    api, proxy = services["api"], services["proxy"]
    assert api["deploy"]["replicas"] >= 2
    assert "ports" not in api, "the replicas are reached through the proxy only"
    assert api["environment"]["RUN_BACKGROUND"] == "false"
    assert proxy["image"].startswith("nginx")
    assert proxy["depends_on"]["api"]["condition"] == "service_healthy"
    assert proxy["ports"]
    [mount] = proxy["volumes"]
    source, target = mount.split(":")[:2]
    config = (COMPOSE.parent / source).resolve()
    assert config.exists() and target.startswith("/etc/nginx/")
    text = config.read_text()
    assert re.search(r"http://api:8000", text)
    assert "Upgrade $http_upgrade" in text, "websockets pass through"


def test_postgres_and_redis_report_ready(services: dict[str, Any]) -> None:
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert "ping" in services["redis"]["healthcheck"]["test"]


def _compose_plugin() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        found = subprocess.run(
            ["docker", "compose", "version"], capture_output=True, timeout=20, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return found.returncode == 0


@pytest.mark.skipif(not _compose_plugin(), reason="the docker compose plugin is not installed")
def test_docker_compose_accepts_the_file() -> None:
    result = subprocess.run(
        ["docker", "compose", "-f", str(COMPOSE), "config", "--quiet"],
        env={**os.environ, "JWT_SECRET": "x" * 40},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
