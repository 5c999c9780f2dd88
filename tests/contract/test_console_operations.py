"""The console's own operations validate against the served schema.

The console (api/static/console) talks to Fidelio only through GraphQL, with its documents
written in its scripts as string constants, some built from others (`${ERRORS}`, or a
constant imported from another script). This test reads them as the browser would put them
together and validates each against the schema the code serves, so an API change that would
break a console page fails here, not in front of a loyalty manager.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from graphql import GraphQLSchema, build_schema, parse, validate

from api.schema import schema_sdl

CONSOLE = Path(__file__).resolve().parents[2] / "api" / "static" / "console"

_CONSTANT = re.compile(
    r"""(?:export\s+)?const\s+([A-Z][A-Z0-9_]*)\s*=\s*(`[^`]*`|"[^"\n]*"|'[^'\n]*')"""
)
_IMPORT = re.compile(r"""import\s*\{([^}]*)\}\s*from\s*["']\./([\w.-]+)["']""")
_PLACEHOLDER = re.compile(r"\$\{\s*([A-Za-z_]\w*)\s*\}")
#: A table's keys as the dashboard writes them: `${FIGURES.map(([key]) => key).join(" ")}`.
_TABLE_KEYS = re.compile(
    r"""\$\{\s*([A-Z_]\w*)\.map\(\(\[key\]\)\s*=>\s*key\)\.join\(["'] ["']\)\s*\}"""
)
_OPERATION = re.compile(r"\s*(query|mutation|subscription)\b")


@cache
def _constants(script: str) -> dict[str, str]:
    """The string constants a script defines, and those it imports from its neighbours."""
    text = (CONSOLE / script).read_text(encoding="utf-8")
    found: dict[str, str] = {}
    for names, source in _IMPORT.findall(text):
        theirs = _constants(source)
        for name in (n.strip() for n in names.split(",")):
            if name in theirs:
                found[name] = theirs[name]
    for name, literal in _CONSTANT.findall(text):
        found[name] = literal[1:-1]
    return found


def _table_keys(script: str, table: str) -> str:
    """The first string of each row of the array constant `table` (its own or imported)."""
    for path in [CONSOLE / script, *sorted(CONSOLE.glob("*.js"))]:
        found = re.search(
            rf"const\s+{table}\s*=\s*\[(.*?)\];", path.read_text(encoding="utf-8"), re.S
        )
        if found:
            return " ".join(re.findall(r"""\[\s*["'](\w+)["']""", found.group(1)))
    raise LookupError(f"{script}: no table {table}")


def _assembled(script: str, value: str, seen: tuple[str, ...] = ()) -> str:
    known = _constants(script)
    value = _TABLE_KEYS.sub(lambda match: _table_keys(script, match.group(1)), value)

    def part(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in known or name in seen:
            raise LookupError(f"{script}: `${{{name}}}` is not a string constant")
        return _assembled(script, known[name], (*seen, name))

    return _PLACEHOLDER.sub(part, value)


def _documents() -> list[tuple[str, str]]:
    documents: list[tuple[str, str]] = []
    for path in sorted(CONSOLE.glob("*.js")):
        for name, value in _constants(path.name).items():
            own = re.search(rf"const\s+{name}\s*=", path.read_text(encoding="utf-8"))
            if own and _OPERATION.match(value):
                documents.append((f"{path.name}:{name}", _assembled(path.name, value)))
    return documents


@pytest.fixture(scope="module")
def served() -> GraphQLSchema:
    return build_schema(schema_sdl())


def test_the_console_sends_operations_of_every_page() -> None:
    scripts = {label.split(":")[0] for label, _ in _documents()}
    # Every page that reads or writes through the API is found (a change in how the scripts
    # write their documents would otherwise empty this test quietly).
    assert {
        "audit.js",
        "campaigns.js",
        "dashboard.js",
        "members.js",
        "program.js",
        "segments.js",
        "stores.js",
        "translations.js",
    } <= scripts
    assert len(_documents()) >= 40


@pytest.mark.parametrize(
    "label, document", [pytest.param(*found, id=found[0]) for found in _documents()]
)
def test_each_console_operation_validates_against_the_served_schema(
    served: GraphQLSchema, label: str, document: str
) -> None:
    assert [error.message for error in validate(served, parse(document))] == [], label


def test_a_document_that_names_an_unknown_field_is_refused(served: GraphQLSchema) -> None:
    # The check itself can fail: a field the schema lacks is reported.
    assert validate(served, parse("query { tiers { code noSuchField } }"))


def test_every_request_of_the_console_sends_one_of_these_documents() -> None:
    checked = {label for label, _ in _documents()}
    sent = set()
    for path in sorted(CONSOLE.glob("*.js")):
        for argument in re.findall(r"\bgql\(\s*([^,)]+)", path.read_text(encoding="utf-8")):
            if path.name == "api.js" and argument == "query":
                continue  # the definition of gql itself
            sent.add(f"{path.name}:{argument.strip()}")
    assert sent, "no gql( call found: the scripts changed how they send requests"
    assert sent - checked == set()
