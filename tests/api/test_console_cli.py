"""`fidelio console-user`: add, list, change a password, remove."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest

from api.cli import main
from api.console.accounts import authenticate
from api.db import close_database, open_database
from domain.clock import SystemClock


def test_accounts_are_managed_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite://{tmp_path}/cli.sqlite3"
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["migrate"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    assert (
        main(["console-user", "add", "Ana@Shop.Example", "--role", "analyst", "--password-stdin"])
        == 0
    )
    assert (
        main(["console-user", "add", "ana@shop.example", "--role", "admin", "--password", "x" * 12])
        == 2
    )
    assert "exists already" in capsys.readouterr().err
    assert (
        main(["console-user", "add", "bo@shop.example", "--role", "admin", "--password", "short"])
        == 2
    )
    assert main(["console-user", "list"]) == 0
    listed = capsys.readouterr().out
    assert "ana@shop.example\tanalyst" in listed and "never signed in" in listed
    assert "bo@shop.example" not in listed

    async def signs_in(password: str) -> bool:
        await open_database(url)
        try:
            return await authenticate("ana@shop.example", password, SystemClock().now()) is not None
        finally:
            await close_database()

    assert asyncio.run(signs_in("a long enough password"))
    assert (
        main(["console-user", "set-password", "ana@shop.example", "--password", "another password"])
        == 0
    )
    assert not asyncio.run(signs_in("a long enough password"))
    assert asyncio.run(signs_in("another password"))
    assert main(["console-user", "remove", "ana@shop.example"]) == 0
    assert main(["console-user", "remove", "ana@shop.example"]) == 2
    capsys.readouterr()
    assert main(["console-user", "list"]) == 0
    assert capsys.readouterr().out.strip() == "no console accounts"
