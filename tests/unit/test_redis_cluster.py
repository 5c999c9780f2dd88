"""Redis Cluster: how it is configured, and that every multi-key operation stays in one slot.

A script, a transaction or a RENAME over keys of different slots fails on a cluster
(CROSSSLOT); the key names below are the ones the code builds, checked with the cluster's own
slot function. The suite runs against a real three-node cluster too
(FIDELIO_TEST_REDIS_CLUSTER_NODES, `.ci/redis-cluster`).
"""

from __future__ import annotations

import fakeredis
import pytest
from redis.crc import key_slot

from api.drop_gate import RedisUnitCounter
from api.redis_cluster import ClusterAddress, cluster_url, is_cluster_url, parse_cluster_url
from api.settings import Settings, SettingsError, load_settings
from gamification.leaderboards.periods import LeaderboardWindow
from gamification.leaderboards.store import BoardKey, LeaderboardStore
from push.stores.geoindex import GeofenceIndex


def slot(key: str) -> int:
    return key_slot(key.encode())


def test_a_cluster_url_names_its_nodes_and_credentials() -> None:
    assert parse_cluster_url("redis+cluster://10.0.0.1:7001,10.0.0.2:7002") == ClusterAddress(
        (("10.0.0.1", 7001), ("10.0.0.2", 7002))
    )
    assert parse_cluster_url("redis+cluster://app:s%40cret@h:7001/0") == ClusterAddress(
        (("h", 7001),), "app", "s@cret"
    )
    assert cluster_url(" h1:7001,h2:7002 ") == "redis+cluster://h1:7001,h2:7002"
    assert is_cluster_url("redis+cluster://h:1") and not is_cluster_url("redis://h:6379/0")


@pytest.mark.parametrize(
    "url",
    [
        "redis+cluster://",
        "redis+cluster://host-without-port",
        "redis+cluster://h:7001/1",
        "redis://h:6379/0",
    ],
)
def test_a_cluster_url_without_nodes_with_a_portless_node_or_a_database_is_refused(
    url: str,
) -> None:
    with pytest.raises(ValueError):
        parse_cluster_url(url)


def test_redis_cluster_nodes_become_a_cluster_url_and_refuse_a_redis_url_beside_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("REDIS_CLUSTER_NODES", "127.0.0.1:7001,127.0.0.1:7002")
    assert load_settings(None).redis_url == "redis+cluster://127.0.0.1:7001,127.0.0.1:7002"
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    with pytest.raises(SettingsError, match="not both"):
        load_settings(None)
    monkeypatch.delenv("REDIS_URL")
    monkeypatch.setenv("REDIS_CLUSTER_NODES", "127.0.0.1")
    with pytest.raises(SettingsError):
        load_settings(None)
    with pytest.raises(SettingsError, match="REDIS_URL"):
        Settings(redis_url="redis+cluster://h:7001/3").check()


def test_the_keys_one_board_script_or_rename_touches_share_the_boards_slot() -> None:
    store = LeaderboardStore(fakeredis.FakeAsyncRedis(), "fidelio:")
    for region in (None, "ES"):
        board = BoardKey("spenders", LeaderboardWindow.WEEKLY, "2026-W03", region)
        channel = store.changes_channel(board)
        keys = [
            store.ordering_key(board),
            store.index_key(board),
            channel,  # SPUBLISH from the throttle script
            f"{channel}:gate",
            f"{channel}:pending",
            "fidelio:lbtmp:{spenders}:weekly:2026-W03:_:lb-token",  # a rebuild's new board
        ]
        assert {slot(key) for key in keys} == {slot("spenders")}


def test_a_drops_gate_and_its_holds_share_a_slot_and_drops_spread() -> None:
    counter = RedisUnitCounter(fakeredis.FakeAsyncRedis(), "fidelio:")
    for drop_id in (1, 2, 977):
        assert slot(counter.key(drop_id)) == slot(counter.held_key(drop_id))
    assert len({slot(counter.key(drop_id)) for drop_id in range(1, 50)}) > 40


def test_the_geofence_index_keys_share_one_slot() -> None:
    index = GeofenceIndex(fakeredis.FakeAsyncRedis(), "fidelio:")
    keys = [index._small_key, index._all_key, index._built_key, f"{index._small_key}:rebuild:x"]
    assert len({slot(key) for key in keys}) == 1
