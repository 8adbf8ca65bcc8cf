"""§2.2's `normalise` stays as specified; `search_key` also folds hamza and ta marbuta."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from domain import tickets
from domain.text import normalise, search_key
from domain.tickets import Priority

if not os.getenv("HYPOTHESIS_STORAGE_DIRECTORY"):
    set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "wafi-hypothesis")


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("مؤسسة", "موسسه"),  # ؤ → و, ة → ه
        ("هيئة", "هييه"),  # ئ → ي
        ("مسؤول", "مسوول"),
        ("المسؤول", "المسوول"),
        ("سماء", "سما"),  # standalone ء dropped
        ("جزءا", "جزا"),
        ("مدرسة", "مدرسه"),  # ة → ه
        ("أإآٱى", "اااا" + "ي"),  # §2.2's folds still apply
        ("مُؤَسَّسَةٌ", "موسسه"),  # tashkeel stripped first
        ("مـؤسـسـة", "موسسه"),  # tatweel stripped
        ("NAJM Logistics", "najm logistics"),
    ],
)
def test_search_key_folds_each_form(typed: str, key: str) -> None:
    assert search_key(typed) == key


@pytest.mark.parametrize(
    ("written", "typed"),
    [
        ("مؤسسة النور", "موسسة"),
        ("مؤسسة النور", "مؤسسه"),
        ("مؤسسة النور", "موسسه النور"),
        ("هيئة الاتصالات", "هيية"),
        ("هيئة الاتصالات", "هيئه الإتصالات"),
        ("المسؤول", "مسوول"),
        ("إنشاء", "انشا"),
    ],
)
def test_a_hamza_less_spelling_is_a_substring_of_the_written_key(written: str, typed: str) -> None:
    assert search_key(typed) in search_key(written)


def test_a_hamza_seat_typed_as_the_other_carrier_is_not_folded() -> None:
    # ؤ folds to و and ئ to ي, each to its own seat: "مسيول" (the مسئول spelling without its
    # hamza) is not "مسؤول" without its hamza, so the two keys stay apart.
    assert search_key("مسيول") not in search_key("المسؤول")
    assert search_key("مسئول") not in search_key("المسؤول")


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("ء", ""),
        ("شركة ء النور", "شركه النور"),  # no double space where ء stood alone
        ("ء شركة", "شركه"),  # nor a leading one
        ("شركة ء", "شركه"),
        ("  مؤسسة\t\nالنور  ", "موسسه النور"),
    ],
)
def test_dropping_a_standalone_hamza_leaves_single_spaces(text: str, key: str) -> None:
    assert search_key(text) == key


@pytest.mark.parametrize("text", ["مؤسسة", "هيئة", "سماء", "مدرسة"])
def test_the_classification_normaliser_keeps_hamza_and_ta_marbuta(text: str) -> None:
    # docs/rules.md §2.2 folds only أ إ آ (and ٱ) and ى; the search folds must not leak into it.
    assert normalise(text) == text


def test_classification_does_not_gain_the_search_folds() -> None:
    assert tickets.classify("", "خدمة معطلة").priority == Priority.P1
    # ة written as ه is not a §2.2 match, so classification still says P3.
    assert tickets.classify("", "خدمه معطله").priority == Priority.P3


@given(st.text(alphabet="مؤسئءةهيوا أإآىٱـًَُِّ\tAbß", max_size=30))
def test_search_key_is_idempotent_and_builds_on_normalise(text: str) -> None:
    key = search_key(text)
    assert search_key(key) == key
    assert search_key(normalise(text)) == key
    assert not set(key) & set("ؤئءةأإآٱى")
    assert "  " not in key
    assert key == key.strip()
