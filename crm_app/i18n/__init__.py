"""Translations: gettext catalogs (``locales/<lang>/LC_MESSAGES/messages.po``) read with Babel at run time."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

LOCALES: tuple[str, ...] = ("en", "fr", "pl")
LOCALE_NAMES: dict[str, str] = {"en": "English", "fr": "Français", "pl": "Polski"}
LOCALE_DIR = Path(__file__).parent / "locales"


def _(msgid: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return msgid


def normalise_locale(locale: str | None) -> str:
    """A supported locale code for ``locale`` (``fr_FR`` -> ``fr``), English when unknown."""
    code = (locale or "en").replace("-", "_").split("_")[0].lower()
    return code if code in LOCALES else "en"


@cache
def catalog(locale: str) -> dict[str, str]:
    """Every translated message of ``locale``: msgid -> text (untranslated ones left out)."""
    path = LOCALE_DIR / normalise_locale(locale) / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        cat = read_po(fh, locale=normalise_locale(locale))
    return {m.id: m.string for m in cat if m.id and isinstance(m.id, str) and m.string and m.string != m.id}


def translate(locale: str, msgid: str, **values: object) -> str:
    """``msgid`` in ``locale``, with ``{name}`` placeholders filled from ``values``."""
    text = catalog(normalise_locale(locale)).get(msgid, msgid)
    if values:
        try:
            return text.format(**values)
        except (KeyError, IndexError, ValueError):
            return msgid.format(**values)
    return text
