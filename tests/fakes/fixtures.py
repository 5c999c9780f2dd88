"""Pytest fixtures for the fakes. Use them with `from tests.fakes.fixtures import fake_fcm`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.fake_fcm import FakeFcmServer


@pytest.fixture
def fake_fcm() -> Iterator[FakeFcmServer]:
    """A running fake FCM server; `fake_fcm.service_account` is a service account it trusts
    (fresh RSA key, `token_uri` pointing at the fake), `fake_fcm.base_url` the FCM endpoint."""
    server = FakeFcmServer().start()
    try:
        yield server
    finally:
        server.stop()
