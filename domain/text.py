"""Text normalisation shared by classification and search (DOMAIN.md §2.2)."""

from __future__ import annotations

import re

# Arabic tashkeel (harakat, tanween, shadda, sukun, superscript alef) and tatweel.
_TASHKEEL = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ALEF_FORMS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي"})
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """§2.2: strip tashkeel and tatweel, fold alef forms and ى, lower-case, collapse space."""
    stripped = _TASHKEEL.sub("", text)
    folded = stripped.translate(_ALEF_FORMS).casefold()
    return _SPACE.sub(" ", folded).strip()


def bounded(value: str, *, limit: int) -> bool:
    """True when `value` fits within `limit` characters."""
    return len(value) <= limit


def storable(value: str) -> bool:
    """False for text PostgreSQL cannot store: NUL characters and lone UTF-16 surrogates."""
    return "\x00" not in value and not any("\ud800" <= char <= "\udfff" for char in value)
