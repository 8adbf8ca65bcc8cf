"""The SDL a client sees is reviewed like code: any change shows up as a diff of this snapshot.

Regenerate after an intended change:
`WAFI_UPDATE_SNAPSHOT=1 pytest tests/test_schema_snapshot.py`.
"""

from __future__ import annotations

import os
from pathlib import Path

from schema.root import schema

SNAPSHOT = Path(__file__).parent / "snapshots" / "schema.graphql"


def test_schema_matches_the_snapshot() -> None:
    current = schema.as_str() + "\n"
    if os.environ.get("WAFI_UPDATE_SNAPSHOT") == "1":
        SNAPSHOT.write_text(current, encoding="utf-8")
    assert current == SNAPSHOT.read_text(encoding="utf-8")


def test_every_type_is_described() -> None:
    builtin = {"String", "Int", "Float", "Boolean", "ID"}
    missing = [
        name
        for name, kind in schema._schema.type_map.items()
        if not name.startswith("__") and name not in builtin and not kind.description
    ]
    assert missing == []
