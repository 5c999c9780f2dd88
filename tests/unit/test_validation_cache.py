"""Validation is kept per parsed document (api.validation_cache): the same document is
validated once, its errors come back on every request, and another document, schema or set
of rules is validated anew."""

from __future__ import annotations

from typing import Any

import pytest
import strawberry
from graphql import parse
from graphql.validation import NoUnusedFragmentsRule
from strawberry.extensions import ParserCache

import api.validation_cache as validation_cache
from api.validation_cache import DocumentValidationCache, _Results


@strawberry.type
class Query:
    hello: str = "world"


def counting(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    seen: list[Any] = []
    original = validation_cache.validate_document

    def counted(schema: Any, document: Any, rules: Any) -> Any:
        seen.append(document)
        return original(schema, document, rules)

    monkeypatch.setattr(validation_cache, "validate_document", counted)
    return seen


async def test_a_query_sent_again_is_not_validated_again(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = counting(monkeypatch)
    schema = strawberry.Schema(
        query=Query,
        extensions=[lambda: ParserCache(maxsize=10), lambda: DocumentValidationCache(maxsize=7)],
    )
    for _ in range(3):
        result = await schema.execute("{ hello }", root_value=Query())
        assert result.data == {"hello": "world"}
    for _ in range(2):
        result = await schema.execute("{ nope }")
        assert result.errors and "Cannot query field 'nope'" in result.errors[0].message
    assert len(seen) == 2


def test_another_document_schema_or_rules_is_validated_anew(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen = counting(monkeypatch)
    results = _Results(maxsize=2)
    schema = strawberry.Schema(query=Query)._schema
    other_schema = strawberry.Schema(query=Query)._schema
    document = parse("{ hello }")
    same_text = parse("{ hello }")
    assert results.validate(schema, document, ()) == []
    assert results.validate(schema, document, ()) == []
    assert len(seen) == 1
    results.validate(schema, same_text, ())  # equal, not the same: validated (and kept)
    results.validate(other_schema, document, ())
    results.validate(schema, document, (NoUnusedFragmentsRule,))
    assert len(seen) == 4
    assert len(results.entries) <= 2
