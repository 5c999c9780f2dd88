"""Prometheus metrics of one process, served at `/metrics` in the text exposition format.

Each process (an API process, a worker) keeps its own registry and serves its own figures: the
scraper scrapes every process (one target per container or port) and sums in its queries.
What is measured, all collected here in `api/` (domain code only logs and returns values):

- GraphQL operations by name, type and outcome (`ok`, `user_error`: a payload carried
  userErrors, `graphql_error`: the client's fault, shown as an error, `internal_error`: masked),
  with a latency histogram per operation; userErrors by operation and code; each mutation field
  by outcome (`ok`, the first userError's code, or `error`): drop claims are
  `fidelio_mutation_outcomes_total{mutation="claimDrop"}`.
- Scheduled jobs: runs by outcome, items handled and durations, per job name.
- Push messages by outcome (the gateway's `SendOutcome`).
- Webhook attempts by outcome (`delivered`, `failed_attempt`, `gave_up`), the request's
  duration and the delay from the event to its delivery.
- The outbox backlog and the age of its oldest undelivered event, read at scrape time.
- Fragment cache hits and misses (`runtime.fragments`), read at scrape time.
- The process's CPU, memory and file descriptors (prometheus-client's process collector).
"""

from __future__ import annotations

import hmac
import re
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

from graphql import FieldNode, GraphQLError, OperationDefinitionNode, get_operation_ast
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from strawberry.extensions import SchemaExtension

from api.errors import is_expected
from api.logs import operation_var
from api.runtime import Runtime
from domain.outbox.backlog import outbox_backlog
from domain.scheduling import ScheduledJob
from push.gateway import PushGateway, PushMessage, SendResult

#: Distinct operation names kept as labels; later new names count as "other" (a client
#: sending random names must not grow the registry without end).
MAX_OPERATION_NAMES = 200
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
WEBHOOK_LAG_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 15.0, 60.0, 300.0, 1800.0, 3600.0, 21600.0, 86400.0)
JOB_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0)


