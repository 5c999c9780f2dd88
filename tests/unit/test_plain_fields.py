"""The executor's short way through plain fields (api.executor) answers exactly what
graphql-core's usual way answers: values, nulls propagated to the nearest nullable parent, and
errors with their paths and locations."""

from __future__ import annotations

from enum import Enum
from typing import Any

import pytest
import strawberry
from graphql import GraphQLObjectType

from api.executor import PlainField, PlainFieldsExecutionContext


@strawberry.enum
class Colour(Enum):
    RED = "RED"
    BLUE = "BLUE"


@strawberry.type
class Inner:
    name: str
    colour: Colour
    size: int | None
    ratio: float | None = 0.5


@strawberry.type
class Outer:
    label: str
    inner: Inner
    maybe: Inner | None
    items: list[Inner]
    tags: list[str] = strawberry.field(default_factory=lambda: ["a", "b"])
    sizes: list[int | None] | None = strawberry.field(default_factory=lambda: [1, None, 3])
    colours: list[Colour] = strawberry.field(default_factory=lambda: [Colour.BLUE])
    maybe_items: list[Inner | None] | None = None

    @strawberry.field
    def computed(self) -> str:
        return self.label.upper()

    @strawberry.field
    def shouted(self) -> str:
        if self.label == "fail":
            raise ValueError("no shouting")
        return self.label.upper() if isinstance(self.label, str) else self.label

    @strawberry.field
    def with_info(self, info: strawberry.Info) -> str:
        return "x"

    @strawberry.field
    def scaled(
        self, factor: int = 2, label: str | None = "n", loud: bool | None = None
    ) -> str | None:
        if factor < 0:
            raise ValueError("a negative factor")
        return f"{self.label}*{factor}:{label}:{loud}"

    @strawberry.field
    def by_id(self, id: strawberry.ID, weight: float) -> str:
        return f"{id}/{weight!r}"

    @strawberry.field
    def in_colour(self, colour: Colour) -> str:
        return colour.value


class Loose:
    """A value that breaks the schema's promises, as a faulty resolver's value would (an
    outer one has the plain lists' good values unless given others)."""

    def __init__(self, **values: Any) -> None:
        if "label" in values or "inner" in values:
            self.__dict__.update(tags=("t",), sizes=[2], colours=[Colour.RED], maybe_items=None)
        self.__dict__.update(values)


def good() -> Outer:
    inner = Inner(name="a", colour=Colour.RED, size=None)
    return Outer(
        label="x", inner=inner, maybe=None, items=[inner, inner], maybe_items=[None, inner]
    )


BROKEN = {
    "null in a non-null leaf": Loose(
        label=None, inner=Inner(name="a", colour=Colour.RED, size=1), maybe=None, items=[]
    ),
    "null in a nested non-null leaf": Loose(
        label="x",
        inner=Loose(name=None, colour=Colour.RED, size=1),
        maybe=Loose(name=None, colour=Colour.BLUE, size=2),
        items=[],
    ),
    "a value no enum member has": Loose(
        label="x", inner=Loose(name="a", colour="GREEN", size=1), maybe=None, items=[]
    ),
    "an int out of range": Loose(
        label="x", inner=Loose(name="a", colour=Colour.RED, size=2**40), maybe=None, items=[]
    ),
    "an exception as the value": Loose(
        label=ValueError("boom"), inner=good().inner, maybe=None, items=[]
    ),
    "a missing attribute": Loose(inner=good().inner, maybe=None, items=[]),
    "an infinite float": Loose(
        label="x",
        inner=Inner(name="a", colour=Colour.RED, size=1, ratio=float("inf")),
        maybe=None,
        items=[],
    ),
    "a float that is not a number": Loose(
        label="x",
        inner=Inner(name="a", colour=Colour.RED, size=1, ratio=float("nan")),
        maybe=Inner(name="b", colour=Colour.RED, size=True, ratio=2),  # type: ignore[arg-type]
        items=[],
    ),
    "a null item in a list of non-null objects": Loose(
        label="x", inner=good().inner, maybe=None, items=[good().inner, None]
    ),
    "an exception as a list item": Loose(
        label="x", inner=good().inner, maybe=None, items=[ValueError("bad item")]
    ),
    "a list item that breaks a leaf": Loose(
        label="x", inner=good().inner, maybe=None, items=[Loose(name=None, colour="GREEN")]
    ),
    "a resolver that raises": Outer(label="fail", inner=good().inner, maybe=None, items=[]),
    "a null in a list of non-null leaves": Loose(
        label="x", inner=good().inner, maybe=None, items=[], tags=["a", None]
    ),
    "an int out of range in a list": Loose(
        label="x", inner=good().inner, maybe=None, items=[], sizes=[1, 2**40]
    ),
    "a value no enum member has in a list": Loose(
        label="x", inner=good().inner, maybe=None, items=[], colours=[Colour.RED, "GREEN"]
    ),
    "an exception in a list of leaves": Loose(
        label="x", inner=good().inner, maybe=None, items=[], tags=[ValueError("bad tag")]
    ),
    "a leaf list that is no list": Loose(
        label="x", inner=good().inner, maybe=None, items=[], tags=7
    ),
    "a broken object in a list of nullable objects": Loose(
        label="x",
        inner=good().inner,
        maybe=None,
        items=[],
        maybe_items=[good().inner, Loose(name=None, colour=Colour.RED, size=1)],
    ),
    "a non-null object list item that breaks a leaf after a good one": Loose(
        label="x",
        inner=good().inner,
        maybe=None,
        items=[good().inner, Loose(name="b", colour="GREEN")],
    ),
}


