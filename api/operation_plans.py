"""The fields an operation collects, worked out once per parsed document, not once a request.

graphql-core collects the fields of every selection set it executes (`collect_fields` for the
root, `collect_subfields` under each object: fragments spread, aliases grouped, `@skip` and
`@include` applied) and keeps the result for one execution only (`_relevant_sub_fields`,
memoized by the identity of the field list). An app sends the same few documents again and
again, and `ParserCache` hands out the same document object for the same text, so for most
documents the collection is the same every time: a screen re-collected its 20 to 40 selection
sets on each request (about 6% of a screen's CPU in process, with the executor's plan of each
field set, api.executor).

`OperationPlans` keeps, per operation node, the root's grouped field set and graphql-core's own
memo of subfields, and gives them to each execution of that operation (the executor's plans of
each field set too, keyed by the same field sets). Only for operations whose collection cannot
depend on the request: no directive on any selection of the operation or of the document's
fragments (`@skip`/`@include` read variables, `@defer`/`@stream` change delivery) and no
fragment variables (graphql-core's experimental fragment arguments). Anything else is collected
per request as graphql-core does. Everything kept is read-only during execution (a field set is
iterated, never changed), so executions of one operation may share it, concurrently too.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)


class OperationPlan:
    """What executions of one operation share (see the module)."""

    __slots__ = ("field_set_plans", "fragment_plans", "operation", "root", "sub_fields")

    def __init__(self, operation: OperationDefinitionNode) -> None:
        #: Kept so that the operation's id, the key of this plan, is not reused meanwhile.
        self.operation = operation
        #: The root's grouped field set, from the first execution.
        self.root: Any = None
        #: graphql-core's `_relevant_sub_fields`, shared.
        self.sub_fields: dict[Any, Any] = {}
        #: The executor's plans of each field set (api.executor), shared.
        self.field_set_plans: dict[int, Any] = {}
        #: The fragment cache's plans (api.fragments): each hinted object's field set split
        #: into shared and private fields, and where the subtrees sit in the document.
        self.fragment_plans: dict[int, Any] = {}


class OperationPlans:
    """The plans of the operations executed lately, per schema (an execution context class
    holds one), the least recently used dropped first when full."""

    def __init__(self, maxsize: int = 1000) -> None:
        self.maxsize = maxsize
        self._plans: OrderedDict[int, OperationPlan | None] = OrderedDict()
        #: id(operation) -> the operation, for the operations that may not share (kept so
        #: that their ids are not reused while the answer is kept).
        self._operations: dict[int, OperationDefinitionNode] = {}

    def plan(
        self, operation: OperationDefinitionNode, fragments: dict[str, Any]
    ) -> OperationPlan | None:
        """The shared plan of `operation`, or None when its collection may depend on the
        request. `fragments`: the document's fragments (graphql-core's FragmentDetails or
        definitions, by name)."""
        key = id(operation)
        plans = self._plans
        if key in plans:
            plan = plans[key]
            if (plan.operation if plan is not None else self._operations[key]) is operation:
                plans.move_to_end(key)
                return plan
            self._forget(key)
        plan = OperationPlan(operation) if static_collection(operation, fragments) else None
        plans[key] = plan
        if plan is None:
            self._operations[key] = operation
        while len(plans) > self.maxsize:
            self._forget(next(iter(plans)))
        return plan

    def _forget(self, key: int) -> None:
        del self._plans[key]
        self._operations.pop(key, None)

    def __len__(self) -> int:
        return len(self._plans)


def static_collection(operation: OperationDefinitionNode, fragments: dict[str, Any]) -> bool:
    """Whether collecting `operation`'s fields gives the same answer for every request: no
    directive on a selection, no fragment variables, every spread fragment known."""
    seen: set[str] = set()
    pending: list[SelectionSetNode | None] = [operation.selection_set]
    while pending:
        selection_set = pending.pop()
        if selection_set is None:
            continue
        for selection in selection_set.selections:
            if selection.directives:
                return False
            if isinstance(selection, FieldNode | InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if getattr(selection, "arguments", None):
                    return False  # fragment arguments (experimental)
                if name in seen:
                    continue
                seen.add(name)
                found = fragments.get(name)
                definition = getattr(found, "definition", found)
                if not isinstance(definition, FragmentDefinitionNode):
                    return False
                if definition.directives or definition.variable_definitions:
                    return False
                pending.append(definition.selection_set)
            else:
                return False
    return True