class Metrics:
    """The figures of one process, in a registry of its own."""

    def __init__(self) -> None:
        # The `_created` series double every counter for no use here.
        disable_created_metrics()
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        r = self.registry
        self.operations = Counter(
            "fidelio_graphql_operations",
            "GraphQL operations by name, type and outcome "
            "(ok, user_error, graphql_error, internal_error).",
            ["operation", "type", "outcome"],
            registry=r,
        )
        self.operation_seconds = Histogram(
            "fidelio_graphql_operation_duration_seconds",
            "Time to answer a GraphQL operation, parse to result.",
            ["operation", "type"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.user_errors = Counter(
            "fidelio_user_errors",
            "userErrors returned in mutation payloads, by operation and code.",
            ["operation", "code"],
            registry=r,
        )
        self.mutations = Counter(
            "fidelio_mutation_outcomes",
            "Mutation fields by outcome: ok, the first userError's code, or error.",
            ["mutation", "outcome"],
            registry=r,
        )
        self.job_runs = Counter(
            "fidelio_job_runs", "Scheduled job runs by outcome (ok, failed).", ["job", "outcome"],
            registry=r,
        )  # fmt: skip
        self.job_items = Counter(
            "fidelio_job_items", "Items handled by scheduled jobs.", ["job"], registry=r
        )
        self.job_seconds = Histogram(
            "fidelio_job_duration_seconds", "Duration of one run of a scheduled job.", ["job"],
            buckets=JOB_BUCKETS, registry=r,
        )  # fmt: skip
        self.push = Counter(
            "fidelio_push_messages", "Push messages by outcome.", ["outcome"], registry=r
        )
        self.webhooks = Counter(
            "fidelio_webhook_deliveries",
            "Webhook delivery attempts by outcome (delivered, failed_attempt, gave_up).",
            ["outcome"],
            registry=r,
        )
        self.webhook_request_seconds = Histogram(
            "fidelio_webhook_request_duration_seconds",
            "Time the shop's endpoint took to answer a delivered webhook.",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.webhook_lag_seconds = Histogram(
            "fidelio_webhook_delivery_lag_seconds",
            "Time from a webhook event's creation to its delivery (retries included).",
            buckets=WEBHOOK_LAG_BUCKETS,
            registry=r,
        )
        self.outbox_waiting = Gauge(
            "fidelio_outbox_backlog_events", "Outbox events not delivered yet.", registry=r
        )
        self.outbox_oldest_age = Gauge(
            "fidelio_outbox_oldest_event_age_seconds",
            "Age of the oldest outbox event not delivered yet (0 when none wait).",
            registry=r,
        )
        self._operation_names: set[str] = set()
        self._runtime: Runtime | None = None
        FragmentCacheCollector(self, r)

    def operation_label(self, name: str | None) -> str:
        if not name:
            return "anonymous"
        if not _NAME.fullmatch(name):
            return "other"
        if name not in self._operation_names:
            if len(self._operation_names) >= MAX_OPERATION_NAMES:
                return "other"
            self._operation_names.add(name)
        return name

    # ----------------------------------------------------------------- wiring

    def instrument(self, runtime: Runtime) -> Runtime:
        """Time the runtime's jobs and count its webhook outcomes (push outcomes: see
        `counting_gateway`); call before `runtime.start`."""
        self._runtime = runtime
        runtime.jobs[:] = [self._timed_job(job) for job in runtime.jobs]
        if runtime.webhooks is not None:
            runtime.webhooks.sender.observer = WebhookMetrics(self)
        return runtime

    def watch(self, runtime: Runtime) -> None:
        """Read the runtime's caches at scrape time (for a runtime built by someone else)."""
        self._runtime = runtime

    def _timed_job(self, job: ScheduledJob) -> ScheduledJob:
        async def run(now: datetime) -> int:
            started = time.perf_counter()
            try:
                done = await job.run(now)
            except Exception:
                self.job_runs.labels(job.name, "failed").inc()
                raise
            finally:
                self.job_seconds.labels(job.name).observe(time.perf_counter() - started)
            self.job_runs.labels(job.name, "ok").inc()
            self.job_items.labels(job.name).inc(done or 0)
            return done

        return ScheduledJob(job.name, job.every, run)

    def counting_gateway(self, gateway: PushGateway) -> PushGateway:
        return CountingGateway(gateway, self.push)

    # ----------------------------------------------------------------- serving

    async def exposition(self, now: datetime) -> bytes:
        """The text exposition, with the scrape-time figures read now."""
        if self._runtime is not None:
            backlog = await outbox_backlog()
            self.outbox_waiting.set(backlog.waiting)
            self.outbox_oldest_age.set(backlog.oldest_age_seconds(now))
        return generate_latest(self.registry)

    def endpoint(
        self, token: str | None, enabled: bool, now: Callable[[], datetime]
    ) -> Callable[[Request], Awaitable[Response]]:
        """The `/metrics` route: open, bearer-protected when `token` is set, 404 when not
        `enabled`."""
        expected = f"Bearer {token}".encode() if token else None

        async def metrics(request: Request) -> Response:
            if not enabled:
                return PlainTextResponse("Not Found", status_code=404)
            if expected is not None:
                given = request.headers.get("authorization", "").encode()
                if not hmac.compare_digest(given, expected):
                    return PlainTextResponse(
                        "Unauthorized", status_code=401, headers={"WWW-Authenticate": "Bearer"}
                    )
            body = await self.exposition(now())
            return Response(body, media_type=CONTENT_TYPE_LATEST)

        return metrics

    def extension(self) -> Callable[[], SchemaExtension]:
        """A factory of the schema extension that measures each operation."""
        return lambda: OperationMetrics(self)


class FragmentCacheCollector(Collector):
    """The fragment cache's own counters, read at scrape time."""

    def __init__(self, metrics: Metrics, registry: CollectorRegistry) -> None:
        self.metrics = metrics
        registry.register(self)

    def collect(self) -> Iterator[CounterMetricFamily]:
        runtime = self.metrics._runtime
        if runtime is None:
            return
        store = runtime.fragments
        for name, value in (("hits", store.hits), ("misses", store.misses)):
            family = CounterMetricFamily(
                f"fidelio_fragment_cache_{name}", f"Fragment cache lookups: {name}."
            )
            family.add_metric([], value)
            yield family


class CountingGateway:
    """A push gateway that counts the outcome of each message it passes on."""

    def __init__(self, inner: PushGateway, counter: Counter) -> None:
        self.inner = inner
        self.counter = counter

    async def send(self, messages: Sequence[PushMessage]) -> list[SendResult]:
        results = await self.inner.send(messages)
        for result in results:
            self.counter.labels(result.outcome.value).inc()
        return results

    async def close(self) -> None:
        await self.inner.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class WebhookMetrics:
    """The webhook sender's observer: counts outcomes, times deliveries."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def delivered(self, request_seconds: float, lag_seconds: float) -> None:
        self.metrics.webhooks.labels("delivered").inc()
        self.metrics.webhook_request_seconds.observe(request_seconds)
        self.metrics.webhook_lag_seconds.observe(lag_seconds)

    def attempt_failed(self) -> None:
        self.metrics.webhooks.labels("failed_attempt").inc()

    def gave_up(self) -> None:
        self.metrics.webhooks.labels("gave_up").inc()


class OperationMetrics(SchemaExtension):
    """Times each operation, classifies its outcome and counts its userErrors; sets the
    operation name for log lines (api.logs). Listed last among the schema's extensions, so
    that it sees errors before MaskErrors anonymises them."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def on_execute(self) -> Iterator[None]:
        operation_var.set(self.metrics.operation_label(self.execution_context.operation_name))
        yield

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        token = operation_var.set(operation_var.get())
        try:
            yield
        finally:
            operation_var.reset(token)
            self._record(time.perf_counter() - started)

    def _record(self, elapsed: float) -> None:
        context = self.execution_context
        name = self.metrics.operation_label(context.operation_name)
        try:
            kind = context.operation_type.value
        except Exception:  # no document (a parse error): no type to tell
            kind = "unknown"
        result = context.result
        errors: Sequence[GraphQLError] = (
            getattr(result, "errors", None) or context.pre_execution_errors or []
        )
        data = getattr(result, "data", None)
        # userErrors live in mutations' payloads: a query's answer is not read for them.
        # Each root field's payload (a fragment spread at the root included), read once.
        payloads = data if kind == "mutation" and isinstance(data, dict) else {}
        codes_of = {key: _user_error_codes(payload) for key, payload in payloads.items()}
        codes = [code for payload_codes in codes_of.values() for code in payload_codes]
        if any(not is_expected(error) for error in errors):
            outcome = "internal_error"
        elif errors:
            outcome = "graphql_error"
        elif codes:
            outcome = "user_error"
        else:
            outcome = "ok"
        self.metrics.operations.labels(name, kind, outcome).inc()
        self.metrics.operation_seconds.labels(name, kind).observe(elapsed)
        for code in codes:
            self.metrics.user_errors.labels(name, code).inc()
        if payloads:
            for field, outcome in _mutation_outcomes(context, payloads, codes_of):
                self.metrics.mutations.labels(field, outcome).inc()


def _user_error_codes(payload: Any) -> list[str]:
    """The code of every userErrors entry of a mutation's payload (UNSELECTED when the client
    did not ask for the code). userErrors is a field of payloads only, which are only at the
    root of a mutation, so the payload's own entry is all there is to read."""
    if not isinstance(payload, dict):
        return []
    entries = payload.get("userErrors")
    if not isinstance(entries, list):
        return []
    return [str(entry.get("code") or "UNSELECTED") for entry in entries if isinstance(entry, dict)]


def _mutation_outcomes(
    context: Any, data: dict[str, Any], codes_of: dict[str, list[str]]
) -> Iterator[tuple[str, str]]:
    """(mutation field, outcome) for each root field of a mutation, aliases resolved
    (`codes_of`: each answer key's userErrors codes)."""
    document = context.graphql_document
    if document is None:
        return
    operation: OperationDefinitionNode | None = get_operation_ast(document, context.operation_name)
    if operation is None:
        return
    for selection in operation.selection_set.selections:
        if not isinstance(selection, FieldNode) or selection.name.value.startswith("__"):
            continue
        key = selection.alias.value if selection.alias else selection.name.value
        if key not in data:
            continue
        codes = codes_of[key]
        if data[key] is None:
            outcome = "error"
        else:
            outcome = codes[0] if codes else "ok"
        yield selection.name.value, outcome
