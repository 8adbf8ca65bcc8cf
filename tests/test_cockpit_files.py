"""The cockpit's files ship with the package (pyproject package-data), and none of them loads
anything from another host (README: Cockpit)."""

from __future__ import annotations

import re
import tomllib
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT / "schema" / "web"
OWN = ("index.html", "app.js", "api.js", "i18n.js", "cockpit.css", "graphiql/index.html")


def test_every_cockpit_file_is_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["schema"]
    files = [p.relative_to(ROOT / "schema").as_posix() for p in WEB.rglob("*") if p.is_file()]
    assert set(OWN) <= {f.removeprefix("web/") for f in files}
    assert [f for f in files if not any(fnmatch(f, p) for p in patterns)] == []


def test_the_cockpit_pages_name_no_other_host() -> None:
    for name in (*OWN, "graphiql/start.js"):
        text = (WEB / name).read_text(encoding="utf-8")
        assert re.findall(r"(?:src|href)=\"(?![/#])[^\"]*\"", text) == [], name
        # The only absolute URL is SVG's namespace name, which is never fetched.
        urls = set(re.findall(r"https?://[^\s\"'`)]+", text))
        assert urls <= {"http://www.w3.org/2000/svg"}, name
