"""Where fields sit on a contact type's form: their order, and the sections that group them."""

from __future__ import annotations

from sqlmodel import Session

from crm_app.core.errors import ValidationError
from crm_app.fields.definitions import (
    audit_change,
    check_kind,
    clean_label,
    fields_of,
    form_for,
    get_field,
    get_section,
    group_of,
    renumber,
    sections_of,
    touch,
)
from crm_app.fields.models import FieldDefinition, FormSection
from crm_app.fields.schemas import Direction, FormRead, SectionRead


def _move_in_groups(session: Session, row: FieldDefinition, direction: Direction) -> bool:
    if direction not in ("up", "down"):
        raise ValidationError("Move up or down.", field="direction")
    order: list[int | None] = [None, *[s.id for s in sections_of(session, row.kind)]]
    fields = fields_of(session, row.kind)
    groups = {sid: [f for f in fields if f.section_id == sid] for sid in order}
    group = groups.get(row.section_id) or groups[None]
    index = group.index(row)
    step = -1 if direction == "up" else 1
    if 0 <= index + step < len(group):
        group[index], group[index + step] = group[index + step], group[index]
        renumber(session, group)
        return True
    group_index = order.index(row.section_id) if row.section_id in order else 0
    target_index = group_index + step
    if not 0 <= target_index < len(order):
        return False
    target = groups[order[target_index]]
    group.remove(row)
    row.section_id = order[target_index]
    if direction == "up":
        target.append(row)
    else:
        target.insert(0, row)
    renumber(session, group)
    renumber(session, target)
    session.add(row)
    return True


def move_field(session: Session, *, field_id: int, direction: Direction, actor_id: int | None) -> FormRead:
    """Move a field one place up or down; past the top or bottom of a section it moves into the neighbour one."""
    row = get_field(session, field_id)
    before = {"section_id": row.section_id, "position": row.position}
    if _move_in_groups(session, row, direction):
        touch(session, row)
        audit_change(
            session, actor_id, row, "moved", old=before, new={"section_id": row.section_id, "position": row.position}
        )
        session.flush()
    return form_for(session, kind=row.kind, include_inactive=True)


def move_field_to(
    session: Session, *, field_id: int, section_id: int | None, position: int, actor_id: int | None
) -> FormRead:
    """Put a field into a section (None: above the first heading) at a position (clamped to the section)."""
    row = get_field(session, field_id)
    if section_id is not None:
        get_section(session, section_id, row.kind)
    before = {"section_id": row.section_id, "position": row.position}
    old_group = [f for f in group_of(session, row.kind, row.section_id) if f.id != row.id]
    target = old_group if section_id == row.section_id else group_of(session, row.kind, section_id)
    index = max(0, min(int(position), len(target)))
    target.insert(index, row)
    row.section_id = section_id
    renumber(session, old_group)
    renumber(session, target)
    after = {"section_id": row.section_id, "position": row.position}
    if after != before:
        touch(session, row)
        audit_change(session, actor_id, row, "moved", old=before, new=after)
    session.flush()
    return form_for(session, kind=row.kind, include_inactive=True)


def _clean_title(title: str) -> str:
    return clean_label(title, field="title")


def create_section(session: Session, *, kind: str, title: str, actor_id: int | None) -> SectionRead:
    """Add a section heading at the end of a form."""
    check_kind(kind)
    text = _clean_title(title)
    sections = sections_of(session, kind)
    section = FormSection(kind=kind, title=text, position=(sections[-1].position + 1) if sections else 0)
    session.add(section)
    session.flush()
    audit_change(session, actor_id, section, "created", "title", new=text)
    return SectionRead(id=section.id, title=section.title, position=section.position)


def rename_section(session: Session, *, section_id: int, title: str, actor_id: int | None) -> SectionRead:
    """Change a section's heading."""
    section = get_section(session, section_id)
    text = _clean_title(title)
    if text != section.title:
        audit_change(session, actor_id, section, "renamed", "title", old=section.title, new=text)
        section.title = text
        session.add(section)
        session.flush()
    return SectionRead(id=section.id, title=section.title, position=section.position)


def move_section(session: Session, *, section_id: int, direction: Direction, actor_id: int | None) -> FormRead:
    """Move a section (with its fields) one place up or down."""
    section = get_section(session, section_id)
    if direction not in ("up", "down"):
        raise ValidationError("Move up or down.", field="direction")
    sections = sections_of(session, section.kind)
    index = sections.index(section)
    other = index + (-1 if direction == "up" else 1)
    if 0 <= other < len(sections):
        before = section.position
        sections[index], sections[other] = sections[other], sections[index]
        renumber(session, sections)
        audit_change(session, actor_id, section, "moved", "position", old=before, new=section.position)
        session.flush()
    return form_for(session, kind=section.kind, include_inactive=True)


def delete_section(session: Session, *, section_id: int, actor_id: int | None) -> FormRead:
    """Remove a section heading; its fields move, in order, to the end of the untitled group."""
    section = get_section(session, section_id)
    kind = section.kind
    loose = group_of(session, kind, None)
    moved = group_of(session, kind, section.id)
    for row in moved:
        row.section_id = None
        touch(session, row)
    renumber(session, loose + moved)
    session.flush()
    audit_change(session, actor_id, section, "deleted", "title", old=section.title, new=[row.key for row in moved])
    session.delete(section)
    session.flush()
    return form_for(session, kind=kind, include_inactive=True)
