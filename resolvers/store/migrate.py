"""Applying the Alembic migrations from code (`wafi migrate`, `wafi serve`, the tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

ROOT = Path(__file__).resolve().parents[2]


def config(database_url: str) -> Config:
    cfg = Config(toml_file=str(ROOT / "pyproject.toml"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["url"] = database_url
    return cfg


def upgrade(database_url: str) -> None:
    """Bring the database to the newest revision; safe from several processes (advisory lock)."""
    command.upgrade(config(database_url), "heads")
