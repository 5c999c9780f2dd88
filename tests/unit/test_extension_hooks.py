"""Schema extension hooks planned once per class (api.extension_hooks) run as strawberry's own
runner runs them: the same hooks, in the same order, seeing the same errors and results."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext

from api.extension_hooks import PlannedExtensionsRunner, hook_plan

Log = list[str]


def recording_extensions(log: Log) -> list[type[SchemaExtension]]:
    """One extension per kind of hook strawberry accepts, each noting what it sees."""

    class Generators(SchemaExtension):
        def on_operation(self) -> Iterator[None]:
            log.append(f"generator operation enter {self.execution_context.operation_name}")
            yield
            result = self.execution_context.result
            errors = getattr(result, "errors", None)
            log.append(f"generator operation exit errors={bool(errors)}")

        def on_parse(self) -> Iterator[None]:
            log.append("generator parse enter")
            yield
            log.append("generator parse exit")

        def on_execute(self) -> Iterator[None]:
            log.append("generator execute enter")
            try:
                yield
            except Exception as error:  # an error crossing the stage reaches the hook
                log.append(f"generator execute saw {type(error).__name__}")
                raise
            log.append("generator execute exit")

    class AsyncGenerators(SchemaExtension):
        async def on_operation(self) -> AsyncIterator[None]:
            log.append("async generator operation enter")
            yield
            log.append("async generator operation exit")

        async def on_validate(self) -> AsyncIterator[None]:
            log.append("async generator validate enter")
            yield
            log.append("async generator validate exit")

    class Callables(SchemaExtension):
        def on_parse(self) -> None:  # type: ignore[override]  # a plain hook, as strawberry allows
            log.append("callable parse")

        async def on_execute(self) -> None:  # type: ignore[override]  # a coroutine hook
            log.append("coroutine execute")

    class Nothing(SchemaExtension):
        pass

    return [Generators, AsyncGenerators, Callables, Nothing]


@strawberry.type
class Query:
    @strawberry.field
    def fine(self) -> int:
        return 1

    @strawberry.field
    def broken(self) -> int:
        raise RuntimeError("a bug")


class StrawberryRunner(strawberry.Schema):
    pass


class PlannedRunner(strawberry.Schema):
    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        return PlannedExtensionsRunner(execution_context=execution_context, extensions=extensions)


async def run(schema_class: type[strawberry.Schema], query: str) -> tuple[Log, Any]:
    log: Log = []
    schema = schema_class(query=Query, extensions=recording_extensions(log))
    result = await schema.execute(query, operation_name=None)
    return log, (result.data, [e.message for e in result.errors or []])


@pytest.mark.parametrize(
    "query", ["{ fine }", "query Named { fine broken }", "{ nothing }", "{ fine"]
)
async def test_planned_hooks_run_as_strawberrys_own(query: str) -> None:
    planned = await run(PlannedRunner, query)
    assert planned == await run(StrawberryRunner, query)
    assert planned[0]  # the hooks ran


async def test_planned_hooks_run_again_on_the_next_request() -> None:
    first = await run(PlannedRunner, "{ fine }")
    assert await run(PlannedRunner, "{ fine }") == first


def test_a_hook_is_planned_by_its_kind_and_not_overridden_hooks_are_skipped() -> None:
    generators, async_generators, callables, nothing = recording_extensions([])
    assert hook_plan(generators, "on_operation")[0] == "sync"  # type: ignore[index]
    assert hook_plan(async_generators, "on_validate")[0] == "async"  # type: ignore[index]
    assert hook_plan(callables, "on_execute")[0] == "callable"  # type: ignore[index]
    assert hook_plan(nothing, "on_operation") is None
    assert hook_plan(generators, "on_validate") is None
