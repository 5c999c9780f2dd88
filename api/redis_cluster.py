"""Redis Cluster: the `redis+cluster://` URL (or `REDIS_CLUSTER_NODES`) and its client.

Every key Fidelio writes that a single script, transaction or RENAME touches together with
another carries a hash tag (`{code}` for a board, `{drop:ID}` for a drop's gate,
`{geofences}` for the geofence index), so that it stays in one slot; independent keys (rate
limit counters, markers) need none. Pipelines without a transaction may span slots: the
cluster client splits them by node. Live messages use sharded pub/sub (SPUBLISH/SSUBSCRIBE),
which Redis routes to the node owning the channel's slot instead of broadcasting every
message to every node; a board's channel carries the board's tag, so the throttle script
that parks and publishes a board's change stays in that slot too.

`redis.asyncio.RedisCluster` has no blocking connection pool: past `max_connections` per node
a command raises at once. The ceiling is therefore set well above the single-node pool's
(`REDIS_CLUSTER_MAX_CONNECTIONS`), since commands in flight are bounded by the process's
requests anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

#: Either kind of client the runtime hands out.
RedisClient = aioredis.Redis | aioredis.RedisCluster

CLUSTER_SCHEME = "redis+cluster"
#: Connections one process may open to each cluster node (see the module docstring).
REDIS_CLUSTER_MAX_CONNECTIONS = 1000


@dataclass(frozen=True)
class ClusterAddress:
    """Where a cluster is: some of its nodes (the client discovers the rest) and credentials."""

    nodes: tuple[tuple[str, int], ...]
    username: str | None = None
    password: str | None = None


def is_cluster_url(url: str | None) -> bool:
    """Whether `url` names a Redis Cluster (`redis+cluster://host:port[,host:port...]`)."""
    return bool(url) and str(url).startswith(f"{CLUSTER_SCHEME}://")


def cluster_url(nodes: str) -> str:
    """The URL of `REDIS_CLUSTER_NODES` (`host:port,host:port...`); raises ValueError when a
    node is not `host:port`."""
    url = f"{CLUSTER_SCHEME}://{nodes.strip()}"
    parse_cluster_url(url)
    return url


def parse_cluster_url(url: str) -> ClusterAddress:
    """The nodes and credentials of a `redis+cluster://[user:password@]host:port,...[/0]` URL.
    Raises ValueError for another scheme, no node, a node without a port, or a database other
    than 0 (a cluster has only database 0)."""
    if not is_cluster_url(url):
        raise ValueError(f"not a {CLUSTER_SCHEME}:// URL")
    rest = url.removeprefix(f"{CLUSTER_SCHEME}://")
    credentials, _, hosts = rest.rpartition("@")
    hosts, _, database = hosts.partition("/")
    if database not in ("", "0"):
        raise ValueError("a Redis Cluster has only database 0")
    nodes: list[tuple[str, int]] = []
    for node in filter(None, (part.strip() for part in hosts.split(","))):
        parsed = urlsplit(f"//{node}")
        if not parsed.hostname or parsed.port is None:
            raise ValueError(f"a cluster node is host:port, not {node!r}")
        nodes.append((parsed.hostname, parsed.port))
    if not nodes:
        raise ValueError("no cluster node given")
    username, password = None, None
    if credentials:
        user, has_password, secret = credentials.partition(":")
        username = unquote(user) or None
        password = unquote(secret) if has_password else None
    return ClusterAddress(tuple(nodes), username, password)


def redis_cluster_client(
    url: str, *, health_check_seconds: float, retries: int = 3
) -> aioredis.RedisCluster:
    """A client of the cluster at `url`: finds every node from those given, follows MOVED
    and ASK, retries a few times with jittered backoff on connection errors and timeouts
    (refreshing the slot map), and checks idle connections before use."""
    address = parse_cluster_url(url)
    return aioredis.RedisCluster(
        startup_nodes=[ClusterNode(host, port) for host, port in address.nodes],
        username=address.username,
        password=address.password,
        decode_responses=True,
        max_connections=REDIS_CLUSTER_MAX_CONNECTIONS,
        health_check_interval=health_check_seconds,
        socket_connect_timeout=2.0,
        socket_keepalive=True,
        retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=1.0), retries=retries),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
    )
