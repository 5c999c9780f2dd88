"""The fragment cache's mechanism on a schema of its own: what is kept, for how long, by
which key, and what never is."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import strawberry

from api.fragments import FragmentStore, cache_hint, cached_object, caching_context

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
    prices: dict[str, int] = field(default_factory=dict)


@strawberry.type
class Item:
    name: str

    @strawberry.field
    def detail(self, info: strawberry.Info) -> str | None:
        calls["detail"] = calls.get("detail", 0) + 1
        if self.name in info.context.fail:
            raise ValueError("broken")
        return f"{self.name}!"


@cached_object(lambda card, _: (card.code, card.price), private=frozenset({"mine"}))
@strawberry.type
class Card:
    code: str
    price: int

    @strawberry.field
    def label(self) -> str:
        calls["label"] = calls.get("label", 0) + 1
        return f"{self.code} at {self.price}"

    @strawberry.field
    def mine(self, info: strawberry.Info) -> bool:
        calls["mine"] = calls.get("mine", 0) + 1
        return self.code in info.context.fail


@strawberry.type
class Shelf:
    code: str

    @strawberry.field
    def cards(self, info: strawberry.Info) -> list[Card]:
        return [Card(code=c, price=info.context.prices.get(c, 1)) for c in ("x", "y")]

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


def test_a_full_store_keeps_the_entries_read_lately() -> None:
    store = FragmentStore(max_entries=2, clock=Ticking())
    store.put("catalogue", 1, deadline=10)
    store.put("row", 2, deadline=10)
    assert store.get("catalogue") == (True, 1)  # read after "row" was put
    store.put("another row", 3, deadline=10)
    assert store.get("catalogue") == (True, 1) and store.get("row") == (False, None)


CARDS = '{ shelf(code: "s") { cards { mine code label } } }'


def test_an_objects_shared_fields_are_kept_and_its_private_ones_run_every_time() -> None:
    calls.clear()
    ctx = Ctx(FragmentStore(clock=Ticking()))
    first, _ = run(ctx, CARDS)
    ctx.fail = {"y"}
    second, _ = run(ctx, CARDS)
    assert calls == {"label": 2, "mine": 4}
    assert first["shelf"]["cards"] == [
        {"mine": False, "code": "x", "label": "x at 1"},
        {"mine": False, "code": "y", "label": "y at 1"},
    ]
    # the private field follows the caller; the order of the fields is the query's
    assert [list(card) for card in second["shelf"]["cards"]] == [["mine", "code", "label"]] * 2
    assert [card["mine"] for card in second["shelf"]["cards"]] == [False, True]


def test_an_object_whose_data_changed_is_executed_again() -> None:
    calls.clear()
    ctx = Ctx(FragmentStore(clock=Ticking()))
    run(ctx, CARDS)
    ctx.prices = {"x": 5}
    data, _ = run(ctx, CARDS)
    assert data["shelf"]["cards"][0]["label"] == "x at 5"
    assert calls["label"] == 3
