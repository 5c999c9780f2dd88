"""Trusted documents (persisted operations): the apps send an operation's sha256 id.

The registry is the contract's operations (`tests/contract/operations/*.graphql`, a copy of the
shared contract), one document per operation with the fragments it uses, printed by
graphql-core, identified by the sha256 of that text. It is generated at build time into
`api/trusted_documents.json` (an Apollo persisted-query manifest, shipped inside the package)
with `fidelio trusted-documents`; a test keeps it equal to the contract's operations.

A request names a document the way Apollo clients send persisted queries:
`"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "<id>"}}`, with or without the
`query` text (when sent, it must hash to the id). With `TRUSTED_DOCUMENTS`:

- `off` (default): the registry is not consulted; every request carries its `query`.
- `optional`: an id is resolved through the registry; a free `query` is accepted too.
- `required`: member and service tokens (and callers with no token) may only send
  registered documents; admin tokens keep free queries (the console, support).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from graphql import (
    DefinitionNode,
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    OperationDefinitionNode,
    Visitor,
    parse,
    print_ast,
    visit,
)

from api.auth import Principal, Role
from api.request_body import RequestRefused

MODES = ("off", "optional", "required")
MANIFEST = "trusted_documents.json"


def document_id(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class TrustedDocument:
    id: str
    name: str
    type: str
    body: str


def documents_of(sources: Iterable[str]) -> list[TrustedDocument]:
    """One document per operation of `sources` (GraphQL files' text), with the fragments it
    uses from the same file, in a stable order."""
    found: dict[str, TrustedDocument] = {}
    for source in sources:
        definitions = parse(source).definitions
        fragments = {d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)}
        for operation in definitions:
            if not isinstance(operation, OperationDefinitionNode) or operation.name is None:
                continue
            used = _fragments_used(operation, fragments)
            body = print_ast(DocumentNode(definitions=(operation, *used)))
            doc = TrustedDocument(
                id=document_id(body),
                name=operation.name.value,
                type=operation.operation.value,
                body=body,
            )
            found[doc.id] = doc
    return sorted(found.values(), key=lambda d: (d.name, d.id))


class _Spreads(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: Any) -> None:
        self.names.append(node.name.value)


def _fragments_used(
    root: DefinitionNode, fragments: Mapping[str, FragmentDefinitionNode]
) -> list[FragmentDefinitionNode]:
    seen: dict[str, FragmentDefinitionNode] = {}
    pending: list[DefinitionNode] = [root]
    while pending:
        spreads = _Spreads()
        visit(pending.pop(), spreads)
        for name in spreads.names:
            if name not in seen and name in fragments:
                seen[name] = fragments[name]
                pending.append(fragments[name])
    return sorted(seen.values(), key=lambda f: f.name.value)


def manifest(documents: Iterable[TrustedDocument]) -> str:
    """The registry as an Apollo persisted-query manifest (what app builds read)."""
    operations = [{"id": d.id, "name": d.name, "type": d.type, "body": d.body} for d in documents]
    content = {"format": "apollo-persisted-query-manifest", "version": 1, "operations": operations}
    return json.dumps(content, indent=2, ensure_ascii=False) + "\n"


def manifest_of_directory(directory: Path) -> str:
    files = sorted(directory.glob("*.graphql"))
    return manifest(documents_of(f.read_text() for f in files))


@cache
def packaged_registry() -> Mapping[str, str]:
    """{id: body} from the manifest shipped in the package."""
    text = resources.files("api").joinpath(MANIFEST).read_text()
    return {op["id"]: op["body"] for op in json.loads(text)["operations"]}


def resolve_query(
    query: str | None,
    extensions: Mapping[str, Any] | None,
    principal: Principal | None,
    mode: str,
    registry: Mapping[str, str] | None = None,
) -> str | None:
    """The document to run for a request under `mode`; `RequestRefused` when the request
    may not run (an unknown id, a text that does not match its id, a free text where only
    trusted documents are accepted)."""
    if mode == "off":
        return query
    registry = packaged_registry() if registry is None else registry
    wanted = _persisted_id(extensions)
    if wanted is not None:
        if query is not None and document_id(query) != wanted:
            raise RequestRefused("The query does not match its sha256Hash.")
        known = registry.get(wanted)
        if known is not None:
            return known
        if query is None or _must_be_trusted(principal, mode):
            raise RequestRefused(
                "PersistedQueryNotFound: no trusted document has this id.",
                code="PERSISTED_QUERY_NOT_FOUND",
            )
        return query
    if query is not None and _must_be_trusted(principal, mode):
        if document_id(query) in registry:
            return query
        raise RequestRefused(
            "Only trusted documents are accepted: send the operation's id in "
            "extensions.persistedQuery.sha256Hash.",
            code="TRUSTED_DOCUMENT_REQUIRED",
        )
    return query


def _must_be_trusted(principal: Principal | None, mode: str) -> bool:
    return mode == "required" and (principal is None or principal.role != Role.ADMIN)


def _persisted_id(extensions: Mapping[str, Any] | None) -> str | None:
    persisted = (extensions or {}).get("persistedQuery")
    if persisted is None:
        return None
    sha = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
    if not isinstance(sha, str) or len(sha) != 64:
        raise RequestRefused("extensions.persistedQuery.sha256Hash must be a sha256 hex digest.")
    return sha.lower()
