"""The fragment cache's mechanism on a schema of its own: what is kept, for how long, by
which key, and what never is."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import strawberry

from api.fragments import FragmentStore, cache_hint, caching_context

calls: dict[str, int] = {}


class Ticking:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Ctx:
    fragments: FragmentStore
    fresh_fragments: bool = False
    fail: set[str] = field(default_factory=set)


@strawberry.type
class Item:
    name: str

    @strawberry.field
    def detail(self, info: strawberry.Info) -> str | None:
        calls["detail"] = calls.get("detail", 0) + 1
        if self.name in info.context.fail:
            raise ValueError("broken")
        return f"{self.name}!"


@strawberry.type
class Shelf:
    code: str

    @strawberry.field(metadata=cache_hint(1.0, lambda shelf, _: shelf.code))
    def items(self, first: int = 2) -> list[Item]:
        calls["items"] = calls.get("items", 0) + 1
        return [Item(name=f"{self.code}{i}") for i in range(first)]


@strawberry.type
class Query:
    @strawberry.field
    def shelf(self, code: str) -> Shelf:
        return Shelf(code=code)


schema = strawberry.Schema(query=Query)
caching_context(schema)


def run(ctx: Ctx, query: str, variables: dict[str, Any] | None = None) -> Any:
    result = schema.execute_sync(query, variable_values=variables, context_value=ctx)
    return result.data, result.errors


Q = "query Q($first: Int!) { shelf(code: $code) { items(first: $first) { name detail } } }"
Q = Q.replace("(code: $code)", '(code: "a")')


def test_a_hit_skips_the_resolvers_and_answers_the_same() -> None:
    calls.clear()
    ctx = Ctx(FragmentStore(clock=Ticking()))
    first = run(ctx, Q, {"first": 2})
    again = run(ctx, Q, {"first": 2})
    assert first == again and first[1] is None
    assert calls == {"items": 1, "detail": 2}


def test_other_arguments_selections_or_data_keys_are_other_entries() -> None:
    calls.clear()
    ctx = Ctx(FragmentStore(clock=Ticking()))
    run(ctx, Q, {"first": 2})
    three, _ = run(ctx, Q, {"first": 3})
    names, _ = run(
        ctx,
        'query Q($first: Int!) { shelf(code: "a") { items(first: $first) { name } } }',
        {"first": 2},
    )
    other, _ = run(ctx, Q.replace('"a"', '"b"'), {"first": 2})
    assert len(three["shelf"]["items"]) == 3
    assert names["shelf"]["items"] == [{"name": "a0"}, {"name": "a1"}]
    assert other["shelf"]["items"][0]["name"] == "b0"
    assert calls["items"] == 4


def test_an_entry_expires_after_its_max_age() -> None:
    calls.clear()
    clock = Ticking()
    ctx = Ctx(FragmentStore(clock=clock))
    run(ctx, Q, {"first": 1})
    clock.now += 0.99
    run(ctx, Q, {"first": 1})
    assert calls["items"] == 1
    clock.now += 0.02
    run(ctx, Q, {"first": 1})
    assert calls["items"] == 2


def test_a_subtree_with_an_error_is_not_kept() -> None:
    calls.clear()
    ctx = Ctx(FragmentStore(clock=Ticking()), fail={"a1"})
    data, errors = run(ctx, Q, {"first": 2})
    assert errors and data["shelf"]["items"][1]["detail"] is None
    assert len(ctx.fragments) == 0
    ctx.fail.clear()
    data, errors = run(ctx, Q, {"first": 2})
    assert errors is None and data["shelf"]["items"][1]["detail"] == "a1!"
    assert len(ctx.fragments) == 1


def test_fresh_reads_execute_again_and_refresh_the_entry() -> None:
    calls.clear()
    ctx = Ctx(FragmentStore(clock=Ticking()))
    run(ctx, Q, {"first": 1})
    ctx.fresh_fragments = True
    run(ctx, Q, {"first": 1})
    ctx.fresh_fragments = False
    run(ctx, Q, {"first": 1})
    assert calls["items"] == 2


def test_a_full_store_drops_its_oldest_entries() -> None:
    store = FragmentStore(max_entries=2, clock=Ticking())
    for key in "abc":
        store.put(key, key, deadline=10)
    assert len(store) == 2 and store.get("a") == (False, None) and store.get("c") == (True, "c")
