"""Tags as first-class things: list with usage, search, create, rename, colour, merge, delete."""

from __future__ import annotations

from sqlalchemy import func, update
from sqlmodel import Session, delete, select

from crm_app.contacts.models import Contact, ContactTag, Tag
from crm_app.contacts.schemas import TagRead
from crm_app.contacts.search.documents import reindex_contacts, reindex_tagged
from crm_app.contacts.service import tags_by_key
from crm_app.contacts.texts import TAG_NAME_LIMIT, like_prefix, text_problem
from crm_app.core import audit
from crm_app.core.errors import NotFoundError, ValidationError
from crm_app.core.timeutil import utcnow

TAG_COLORS = (
    "gray",
    "red",
    "orange",
    "amber",
    "yellow",
    "green",
    "teal",
    "blue",
    "indigo",
    "violet",
    "purple",
    "pink",
    "brown",
)


def _read(tag: Tag) -> TagRead:
    return TagRead(id=tag.id, name=tag.name, color=tag.color, system_key=tag.system_key)


def _get(session: Session, tag_id: int) -> Tag:
    tag = session.get(Tag, tag_id)
    if tag is None:
        raise NotFoundError("This tag does not exist (it may have been deleted or merged).")
    return tag


def _clean_name(session: Session, name: str, *, exclude_id: int | None = None) -> str:
    text = (name or "").strip()
    if not text:
        raise ValidationError("Enter a tag name.", field="name")
    if len(text) > TAG_NAME_LIMIT:
        raise ValidationError(f"A tag has at most {TAG_NAME_LIMIT} characters.", field="name")
    problem = text_problem(text)
    if problem:
        raise ValidationError(problem, field="name")
    other = tags_by_key(session).get(text.casefold())
    if other is not None and other.id != exclude_id:
        raise ValidationError(f"A tag named “{other.name}” already exists.", field="name")
    return text


def _clean_color(color: str) -> str:
    value = (color or "").strip().lower()
    if value not in TAG_COLORS:
        raise ValidationError(f"Choose one of these colours: {', '.join(TAG_COLORS)}.", field="color")
    return value


def _sorted(tags: list[Tag]) -> list[Tag]:
    return sorted(tags, key=lambda tag: (tag.name.casefold(), tag.id))


def list_tags(session: Session) -> list[TagRead]:
    """Every tag, sorted by name."""
    return [_read(tag) for tag in _sorted(list(session.exec(select(Tag)).all()))]


def tag_id_by_name(session: Session, *, name: str, create: bool, actor_id: int | None) -> int:
    """The id of the tag named ``name`` (case aside); a missing one is created when ``create``, else NotFoundError."""
    wanted = name.strip().casefold()
    for tag in list_tags(session):
        if tag.name.casefold() == wanted:
            return tag.id
    if not create:
        raise NotFoundError("There is no tag with that name.")
    return create_tag(session, name=name, actor_id=actor_id).id


def tag_usage(session: Session) -> dict[int, int]:
    """How many contacts carry each tag (tags in use only)."""
    rows = session.exec(select(ContactTag.tag_id, func.count()).group_by(ContactTag.tag_id)).all()
    return {tag_id: count for tag_id, count in rows}


def search_tags(session: Session, *, prefix: str, limit: int = 10) -> list[TagRead]:
    """Tags whose name starts with ``prefix`` (case-insensitive), for the tag picker."""
    text = (prefix or "").strip().casefold()
    limit = max(1, min(int(limit), 100))
    if not text:
        stmt = select(Tag).order_by(func.lower(Tag.name), Tag.id).limit(limit)
        return [_read(tag) for tag in session.exec(stmt).all()]
    pattern = like_prefix(text)
    candidates = session.exec(
        select(Tag).where(func.lower(Tag.name).like(pattern, escape="\\") | Tag.name.like(pattern, escape="\\"))
    ).all()
    if not text.isascii():
        candidates = session.exec(select(Tag)).all()
    found = [tag for tag in candidates if tag.name.casefold().startswith(text)]
    return [_read(tag) for tag in _sorted(found)[:limit]]


def create_tag(session: Session, *, name: str, actor_id: int | None, color: str = "gray") -> TagRead:
    """A new tag; the name is unique whatever its case."""
    tag = Tag(name=_clean_name(session, name), color=_clean_color(color))
    session.add(tag)
    session.flush()
    audit.record(session, actor_id=actor_id, entity="tag", entity_id=tag.id, kind="created", new=tag.name)
    session.flush()
    return _read(tag)


