"""How each GraphQL operation is classified and counted (api.metrics), on a small real schema."""

from __future__ import annotations

import strawberry
from strawberry.extensions import MaskErrors

from api.errors import is_expected
from api.metrics import MAX_OPERATION_NAMES, Metrics


@strawberry.type
class UserError:
    code: str


@strawberry.type
class Payload:
    ok: bool
    user_errors: list[UserError]


@strawberry.type
class Query:
    @strawberry.field
    def fine(self) -> int:
        return 1

    @strawberry.field
    def broken(self) -> int:
        raise RuntimeError("a bug")


@strawberry.type
class Mutation:
    @strawberry.mutation
    def claim_drop(self, sold_out: bool) -> Payload:
        return Payload(
            ok=not sold_out, user_errors=[UserError(code="OUT_OF_STOCK")] if sold_out else []
        )


def schema_measured_by(metrics: Metrics) -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        extensions=[
            lambda: MaskErrors(should_mask_error=lambda e: not is_expected(e)),
            metrics.extension(),
        ],
    )


def count(metrics: Metrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


def test_each_outcome_is_counted_by_operation_and_masked_errors_as_internal() -> None:
    metrics = Metrics()
    schema = schema_measured_by(metrics)

    schema.execute_sync("query Ok { fine }")
    masked = schema.execute_sync("query Crash { broken }")
    schema.execute_sync("query Typo { nope }")
    schema.execute_sync("mutation Claim { claimDrop(soldOut: true) { ok userErrors { code } } }")
    schema.execute_sync(
        "mutation Claim { mine: claimDrop(soldOut: false) { ok userErrors { code } } }"
    )
    schema.execute_sync("{ fine }")

    ops = "fidelio_graphql_operations_total"
    assert count(metrics, ops, operation="Ok", type="query", outcome="ok") == 1
    assert count(metrics, ops, operation="Crash", type="query", outcome="internal_error") == 1
    assert masked.errors and masked.errors[0].message == "Unexpected error."
    assert count(metrics, ops, operation="Typo", type="query", outcome="graphql_error") == 1
    assert count(metrics, ops, operation="Claim", type="mutation", outcome="user_error") == 1
    assert count(metrics, ops, operation="Claim", type="mutation", outcome="ok") == 1
    assert count(metrics, ops, operation="anonymous", type="query", outcome="ok") == 1
    assert count(metrics, "fidelio_user_errors_total", operation="Claim", code="OUT_OF_STOCK") == 1
    outcomes = "fidelio_mutation_outcomes_total"
    assert count(metrics, outcomes, mutation="claimDrop", outcome="OUT_OF_STOCK") == 1
    assert count(metrics, outcomes, mutation="claimDrop", outcome="ok") == 1
    seconds = "fidelio_graphql_operation_duration_seconds_count"
    assert count(metrics, seconds, operation="Claim", type="mutation") == 2


def test_operation_names_beyond_the_cap_or_odd_are_counted_as_other() -> None:
    metrics = Metrics()
    schema = schema_measured_by(metrics)

    for n in range(MAX_OPERATION_NAMES + 5):
        schema.execute_sync(f"query Q{n} {{ fine }}")

    ops = "fidelio_graphql_operations_total"
    assert count(metrics, ops, operation="other", type="query", outcome="ok") == 5
    assert count(metrics, ops, operation="Q0", type="query", outcome="ok") == 1
    assert metrics.operation_label("drop table; --") == "other"
