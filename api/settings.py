"""Settings, read once from the environment (then `.env`, then defaults) and passed inward.

Defaults are the embedded setup: a SQLite file under ./var/, an in-process Redis stand-in,
the log push gateway and a development JWT secret the server refuses in production.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from starlette.config import Config

from api.redis_cluster import cluster_url, is_cluster_url, parse_cluster_url
from domain.errors import DomainError
from domain.translations import normalise_locale

DEV_JWT_SECRET = "fidelio-development-secret-do-not-use-in-production"
SUPPORTED_ALGORITHMS = ("HS256", "HS384", "HS512", "RS256", "ES256")


class SettingsError(RuntimeError):
    """The configuration cannot be used (e.g. the development secret in production)."""


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    database_url: str = "sqlite://var/fidelio.sqlite3"
    #: None runs the in-process Redis stand-in (fakeredis): one process only.
    #: `redis+cluster://host:port,...` (or REDIS_CLUSTER_NODES) uses a Redis Cluster.
    redis_url: str | None = None
    redis_prefix: str = "fidelio:"
    jwt_algorithm: str = "HS256"
    jwt_secret: str | None = DEV_JWT_SECRET
    jwt_public_key: str | None = None
    jwt_private_key: str | None = None
    jwt_issuer: str = "fidelio"
    jwt_audience: str = "fidelio-api"
    jwt_leeway_seconds: int = 30
    program_timezone: str = "UTC"
    program_currency: str = "EUR"
    #: The locale catalogue content falls back to when none is entered in the reader's own
    #: (then the base name and description): domain.translations.
    program_locale: str = "en"
    push_gateway: str = "log"
    fcm_credentials_file: str | None = None
    fcm_endpoint: str | None = None
    max_body_bytes: int = 1_000_000
    max_query_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 2_000
    #: Run the outbox dispatcher and the scheduled jobs inside the server process.
    run_background: bool = True
    dispatcher_poll_seconds: float = 0.2
    automations_enabled: bool = True
    #: Drops: how long a first-come reservation waits for the shop before going back to stock.
    drop_reservation_minutes: int = 30
    #: Drops: claimDrop attempts per member per window (0: no limit).
    drop_claim_rate_limit: int = 10
    drop_claim_rate_window_seconds: int = 10
    #: Console: how long a sign-in lasts (hours), and sign-in attempts allowed per email and
    #: per client address in each window (0: no limit).
    console_session_hours: int = 8
    console_sign_in_per_email: int = 10
    console_sign_in_per_address: int = 50
    console_sign_in_window_seconds: int = 900
    #: Trusted documents (api.trusted_documents): off, optional or required.
    trusted_documents: str = "off"
    #: `/metrics`: the bearer token a scraper must send; None serves it openly in development
    #: and not at all in production.
    metrics_token: str | None = None
    #: Log lines as "text" (for people) or "json" (one object per line, for machines).
    log_format: str = "text"
    log_level: str = "INFO"
    #: Webhooks: the whole HTTP request's bound, how long a delivery is retried before it is
    #: marked failed, and how many requests at once (in all, and to one endpoint).
    webhook_timeout_seconds: float = 5.0
    webhook_retry_hours: float = 24.0
    webhook_concurrency: int = 16
    webhook_concurrency_per_endpoint: int = 4
    #: Personal offers: retrain once this many interactions arrived since the last training.
    offers_retrain_interactions: int = 1000
    #: Personal offers: how often the worker checks whether to retrain.
    offers_check_minutes: int = 60
    #: Personal offers: below this many members with interactions, popularity only.
    offers_min_members: int = 50

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


def _read_key(value: str | None) -> str | None:
    """A key given inline (PEM) or as a path to a PEM file."""
    if value and not value.lstrip().startswith("-----") and Path(value).is_file():
        return Path(value).read_text()
    return value


def _redis_url(config: Config) -> str | None:
    """REDIS_URL, or the `redis+cluster://` URL of REDIS_CLUSTER_NODES (not both)."""
    url = config("REDIS_URL", default=None) or None
    nodes = config("REDIS_CLUSTER_NODES", default=None) or None
    if nodes and url:
        raise SettingsError("set REDIS_URL or REDIS_CLUSTER_NODES, not both")
    return cluster_url(nodes) if nodes else url


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
    env = config("FIDELIO_ENV", default="development")
    algorithm = config("JWT_ALGORITHM", default="HS256")
    secret_default = None if env == "production" else DEV_JWT_SECRET
    settings = Settings(
        env=env,
        database_url=config("DATABASE_URL", default="sqlite://var/fidelio.sqlite3"),
        redis_url=_redis_url(config),
        redis_prefix=config("REDIS_PREFIX", default="fidelio:"),
        jwt_algorithm=algorithm,
        jwt_secret=config("JWT_SECRET", default=secret_default),
        jwt_public_key=_read_key(config("JWT_PUBLIC_KEY", default=None)),
        jwt_private_key=_read_key(config("JWT_PRIVATE_KEY", default=None)),
        jwt_issuer=config("JWT_ISSUER", default="fidelio"),
        jwt_audience=config("JWT_AUDIENCE", default="fidelio-api"),
        jwt_leeway_seconds=config("JWT_LEEWAY_SECONDS", cast=int, default=30),
        program_timezone=config("PROGRAM_TIMEZONE", default="UTC"),
        program_currency=config("PROGRAM_CURRENCY", default="EUR"),
        program_locale=config("PROGRAM_LOCALE", default="en"),
        push_gateway=config("PUSH_GATEWAY", default="log"),
        fcm_credentials_file=config("FCM_CREDENTIALS_FILE", default=None),
        fcm_endpoint=config("FCM_ENDPOINT", default=None),
        max_body_bytes=config("MAX_BODY_BYTES", cast=int, default=1_000_000),
        run_background=config("RUN_BACKGROUND", cast=bool, default=True),
        automations_enabled=config("AUTOMATIONS_ENABLED", cast=bool, default=env != "production"),
        drop_reservation_minutes=config("DROP_RESERVATION_MINUTES", cast=int, default=30),
        drop_claim_rate_limit=config("DROP_CLAIM_RATE_LIMIT", cast=int, default=10),
        drop_claim_rate_window_seconds=config(
            "DROP_CLAIM_RATE_WINDOW_SECONDS", cast=int, default=10
        ),
        console_session_hours=config("CONSOLE_SESSION_HOURS", cast=int, default=8),
        console_sign_in_per_email=config("CONSOLE_SIGN_IN_PER_EMAIL", cast=int, default=10),
        console_sign_in_per_address=config("CONSOLE_SIGN_IN_PER_ADDRESS", cast=int, default=50),
        console_sign_in_window_seconds=config(
            "CONSOLE_SIGN_IN_WINDOW_SECONDS", cast=int, default=900
        ),
        trusted_documents=config("TRUSTED_DOCUMENTS", default="off"),
        metrics_token=config("METRICS_TOKEN", default=None) or None,
        log_format=config("LOG_FORMAT", default="json" if env == "production" else "text"),
        log_level=config("LOG_LEVEL", default="INFO"),
        webhook_timeout_seconds=config("WEBHOOK_TIMEOUT_SECONDS", cast=float, default=5.0),
        webhook_retry_hours=config("WEBHOOK_RETRY_HOURS", cast=float, default=24.0),
        webhook_concurrency=config("WEBHOOK_CONCURRENCY", cast=int, default=16),
        webhook_concurrency_per_endpoint=config(
            "WEBHOOK_CONCURRENCY_PER_ENDPOINT", cast=int, default=4
        ),
        offers_retrain_interactions=config("OFFERS_RETRAIN_INTERACTIONS", cast=int, default=1000),
        offers_check_minutes=config("OFFERS_CHECK_MINUTES", cast=int, default=60),
        offers_min_members=config("OFFERS_MIN_MEMBERS", cast=int, default=50),
    )
    return settings
