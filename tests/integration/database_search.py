"""Searching every column of every table, read as text, for a string: what an erasure must
leave nowhere. Works on SQLite and PostgreSQL; new tables are searched without any change."""

from __future__ import annotations

from tortoise import connections


async def tables_and_columns() -> dict[str, list[str]]:
    conn = connections.get("default")
    found: dict[str, list[str]] = {}
    if conn.capabilities.dialect == "sqlite":
        _, tables = await conn.execute_query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        for table in tables:
            _, columns = await conn.execute_query(f'PRAGMA table_info("{table["name"]}")')
            found[table["name"]] = [c["name"] for c in columns]
    else:
        _, rows = await conn.execute_query(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"
        )
        for row in rows:
            found.setdefault(row["table_name"], []).append(row["column_name"])
    return found


async def where_text_occurs(needle: str) -> list[tuple[str, str]]:
    """Every (table, column) holding `needle` anywhere in a value, ignoring letter case."""
    conn = connections.get("default")
    sqlite = conn.capabilities.dialect == "sqlite"
    placeholder = "?" if sqlite else "$1"
    hits = []
    for table, columns in (await tables_and_columns()).items():
        counts = []
        for n, column in enumerate(columns):
            text = f'CAST("{column}" AS TEXT)' if sqlite else f'"{column}"::text'
            counts.append(
                f"SUM(CASE WHEN LOWER({text}) LIKE {placeholder} THEN 1 ELSE 0 END) AS c{n}"
            )
        params = [f"%{needle.lower()}%"] * (len(columns) if sqlite else 1)
        _, rows = await conn.execute_query(f'SELECT {", ".join(counts)} FROM "{table}"', params)
        hits += [(table, column) for n, column in enumerate(columns) if rows[0][f"c{n}"]]
    return hits
