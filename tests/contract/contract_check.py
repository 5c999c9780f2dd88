"""Comparing the served schema with the contract (used by the test and by `make pending`)."""

from __future__ import annotations

import re
from pathlib import Path

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLSchema,
    OperationDefinitionNode,
    build_schema,
    find_breaking_changes,
    parse,
    validate,
)

HERE = Path(__file__).parent
REMOVED = re.compile(
    r"^(?:Field |Standard scalar )?(\S+) was removed(?:\.| because it is not referenced anymore\.)$"
)
MISSING_FIELD = re.compile(r"^Cannot query field '(\w+)' on type '(\w+)'\.")
UNKNOWN_TYPE = re.compile(r"^Unknown type '(\w+)'\.")


def contract_schema() -> GraphQLSchema:
    return build_schema((HERE / "schema.graphql").read_text())


def pending_coordinates() -> set[str]:
    lines = (HERE / "pending.txt").read_text().splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def breaking_changes(served: GraphQLSchema) -> list[tuple[str | None, str]]:
    """(coordinate if it is a removal, description) for each breaking change."""
    found = []
    for change in find_breaking_changes(contract_schema(), served):
        match = REMOVED.match(change.description)
        found.append((match.group(1) if match else None, change.description))
    return found


def operations() -> list[tuple[str, DocumentNode]]:
    """Each operation of the contract as its own document, with the fragments it may use."""
    result = []
    for path in sorted((HERE / "operations").glob("*.graphql")):
        document = parse(path.read_text())
        fragments = [d for d in document.definitions if isinstance(d, FragmentDefinitionNode)]
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                used = _used_fragments(definition, fragments)
                name = f"{path.stem}:{definition.name.value if definition.name else '?'}"
                result.append((name, DocumentNode(definitions=(definition, *used))))
    return result


def _used_fragments(
    operation: OperationDefinitionNode, fragments: list[FragmentDefinitionNode]
) -> list[FragmentDefinitionNode]:
    text = str(operation.loc.source.body[operation.loc.start : operation.loc.end])
    return [f for f in fragments if f"...{f.name.value}" in text]


def operation_problems(
    served: GraphQLSchema, document: DocumentNode
) -> list[tuple[str | None, str]]:
    """(missing coordinate if that is the cause, message) for each validation error."""
    problems = []
    for error in validate(served, document):
        coordinate = None
        if match := MISSING_FIELD.match(error.message):
            coordinate = f"{match.group(2)}.{match.group(1)}"
        elif match := UNKNOWN_TYPE.match(error.message):
            coordinate = match.group(1)
        elif error.message.startswith("The subscription operation is not supported"):
            coordinate = "Subscription"
        problems.append((coordinate, error.message))
    return problems


def is_served(served: GraphQLSchema, coordinate: str) -> bool:
    type_name, _, field = coordinate.partition(".")
    graphql_type = served.get_type(type_name)
    if graphql_type is None:
        return False
    if not field:
        return True
    fields = getattr(graphql_type, "fields", None) or getattr(graphql_type, "values", None) or {}
    return field in fields
