"""docker/ cannot run here (no engine): keep it true to the code by reading it."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

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
    assert services["worker"]["command"] == ["fidelio", "worker"]


def test_every_variable_the_compose_file_sets_is_one_the_settings_read() -> None:
    compose = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text())
    read = set(re.findall(r'config\(\s*"([A-Z_]+)"', (ROOT / "api" / "settings.py").read_text()))
    for name in ("api", "worker", "migrate"):
        environment = compose["services"][name]["environment"]
        assert set(environment) <= read, set(environment) - read