@strawberry.type
class Query:
    @strawberry.field
    def good(self) -> Outer:
        return good()

    @strawberry.field
    def broken(self, case: str) -> Outer | None:
        return BROKEN[case]  # type: ignore[return-value]  # values that break the schema on purpose


QUERY = """query Q($case: String!, $factor: Int, $label: String, $loud: Boolean) {
  good {
    label computed shouted inner { name colour size } maybe { name } items { name colour }
    tags sizes colours maybeItems { name size }
    scaled thrice: scaled(factor: 3) given: scaled(factor: $factor, label: $label, loud: $loud)
    none: scaled(label: null) negative: scaled(factor: -1) byId(id: 7, weight: 2)
    inColour(colour: BLUE)
  }
  broken(case: $case) {
    label computed shouted withInfo
    inner { name colour size ratio }
    maybe { name colour size ratio }
    items { name colour }
    tags sizes colours maybeItems { name colour size }
  }
}"""


def execution_context(enabled: bool) -> type[PlainFieldsExecutionContext]:
    return type(
        "Test", (PlainFieldsExecutionContext,), {"field_plans": {}, "plain_fields_enabled": enabled}
    )


async def run(enabled: bool, case: str, **variables: Any) -> dict[str, Any]:
    context_class = execution_context(enabled)
    schema = strawberry.Schema(query=Query, execution_context_class=context_class)
    result = await schema.execute(QUERY, variable_values={"case": case, **variables})
    return {
        "data": result.data,
        "errors": [e.formatted for e in result.errors or []],
        "plans": {k for k, v in context_class.field_plans.items() if isinstance(v, PlainField)},
    }


@pytest.mark.parametrize("case", sorted(BROKEN))
async def test_the_short_way_answers_what_graphql_core_answers(case: str) -> None:
    short = await run(True, case)
    usual = await run(False, case)
    assert short["errors"], "each case breaks something"
    assert (short["data"], short["errors"]) == (usual["data"], usual["errors"])
    # the short way was taken for the plain fields (and not for the one with a resolver)
    assert {("Outer", "label"), ("Outer", "inner"), ("Inner", "colour")} <= short["plans"]
    assert ("Outer", "shouted") in short["plans"]  # a resolver of the value alone
    assert ("Outer", "withInfo") not in short["plans"]


async def test_plain_lists_answer_what_graphql_core_answers() -> None:
    short = await run(True, "a resolver that raises")
    usual = await run(False, "a resolver that raises")
    assert short["data"]["good"] == usual["data"]["good"]
    assert short["data"]["good"]["sizes"] == [1, None, 3]
    assert short["data"]["good"]["maybeItems"] == [None, {"name": "a", "size": None}]
    assert {("Outer", "tags"), ("Outer", "sizes"), ("Outer", "maybeItems")} <= short["plans"]


