"""The message catalogue (README: Language): every message in both languages with the same
placeholders, every refusal raised with exactly its message's parameters, and Accept-Language."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from domain import messages
from domain.errors import DomainError, ErrorCode
from domain.messages import Language, Msg

ROOT = Path(__file__).resolve().parents[2]
ARABIC_LETTER = re.compile("[\u0621-\u064a]")


@pytest.mark.parametrize("msg", list(Msg), ids=lambda m: m.name)
def test_every_message_has_both_languages_with_the_same_placeholders(msg: Msg) -> None:
    template = msg.value
    assert template.ar.strip()
    assert template.en.strip()
    assert ARABIC_LETTER.search(template.ar), "the Arabic text is Arabic"
    assert not ARABIC_LETTER.search(template.en), "the English text is not Arabic"
    assert messages.placeholders(template.ar) == messages.placeholders(template.en)


def _message_sites() -> list[tuple[str, str, frozenset[str]]]:
    """(where, message name, keyword names) of every `DomainError(field, code, Msg.X, **kw)`
    and every `text(Msg.X, **kw)` call (the catalogue's `messages.text`, `language.text`)."""
    sites = []
    for package in ("domain", "resolvers", "schema", "jobs"):
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name == "DomainError":
                    assert len(node.args) == 3, f"{path.name}:{node.lineno}: field, code, Msg"
                    msg = node.args[2]
                elif name == "text" and node.args:
                    msg = node.args[0]
                else:
                    continue
                if isinstance(msg, ast.Attribute) and getattr(msg.value, "id", "") == "Msg":
                    where = f"{path.relative_to(ROOT)}:{node.lineno}"
                    names = frozenset(k.arg for k in node.keywords if k.arg is not None)
                    sites.append((where, msg.attr, names))
    return sites


SITES = _message_sites()


def test_refusals_are_raised_through_the_catalogue() -> None:
    assert len(SITES) > 120


@pytest.mark.parametrize(("where", "name", "params"), SITES, ids=[s[0] for s in SITES])
def test_each_refusal_passes_exactly_its_messages_parameters(
    where: str, name: str, params: frozenset[str]
) -> None:
    assert messages.placeholders(Msg[name].value.en) == params


def test_a_domain_error_renders_in_either_language_with_its_code_and_field_unchanged() -> None:
    error = DomainError("first", ErrorCode.OUT_OF_RANGE, Msg.FIRST_RANGE, limit=100)
    assert (error.field, error.code) == ("first", ErrorCode.OUT_OF_RANGE)
    assert error.message(Language.EN) == "first must be 1..100"
    assert error.message(Language.AR) == "يجب أن يكون first من 1 إلى 100"
    assert str(error) == "first: first must be 1..100"


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, Language.AR),
        ("", Language.AR),
        ("ar", Language.AR),
        ("ar-SA", Language.AR),
        ("en", Language.EN),
        ("en-US", Language.EN),
        ("EN-gb", Language.EN),
        ("en-US,en;q=0.9,ar;q=0.8", Language.EN),
        ("ar;q=0.8, en;q=0.9", Language.EN),
        ("en;q=0.2, ar;q=0.7", Language.AR),
        ("en, ar", Language.EN),
        ("ar, en", Language.AR),
        ("fr-FR, fr;q=0.9, en;q=0.5", Language.EN),
        ("fr, de", Language.AR),
        ("*", Language.AR),
        ("en;q=0", Language.AR),
        ("en;q=abc", Language.AR),
        ("en;q=1.5", Language.AR),
        ("english", Language.AR),
    ],
)
def test_accept_language_picks_the_highest_q_of_arabic_and_english(
    header: str | None, language: Language
) -> None:
    assert messages.negotiate(header) is language


def test_no_acceptable_language_falls_back_to_the_given_default() -> None:
    assert messages.negotiate("fr", default=Language.EN) is Language.EN


def test_a_library_message_is_read_back_into_its_parameters() -> None:
    text = "'anonymous' exceeds maximum operation depth of 10"
    assert messages.parse(Msg.DEPTH_LIMIT, text) == {"operation": "anonymous", "limit": "10"}
    assert messages.parse(Msg.DEPTH_LIMIT, "something else") is None
