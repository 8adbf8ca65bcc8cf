"""Organisation slugs: short Latin names for URLs and the command line, made from any name."""

from __future__ import annotations

import re
import unicodedata

# A plain, reversible-enough Arabic → Latin spelling (no diacritics), so `شركة الأفق` gets
# `shrka-alafq` rather than a random slug. Hamza seats fold like the classifier's letters.
_ARABIC = {
    "ا": "a", "أ": "a", "إ": "i", "آ": "a", "ٱ": "a", "ب": "b", "ت": "t", "ث": "th",
    "ج": "j", "ح": "h", "خ": "kh", "د": "d", "ذ": "dh", "ر": "r", "ز": "z", "س": "s",
    "ش": "sh", "ص": "s", "ض": "d", "ط": "t", "ظ": "z", "ع": "", "غ": "gh", "ف": "f",
    "ق": "q", "ك": "k", "ل": "l", "م": "m", "ن": "n", "ه": "h", "ة": "a", "و": "w",
    "ؤ": "w", "ي": "y", "ى": "a", "ئ": "y", "ء": "", "پ": "p", "چ": "ch", "ڤ": "v",
    "گ": "g", "ک": "k", "ی": "y",
}  # fmt: skip
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
MAX_LENGTH = 40


def slug_from_name(name: str) -> str:
    """A lower-case `a-z0-9-` slug for `name` (Arabic transliterated, accents dropped), at most
    MAX_LENGTH characters; empty when nothing in the name can be spelt in Latin letters."""
    text = unicodedata.normalize("NFKD", name.translate(_DIGITS))
    spelt = "".join(_ARABIC.get(char, char) for char in text if not unicodedata.combining(char))
    ascii_only = spelt.encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")
    return slug[:MAX_LENGTH].rstrip("-")
