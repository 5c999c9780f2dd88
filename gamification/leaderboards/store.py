"""Leaderboards in Redis: one exact, tie-broken ordering per (board, window, period, region).

Redis holds derived state only: every score is set from the database's per-period aggregate, so
the board can be rebuilt at any time with `replace_all`.

Layout, per board (`<window>` in lower case, `<region>` is `_` for a board without regions):

- `{prefix}lb:{<code>}:<window>:<period>:<region>`  sorted set, every member at score 0, so the
  set is ordered by member, byte by byte; each member is an ordering key (below);
- `{prefix}lbm:{<code>}:<window>:<period>:<region>` hash, member id -> its ordering key.

The braces are a Redis Cluster hash tag: all keys of one board code live in one slot, so the
Lua scripts and the RENAME of a rebuild are cluster-safe, while different boards can shard.

An ordering key is 56 ASCII digits, fixed width, so that byte order is rank order:

    <MAX_CENTS - score in cents, 18 digits><reached_at, microseconds since 0001-01-01, 18 digits>
    <member id, 20 digits>

Higher scores sort first; equal scores sort by who reached them first, then by member id.
Sorted-set scores are doubles and cannot carry score and time exactly; strings can. All
arithmetic happens in Python on integers, Lua only compares and stores strings.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Context, Decimal, Inexact, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError

from gamification.leaderboards.periods import LeaderboardWindow, period_for

SCORE_DIGITS = 18
TIME_DIGITS = 18
MEMBER_DIGITS = 20
MAX_CENTS = 10**SCORE_DIGITS - 1
MAX_SCORE = Decimal(MAX_CENTS).scaleb(-2)
MAX_MEMBER_ID = 10**MEMBER_DIGITS - 1
_KEY_LENGTH = SCORE_DIGITS + TIME_DIGITS + MEMBER_DIGITS
_TIME_ORIGIN = datetime(1, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
# Enough precision for any valid score; Inexact is trapped so that no digit is ever rounded away.
_EXACT = Context(prec=60, traps=[Inexact, InvalidOperation])
# A rebuild writes its temporary keys with this lifetime, so a crash mid-rebuild leaves no junk.
_REBUILD_TTL_MS = 3_600_000
_REBUILD_BATCH = 1_000
_REBUILD_FLUSH_EVERY = 50
#: Boards whose keys a store keeps encoded (`LeaderboardStore._read_keys`) at most.
_MAX_ENCODED_BOARDS = 1_000

# KEYS: ordering, index. ARGV: member id, radius. Returns {first index, the ordering keys
# joined into one string} or nil: one bulk reply to parse, not one per entry (each costs
# redis-py's parser some thirty calls); the keys are of fixed width.
_AROUND = """
local current = redis.call('HGET', KEYS[2], ARGV[1])
if not current then
  return false
end
local rank = redis.call('ZRANK', KEYS[1], current)
if not rank then
  return false
end
local radius = tonumber(ARGV[2])
local first = rank - radius
if first < 0 then
  first = 0
