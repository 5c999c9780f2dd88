"""Settings, read once from the environment (then `.env`, then defaults) and passed inward.

Each setting is declared once, below: its type, its default, the environment variable it is
read from and a one-line description. `load_settings` reads them all from that declaration,
and the README's table of variables is generated from it (`fidelio settings --markdown`; a
test keeps the two equal).

Defaults are the embedded setup: a SQLite file under ./var/, an in-process Redis stand-in,
the log push gateway and a development JWT secret the server refuses in production.
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable
from dataclasses import Field, dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar, get_type_hints

from starlette.config import Config

from api.redis_cluster import cluster_url, is_cluster_url, parse_cluster_url
from domain.errors import DomainError
from domain.translations import normalise_locale

DEV_JWT_SECRET = "fidelio-development-secret-do-not-use-in-production"
SUPPORTED_ALGORITHMS = ("HS256", "HS384", "HS512", "RS256", "ES256")

T = TypeVar("T")


class SettingsError(RuntimeError):
    """The configuration cannot be used (e.g. the development secret in production)."""


class _Same:
    """The production default is the development one."""

    def __repr__(self) -> str:
        return "the same default"


SAME = _Same()


@dataclass(frozen=True)
class Variable:
    """How one setting is read from the environment and documented in the README."""

    #: The environment variable.
    name: str
    #: One line for the README's table (Markdown).
    description: str
    #: The default under FIDELIO_ENV=production, when it differs.
    production: object = SAME
    #: The default as the README shows it, when its value says little (a secret, None).
    shown: str | None = None
    #: A PEM key given inline or as a path to a file (`_read_key`).
    key_file: bool = False
    #: Printed as "(set)" by `fidelio settings`.
    secret: bool = False


def setting(
    default: T,
    name: str,
    description: str,
    *,
    production: object = SAME,
    shown: str | None = None,
    key_file: bool = False,
    secret: bool = False,
) -> T:
    """A field of `Settings` read from the environment variable `name`."""
    variable = Variable(name, description, production, shown, key_file, secret)
    # A secret stays out of the repr, hence out of any log line that prints the settings.
    value: T = field(default=default, repr=not secret, metadata={"variable": variable})
    return value


@dataclass(frozen=True)
class Settings:
    """Every setting of a process. Built by `load_settings` from the environment; tests and
    benchmarks build it directly with the values they need."""

    env: str = setting(
        "development",
        "FIDELIO_ENV",
        "`production` refuses the development secret and hides GraphiQL",
    )
    database_url: str = setting(
        "sqlite://var/fidelio.sqlite3",
        "DATABASE_URL",
        "`postgres://user:pass@host:5432/db` in production; behind PgBouncer in transaction "
        "mode add `?statement_cache_size=0` (and a larger per-process pool, `&maxsize=20`): "
        'see "Past one machine"',
    )
    #: None runs the in-process Redis stand-in (fakeredis): one process only.
    redis_url: str | None = setting(
        None,
        "REDIS_URL",
        "`redis://host:6379/0`, or `redis+cluster://host:port,host:port` for a Redis Cluster",
        shown="(in-process stand-in)",
    )
    #: Read into `redis_url` by `load_settings` (as `redis+cluster://...`).
    redis_cluster_nodes: str | None = setting(
        None,
        "REDIS_CLUSTER_NODES",
        "`host:port,host:port,...`: some nodes of a Redis Cluster (the client finds the rest); "
        "the same as `REDIS_URL=redis+cluster://...`, not both",
    )
    redis_prefix: str = setting("fidelio:", "REDIS_PREFIX", "prefix of every Redis key")
    jwt_algorithm: str = setting(
        "HS256",
        "JWT_ALGORITHM",
        "one of HS256/HS384/HS512 (secret) or RS256/ES256 (public key)",
    )
    jwt_secret: str | None = setting(
        DEV_JWT_SECRET,
        "JWT_SECRET",
        "HS*: at least 32 characters in production",
        production=None,
        shown="development secret, none in production",
        secret=True,
    )
    jwt_public_key: str | None = setting(
        None,
        "JWT_PUBLIC_KEY",
        "RS256/ES256: the key tokens are verified with, PEM text or a path to a PEM file",
        key_file=True,
    )
    jwt_private_key: str | None = setting(
        None,
        "JWT_PRIVATE_KEY",
        "RS256/ES256: the key `fidelio token` signs with, PEM text or a path to a PEM file",
        key_file=True,
        secret=True,
    )
    jwt_issuer: str = setting("fidelio", "JWT_ISSUER", "required claim `iss`")
    jwt_audience: str = setting("fidelio-api", "JWT_AUDIENCE", "required claim `aud`")
    jwt_leeway_seconds: int = setting(30, "JWT_LEEWAY_SECONDS", "clock skew allowed on `exp`")
    program_timezone: str = setting("UTC", "PROGRAM_TIMEZONE", "where leaderboard periods close")
    program_currency: str = setting(
        "EUR", "PROGRAM_CURRENCY", "the currency purchases must be in to earn points"
    )
    #: domain.translations: content falls back to this locale, then to the base name.
    program_locale: str = setting(
        "en",
        "PROGRAM_LOCALE",
        "the locale catalogue texts fall back to when none is entered in the member's "
        '(see "Catalogue content in the member\'s language")',
    )
    push_gateway: str = setting(
        "log", "PUSH_GATEWAY", "`fcm` to send through Firebase Cloud Messaging"
    )
    fcm_credentials_file: str | None = setting(
        None, "FCM_CREDENTIALS_FILE", "service-account JSON for `fcm`"
    )
    fcm_endpoint: str | None = setting(
        None,
        "FCM_ENDPOINT",
        "the FCM API's base URL, when not Google's (a local fake in tests)",
    )
    max_body_bytes: int = setting(1_000_000, "MAX_BODY_BYTES", "larger request bodies get 413")
    #: Limits on a GraphQL document (not read from the environment).
    max_query_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 2_000
    run_background: bool = setting(
        True,
        "RUN_BACKGROUND",
        "run the outbox dispatcher and jobs inside the server",
    )
    #: How often the in-server dispatcher looks at the outbox (not read from the environment).
    dispatcher_poll_seconds: float = 0.2
    automations_enabled: bool = setting(
        True,
        "AUTOMATIONS_ENABLED",
        "expiry reminders, birthday bonus, win-back, anniversary offer",
        production=False,
    )
    drop_reservation_minutes: int = setting(
        30,
        "DROP_RESERVATION_MINUTES",
        "a first-come drop reservation not completed in the shop by then goes back to stock "
        "(points returned)",
    )
    drop_claim_rate_limit: int = setting(
        10,
        "DROP_CLAIM_RATE_LIMIT",
        "`claimDrop` attempts per member per window before `RATE_LIMITED` (0: off)",
    )
    drop_claim_rate_window_seconds: int = setting(
        10, "DROP_CLAIM_RATE_WINDOW_SECONDS", "the window of that limit"
    )
    console_session_hours: int = setting(
        8, "CONSOLE_SESSION_HOURS", "how long a console sign-in lasts"
    )
    console_sign_in_per_email: int = setting(
        10,
        "CONSOLE_SIGN_IN_PER_EMAIL",
        "console sign-in attempts allowed per email in each window (0: no limit)",
    )
    console_sign_in_per_address: int = setting(
        50,
        "CONSOLE_SIGN_IN_PER_ADDRESS",
        "console sign-in attempts allowed per client address in each window (0: no limit)",
    )
    console_sign_in_window_seconds: int = setting(
        900, "CONSOLE_SIGN_IN_WINDOW_SECONDS", "the window of those two limits"
    )
    trusted_documents: str = setting(
        "off",
        "TRUSTED_DOCUMENTS",
        '`optional` or `required`: see "Trusted documents" below',
    )
    metrics_token: str | None = setting(
        None,
        "METRICS_TOKEN",
        "bearer token `/metrics` requires when set; without it `/metrics` is open in "
        "development and answers 404 in production",
        secret=True,
    )
    log_format: str = setting(
        "text",
        "LOG_FORMAT",
        '`json`: one JSON object per line (see "Operating Fidelio")',
        production="json",
    )
    log_level: str = setting(
        "INFO",
        "LOG_LEVEL",
        "the root logger's level (`DEBUG`, `INFO`, `WARNING`...)",
    )
    webhook_timeout_seconds: float = setting(
        5.0,
        "WEBHOOK_TIMEOUT_SECONDS",
        "a webhook request's bound, connection to answer",
    )
    webhook_retry_hours: float = setting(
        24.0,
        "WEBHOOK_RETRY_HOURS",
        "how long a webhook delivery is retried before it is marked failed",
    )
    webhook_concurrency: int = setting(
        16, "WEBHOOK_CONCURRENCY", "webhook requests at once per process"
    )
    webhook_concurrency_per_endpoint: int = setting(
        4, "WEBHOOK_CONCURRENCY_PER_ENDPOINT", "webhook requests at once to one endpoint"
    )
    offers_retrain_interactions: int = setting(
        1000,
        "OFFERS_RETRAIN_INTERACTIONS",
        "the recommender retrains once this many interactions (purchases, redemptions, "
        "claims, badges) arrived since its last training",
    )
    offers_check_minutes: int = setting(
        60,
        "OFFERS_CHECK_MINUTES",
        "how often the worker checks whether to retrain (a count over primary-key ranges)",
    )
    offers_min_members: int = setting(
        50,
        "OFFERS_MIN_MEMBERS",
        "below this many members with interactions, no model: popularity per tier and region only",
    )

    @property
    def metrics_enabled(self) -> bool:
        """Whether `/metrics` answers: with a token anywhere, without one outside production."""
        return bool(self.metrics_token) or not self.is_production

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgres://", "postgresql://", "asyncpg://"))

    def check(self) -> None:
        """Refuse configurations that must never run."""
        if self.jwt_algorithm not in SUPPORTED_ALGORITHMS:
            raise SettingsError(f"JWT_ALGORITHM must be one of {', '.join(SUPPORTED_ALGORITHMS)}")
        if self.jwt_algorithm.startswith("HS"):
            if not self.jwt_secret:
                raise SettingsError("JWT_SECRET is required for HS* algorithms")
            if self.is_production and (
                self.jwt_secret == DEV_JWT_SECRET or len(self.jwt_secret) < 32
            ):
                raise SettingsError(
                    "refusing to run in production with the development JWT secret "
                    "(or a secret shorter than 32 characters): set JWT_SECRET"
                )
        elif not self.jwt_public_key:
            raise SettingsError(f"JWT_PUBLIC_KEY is required for {self.jwt_algorithm}")
        if self.drop_reservation_minutes < 1 or self.drop_claim_rate_window_seconds < 1:
            raise SettingsError(
                "DROP_RESERVATION_MINUTES and DROP_CLAIM_RATE_WINDOW_SECONDS must be at least 1"
            )
        if self.console_session_hours < 1 or self.console_sign_in_window_seconds < 1:
            raise SettingsError(
                "CONSOLE_SESSION_HOURS and CONSOLE_SIGN_IN_WINDOW_SECONDS must be at least 1"
            )
        if self.trusted_documents not in ("off", "optional", "required"):
            raise SettingsError("TRUSTED_DOCUMENTS must be 'off', 'optional' or 'required'")
        if self.log_format not in ("text", "json"):
            raise SettingsError("LOG_FORMAT must be 'text' or 'json'")
        if self.log_level.upper() not in ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"):
            raise SettingsError("LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        try:
            normalise_locale(self.program_locale, ["PROGRAM_LOCALE"])
        except DomainError as error:
            raise SettingsError(f"PROGRAM_LOCALE: {error.message}") from error
        if not 0 < self.webhook_timeout_seconds <= 60 or self.webhook_retry_hours <= 0:
            raise SettingsError(
                "WEBHOOK_TIMEOUT_SECONDS must be in (0, 60] and WEBHOOK_RETRY_HOURS positive"
            )
        if self.webhook_concurrency < 1 or self.webhook_concurrency_per_endpoint < 1:
            raise SettingsError(
                "WEBHOOK_CONCURRENCY and WEBHOOK_CONCURRENCY_PER_ENDPOINT must be at least 1"
            )
        if is_cluster_url(self.redis_url):
            try:
                parse_cluster_url(str(self.redis_url))
            except ValueError as error:
                raise SettingsError(f"REDIS_URL: {error}") from error
        if (
            self.offers_retrain_interactions < 1
            or self.offers_check_minutes < 1
            or self.offers_min_members < 1
        ):
            raise SettingsError(
                "OFFERS_RETRAIN_INTERACTIONS, OFFERS_CHECK_MINUTES and OFFERS_MIN_MEMBERS must "
                "be at least 1"
            )
        if self.push_gateway not in ("log", "fcm"):
            raise SettingsError("PUSH_GATEWAY must be 'log' or 'fcm'")
        if self.push_gateway == "fcm" and not self.fcm_credentials_file:
            raise SettingsError("PUSH_GATEWAY=fcm needs FCM_CREDENTIALS_FILE")


def variables() -> list[tuple[Field[Any], Variable]]:
    """The settings read from the environment, in declaration order, with their variables."""
    return [(f, f.metadata["variable"]) for f in fields(Settings) if "variable" in f.metadata]


def _read_key(value: str | None) -> str | None:
    """A key given inline (PEM) or as a path to a PEM file."""
    if value and not value.lstrip().startswith("-----") and Path(value).is_file():
        return Path(value).read_text()
    return value


def _cast(annotation: Any) -> Callable[[Any], Any] | None:
    """What Starlette's `Config` casts a variable's text with: int, float, bool or none (text)."""
    if isinstance(annotation, types.UnionType):  # `str | None`
        (annotation,) = (arg for arg in annotation.__args__ if arg is not type(None))
    return None if annotation is str else annotation


def load_settings(env_file: str | Path | None = ".env") -> Settings:
    """The settings from the environment, checked; `SettingsError` for any unusable value."""
    try:
        settings = _read_settings(env_file)
    except (ValueError, OSError) as error:  # a number that is not one, an unreadable key file
        raise SettingsError(str(error)) from error
    settings.check()
    return settings


def _read_settings(env_file: str | Path | None) -> Settings:
    config = Config(env_file if env_file and Path(env_file).exists() else None)
    production = config("FIDELIO_ENV", default="development") == "production"
    hints = get_type_hints(Settings)
    values: dict[str, Any] = {}
    for spec, variable in variables():
        default = spec.default
        if production and variable.production is not SAME:
            default = variable.production
        value = config.get(variable.name, _cast(hints[spec.name]), default)
        if value == "" and spec.default is None:  # an optional text set empty is unset
            value = None
        if variable.key_file:
            value = _read_key(value)
        values[spec.name] = value
    nodes = values["redis_cluster_nodes"]
    if nodes:
        if values["redis_url"]:
            raise SettingsError("set REDIS_URL or REDIS_CLUSTER_NODES, not both")
        values["redis_url"] = cluster_url(nodes)
    return Settings(**values)


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else f"`{value}`"


def settings_table() -> str:
    """The README's table of environment variables, from the declaration above."""
    lines = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for spec, variable in variables():
        default = variable.shown
        if default is None:
            default = _shown(spec.default)
            if variable.production is not SAME:
                default += f", {_shown(variable.production)} in production"
        lines.append(
            f"| `{variable.name}` | {default} | {variable.description} |".replace("|  |", "| |")
        )
    return "\n".join(lines) + "\n"


#: The password of a URL such as postgres://user:password@host/db.
_URL_PASSWORD = re.compile(r"(://[^/@:]*:)[^/@]*@")


def describe(settings: Settings) -> str:
    """`NAME=value` for every variable as the process reads it (secrets, and the passwords in
    URLs, only as set or not)."""
    lines = []
    for spec, variable in variables():
        value = getattr(settings, spec.name)
        if variable.secret and value is not None:
            value = "(set)"
        elif isinstance(value, bool):
            value = str(value).lower()
        elif isinstance(value, str):
            value = _URL_PASSWORD.sub(r"\1(set)@", value)
        lines.append(f"{variable.name}={'' if value is None else value}")
    return "\n".join(lines) + "\n"
