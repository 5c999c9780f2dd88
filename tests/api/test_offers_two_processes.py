"""Two server processes on one PostgreSQL serve the same recommender version, and both move
to a new one as soon as it is stored (one transaction switches it for every process)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from bench.harness import server, token
from domain.members.models import Member
from domain.offers.services import OfferSettings, train_and_store
from tests.conftest import REDIS_URL
from tests.integration.offers_support import buy, new_member, planted, redeem

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

QUERY = "{ me { recommendedRewards(first: 3) { basis modelVersion rewards { reward { code } reason } } } }"


def ask(base: str) -> dict[str, Any]:
    response = httpx.post(
        f"{base}/graphql",
        json={"query": QUERY},
        headers={"Authorization": f"Bearer {token('member', 'runner')}"},
        timeout=10,
    )
    body = response.json()
    assert not body.get("errors"), body
    return body["data"]["me"]["recommendedRewards"]


async def test_two_processes_serve_the_same_version_and_switch_together(
    db: str, redis_prefix: str
) -> None:
    now = datetime.now(UTC)
    rewards = await planted(now)
    runner = await new_member("runner", now)
    await buy(runner, "running-shoes", now, times=4)
    first = await train_and_store(now, OfferSettings())
    env = {"REDIS_PREFIX": redis_prefix, "RUN_BACKGROUND": "false"}
    with server(db, REDIS_URL, extra_env=env) as a, server(db, REDIS_URL, extra_env=env) as b:
        from_a, from_b = ask(a), ask(b)
        assert from_a == from_b
        assert (from_a["basis"], from_a["modelVersion"]) == ("MODEL", first.version)

        late = await new_member("late", now)
        await redeem(late, rewards["BOOK-LIGHT"], now)
        second = await train_and_store(now, OfferSettings())
        assert second.created

        assert ask(a)["modelVersion"] == ask(b)["modelVersion"] == second.version
    assert await Member.filter(customer_id="runner").count() == 1
