"""Text normalisation: `normalise` is classification's (docs/rules.md §2.2, exactly as specified);
`search_key` folds further for customer-name search (hamza carriers, standalone hamza, ta marbuta).
"""

from __future__ import annotations

import re

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
