"""Input hygiene: a required text shows something; no text holds controls or bidi overrides; a
CSV cell never starts like a spreadsheet formula."""

from __future__ import annotations

import pytest

from domain import text
from domain.text import blank, unsafe_character


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "\u200b",  # zero-width space
        "\u200d\u200c",  # the joiners alone
        "\u202e",  # right-to-left override
        "\ufeff",  # byte order mark
        "ـــ",  # tatweel alone
        "\u064e\u0651",  # harakat with no letter
        "\u3164",  # Hangul filler
        "\u2800",  # blank Braille pattern
        "\u00a0\u2003\u3000",  # no-break, em and ideographic spaces
        None,
    ],
)
def test_nothing_visible_is_blank(value: str | None) -> None:
    assert blank(value) is True


@pytest.mark.parametrize("value", ["ا", "A", "٣", "7", "-", "€", "😀", " ـعـ ", "می\u200cخواهم"])
def test_one_letter_digit_or_symbol_is_not_blank(value: str) -> None:
    assert blank(value) is False


@pytest.mark.parametrize(
    ("value", "multiline", "found"),
    [
        ("a\x07b", False, "U+0007"),
        ("a\nb", False, "U+000A"),
        ("a\tb", False, "U+0009"),
        ("\x1b[31mred", True, "U+001B"),
        ("a\x7fb", True, "U+007F"),
        ("a\x85b", True, "U+0085"),  # C1 next line
        ("abc\u202edef", True, "U+202E"),
        ("\u202a", False, "U+202A"),
        ("x\u2066y\u2069", False, "U+2066"),
        ("\u2069", True, "U+2069"),
    ],
)
def test_controls_and_bidi_overrides_are_found(value: str, multiline: bool, found: str) -> None:
    assert unsafe_character(value, multiline=multiline) == found


@pytest.mark.parametrize(
    ("value", "multiline"),
    [
        ("سطر\nسطر\tثانٍ\r\n", True),
        ("می\u200cخواهم", False),  # ZWNJ inside a word
        ("ل\u200dا", False),  # ZWJ inside a word
        ("\u200fمرحبا\u200e", False),  # RLM and LRM marks
        ("\u061cابc", False),  # Arabic letter mark
        ("شركة الأفق", False),
    ],
)
def test_line_breaks_in_bodies_and_joiners_and_marks_are_allowed(
    value: str, multiline: bool
) -> None:
    assert unsafe_character(value, multiline=multiline) is None


@pytest.mark.parametrize(
    ("stored", "cell"),
    [
        ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
        ("+966 11 000", "'+966 11 000"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tindent", "'\tindent"),
        ("\rcarriage", "'\rcarriage"),
        ("-3", "-3"),
        ("-0.5", "-0.5"),
        ("شركة =الأفق", "شركة =الأفق"),
        ("'quoted", "'quoted"),
        ("", ""),
    ],
)
def test_a_cell_that_starts_like_a_formula_is_exported_as_text(stored: str, cell: str) -> None:
    assert text.spreadsheet_cell(stored) == cell
    assert text.from_spreadsheet_cell(cell) == stored
