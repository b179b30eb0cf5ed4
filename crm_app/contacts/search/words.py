"""How text becomes search words, for the documents and the queries alike: folded words (``crm_app.core.text``),
the other spellings a name is found by, a normalised search text, and the digit forms of a phone number."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from crm_app.core.text import fold

MAX_QUERY_LENGTH = 200
MIN_DIGITS = 3
REVERSED_PREFIX = "x"

# Letters also written out as two (German, Nordic): "Müller" is "Mueller" too, "Åse" "Aase" ("ß" folds to "ss").
_SPELLED_OUT = str.maketrans(
    {
        "ü": "ue",
        "ö": "oe",
        "ä": "ae",
        "ø": "oe",
        "å": "aa",
        "æ": "ae",
        "Ü": "Ue",
        "Ö": "Oe",
        "Ä": "Ae",
        "Ø": "Oe",
        "Å": "Aa",
        "Æ": "Ae",
    }
)
MAX_JOINED_WORDS = 4
_WORD_RE = re.compile(r"[^\W_]+")
_DIGITS_RE = re.compile(r"[^0-9]")


@lru_cache(maxsize=65536)
def _cached_words(text: str) -> tuple[str, ...]:
    return tuple(_WORD_RE.findall(fold(text)))


def words(text: str) -> list[str]:
    """The folded words of a text: letters and digits, split at everything else."""
    if len(text) <= 40:
        return list(_cached_words(text))
    return _WORD_RE.findall(fold(text))


def spellings(text: str) -> list[str]:
    """The other folded words a name is found by: umlauts written out ("Müller" -> "mueller") and its words
    joined from each word on ("N'Diaye" -> "ndiaye", "Le Goff" -> "legoff", "Kowalska-Nowak" -> "kowalskanowak")."""
    plain = words(text)
    forms = [plain]
    if not text.isascii():
        spelled = words(unicodedata.normalize("NFC", text).translate(_SPELLED_OUT))
        if spelled != plain:
            forms.append(spelled)
    found = list(forms[1]) if len(forms) > 1 else []
    for parts in forms:
        found.extend("".join(parts[start : start + MAX_JOINED_WORDS]) for start in range(len(parts) - 1))
    return [word for word in dict.fromkeys(found) if word not in plain]


def normalise_query(text: str) -> str:
    """A search text as folded words separated by single spaces ("  Lefèbvre,  J " -> "lefebvre j")."""
    return " ".join(words((text or "")[:MAX_QUERY_LENGTH]))


def digits_of(text: str) -> str:
    """The digits of a text, nothing else."""
    return _DIGITS_RE.sub("", text or "")


def phone_tokens(e164: str, national_digits: str) -> list[str]:
    """The search words of a phone: its E.164 digits, its national digits and its digits reversed."""
    digits = digits_of(e164)
    tokens = [digits, national_digits] if national_digits and national_digits != digits else [digits]
    return [*tokens, REVERSED_PREFIX + digits[::-1]]
