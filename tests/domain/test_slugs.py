"""Organisation slugs spelt from any name (`wafi org create` without --slug)."""

from __future__ import annotations

import pytest

from domain.slugs import MAX_LENGTH, slug_from_name


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("شركة الأفق للتقنية", "shrka-alafq-lltqnya"),
        ("مكتب الإبداع الهندسي", "mktb-alabda-alhndsy"),
        ("Najm Logistics", "najm-logistics"),
        ("Sahara  Analytics!!", "sahara-analytics"),
        ("Café Ümlaut", "cafe-umlaut"),
        ("١٢٣ شركة", "123-shrka"),
        ("مُؤَسَّسَة", "mwssa"),
        ("ـــ", ""),
        ("!!!", ""),
    ],
)
def test_a_slug_is_spelt_in_latin_letters(name: str, slug: str) -> None:
    assert slug_from_name(name) == slug


def test_a_slug_is_at_most_forty_characters_and_never_ends_in_a_dash() -> None:
    slug = slug_from_name("a " * 30)
    assert len(slug) <= MAX_LENGTH == 40
    assert slug == "-".join(["a"] * 20)
    assert not slug_from_name("abcdefghij " * 4 + "x").endswith("-")
