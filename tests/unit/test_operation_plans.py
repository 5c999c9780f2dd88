"""The fields an operation collects are worked out once per parsed operation and shared by its
executions (api.operation_plans), only where no request could collect them differently."""

from __future__ import annotations

from typing import Any

import pytest
import strawberry
from graphql import OperationDefinitionNode, parse
from graphql.execution import executor as graphql_executor
from strawberry.extensions import ParserCache

from api.executor import PlainFieldsExecutionContext, plain_fields_attributes
from api.operation_plans import OperationPlans, static_collection


@strawberry.type
class Item:
    name: str
    size: int

    @strawberry.field
    def checked(self) -> str:
        if self.name == "bad":
            raise ValueError("bad item")
        return self.name.upper()


@strawberry.type
class Query:
    @strawberry.field
    def items(self, names: list[str]) -> list[Item]:
        return [Item(name=name, size=len(name)) for name in names]

    @strawberry.field
    async def later(self) -> Item:
        return Item(name="later", size=5)


def collection(text: str) -> bool:
    document = parse(text)
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    fragments = {d.name.value: d for d in document.definitions if d is not operation}
    return static_collection(operation, fragments)


@pytest.mark.parametrize(
    "text",
    [
        "{ items(names: []) { name } }",
        "query Q($n: [String!]!) { a: items(names: $n) { ...F } later { ... on Item { size } } }"
        " fragment F on Item { name ...G } fragment G on Item { size }",
    ],
)
def test_a_document_without_directives_collects_alike_for_every_request(text: str) -> None:
    assert collection(text)


@pytest.mark.parametrize(
    "text",
    [
        "query Q($x: Boolean!) { items(names: []) { name @include(if: $x) } }",
        "query Q($x: Boolean!) { items(names: []) { ... on Item @skip(if: $x) { name } } }",
        "query Q($x: Boolean!) { items(names: []) { ...F @include(if: $x) } }"
        " fragment F on Item { name }",
        "query Q($x: Boolean!) { items(names: []) { ...F } }"
        " fragment F on Item { name @skip(if: $x) }",
        "{ items(names: []) { ...Unknown } }",
    ],
)
def test_a_directive_anywhere_makes_the_collection_the_requests_own(text: str) -> None:
    assert not collection(text)


def schema_with_plans() -> tuple[strawberry.Schema, OperationPlans]:
    schema = strawberry.Schema(query=Query, extensions=[lambda: ParserCache(maxsize=10)])
    attributes = plain_fields_attributes(schema)
    schema.execution_context_class = type("Shared", (PlainFieldsExecutionContext,), attributes)
    return schema, attributes["operation_plans"]


def counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts graphql-core's subfield collections (the executor's memo calls it on a miss)."""
    calls = [0]
    original = graphql_executor.collect_subfields

    def collect(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(graphql_executor, "collect_subfields", collect)
    return calls


QUERY = """query Q($names: [String!]!) {
  items(names: $names) { ...Parts checked }
  later { name }
}
fragment Parts on Item { name size }"""


async def test_the_executions_of_one_operation_share_its_collections(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    schema, plans = schema_with_plans()
    calls = counting(monkeypatch)
    first = await schema.execute(QUERY, variable_values={"names": ["ab", "c"]})
    assert first.errors is None
    assert calls[0] == 2  # Item's fields (once for the list's items) and `later`'s
    second = await schema.execute(QUERY, variable_values={"names": ["xyz"]})
    assert calls[0] == 2  # nothing collected again
    assert second.errors is None
    assert second.data == {
        "items": [{"name": "xyz", "size": 3, "checked": "XYZ"}],
        "later": {"name": "later"},
    }
    assert len(plans) == 1


async def test_an_error_in_one_execution_leaves_the_next_answer_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    schema, _ = schema_with_plans()
    failed = await schema.execute(QUERY, variable_values={"names": ["bad"]})
    assert failed.data is None  # the non-null error reached the root
    assert failed.errors and failed.errors[0].path == ["items", 0, "checked"]
    again = await schema.execute(QUERY, variable_values={"names": ["ok"]})
    assert again.errors is None
    assert again.data == {
        "items": [{"name": "ok", "size": 2, "checked": "OK"}],
        "later": {"name": "later"},
    }


async def test_an_operation_with_directives_collects_per_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    schema, _ = schema_with_plans()
    calls = counting(monkeypatch)
    text = 'query Q($x: Boolean!) { items(names: ["a"]) { name size @include(if: $x) } }'
    answers = [await schema.execute(text, variable_values={"x": x}) for x in (True, False, True)]
    assert [a.data for a in answers] == [
        {"items": [{"name": "a", "size": 1}]},
        {"items": [{"name": "a"}]},
        {"items": [{"name": "a", "size": 1}]},
    ]
    assert calls[0] == 3


def test_the_plans_keep_the_latest_operations_only() -> None:
    plans = OperationPlans(maxsize=2)
    operations = [
        next(iter(parse(f'{{ items(names: ["{n}"]) {{ name }} }}').definitions)) for n in "abc"
    ]
    kept = [plans.plan(o, {}) for o in operations]  # type: ignore[arg-type]
    assert all(plan is not None for plan in kept)
    assert len(plans) == 2
    assert plans.plan(operations[2], {}) is kept[2]  # type: ignore[arg-type]
    assert plans.plan(operations[0], {}) is not kept[0]  # dropped, planned anew
