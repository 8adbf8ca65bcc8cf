"""Text normalisation: `normalise` is classification's (docs/rules.md §2.2, exactly as specified);
`search_key` folds further for customer-name search (hamza carriers, standalone hamza, ta marbuta).
Input hygiene: `blank` (nothing a reader can see) and `unsafe_character` (controls, bidi overrides).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

# Arabic tashkeel (harakat, tanween, shadda, sukun, superscript alef) and tatweel.
_TASHKEEL = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ALEF_FORMS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي"})
_SPACE = re.compile(r"\s+")
# Search only, on top of §2.2: hamza on waw and yeh fold to the bare letter, a standalone hamza is
# dropped, ta marbuta folds to heh. Keep in step with migration 0008's SQL, which applies exactly
# these folds to an already-normalised name (a test checks the two agree).
_SEARCH_FOLDS = str.maketrans({"ؤ": "و", "ئ": "ي", "ء": None, "ة": "ه"})


def normalise(text: str) -> str:
    """§2.2: strip tashkeel and tatweel, fold alef forms and ى, lower-case, collapse space."""
    stripped = _TASHKEEL.sub("", text)
    folded = stripped.translate(_ALEF_FORMS).casefold()
    return _SPACE.sub(" ", folded).strip()


def search_key(text: str) -> str:
    """How customer-name search compares text: `normalise`, then ؤ→و, ئ→ي, ة→ه and no ء.

    So `موسسه`, `مؤسسة` and `مُؤَسَّسَة` share one key. Dropping ء can leave two spaces side by side
    (or one at an end), hence the second collapse.
    """
    folded = normalise(text).translate(_SEARCH_FOLDS)
    return _SPACE.sub(" ", folded).strip()


def bounded(value: str, *, limit: int) -> bool:
    """True when `value` fits within `limit` characters."""
    return len(value) <= limit


def storable(value: str) -> bool:
    """False for text PostgreSQL cannot store: NUL characters and lone UTF-16 surrogates."""
    return "\x00" not in value and not any("\ud800" <= char <= "\udfff" for char in value)


# Bidi embeddings, overrides and isolates (LRE RLE PDF LRO RLO, LRI RLI FSI PDI): they reorder
# how the text around them is shown, so `\u202e` can make a name read backwards. The marks
# LRM/RLM/ALM and the joiners ZWJ/ZWNJ (which Arabic and Persian words need) stay allowed.
BIDI_CONTROLS: Final = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Control characters a multi-line text (a body, a note) may hold.
LINE_CONTROLS: Final = frozenset("\n\t\r")
# Letters and symbols that draw nothing: tatweel (only stretches a joined word), the Hangul
# fillers and the blank Braille pattern.
_DRAW_NOTHING: Final = frozenset("\u0640\u115f\u1160\u3164\uffa0\u2800")


def blank(value: str | None) -> bool:
    """True when `value` shows a reader nothing: no letter, digit, punctuation mark or symbol.

    Spaces, format characters (zero-width space and joiners, BOM, bidi controls), combining
    marks on their own and tatweel alone all count as blank.
    """
    return value is None or not any(
        unicodedata.category(char)[0] in "LNPS" and char not in _DRAW_NOTHING for char in value
    )


def unsafe_character(value: str, *, multiline: bool) -> str | None:
    """The first character no text input may hold, as `U+XXXX`, or None.

    Refused: control characters (Unicode Cc; a multi-line text may hold newline, tab and
    carriage return) and the bidi embeddings, overrides and isolates.
    """
    for char in value:
        if char in BIDI_CONTROLS or (
            unicodedata.category(char) == "Cc" and not (multiline and char in LINE_CONTROLS)
        ):
            return f"U+{ord(char):04X}"
    return None


# Spreadsheet formula guard (README: CSV import and export): a cell that begins with one of
# these is read as a formula by spreadsheet programs; an apostrophe in front makes it text.
FORMULA_STARTS: Final = frozenset("=+-@\t\r")
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def spreadsheet_cell(value: str) -> str:
    """`value` as a CSV cell no spreadsheet runs: `'` before a cell that starts like a formula.

    A plain number (`-3`, `-0.5`) is left alone: it is a number, not a formula.
    """
    if value[:1] in FORMULA_STARTS and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def from_spreadsheet_cell(value: str) -> str:
    """The inverse of `spreadsheet_cell`, for import: a guarded cell loses its apostrophe."""
    if value[:1] == "'" and value[1:2] in FORMULA_STARTS and not _PLAIN_NUMBER.fullmatch(value[1:]):
        return value[1:]
    return value
