"""Plain text cut into text and link segments: only http, https and mailto links, never markup."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import BaseModel

SAFE_SCHEMES = ("http", "https", "mailto")
MAX_URL_CHARS = 2048
MAX_LABEL_CHARS = 80
TRAILING = ".,;:!?'\"*"
CLOSERS = {")": "(", "]": "[", "}": "{"}

# A candidate starts with one of the safe schemes, not glued to a word, path or another scheme before it
# ("javascript:https://…" is not a link), and runs to whitespace, quotes, angle brackets or invisible marks.
_INVISIBLE = "\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
_CANDIDATE = re.compile(
    rf"(?<![\w@/.+:%-])(?:https?://|mailto:)[^\s<>\"'`{_INVISIBLE}]+",
    re.IGNORECASE,
)
_HOST = re.compile(r"(?:[\w-]+\.)*[\w-]+|\[[0-9a-f:.]+\]", re.IGNORECASE)
_MAILBOX = re.compile(r"[\w.!#$%&*+/=?^{|}~-]+@(?:[\w-]+\.)+[\w-]{2,}", re.IGNORECASE)


class Segment(BaseModel):
    """A run of plain text, or a link (``href`` set) whose visible text is ``text``."""

    text: str
    href: str = ""


def _trim(candidate: str) -> str:
    """Drop punctuation that ends the sentence rather than the URL, and closing brackets that open nowhere."""
    while candidate:
        last = candidate[-1]
        unbalanced = last in CLOSERS and candidate.count(CLOSERS[last]) < candidate.count(last)
        if last not in TRAILING and not unbalanced:
            break
        candidate = candidate[:-1]
    return candidate


def safe_href(candidate: str) -> str | None:
    """``candidate`` when it is an http(s) link to a host or a mailto link to one address, else None."""
    if not candidate or len(candidate) > MAX_URL_CHARS:
        return None
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in SAFE_SCHEMES:
        return None
    if scheme == "mailto":
        address = parts.path
        return candidate if _MAILBOX.fullmatch(address) and not parts.netloc else None
    host = parts.netloc.rsplit(":", 1)[0] if not parts.netloc.endswith("]") else parts.netloc
    if not parts.netloc or "@" in parts.netloc or not _HOST.fullmatch(host) or "\\" in candidate:
        return None
    return candidate


def _label(url: str) -> str:
    return url if len(url) <= MAX_LABEL_CHARS else url[: MAX_LABEL_CHARS - 1] + "…"


def split_links(text: str) -> list[Segment]:
    """Cut ``text`` into plain-text runs and safe links, in order; everything else stays text."""
    if not isinstance(text, str) or not text:
        return []
    segments: list[Segment] = []
    plain_from = 0

    def keep_text(end: int) -> None:
        if end <= plain_from:
            return
        chunk = text[plain_from:end]
        if segments and not segments[-1].href:
            segments[-1] = Segment(text=segments[-1].text + chunk)
        else:
            segments.append(Segment(text=chunk))

    for match in _CANDIDATE.finditer(text):
        url = _trim(match.group(0))
        href = safe_href(url)
        if href is None:
            continue
        keep_text(match.start())
        segments.append(Segment(text=_label(url), href=href))
        plain_from = match.start() + len(url)
    keep_text(len(text))
    return segments
