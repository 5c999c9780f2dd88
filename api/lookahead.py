"""What the field being resolved asks of its own result: to read in one statement what its
children would otherwise read one by one (graphql-ruby's and strawberry's "lookahead")."""

from __future__ import annotations

from collections.abc import Iterable

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

from api.context import Info


def asks_for(info: Info, name: str) -> bool:
    """Whether the field being resolved selects `name` (its GraphQL name) among its direct
    children, through fragments too. Directives are not weighed: a field under `@skip` counts
    as asked, which costs at most a read not needed."""
    return any(_selects(field.selections, name) for field in info.selected_fields)


def _selects(selections: Iterable[Selection], name: str) -> bool:
    for selection in selections:
        if isinstance(selection, SelectedField):
            if selection.name == name:
                return True
        elif isinstance(selection, FragmentSpread | InlineFragment):
            if _selects(selection.selections, name):
                return True
    return False


def child_fields(info: Info) -> dict[str, list[SelectedField]]:
    """The fields the field being resolved selects directly (through fragments too), by
    GraphQL name: a field asked twice (aliases, other arguments) has each selection.
    Directives are not weighed, as in `asks_for`."""
    found: dict[str, list[SelectedField]] = {}
    for field in info.selected_fields:
        _collect(field.selections, found)
    return found


def _collect(selections: Iterable[Selection], found: dict[str, list[SelectedField]]) -> None:
    for selection in selections:
        if isinstance(selection, SelectedField):
            found.setdefault(selection.name, []).append(selection)
        elif isinstance(selection, FragmentSpread | InlineFragment):
            _collect(selection.selections, found)


def selects(field: SelectedField, name: str) -> bool:
    """Whether `field` selects `name` among its direct children, through fragments too."""
    return _selects(field.selections, name)


def selects_only(field: SelectedField, names: frozenset[str]) -> bool:
    """Whether every direct child `field` selects (no fragment) is one of `names`."""
    return all(isinstance(part, SelectedField) and part.name in names for part in field.selections)
