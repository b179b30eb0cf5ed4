"""Row ids from untrusted input (a browser's event, a URL): one rule for every layer."""

from __future__ import annotations

# The largest id both engines store (a signed 64-bit integer); a larger number is no row of ours.
MAX_ID = 2**63 - 1


def as_id(value: object) -> int | None:
    """A positive row id from a number or a string of digits, or None (a bool, 10**30, "1e3", -1 or junk)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit() and len(value.strip()) <= 19:
        number = int(value.strip())
    else:
        return None
    return number if 0 < number <= MAX_ID else None
