"""References resolve: every file, heading and rules section that the tracked files (code, comments,
docstrings, README, docs) or the schema's descriptions cite exists in the repository."""

from __future__ import annotations

import re
import subprocess
from functools import cache
from pathlib import Path

import pytest

from schema.root import schema

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "docs" / "rules.md"

# Documents that lived outside the repository once; nothing may cite them any more.
GONE = tuple(f"{name}.md" for name in ("DOMAIN", "DESIGN", "STYLE"))
TEXT_SUFFIXES = {".py", ".md", ".graphql", ".toml", ".mako", ".cfg", ".txt", ".ini", ".yml", ""}

# A repository path: folders then a file with a known extension, optionally `#anchor`.
PATH_REF = re.compile(
    r"(?<![\w./@:-])((?:[\w-]+/)+[\w.-]+\.(?:md|py|graphql|toml|mako))(#[\w-]+)?(?![\w/])"
)
# A Markdown link [text](target) to a file in the repository.
MD_LINK = re.compile(r"\]\((?!https?:|mailto:)([^)#\s]*)(#[^)\s]*)?\)")
# An upper-case top-level document, such as README.md.
TOP_DOC = re.compile(r"(?<![\w./-])([A-Z][A-Z_]*\.md)\b")
SECTION = re.compile(r"§\s?(\d+(?:\.\d+)?)")
RULES_HEADING = re.compile(r"^#{2,3} (\d+(?:\.\d+)?)\.? ", re.MULTILINE)


@cache
def tracked() -> dict[str, str]:
    """Every tracked text file (and the working copy's new docs) by path."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    files: dict[str, str] = {}
    for name in listed:
        path = ROOT / name
        if path.suffix not in TEXT_SUFFIXES or not path.is_file():
            continue
        try:
            files[name] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
    return files


def slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    kept = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return kept.replace(" ", "-")


@cache
def anchors(path: str) -> frozenset[str]:
    text = (ROOT / path).read_text(encoding="utf-8")
    return frozenset(slug(h) for h in re.findall(r"^#{1,6} (.+)$", text, re.MULTILINE))


@cache
def rules_sections() -> frozenset[str]:
    return frozenset(RULES_HEADING.findall(RULES.read_text(encoding="utf-8")))


def _lines(text: str) -> list[tuple[int, str]]:
    return list(enumerate(text.splitlines(), start=1))


def _problems_in(name: str, text: str) -> list[str]:
    problems = []
    here = (ROOT / name).parent
    for number, line in _lines(text):
        where = f"{name}:{number}"
        for gone in GONE:
            if gone in line:
                problems.append(f"{where}: mentions {gone}, which is not in the repository")
        for target, anchor in PATH_REF.findall(line):
            if not (ROOT / target).exists():
                problems.append(f"{where}: {target} does not exist")
            elif anchor and anchor[1:] not in anchors(target):
                problems.append(f"{where}: {target} has no heading {anchor}")
        if name.endswith(".md"):
            for target, anchor in MD_LINK.findall(line):
                file = (here / target).resolve() if target else ROOT / name
                if not file.exists():
                    problems.append(f"{where}: link to {target}, which does not exist")
                elif (
                    anchor
                    and file.suffix == ".md"
                    and anchor[1:] not in anchors(str(file.relative_to(ROOT)))
                ):
                    problems.append(f"{where}: {target} has no heading {anchor}")
        for doc in TOP_DOC.findall(line):
            if doc not in GONE and not (ROOT / doc).exists():
                problems.append(f"{where}: {doc} does not exist")
        for section in SECTION.findall(line):
            if section not in rules_sections():
                problems.append(f"{where}: §{section} is not a section of docs/rules.md")
    return problems


def test_rules_keep_their_numbering() -> None:
    sections = rules_sections()
    expected = {"1", "2", "3", "4", "5", "6", "7", "8"}
    expected |= {f"2.{n}" for n in range(1, 8)} | {f"4.{n}" for n in range(1, 7)}
    expected |= {f"8.{n}" for n in range(1, 6)}
    assert sections == expected


def test_the_docs_exist() -> None:
    for name in ("rules.md", "architecture.md", "operations.md"):
        assert (ROOT / "docs" / name).is_file()


def test_every_reference_in_the_repository_resolves() -> None:
    problems = [
        problem
        for name, text in sorted(tracked().items())
        if name != "tests/test_docs.py"
        for problem in _problems_in(name, text)
    ]
    assert problems == []


def test_every_reference_in_the_schema_resolves() -> None:
    assert _problems_in("<schema>", schema.as_str()) == []


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (f"see {GONE[0]} §2.1", f"mentions {GONE[0]}"),
        ("(docs/rules.md §9.1)", "§9.1 is not a section"),
        ("§4.7 says so", "§4.7 is not a section"),
        ("docs/missing.md", "docs/missing.md does not exist"),
        ("docs/architecture.md#no-such-heading", "has no heading #no-such-heading"),
        ("tests/api/test_gone.py", "tests/api/test_gone.py does not exist"),
        ("CHANGELOG.md", "CHANGELOG.md does not exist"),
    ],
)
def test_a_broken_reference_is_reported(line: str, problem: str) -> None:
    (found,) = _problems_in("x.py", line)
    assert problem in found


def test_a_broken_markdown_link_is_reported() -> None:
    found = _problems_in("docs/rules.md", "[x](operations.md#no-such-heading)")
    assert found == ["docs/rules.md:1: operations.md has no heading #no-such-heading"]
    found = _problems_in("README.md", "[x](docs/nothing.md)")
    assert found == [
        "README.md:1: docs/nothing.md does not exist",
        "README.md:1: link to docs/nothing.md, which does not exist",
    ]
    assert _problems_in("docs/rules.md", "[ops](operations.md#scaling-out) §2.1 §4.2/§4.6") == []
