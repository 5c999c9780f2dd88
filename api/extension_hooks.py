"""strawberry's schema extension hooks, each extension class's worked out once per process.

For every operation strawberry's runner makes one context manager per stage (operation,
parsing, validation, execution), and each asks every extension again whether its class
overrides the stage's hook and what kind of function that hook is (`inspect`), then wraps it
in a new `contextlib` decorator (`functools.wraps` copying five attributes): with our eight
extensions that is about 150 Python calls per request, trivial query included, for an answer
that depends only on the extension's class. `PlannedExtensionsRunner` (through
`Schema.create_extensions_runner`, strawberry's own extension point) keeps that answer per
class and stage: a generator hook's context manager factory is made once, and each request
binds it to its extension instance. The hooks that run, their order, the stacks they are
entered on and how errors cross them are strawberry's (`ExtensionContextManagerBase`
unchanged but for `get_hook`); a hook that is a plain or coroutine function is still wrapped
by strawberry's `from_callable` on each request, as before.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable
from functools import partial
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import (
    ExecutingContextManager,
    ExtensionContextManagerBase,
    OperationContextManager,
    ParsingContextManager,
    StreamResultContextManager,
    ValidationContextManager,
    WrappedHook,
)
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import StreamExecutionResult

#: What a stage's hook of an extension class is: None (not overridden), a generator's
#: context manager factory and whether it is async, or a function for `from_callable`.
HookPlan = tuple[str, Any] | None

_PLANS: dict[tuple[type[SchemaExtension], str], HookPlan] = {}


def hook_plan(extension_class: type[SchemaExtension], hook_name: str) -> HookPlan:
    """How strawberry's `get_hook` wraps `extension_class`'s hook `hook_name`, decided once."""
    key = (extension_class, hook_name)
    if key in _PLANS:
        return _PLANS[key]
    hook_fn = getattr(extension_class, hook_name)
    plan: HookPlan
    if hook_fn is getattr(SchemaExtension, hook_name):
        plan = None
    elif inspect.isgeneratorfunction(hook_fn):
        plan = ("sync", contextlib.contextmanager(hook_fn))
    elif inspect.isasyncgenfunction(hook_fn):
        plan = ("async", contextlib.asynccontextmanager(hook_fn))
    else:
        plan = ("callable", hook_fn)  # strawberry refuses what is not callable, as before
    _PLANS[key] = plan
    return plan


class _Planned(ExtensionContextManagerBase):
    """strawberry's context manager of a stage, its hooks taken from `hook_plan`."""

    def get_hook(self, extension: SchemaExtension) -> WrappedHook | None:
        plan = hook_plan(type(extension), self.HOOK_NAME)
        if plan is None:
            return None
        kind, made = plan
        if kind == "callable":
            return super().get_hook(extension)
        factory: Callable[..., Any] = made
        return WrappedHook(
            extension=extension, hook=partial(factory, extension), is_async=kind == "async"
        )


class PlannedOperation(_Planned, OperationContextManager):
    pass


class PlannedValidation(_Planned, ValidationContextManager):
    pass


class PlannedParsing(_Planned, ParsingContextManager):
    pass


class PlannedExecuting(_Planned, ExecutingContextManager):
    pass


class PlannedStreamResult(_Planned, StreamResultContextManager):
    pass


class PlannedExtensionsRunner(SchemaExtensionsRunner):
    """strawberry's runner, its stages' hooks planned once per extension class."""

    def operation(self) -> OperationContextManager:
        return PlannedOperation(self.extensions)

    def validation(self) -> ValidationContextManager:
        return PlannedValidation(self.extensions)

    def parsing(self) -> ParsingContextManager:
        return PlannedParsing(self.extensions)

    def executing(self) -> ExecutingContextManager:
        return PlannedExecuting(self.extensions)

    def on_stream_result(self, result: StreamExecutionResult) -> StreamResultContextManager:
        return PlannedStreamResult(self.extensions, result)
