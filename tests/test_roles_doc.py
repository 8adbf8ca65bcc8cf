"""The README's role table is the code's role table."""

from __future__ import annotations

import re
from pathlib import Path

from domain.roles import PERMISSIONS, Action, Role

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_role_table_matches_the_code() -> None:
    text = README.read_text(encoding="utf-8")
    table = text.split("<!-- roles -->")[1]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    documented: dict[Action, frozenset[Role]] = {}
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        action = Action(re.sub(r"`", "", cells[0]))
        documented[action] = frozenset(
            role for role, cell in zip(Role, cells[1:5], strict=True) if cell == "yes"
        )
    assert documented == dict(PERMISSIONS)
