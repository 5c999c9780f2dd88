"""Lookahead answers kept per parsed document (api.lookahead.per_document): asked once per
document and field place, answered again from memory, never shared between documents or
places."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.extensions import ParserCache

from api.lookahead import asks_for, per_document

computed: list[tuple[str, ...]] = []


@strawberry.type
class Item:
    name: str = "x"
    price: int = 1


@strawberry.type
class Query:
    @strawberry.field
    def items(self, info: strawberry.Info[Any, Any]) -> list[Item]:
        def answer() -> bool:
            computed.append(tuple(str(k) for k in info.path.as_list()))
            return asks_for(info, "price")  # type: ignore[arg-type]  # any context will do

        asked = per_document(info, "price", answer)  # type: ignore[arg-type]  # any context
        return [Item(name=str(asked)), Item(name=str(asked))]


async def test_an_answer_is_computed_once_per_document_and_place() -> None:
    computed.clear()
    schema = strawberry.Schema(query=Query, extensions=[lambda: ParserCache(maxsize=10)])

    async def names(document: str) -> list[Any]:
        result = await schema.execute(document, root_value=Query())
        assert result.errors is None, result.errors
        assert result.data is not None
        return [[i["name"] for i in v] for v in result.data.values()]

    for _ in range(3):
        assert await names("{ items { name price } }") == [["True", "True"]]
    assert computed == [("items",)]
    assert await names("{ items { name } }") == [["False", "False"]]
    assert await names("{ a: items { name } b: items { name price } }") == [
        ["False", "False"],
        ["True", "True"],
    ]
    assert computed == [("items",), ("items",), ("a",), ("b",)]
