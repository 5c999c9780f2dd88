"""Fixtures for integration tests: the fakes of outside services."""

from tests.fakes.fixtures import fake_fcm  # noqa: F401  (re-exported for pytest)
