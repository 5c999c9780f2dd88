"""The baseline every benchmark compares with, and a check of the harness itself.

    .venv/bin/python -m bench.baseline

Serves the app (PostgreSQL + Redis) and measures the trivial query `{ __typename }` and the
smallest authenticated read `{ me { id } }` at 1, 8 and 32 concurrent clients.
"""

from __future__ import annotations

from bench.harness import measure, postgres_database, server, token, trivial_query


def main() -> None:
    bearer = token("member", "bench-me")
    with postgres_database() as database, server(database) as base:
        for concurrency in (1, 8, 32):
            baseline = trivial_query(base, concurrency)
            me = measure(
                base,
                "{ me { id } }",
                lambda n: ("{ me { id } }", {}, bearer),
                concurrency=concurrency,
            )
            print(baseline.row())
            print(me.row(baseline))


if __name__ == "__main__":
    main()
