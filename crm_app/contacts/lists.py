"""Lists managers edit in settings: custom phone types and acquisition channels."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel
from sqlalchemy import func, update
from sqlmodel import Session, select

from crm_app.contacts.models import AcquisitionChannel, Phone, PhoneType
from crm_app.contacts.schemas import BUILTIN_PHONE_TYPES
from crm_app.contacts.texts import BUILTIN_PHONE_LABELS, text_problem
from crm_app.core import audit
from crm_app.core.errors import NotFoundError, ValidationError

PHONE_TYPE_NAME_LIMIT = 60
CHANNEL_NAME_LIMIT = 120
Direction = Literal["up", "down"]


class PhoneTypeRead(BaseModel):
    """A custom phone type and how many phones use it."""

    id: int
    name: str
    position: int
    usage: int = 0


class ChannelRead(BaseModel):
    """An acquisition channel ("How did they find us?")."""

    id: int
    name: str
    active: bool
    position: int


def _clean_name(name: str, limit: int, taken: dict[str, int], *, exclude_id: int | None = None) -> str:
    text = (name or "").strip()
    if not text:
        raise ValidationError("Enter a name.", field="name")
    if len(text) > limit:
        raise ValidationError(f"Keep the name under {limit} characters.", field="name")
    problem = text_problem(text)
    if problem:
        raise ValidationError(problem, field="name")
    other = taken.get(text.casefold())
    if other is not None and other != exclude_id:
        raise ValidationError(f"“{text}” already exists.", field="name")
    return text


def _direction(direction: str) -> int:
    if direction not in ("up", "down"):
        raise ValidationError("Move up or down.", field="direction")
    return -1 if direction == "up" else 1


def _audit(session: Session, actor_id: int | None, entity_id: int | None, kind: str, field: str, **values) -> None:
    audit.record(session, actor_id=actor_id, entity="setting", entity_id=entity_id, kind=kind, field=field, **values)


def _move(session: Session, rows: list, row_id: int, direction: str) -> bool:
    """Swap a row with its neighbour; positions are renumbered 0..n-1 on the way."""
    step = _direction(direction)
    index = next(i for i, row in enumerate(rows) if row.id == row_id)
    other = index + step
    if not 0 <= other < len(rows):
        return False
    rows[index], rows[other] = rows[other], rows[index]
    for position, row in enumerate(rows):
        if row.position != position:
            row.position = position
            session.add(row)
    session.flush()
    return True


# ---------------------------------------------------------------- phone types


def _phone_types(session: Session) -> list[PhoneType]:
    return list(session.exec(select(PhoneType).order_by(PhoneType.position, PhoneType.id)).all())


def _get_phone_type(session: Session, type_id: int) -> PhoneType:
    row = session.get(PhoneType, type_id)
    if row is None:
        raise NotFoundError("This phone type does not exist.")
    return row


def _phone_type_names(session: Session) -> dict[str, int]:
    taken: dict[str, int] = {}
    for key in BUILTIN_PHONE_TYPES:
        taken[key] = -1
        taken[BUILTIN_PHONE_LABELS[key].casefold()] = -1
    for row in _phone_types(session):
        taken[row.name.casefold()] = row.id
    return taken


def _phone_type_read(row: PhoneType, usage: int = 0) -> PhoneTypeRead:
    return PhoneTypeRead(id=row.id, name=row.name, position=row.position, usage=usage)


def list_phone_types(session: Session) -> list[PhoneTypeRead]:
    """The custom phone types in their order, each with the number of phones using it."""
    rows = _phone_types(session)
    names = [row.name for row in rows]
    usage = (
        dict(session.exec(select(Phone.type, func.count()).where(Phone.type.in_(names)).group_by(Phone.type)).all())
        if names
        else {}
    )
    return [_phone_type_read(row, usage.get(row.name, 0)) for row in rows]


def phone_type_choices(session: Session) -> list[tuple[str, str]]:
    """(value, label) pairs for a phone type picker: Mobile, Work, Home, then the custom types."""
    builtin = [(key, BUILTIN_PHONE_LABELS[key]) for key in BUILTIN_PHONE_TYPES]
    return builtin + [(row.name, row.name) for row in _phone_types(session)]


def create_phone_type(session: Session, *, name: str, actor_id: int | None) -> PhoneTypeRead:
    """Add a custom phone type at the end of the list."""
    text = _clean_name(name, PHONE_TYPE_NAME_LIMIT, _phone_type_names(session))
    position = session.exec(select(func.coalesce(func.max(PhoneType.position) + 1, 0))).one()
    row = PhoneType(name=text, position=position)
    session.add(row)
    session.flush()
    _audit(session, actor_id, row.id, "created", "phone_type", new=text)
    session.flush()
    return _phone_type_read(row)


def rename_phone_type(session: Session, *, type_id: int, name: str, actor_id: int | None) -> PhoneTypeRead:
    """Rename a custom phone type; phones of that type follow."""
    row = _get_phone_type(session, type_id)
    text = _clean_name(name, PHONE_TYPE_NAME_LIMIT, _phone_type_names(session), exclude_id=row.id)
    if text != row.name:
        _audit(session, actor_id, row.id, "renamed", "phone_type", old=row.name, new=text)
        session.exec(
            update(Phone).where(Phone.type == row.name).values(type=text).execution_options(synchronize_session="fetch")
        )
        row.name = text
        session.add(row)
        session.flush()
    usage = session.exec(select(func.count()).select_from(Phone).where(Phone.type == row.name)).one()
    return _phone_type_read(row, usage)


def delete_phone_type(session: Session, *, type_id: int, actor_id: int | None) -> None:
    """Delete a custom phone type that no phone uses any more."""
    row = _get_phone_type(session, type_id)
    used = session.exec(select(func.count()).select_from(Phone).where(Phone.type == row.name)).one()
    if used:
        noun = "phone uses" if used == 1 else "phones use"
        raise ValidationError(
            f"{used} {noun} the type “{row.name}”: change them to another type first.", field="type_id"
        )
    _audit(session, actor_id, row.id, "deleted", "phone_type", old=row.name)
    session.delete(row)
    session.flush()


def move_phone_type(
    session: Session, *, type_id: int, direction: Direction, actor_id: int | None
) -> list[PhoneTypeRead]:
    """Move a custom phone type one place up or down."""
    row = _get_phone_type(session, type_id)
    if _move(session, _phone_types(session), row.id, direction):
        _audit(session, actor_id, row.id, "moved", "phone_type", new=direction)
        session.flush()
    return list_phone_types(session)


# ---------------------------------------------------------------- acquisition channels


def _channels(session: Session) -> list[AcquisitionChannel]:
    stmt = select(AcquisitionChannel).order_by(AcquisitionChannel.position, AcquisitionChannel.id)
    return list(session.exec(stmt).all())


def _get_channel(session: Session, channel_id: int) -> AcquisitionChannel:
    row = session.get(AcquisitionChannel, channel_id)
    if row is None:
        raise NotFoundError("This acquisition channel does not exist.")
    return row


def _channel_read(row: AcquisitionChannel) -> ChannelRead:
    return ChannelRead(id=row.id, name=row.name, active=row.active, position=row.position)


def _channel_names(session: Session) -> dict[str, int]:
    return {row.name.casefold(): row.id for row in _channels(session)}


def list_channels(session: Session, *, include_inactive: bool = False) -> list[ChannelRead]:
    """Acquisition channels in their order; inactive ones only when asked."""
    return [_channel_read(row) for row in _channels(session) if include_inactive or row.active]


def create_channel(session: Session, *, name: str, actor_id: int | None) -> ChannelRead:
    """Add an active acquisition channel at the end of the list."""
    text = _clean_name(name, CHANNEL_NAME_LIMIT, _channel_names(session))
    position = session.exec(select(func.coalesce(func.max(AcquisitionChannel.position) + 1, 0))).one()
    row = AcquisitionChannel(name=text, position=position, active=True)
    session.add(row)
    session.flush()
    _audit(session, actor_id, row.id, "created", "acquisition_channel", new=text)
    session.flush()
    return _channel_read(row)


def rename_channel(session: Session, *, channel_id: int, name: str, actor_id: int | None) -> ChannelRead:
    """Rename an acquisition channel (contacts keep pointing at it)."""
    row = _get_channel(session, channel_id)
    text = _clean_name(name, CHANNEL_NAME_LIMIT, _channel_names(session), exclude_id=row.id)
    if text != row.name:
        _audit(session, actor_id, row.id, "renamed", "acquisition_channel", old=row.name, new=text)
        row.name = text
        session.add(row)
        session.flush()
    return _channel_read(row)


def set_channel_active(session: Session, *, channel_id: int, active: bool, actor_id: int | None) -> ChannelRead:
    """Switch a channel on or off; inactive channels stay on existing contacts but cannot be chosen."""
    row = _get_channel(session, channel_id)
    if not isinstance(active, bool):
        raise ValidationError("Active must be true or false.", field="active")
    if row.active != active:
        _audit(session, actor_id, row.id, "activated" if active else "deactivated", "acquisition_channel", new=row.name)
        row.active = active
        session.add(row)
        session.flush()
    return _channel_read(row)


def move_channel(session: Session, *, channel_id: int, direction: Direction, actor_id: int | None) -> list[ChannelRead]:
    """Move a channel one place up or down."""
    row = _get_channel(session, channel_id)
    if _move(session, _channels(session), row.id, direction):
        _audit(session, actor_id, row.id, "moved", "acquisition_channel", new=direction)
        session.flush()
    return list_channels(session, include_inactive=True)
