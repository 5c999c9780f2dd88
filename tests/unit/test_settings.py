"""Settings are declared once (api/settings.py): every variable reaches its field with its type,
production has its own defaults, a refused value is one line at start-up, and the README's
table is the one the declaration generates."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from api.cli import main
from api.settings import (
    DEV_JWT_SECRET,
    Settings,
    SettingsError,
    describe,
    load_settings,
    settings_table,
    variables,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def bare_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for _, variable in variables():
        monkeypatch.delenv(variable.name, raising=False)


def test_the_readme_table_is_the_one_the_settings_declare() -> None:
    readme = (ROOT / "README.md").read_text()
    found = re.search(r"<!-- settings: [^\n]*-->\n(.*?)<!-- end of settings -->", readme, re.S)
    assert found, "the README lost its generated table of settings"
    assert found.group(1) == settings_table(), "run `fidelio settings --markdown` into the README"


def test_every_variable_reaches_its_field_with_its_type(monkeypatch: pytest.MonkeyPatch) -> None:
    from api.settings import _read_settings

    expected: dict[str, object] = {}
    for spec, variable in variables():
        if variable.name == "REDIS_CLUSTER_NODES":  # read into redis_url, not beside it
            continue
        default = spec.default
        if isinstance(default, bool):
            text, value = ("false", False) if default else ("true", True)
        elif isinstance(default, int):
            text, value = str(default + 7), default + 7
        elif isinstance(default, float):
            text, value = str(default + 0.5), default + 0.5
        else:
            text = value = f"set-{variable.name}"
        monkeypatch.setenv(variable.name, text)
        expected[spec.name] = value
    settings = _read_settings(None)
    assert {name: getattr(settings, name) for name in expected} == expected


def test_production_has_defaults_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIDELIO_ENV", "production")
    with pytest.raises(SettingsError, match="JWT_SECRET is required"):
        load_settings(None)
    monkeypatch.setenv("JWT_SECRET", "x" * 40)
    production = load_settings(None)
    assert (production.automations_enabled, production.log_format) == (False, "json")
    assert production.trusted_documents == Settings().trusted_documents == "off"
    development = Settings()
    assert (development.automations_enabled, development.log_format) == (True, "text")
    assert development.jwt_secret == DEV_JWT_SECRET


def test_an_optional_text_set_empty_is_unset_and_a_key_is_read_from_its_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pem = "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n"
    (tmp_path / "public.pem").write_text(pem)
    monkeypatch.setenv("METRICS_TOKEN", "")
    monkeypatch.setenv("REDIS_URL", "")
    monkeypatch.setenv("JWT_ALGORITHM", "ES256")
    monkeypatch.setenv("JWT_PUBLIC_KEY", str(tmp_path / "public.pem"))
    settings = load_settings(None)
    assert (settings.metrics_token, settings.redis_url) == (None, None)
    assert settings.jwt_public_key == pem


def test_a_refused_value_stops_a_command_with_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("JWT_LEEWAY_SECONDS", "thirty")
    assert main(["settings"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("fidelio: ") and "JWT_LEEWAY_SECONDS" in error
    assert error.count("\n") == 1 and "Traceback" not in error
    monkeypatch.setenv("JWT_LEEWAY_SECONDS", "30")
    monkeypatch.setenv("RUN_BACKGROUND", "perhaps")
    with pytest.raises(SettingsError, match="RUN_BACKGROUND"):
        load_settings(None)


def test_secrets_stay_out_of_the_printed_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METRICS_TOKEN", "scraper-secret")
    monkeypatch.setenv("DATABASE_URL", "postgres://fidelio:pg-secret@db:5432/fidelio")
    settings = load_settings(None)
    for text in (describe(settings), repr(settings)):
        assert "scraper-secret" not in text and DEV_JWT_SECRET not in text
    assert "METRICS_TOKEN=(set)\n" in describe(settings)
    assert "DATABASE_URL=postgres://fidelio:(set)@db:5432/fidelio\n" in describe(settings)
    assert "RUN_BACKGROUND=true\n" in describe(settings)
