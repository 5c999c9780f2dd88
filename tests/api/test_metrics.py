"""`/metrics`: what a scraper finds after a few operations, and who may read it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
import redis.asyncio as aioredis
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from api.metrics import Metrics
from api.runtime import build_runtime
from api.settings import Settings
from domain.clock import FrozenClock
from domain.outbox.models import OutboxEvent
from push.gateway import LogGateway
from tests.api.conftest import GraphQLClient, data
from tests.api.test_fragment_cache import TOP, define
from tests.api.test_push import REGISTER, SOL, contract, stores_and_a_promotion


@pytest.fixture
async def measured(
    api_settings: Settings, clock: FrozenClock, redis_client: aioredis.Redis
) -> AsyncIterator[GraphQLClient]:
    """The API client, on a runtime whose jobs and push gateway are measured as in production."""
    metrics = Metrics()
    runtime = metrics.instrument(
        build_runtime(
            api_settings,
            clock=clock,
            redis=redis_client,
            gateway=metrics.counting_gateway(LogGateway()),
        )
    )
    app = create_app(api_settings, runtime=runtime, metrics=metrics)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://fidelio.test") as http:
        yield GraphQLClient(http=http, settings=api_settings, runtime=runtime, clock=clock)
    if runtime.fanout is not None:
        await runtime.fanout.close()


async def scrape(
    api: GraphQLClient, token: str | None = None
) -> dict[tuple[str, frozenset], float]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await api.http.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: dict[tuple[str, frozenset], float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


REDEEM_UNKNOWN = """
mutation Redeem { redeemReward(input: {rewardId: "999999"}) { userErrors { code } } }"""


async def test_the_counters_move_with_operations_jobs_and_pushes(measured: GraphQLClient) -> None:
    api = measured
    before = await scrape(api)
    await stores_and_a_promotion(api)
    data(await api.member("alice", REGISTER, {"token": "alice-phone"}))
    data(await api.member("alice", contract("ReportLocation"), {"input": SOL}))
    data(await api.member("alice", contract("ReportLocation"), {"input": SOL}))
    redeemed = data(await api.member("alice", REDEEM_UNKNOWN))["redeemReward"]
    bad = await api.http.post(
        "/graphql",
        json={"query": "query Broken { me { noSuchField } }"},
        headers={"Authorization": f"Bearer {api.token('member', 'alice')}"},
    )
    await api.runtime.run_jobs_once()

    after = await scrape(api)
    moved = {
        key: after[key] - before.get(key, 0.0) for key in after if after[key] != before.get(key)
    }
    ops = "fidelio_graphql_operations_total"
    assert value(moved, ops, operation="ReportLocation", type="mutation", outcome="ok") == 2
    assert value(moved, ops, operation="Register", type="mutation", outcome="ok") == 1
    assert [e["code"] for e in redeemed["userErrors"]] == ["NOT_FOUND"]
    assert value(moved, ops, operation="Redeem", type="mutation", outcome="user_error") == 1
    assert value(moved, "fidelio_user_errors_total", operation="Redeem", code="NOT_FOUND") == 1
    assert value(
        moved, "fidelio_mutation_outcomes_total", mutation="redeemReward", outcome="NOT_FOUND"
    ) == 1  # fmt: skip
    assert value(
        moved, "fidelio_mutation_outcomes_total", mutation="reportLocation", outcome="ok"
    ) == 2  # fmt: skip
    assert "errors" in bad.json()
    assert value(moved, ops, operation="Broken", type="query", outcome="graphql_error") == 1
    assert (
        value(moved, "fidelio_graphql_operation_duration_seconds_count",
              operation="ReportLocation", type="mutation") == 2
    )  # fmt: skip
    assert value(moved, "fidelio_push_messages_total", outcome="sent") == 1
    for job in ("push.deliver", "expire-points"):
        assert value(moved, "fidelio_job_runs_total", job=job, outcome="ok") == 1
        assert value(moved, "fidelio_job_duration_seconds_count", job=job) == 1
    assert value(moved, "fidelio_job_items_total", job="push.deliver") >= 1


async def test_the_outbox_backlog_and_its_oldest_event_are_read_at_scrape_time(
    measured: GraphQLClient, clock: FrozenClock
) -> None:
    api = measured
    await api.runtime.dispatcher.run_until_idle()
    assert value(await scrape(api), "fidelio_outbox_backlog_events") == 0
    assert value(await scrape(api), "fidelio_outbox_oldest_event_age_seconds") == 0
    await stores_and_a_promotion(api)
    data(await api.member("alice", REGISTER, {"token": "alice-phone"}))
    data(await api.member("alice", contract("ReportLocation"), {"input": SOL}))
    waiting = await OutboxEvent.filter(processed_at__isnull=True).count()
    assert waiting > 0
    clock.advance(timedelta(minutes=5))

    samples = await scrape(api)

    assert value(samples, "fidelio_outbox_backlog_events") == waiting
    assert 300 <= value(samples, "fidelio_outbox_oldest_event_age_seconds") < 400
    await api.deliver_events()
    assert value(await scrape(api), "fidelio_outbox_backlog_events") == 0


async def test_fragment_cache_hits_and_misses_are_exported(measured: GraphQLClient) -> None:
    api = measured
    await define(api)
    for _ in range(3):
        data(await api.member("alice", TOP))
    store = api.runtime.fragments

    samples = await scrape(api)

    assert value(samples, "fidelio_fragment_cache_hits_total") == store.hits
    assert value(samples, "fidelio_fragment_cache_misses_total") == store.misses
    assert store.hits >= 2 and store.misses >= 1


async def test_metrics_need_the_token_when_one_is_set(
    api_settings: Settings, clock: FrozenClock, redis_client: aioredis.Redis
) -> None:
    def client(settings: Settings) -> httpx.AsyncClient:
        runtime = build_runtime(settings, clock=clock, redis=redis_client)
        app = create_app(settings, runtime=runtime)
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")

    protected = Settings(**{**api_settings.__dict__, "metrics_token": "s3cret-scraper-token"})
    async with client(protected) as http:
        assert (await http.get("/metrics")).status_code == 401
        wrong = await http.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        right = await http.get("/metrics", headers={"Authorization": "Bearer s3cret-scraper-token"})
        assert right.status_code == 200
        assert "fidelio_graphql_operations" in right.text

    production = Settings(**{**api_settings.__dict__, "env": "production", "jwt_secret": "x" * 40})
    async with client(production) as http:
        assert (await http.get("/metrics")).status_code == 404
