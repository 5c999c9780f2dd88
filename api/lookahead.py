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
