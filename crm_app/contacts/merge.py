"""Three-way merge of a contact form: the version the user started from, theirs and mine."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SET_FIELDS = frozenset({"tags"})


@dataclass(frozen=True)
class FieldConflict:
    """The same field changed by both sides to different values."""

    field: str
    base: Any
    mine: Any
    theirs: Any


@dataclass
class MergeResult:
    """The merged values and the fields that need a person to decide."""

    merged: dict[str, Any]
    conflicts: list[FieldConflict] = field(default_factory=list)
    taken_from_theirs: list[str] = field(default_factory=list)


def _merge_set(base: list, mine: list, theirs: list) -> list:
    added = [v for v in mine if v not in base]
    removed = {v for v in base if v not in mine}
    out = [v for v in theirs if v not in removed]
    out += [v for v in added if v not in out]
    return out


def three_way_merge(base: dict[str, Any], mine: dict[str, Any], theirs: dict[str, Any]) -> MergeResult:
    """Take each side's changes; a field both sides changed differently is a conflict (tags merge as sets)."""
    result = MergeResult(merged={})
    for key in dict.fromkeys([*base, *mine, *theirs]):
        b, m, t = base.get(key), mine.get(key), theirs.get(key)
        if key in SET_FIELDS and isinstance(m, list) and isinstance(t, list):
            result.merged[key] = _merge_set(list(b or []), m, t)
            if result.merged[key] != m:
                result.taken_from_theirs.append(key)
        elif m == b:
            result.merged[key] = t
            if t != b:
                result.taken_from_theirs.append(key)
        elif t in (b, m):
            result.merged[key] = m
        else:
            result.merged[key] = m
            result.conflicts.append(FieldConflict(field=key, base=b, mine=m, theirs=t))
    return result


def changed_fields(base: dict[str, Any], current: dict[str, Any]) -> set[str]:
    """The fields whose value differs between two snapshots."""
    return {k for k in dict.fromkeys([*base, *current]) if base.get(k) != current.get(k)}
