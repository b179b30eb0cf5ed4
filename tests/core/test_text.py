"""Text folding: one rule for comparing, sorting and searching text."""

from __future__ import annotations

from crm_app.contacts.texts import sort_key
from crm_app.core.text import fold


def test_fold_drops_case_and_accents() -> None:
    assert fold("Wiśniewski") == "wisniewski"
    assert fold("Élodie ÜNAL") == "elodie unal"
    assert fold("Plain ASCII") == "plain ascii"


def test_fold_maps_letters_unicode_does_not_decompose() -> None:
    assert fold("Łódź") == "lodz"
    assert fold("ł Ł đ Ø æ Œ ß") == "l l d o ae oe ss"


def test_sort_key_folds_like_fold() -> None:
    for name in ("Łukasz Wałęsa", "ŁUKASZ", "Øre Straße", "Élodie Ünal", "Jean-Pierre"):
        assert sort_key(name) == fold(name)
    assert sort_key("Łukasz") == "lukasz"
