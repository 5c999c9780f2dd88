"""How the PostgreSQL pool is configured: what each statement outside a transaction costs."""

from __future__ import annotations

from api.db import keep_session, tortoise_config


def test_the_pool_resets_nothing_and_arms_no_idle_timer() -> None:
    credentials = tortoise_config("postgresql://postgres@127.0.0.1:5432/test")["connections"][
        "default"
    ]["credentials"]
    assert credentials["reset"] is keep_session
    assert credentials["max_inactive_connection_lifetime"] == 0


def test_sqlite_is_configured_by_its_url() -> None:
    assert tortoise_config("sqlite://:memory:")["connections"]["default"] == "sqlite://:memory:"
