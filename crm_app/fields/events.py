"""What a change of a form definition asks of the custom values stored on contacts (``crm_app.core.events``).

Custom values live in ``Contact.custom`` under the field's key, a layer above this package; the contacts
package subscribes with ``events.on`` and counts, reads, converts, removes and reindexes them inside the
publishing transaction. ``kinds`` are the contact kinds whose ``custom[key]`` belongs to the field. Events
that need an answer carry a field the subscriber fills in; an error a subscriber raises aborts the change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldSearchChanged:
    """What a search finds through a custom field changed (made searchable or not, shown or hidden while
    searchable, an option of a searchable field renamed, its type changed): its values are reindexed."""

    key: str


@dataclass
class FieldValuesCounting:
    """How many contacts hold a value for a field is asked: the subscriber sets ``count``."""

    key: str
    kinds: tuple[str, ...]
    count: int = 0


@dataclass(frozen=True)
class FieldValuesScanning:
    """A field's stored values are read: the subscriber hands each one to ``visit``, in batches by contact id."""

    key: str
    kinds: tuple[str, ...]
    visit: Callable[[Any], None]


@dataclass
class FieldTypeChanging:
    """A field's type changes: the subscriber stores ``convert(value)`` for each value it changes and sets
    ``converted`` (how many contacts changed)."""

    key: str
    kinds: tuple[str, ...]
    convert: Callable[[Any], Any]
    converted: int = 0


@dataclass
class FieldDeleting:
    """A custom field is being deleted: the subscriber removes its values, sets ``removed`` (from how many
    contacts) and, for a ``searchable`` field, reindexes those contacts."""

    key: str
    kinds: tuple[str, ...]
    searchable: bool
    removed: int = 0