def rename_tag(session: Session, *, tag_id: int, name: str, actor_id: int | None) -> TagRead:
    """Rename a tag (system tags too: they keep their system key)."""
    tag = _get(session, tag_id)
    new_name = _clean_name(session, name, exclude_id=tag.id)
    if new_name != tag.name:
        audit.record(
            session, actor_id=actor_id, entity="tag", entity_id=tag.id, kind="renamed", old=tag.name, new=new_name
        )
        tag.name = new_name
        session.add(tag)
        session.flush()
        reindex_tagged(session, tag_ids=[tag.id])
    return _read(tag)


def set_tag_color(session: Session, *, tag_id: int, color: str, actor_id: int | None) -> TagRead:
    """Change a tag's colour (one of the Radix colour names)."""
    tag = _get(session, tag_id)
    value = _clean_color(color)
    if value != tag.color:
        audit.record(
            session,
            actor_id=actor_id,
            entity="tag",
            entity_id=tag.id,
            kind="color_changed",
            field="color",
            old=tag.color,
            new=value,
        )
        tag.color = value
        session.add(tag)
        session.flush()
    return _read(tag)


def merge_tags(session: Session, *, source_ids: list[int], target_id: int, actor_id: int | None) -> TagRead:
    """Move every contact of the source tags to the target tag, then delete the sources."""
    target = _get(session, target_id)
    sources = [_get(session, tag_id) for tag_id in dict.fromkeys(source_ids) if tag_id != target_id]
    system = [tag.name for tag in sources if tag.system_key]
    if system:
        raise ValidationError(f"System tags cannot be merged away: {', '.join(system)}.", field="source_ids")
    if not sources:
        return _read(target)
    source_key = [tag.id for tag in sources]
    affected = set(session.exec(select(ContactTag.contact_id).where(ContactTag.tag_id.in_(source_key))).all())
    having_target = set(
        session.exec(
            select(ContactTag.contact_id).where(
                ContactTag.tag_id == target.id, ContactTag.contact_id.in_(affected or {-1})
            )
        ).all()
    )
    gaining = sorted(affected - having_target)
    session.exec(delete(ContactTag).where(ContactTag.tag_id.in_(source_key)))
    for contact_id in gaining:
        session.add(ContactTag(contact_id=contact_id, tag_id=target.id))
        audit.record(
            session,
            actor_id=actor_id,
            entity="tag",
            entity_id=target.id,
            contact_id=contact_id,
            kind="tag_added",
            new=target.name,
        )
    if affected:
        session.exec(
            update(Contact)
            .where(Contact.id.in_(affected))
            .values(version=Contact.version + 1, updated_at=utcnow(), updated_by_id=actor_id)
            .execution_options(synchronize_session="fetch")
        )
    for tag in sources:
        audit.record(
            session, actor_id=actor_id, entity="tag", entity_id=tag.id, kind="merged", old=tag.name, new=target.name
        )
        session.delete(tag)
    session.flush()
    reindex_contacts(session, contact_ids=affected)
    return _read(target)


def delete_tag(session: Session, *, tag_id: int, actor_id: int | None) -> None:
    """Delete a tag and take it off every contact; system tags are refused."""
    tag = _get(session, tag_id)
    if tag.system_key:
        raise ValidationError(f"“{tag.name}” is a system tag and cannot be deleted.", field="tag_id")
    contact_ids = sorted(session.exec(select(ContactTag.contact_id).where(ContactTag.tag_id == tag.id)).all())
    for contact_id in contact_ids:
        audit.record(
            session,
            actor_id=actor_id,
            entity="tag",
            entity_id=tag.id,
            contact_id=contact_id,
            kind="tag_removed",
            old=tag.name,
        )
    if contact_ids:
        session.exec(
            update(Contact)
            .where(Contact.id.in_(contact_ids))
            .values(version=Contact.version + 1, updated_at=utcnow(), updated_by_id=actor_id)
            .execution_options(synchronize_session="fetch")
        )
    session.exec(delete(ContactTag).where(ContactTag.tag_id == tag.id))
    audit.record(session, actor_id=actor_id, entity="tag", entity_id=tag.id, kind="deleted", old=tag.name)
    session.delete(tag)
    session.flush()
    reindex_contacts(session, contact_ids=contact_ids)