end
return {first, table.concat(redis.call('ZRANGE', KEYS[1], first, rank + radius))}
"""

# KEYS: (ordering, index) of each board of one code (one hash tag). ARGV: the length of an
# ordering key's score part, then the updates as one string of records `board,member,ordering,
# watch;` (board: the pair's number from 1; ordering: empty to take the member off; watch: 1 to
# read the member's rank before and after). A score equal to the member's (the ordering's score
# part) changes nothing and keeps when it was reached. Returns one string of `changed,before,after;` per record, ranks 0-based, -1 for none (one
# bulk reply to parse instead of three integers an update).
_APPLY_MANY = """
local score_length = tonumber(ARGV[1])
local out = {}
for board, member, ordering, watch in string.gmatch(ARGV[2], '(%d+),(%d+),(%d*),([01]);') do
  local zkey, hkey = KEYS[board * 2 - 1], KEYS[board * 2]
  local current = redis.call('HGET', hkey, member)
  local before, after, changed = -1, -1, 0
  if watch == '1' and current then
    before = redis.call('ZRANK', zkey, current) or -1
  end
  if ordering == '' then
    if current then
      redis.call('ZREM', zkey, current)
      redis.call('HDEL', hkey, member)
      current = false
      changed = 1
    end
  elseif not current
      or string.sub(current, 1, score_length) ~= string.sub(ordering, 1, score_length) then
    if current then
      redis.call('ZREM', zkey, current)
    end
    redis.call('ZADD', zkey, 0, ordering)
    redis.call('HSET', hkey, member, ordering)
    current = ordering
    changed = 1
  end
  if watch == '1' and current then
    after = redis.call('ZRANK', zkey, current) or -1
  end
  out[#out + 1] = changed .. ',' .. before .. ',' .. after .. ';'
end
return table.concat(out)
"""

# KEYS: new ordering, new index, ordering, index. Swaps a rebuilt board in, all at once.
_SWAP_IN = """
for i = 1, 2 do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    redis.call('RENAME', KEYS[i], KEYS[i + 2])
    redis.call('PERSIST', KEYS[i + 2])
  else
    redis.call('DEL', KEYS[i + 2])
  end
end
return 1
"""


#: One script call queued in a pipeline: the script, its keys, its arguments.
_ScriptCall = tuple[AsyncScript, list[str], list[Any]]


@dataclass
class _CodeUpdates:
    """The updates of `apply_scores` for the boards of one code: the boards, numbered from 1
    in order of first sight, each update's record for `_APPLY_MANY`, and its place in the
    list given."""

    boards: dict[BoardKey, int] = field(default_factory=dict)
    records: list[str] = field(default_factory=list)
    indices: list[int] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class BoardKey:
    """Names one ordering: a board's code, a window, the period's key, and the region (or None).

    Raises ValueError for parts that would break the key layout: a code with braces, a period
    with `:` or braces, an empty part, or the region `_` (which stands for "no region").
    """

    code: str
    window: LeaderboardWindow
    period: str
    region: str | None = None

    def __post_init__(self) -> None:
        if not self.code or "{" in self.code or "}" in self.code:
            raise ValueError(f"invalid leaderboard code {self.code!r}")
        if not self.period or any(c in self.period for c in ":{}"):
            raise ValueError(f"invalid leaderboard period {self.period!r}")
        if self.region is not None and self.region in ("", "_"):
            raise ValueError(f"invalid leaderboard region {self.region!r}")

    @classmethod
    def for_time(
        cls,
        code: str,
        window: LeaderboardWindow,
        at: datetime,
        tz: ZoneInfo,
        region: str | None = None,
    ) -> BoardKey:
        """The board of `code` and `window` for the period containing `at` in the zone `tz`."""
        return cls(code, window, period_for(window, at, tz).key, region)


@dataclass(frozen=True, slots=True)
class ScoreEntry:
    """A member's score on a board and when the member reached it (input of `replace_all`)."""

    member_id: int
    score: Decimal | int
    reached_at: datetime


@dataclass(frozen=True, slots=True)
class ScoreUpdate:
    """One member's score to set on one board (None: take the member off it); `watch` asks
    for the member's rank before and after (to tell whether the board's top moved)."""

    board: BoardKey
    member_id: int
    entry: ScoreEntry | None
    watch: bool = False


@dataclass(frozen=True, slots=True)
class ScoreApplied:
    """What a `ScoreUpdate` did: whether the standing changed, and the member's ranks before
    and after when watched (None: not on the board, or not watched)."""

    changed: bool
    rank_before: int | None = None
    rank_after: int | None = None


@dataclass(frozen=True, slots=True)
class Standing:
    """A member's place on a board: ranks are unique and 1-based; `score` has two decimals."""

    rank: int
    member_id: int
    score: Decimal
    reached_at: datetime


class LeaderboardStore:
    """Keeps leaderboards in Redis with exact scores, ties broken by who reached the score first.

    Every read is one round trip and O(log N + returned entries) in Redis. `prefix` starts every
    key and must not contain braces (the first braces of a key are its cluster hash tag).
    """

    def __init__(self, redis: aioredis.Redis | aioredis.RedisCluster, prefix: str = "") -> None:
        if "{" in prefix or "}" in prefix:
            raise ValueError("the key prefix must not contain braces")
        self._redis = redis
        self._prefix = prefix
        self._around = redis.register_script(_AROUND)
        self._apply_many = redis.register_script(_APPLY_MANY)
        #: Each board's keys as the reads send them (`_read_keys`), encoded once.
        self._encoded_keys: dict[BoardKey, list[bytes]] = {}
        self._swap_in = redis.register_script(_SWAP_IN)

    # ------------------------------------------------------------------ keys

    def ordering_key(self, board: BoardKey) -> str:
        """The sorted set holding the board's ordering."""
        return f"{self._prefix}lb:{self._board_suffix(board)}"

    def index_key(self, board: BoardKey) -> str:
        """The hash from member id to the member's current ordering key."""
        return f"{self._prefix}lbm:{self._board_suffix(board)}"

    def changes_channel(self, board: BoardKey) -> str:
        """The pub/sub channel announcing changes of a board's window, whatever the period
        (subscribers follow the current period), with the board's hash tag."""
        region = board.region if board.region is not None else "_"
        return f"{self._prefix}lbch:{{{board.code}}}:{board.window.value.lower()}:{region}"

    def _board_suffix(self, board: BoardKey) -> str:
        region = board.region if board.region is not None else "_"
        return f"{{{board.code}}}:{board.window.value.lower()}:{board.period}:{region}"

    def _keys(self, board: BoardKey) -> list[str]:
        return [self.ordering_key(board), self.index_key(board)]

    def _read_keys(self, board: BoardKey) -> list[bytes]:
        """`_keys` as bytes, worked out once per board: given as bytes, a read's keys are not
        encoded again (redis-py runs each str through a chain of type checks)."""
        keys = self._encoded_keys.get(board)
        if keys is None:
            if len(self._encoded_keys) >= _MAX_ENCODED_BOARDS:  # periods pass
                self._encoded_keys.clear()
            keys = self._encoded_keys[board] = [k.encode() for k in self._keys(board)]
        return keys

    # ------------------------------------------------------------------ writes

    async def set_score(
        self, board: BoardKey, member_id: int, score: Decimal | int, reached_at: datetime
    ) -> bool:
        """Set (never add to) the member's score, reached at `reached_at`; returns whether the
        member's standing changed. Setting the score the member already has changes nothing and
        keeps the original `reached_at`, so replaying an update is harmless; a lower score moves
        the member down. Raises ValueError for a negative score, more than two decimals, a
        score above MAX_SCORE, a naive `reached_at` or a member id out of range.
        """
        update = ScoreUpdate(board, member_id, ScoreEntry(member_id, score, reached_at))
        return (await self.apply_scores([update]))[0].changed

    async def remove_member(self, board: BoardKey, member_id: int) -> bool:
        """Take the member off the board; returns whether the member was on it."""
        return (await self.apply_scores([ScoreUpdate(board, member_id, None)]))[0].changed

    async def apply_scores(self, updates: Sequence[ScoreUpdate]) -> list[ScoreApplied]:
        """`set_score` (or `remove_member` for a None entry) for many members and boards, each
        with the member's rank read before and after when watched, in order. One script call
        per board code (the boards of a code share a hash tag, hence a cluster slot) carries
        all of that code's updates, and the calls go in one pipeline (one round trip). Same
        rules and errors as those two."""
        if not updates:
            return []
        by_code: dict[str, _CodeUpdates] = {}
        for index, update in enumerate(updates):
            _check_member_id(update.member_id)
            if update.entry is None:
                ordering = ""
            else:
                ordering = _ordering_key(
                    _cents(update.entry.score), update.entry.reached_at, update.member_id
                )
            batch = by_code.get(update.board.code)
            if batch is None:
                batch = by_code[update.board.code] = _CodeUpdates()
            number = batch.boards.get(update.board)
            if number is None:
                number = batch.boards[update.board] = len(batch.boards) + 1
            batch.records.append(
                f"{number},{update.member_id},{ordering},{1 if update.watch else 0};"
            )
            batch.indices.append(index)
        calls: list[_ScriptCall] = [
            (
                self._apply_many,
                [key for board in batch.boards for key in self._keys(board)],
                [SCORE_DIGITS, "".join(batch.records)],
            )
            for batch in by_code.values()
        ]
        applied: list[ScoreApplied | None] = [None] * len(updates)
        for batch, answer in zip(by_code.values(), await self._pipelined(calls), strict=True):
            outcomes = _text(answer).split(";")[:-1]
            if len(outcomes) != len(batch.indices):
                raise ValueError(f"corrupt answer to {len(batch.indices)} score updates")
            for index, outcome in zip(batch.indices, outcomes, strict=True):
                changed, before, after = (int(part) for part in outcome.split(","))
                applied[index] = ScoreApplied(
                    changed == 1,
                    before + 1 if before >= 0 else None,
                    after + 1 if after >= 0 else None,
                )
        return [a for a in applied if a is not None]

    async def remove_member_everywhere(self, member_id: int, boards: Iterable[BoardKey]) -> int:
        """Take the member off every board listed (for erasure), in one pipeline; returns on how
        many boards the member was. Boards not listed are left alone, so the caller lists every
        board and period still kept in Redis (closed periods expire after archiving)."""
        _check_member_id(member_id)
        updates = [ScoreUpdate(board, member_id, None) for board in dict.fromkeys(boards)]
        return sum(1 for applied in await self.apply_scores(updates) if applied.changed)

    async def _pipelined(self, calls: Sequence[_ScriptCall]) -> list[Any]:
        """Run script calls in one pipeline (one round trip per node) and return their answers.

        A plain pipeline loads its scripts first (SCRIPT EXISTS, SCRIPT LOAD); a cluster
        pipeline does not, so a node that never saw a script, or lost it in a restart, answers
        NOSCRIPT: the scripts are then loaded on every primary and only the calls refused are
        run again (those of the nodes that refused them, which ran none of them). A single
        call goes alone, without a pipeline or its SCRIPT EXISTS (one round trip, not two;
        redis-py loads the script on NOSCRIPT)."""
        if len(calls) == 1:
            script, keys, args = calls[0]
            return [await script(keys=keys, args=args)]
        results = await self._run_pipeline(calls)
        refused = [i for i, result in enumerate(results) if isinstance(result, NoScriptError)]
        if refused:
            for script in {id(call[0]): call[0] for call in calls}.values():
                await self._redis.script_load(script.script)
            retried = await self._run_pipeline([calls[i] for i in refused])
            for index, result in zip(refused, retried, strict=True):
                results[index] = result
        for result in results:
            if isinstance(result, Exception):
                raise result
        return results

    async def _run_pipeline(self, calls: Sequence[_ScriptCall]) -> list[Any]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for script, keys, args in calls:
                await script(keys=keys, args=args, client=pipe)  # type: ignore[arg-type]  # redis-py queues a script on a pipeline; its annotation names clients only
            return list(await pipe.execute(raise_on_error=False))

    async def expire_board(self, board: BoardKey, seconds: int) -> bool:
        """Let the board's keys expire in `seconds` (once its closed period is archived);
        returns whether the board existed."""
        if seconds <= 0:
            raise ValueError("seconds must be positive")
        async with self._redis.pipeline(transaction=True) as pipe:
            for key in self._keys(board):
                pipe.expire(key, seconds)
            results = await pipe.execute()
        return any(results)

    async def replace_all(self, board: BoardKey, entries: Iterable[ScoreEntry | Standing]) -> int:
        """Rebuild the board from `entries` (ranks of Standings are ignored), all at once:
        readers see the old board until the new one replaces it. Returns the number of members.

        The new board is written under temporary keys with the board's hash tag, then renamed
        over the old keys in one script. Updates written to the old board meanwhile are lost,
        so rebuild while updates are paused or replay them after (`set_score` is idempotent).
        Raises ValueError for a member listed twice or an invalid entry.
        """
        orderings: dict[str, str] = {}
        for entry in entries:
            member = str(entry.member_id)
            if member in orderings:
                raise ValueError(f"member {entry.member_id} is listed twice")
            orderings[member] = _ordering_key(
                _cents(entry.score), entry.reached_at, entry.member_id
            )
        token = uuid.uuid4().hex
        temp_keys = [
            f"{self._prefix}lbtmp:{self._board_suffix(board)}:{suffix}-{token}"
            for suffix in ("lb", "lbm")
        ]
        members = list(orderings.items())
        for flush_start in range(0, len(members), _REBUILD_BATCH * _REBUILD_FLUSH_EVERY):
            flush = members[flush_start : flush_start + _REBUILD_BATCH * _REBUILD_FLUSH_EVERY]
            async with self._redis.pipeline(transaction=False) as pipe:
                for start in range(0, len(flush), _REBUILD_BATCH):
                    batch = flush[start : start + _REBUILD_BATCH]
                    pipe.zadd(temp_keys[0], {ordering: 0 for _, ordering in batch})
                    pipe.hset(temp_keys[1], mapping=dict(batch))
                for key in temp_keys:
                    pipe.pexpire(key, _REBUILD_TTL_MS)
                await pipe.execute()
        await self._swap_in(keys=[*temp_keys, *self._keys(board)])
        return len(members)

    # ------------------------------------------------------------------ reads

    async def top(self, board: BoardKey, first: int = 10, offset: int = 0) -> list[Standing]:
        """The `first` standings from rank `offset + 1` down (one ZRANGE by index)."""
        if first < 0 or offset < 0:
            raise ValueError("first and offset must not be negative")
        if first == 0:
            return []
        orderings = await self._redis.zrange(self.ordering_key(board), offset, offset + first - 1)
        return _standings(orderings, first_index=offset)

    async def standing(self, board: BoardKey, member_id: int) -> Standing | None:
        """The member's standing, or None when the member has no score on the board."""
        around = await self.around(board, member_id, radius=0)
        return around[0] if around else None

    async def around(self, board: BoardKey, member_id: int, radius: int = 2) -> list[Standing]:
        """The member's standing with up to `radius` neighbours above and below, clipped at
        the ends of the board; empty when the member has no score (one script: HGET, ZRANK,
        ZRANGE)."""
        _check_member_id(member_id)
        if radius < 0:
            raise ValueError("radius must not be negative")
        found = await self._around(
            keys=self._read_keys(board), args=[str(member_id).encode(), str(radius).encode()]
        )
        if not found:
            return []
        first_index, joined = found
        return _standings(_split(_text(joined)), first_index=int(first_index))

    async def count(self, board: BoardKey) -> int:
        """How many members have a score on the board (ZCARD)."""
        return int(await self._redis.zcard(self.ordering_key(board)))

    async def snapshot(self, board: BoardKey) -> list[Standing]:
        """The whole board in rank order (for archiving and checks; O(N))."""
        return _standings(await self._redis.zrange(self.ordering_key(board), 0, -1), 0)


def _cents(score: Decimal | int) -> int:
    if isinstance(score, bool) or not isinstance(score, int | Decimal):
        raise TypeError(f"a leaderboard score is a Decimal or an int, not {type(score).__name__}")
    try:
        cents = _EXACT.multiply(Decimal(score), Decimal(100))
        if cents != cents.to_integral_value(context=_EXACT):
            raise ValueError
    except (ArithmeticError, ValueError):
        raise ValueError(f"a leaderboard score has at most two decimals, got {score}") from None
    if not 0 <= cents <= MAX_CENTS:
        raise ValueError(f"a leaderboard score is between 0 and {MAX_SCORE}, got {score}")
    return int(cents)


def _ordering_key(cents: int, reached_at: datetime, member_id: int) -> str:
    _check_member_id(member_id)
    if reached_at.tzinfo is None or reached_at.utcoffset() is None:
        raise ValueError("reached_at must be an aware datetime")
    micros = (reached_at - _TIME_ORIGIN) // _MICROSECOND
    return (
        f"{MAX_CENTS - cents:0{SCORE_DIGITS}d}{micros:0{TIME_DIGITS}d}{member_id:0{MEMBER_DIGITS}d}"
    )


def _check_member_id(member_id: int) -> None:
    if isinstance(member_id, bool) or not isinstance(member_id, int):
        raise TypeError("a member id is an int")
    if not 0 <= member_id <= MAX_MEMBER_ID:
        raise ValueError(f"member id out of range: {member_id}")


def _split(joined: str) -> list[str]:
    """The ordering keys that `_AROUND` joined (each `_KEY_LENGTH` long)."""
    if len(joined) % _KEY_LENGTH:
        raise ValueError(f"corrupt leaderboard entries {joined!r}")
    return [joined[i : i + _KEY_LENGTH] for i in range(0, len(joined), _KEY_LENGTH)]


def _standings(orderings: Sequence[Any], first_index: int) -> list[Standing]:
    return [
        _standing(rank, _text(ordering))
        for rank, ordering in enumerate(orderings, start=first_index + 1)
    ]


def _standing(rank: int, ordering: str) -> Standing:
    if len(ordering) != _KEY_LENGTH:
        raise ValueError(f"corrupt leaderboard entry {ordering!r}")
    cents = MAX_CENTS - int(ordering[:SCORE_DIGITS])
    micros = int(ordering[SCORE_DIGITS : SCORE_DIGITS + TIME_DIGITS])
    return Standing(
        rank=rank,
        member_id=int(ordering[SCORE_DIGITS + TIME_DIGITS :]),
        score=Decimal(cents).scaleb(-2),
        reached_at=_TIME_ORIGIN + micros * _MICROSECOND,
    )


def _text(value: str | bytes) -> str:
    return value.decode("ascii") if isinstance(value, bytes) else value
