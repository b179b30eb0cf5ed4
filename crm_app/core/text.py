"""Text folding: the one rule every layer compares, sorts and searches text by (lower case, no accents, and the
letters Unicode does not decompose mapped to their base letters: "Łódź" -> "lodz")."""

from __future__ import annotations

import unicodedata

# Letters Unicode does not decompose into a base letter and an accent.
_FOLD = str.maketrans(
    {
        "ł": "l",
        "đ": "d",
        "ø": "o",
        "æ": "ae",
        "œ": "oe",
        "ß": "ss",
        "ı": "i",
        "þ": "th",
        "ð": "d",
        "ħ": "h",
        "ŀ": "l",
        "ŧ": "t",
    }
)


def fold(text: str) -> str:
    """Lower case without accents ("Wiśniewski" -> "wisniewski", "Łódź" -> "lodz")."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.casefold().translate(_FOLD)
