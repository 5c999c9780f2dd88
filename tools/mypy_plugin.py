"""A mypy plugin for what the annotations of two libraries cannot say. Registered in
pyproject.toml ([tool.mypy]); it replaces an ignore or a cast at each of many calls.

- tortoise-orm types every awaited `values_list` as tuples, but `flat=True` gives the values
  themselves: a list of them from a query set, one value from `.first()`/`.get()`. The flat
  form is typed as an awaitable of `list[Any]` (or of `Any`).
- `strawberry.enum_value(value, description=...)` returns a definition that `@strawberry.enum`
  turns back into `value` when it builds the enum: a member's `.value` is `value` at runtime.
  The call is typed as its first argument, so that `Member.X.value` is a `str`, not an
  `EnumValueDefinition`.
"""

from __future__ import annotations

from collections.abc import Callable

from mypy.nodes import NameExpr
from mypy.plugin import FunctionContext, MethodContext, Plugin
from mypy.types import AnyType, Type, TypeOfAny

VALUES_LIST_MANY = "tortoise.queryset.QuerySet.values_list"
VALUES_LIST_ONE = "tortoise.queryset.QuerySetSingle.values_list"
ENUM_VALUE = "strawberry.types.enum.enum_value"


def _is_flat(ctx: MethodContext) -> bool:
    for names, expressions in zip(ctx.arg_names, ctx.args, strict=True):
        for name, expression in zip(names, expressions, strict=True):
            if name == "flat":
                return isinstance(expression, NameExpr) and expression.fullname == "builtins.True"
    return False


def _values_list_many(ctx: MethodContext) -> Type:
    if not _is_flat(ctx):
        return ctx.default_return_type
    values = ctx.api.named_generic_type("builtins.list", [AnyType(TypeOfAny.special_form)])
    return ctx.api.named_generic_type("typing.Awaitable", [values])


def _values_list_one(ctx: MethodContext) -> Type:
    if not _is_flat(ctx):
        return ctx.default_return_type
    return ctx.api.named_generic_type("typing.Awaitable", [AnyType(TypeOfAny.special_form)])


def _enum_value(ctx: FunctionContext) -> Type:
    if ctx.arg_types and ctx.arg_types[0]:
        return ctx.arg_types[0][0]
    return ctx.default_return_type


class FidelioPlugin(Plugin):
    def get_method_hook(self, fullname: str) -> Callable[[MethodContext], Type] | None:
        return {VALUES_LIST_MANY: _values_list_many, VALUES_LIST_ONE: _values_list_one}.get(
            fullname
        )

    def get_function_hook(self, fullname: str) -> Callable[[FunctionContext], Type] | None:
        return _enum_value if fullname == ENUM_VALUE else None


def plugin(version: str) -> type[Plugin]:
    return FidelioPlugin