@pytest.mark.parametrize(
    "variables",
    [{}, {"factor": 5, "label": "v", "loud": True}, {"factor": None, "label": None}],
)
async def test_arguments_of_built_in_scalars_reach_the_resolver_as_graphql_core_gives_them(
    variables: dict[str, Any],
) -> None:
    short = await run(True, "a resolver that raises", **variables)
    usual = await run(False, "a resolver that raises", **variables)
    assert (short["data"], short["errors"]) == (usual["data"], usual["errors"])
    good = short["data"]["good"]
    assert good["scaled"] == "x*2:n:None"  # the defaults
    assert good["thrice"] == "x*3:n:None"
    assert good["none"] == "x*2:None:None"  # an explicit null is passed as None
    assert good["byId"] == "7/2.0"  # an ID as text, an Int literal as a Float
    assert good["inColour"] == "BLUE"
    assert good["negative"] is None  # the resolver's error, at its path
    assert ["good", "negative"] in [e["path"] for e in short["errors"]]
    if variables.get("factor") == 5:
        assert good["given"] == "x*5:v:True"
    elif "factor" in variables:  # null for a non-null argument: graphql-core's error
        assert good["given"] is None
        assert ["good", "given"] in [e["path"] for e in short["errors"]]
    else:  # variables not given: the arguments' defaults
        assert good["given"] == "x*2:n:None"
    assert {("Outer", "scaled"), ("Outer", "byId"), ("Query", "broken")} <= short["plans"]
    assert ("Outer", "inColour") not in short["plans"]  # an enum is converted by strawberry


def test_a_field_with_arguments_or_info_has_no_plan_and_a_list_completes_by_its_items() -> None:
    from api.executor import plain_field

    schema = strawberry.Schema(query=Query)
    outer = schema._schema.type_map["Outer"]
    query = schema._schema.type_map["Query"]
    assert isinstance(outer, GraphQLObjectType) and isinstance(query, GraphQLObjectType)
    assert plain_field(outer, "withInfo") is None
    assert plain_field(outer, "inColour") is None
    broken = plain_field(query, "broken")  # an argument of a built-in scalar
    assert broken is not None and broken.arguments == (("case", "case"),)
    assert plain_field(outer, "shouted", resolvers=False) is None
    assert plain_field(outer, "label") is not None
    items = plain_field(outer, "items")
    assert items is not None and items.leaf is None and items.object_type is None
    assert items.item is not None and items.item.object_type is not None
    assert not items.item.nullable
    tags = plain_field(outer, "tags")
    assert tags is not None and tags.item is not None and tags.item.same is str


@strawberry.enum
class Mood(Enum):
    HAPPY = "happy"
    GRUMPY = strawberry.enum_value("grumpy", name="CROSS")
    SAD = "sad"


@strawberry.type
class Feeling:
    mood: Mood
    moods: list[Mood]


@strawberry.type
class MoodQuery:
    @strawberry.field
    def feelings(self) -> list[Feeling]:
        return [Feeling(mood=mood, moods=[mood, Mood.SAD, Mood.GRUMPY]) for mood in Mood]


async def test_an_enum_is_shown_by_the_name_its_coercion_gives_without_scanning_its_values() -> (
    None
):
    """An enum field's value, and a list of them, shown by a name worked out once per member
    (`enum_names`): the names graphql-core's way shows, a renamed value included."""
    answers = []
    for enabled in (True, False):
        context_class = execution_context(enabled)
        schema = strawberry.Schema(query=MoodQuery, execution_context_class=context_class)
        result = await schema.execute("{ feelings { mood moods } }")
        assert result.errors is None
        answers.append(result.data)
        if enabled:
            plan = context_class.field_plans[("Feeling", "mood")]
            assert isinstance(plan, PlainField) and plan.enum is Mood
            assert plan.names == {"HAPPY": "HAPPY", "GRUMPY": "CROSS", "SAD": "SAD"}
            items = context_class.field_plans[("Feeling", "moods")]
            assert isinstance(items, PlainField) and items.item and items.item.enum is Mood
    assert answers[0] == answers[1]
    assert answers[0] == {
        "feelings": [
            {"mood": "HAPPY", "moods": ["HAPPY", "SAD", "CROSS"]},
            {"mood": "CROSS", "moods": ["CROSS", "SAD", "CROSS"]},
            {"mood": "SAD", "moods": ["SAD", "SAD", "CROSS"]},
        ]
    }
