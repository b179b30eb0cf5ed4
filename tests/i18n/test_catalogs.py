"""The translation mechanism: catalogs are complete for English and consistent for every language."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from crm_app.i18n import LOCALE_DIR, LOCALES, catalog, normalise_locale, translate

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {
    "t": None,
    "_": None,
    "_t": None,
    "translate": (2,),
    **{
        name: None
        for name in (
            "ValidationError",
            "NotFoundError",
            "PermissionDenied",
            "ConflictError",
            "ThrottledError",
            "NotSignedIn",
        )
    },
}
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _code_messages() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        str(ROOT / "crm_app"), method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        if isinstance(message, str) and message:
            found.add(message)
    return found


def _po(lang: str):
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=lang)


def test_every_message_in_the_code_is_in_every_catalog():
    in_code = _code_messages()
    assert "Sign in" in in_code
    for lang in LOCALES:
        ids = {m.id for m in _po(lang) if m.id}
        missing = sorted(in_code - ids)
        assert not missing, f"{lang} catalog lacks {missing[:10]} — run `make messages`"


def test_translations_keep_every_placeholder():
    for lang in LOCALES:
        for msg in _po(lang):
            if msg.id and msg.string:
                assert set(PLACEHOLDER.findall(msg.id)) == set(PLACEHOLDER.findall(msg.string)), (lang, msg.id)


def test_translate_uses_the_catalog_and_falls_back_to_english():
    assert translate("fr", "Sign in") == "Se connecter"
    assert translate("pl", "Sign in") == "Zaloguj się"
    assert translate("en", "Sign in") == "Sign in"
    assert translate("de", "Sign in") == "Sign in"
    assert translate("fr", "A sentence nobody translated") == "A sentence nobody translated"


def test_translate_fills_placeholders_in_each_language():
    assert translate("fr", "{first}–{last} of {total}", first=1, last=50, total=70) == "1–50 sur 70"
    assert translate("en", "{first}–{last} of {total}", first=1, last=50, total=70) == "1–50 of 70"


def test_locale_codes_are_normalised():
    assert normalise_locale("fr_FR") == "fr"
    assert normalise_locale("pl-PL") == "pl"
    assert normalise_locale(None) == "en"
    assert normalise_locale("xx") == "en"
    assert catalog("en") == {}
