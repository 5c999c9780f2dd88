"""What the field being resolved asks of its own result: to read in one statement what its
children would otherwise read one by one (graphql-ruby's and strawberry's "lookahead").

strawberry's `info.selected_fields` converts the field's whole subtree from the document on
every call (about ten calls a node: a screen's `me` paid some 300 a request). What a
lookahead answers from the document alone (names selected, not argument values, which may
come from variables) is kept per parsed document and field (`per_document`): the same
document (`ParserCache` hands out one object per text) asks the same.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

from api.context import Info

T = TypeVar("T")
_MAX_DOCUMENTS = 1000
_MAX_ANSWERS = 256
#: id(operation) -> (the operation node, {(field's place, question): answer}).
_ANSWERS: OrderedDict[int, tuple[Any, dict[Hashable, Any]]] = OrderedDict()


def per_document(info: Info, question: Hashable, answer: Callable[[], T]) -> T:
    """`answer()` for the field being resolved, kept for its operation's document and its
    place in it (response keys and parent types, list indices left out): only for answers
    that the document alone decides, or whose `question` holds what else they depend on (the
    variables' values))."""
    operation = info.operation
    found = _ANSWERS.get(id(operation))
    if found is None or found[0] is not operation:
        found = _ANSWERS[id(operation)] = (operation, {})
        while len(_ANSWERS) > _MAX_DOCUMENTS:
            _ANSWERS.popitem(last=False)
    answers = found[1]
    if len(answers) > _MAX_ANSWERS:
        answers.clear()  # a question keyed by variables may have many answers
    place: list[Hashable] = [question]
    path: Any = info.path
    while path is not None:
        if not isinstance(path.key, int):
            place.append((path.key, path.typename))
        path = path.prev
    key = tuple(place)
    if key in answers:
        return answers[key]  # type: ignore[no-any-return]  # kept by this function: a T
    value = answers[key] = answer()
    return value


def asks_for(info: Info, name: str) -> bool:
    """Whether the field being resolved selects `name` (its GraphQL name) among its direct
    children, through fragments too. Directives are not weighed: a field under `@skip` counts
    as asked, which costs at most a read not needed."""
    return per_document(
        info,
        ("asks_for", name),
        lambda: any(_selects(field.selections, name) for field in info.selected_fields),
    )


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
