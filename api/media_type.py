"""Which media type a GraphQL-over-HTTP answer takes, from the request's Accept header.

The GraphQL over HTTP specification defines `application/graphql-response+json`: in it, a
request error (a document that does not parse or validate, variables that do not coerce: the
operation never ran) is answered with a 4xx status (400 here) and no `data` entry, while a
response whose operation ran is 200 with `data` (null or not). Clients asking for the legacy
`application/json`, or sending no Accept header, keep its behaviour: 200 for every GraphQL
response, as the specification requires during its watershed.
"""

from __future__ import annotations

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"


def _quality(parameters: list[str]) -> float:
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                return max(0.0, min(1.0, float(value.strip())))
            except ValueError:
                return 0.0
    return 1.0


def prefers_graphql_response(accept: str | None) -> bool:
    """Whether the client asked for `application/graphql-response+json` at least as much as
    for `application/json` (listed by name: wildcards keep the legacy type)."""
    if not accept:
        return False
    wanted: dict[str, float] = {}
    for part in accept.split(","):
        media, *parameters = part.split(";")
        media = media.strip().lower()
        if media in (GRAPHQL_RESPONSE, JSON):
            wanted[media] = max(wanted.get(media, 0.0), _quality(parameters))
    response = wanted.get(GRAPHQL_RESPONSE, 0.0)
    return response > 0 and response >= wanted.get(JSON, 0.0)
