"""Tags: list, usage, search, create, rename, colour, merge, delete."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import Session, select

from crm_app.contacts import service, tags
from crm_app.contacts.models import ContactTag, Tag
from crm_app.core.errors import NotFoundError, ValidationError
from crm_app.core.models import AuditEntry
from tests.contacts.factories import person


@pytest.fixture
def db(any_engine) -> Iterator[Session]:
    """A session on SQLite, then on PostgreSQL."""
    with Session(any_engine, expire_on_commit=False) as s:
        yield s


def _tag_id(session: Session, name: str) -> int:
    return session.exec(select(Tag.id).where(Tag.name == name)).one()


def _contact_tags(session: Session, contact_id: int) -> list[str]:
    return [t.name for t in service.get_contact(session, contact_id=contact_id).tags]


def test_list_tags_sorts_by_name_whatever_the_case(session) -> None:
    for name in ("beta", "Alpha", "gamma"):
        tags.create_tag(session, name=name, actor_id=None)
    assert [t.name for t in tags.list_tags(session)] == ["Alpha", "beta", "gamma"]


def test_tag_usage_counts_contacts_per_tag(session) -> None:
    service.create_contact(session, data=person(tags=["VIP", "Blue"]), actor_id=None)
    service.create_contact(session, data=person(tags=["VIP"]), actor_id=None)
    tags.create_tag(session, name="Unused", actor_id=None)
    usage = tags.tag_usage(session)
    assert (usage[_tag_id(session, "VIP")], usage[_tag_id(session, "Blue")]) == (2, 1)
    assert _tag_id(session, "Unused") not in usage


def test_search_tags_finds_names_by_prefix_whatever_the_case(session) -> None:
    for name in ("Vip", "VIP gold", "Vendor", "Blue", "Élite"):
        tags.create_tag(session, name=name, actor_id=None)
    assert [t.name for t in tags.search_tags(session, prefix="vi")] == ["Vip", "VIP gold"]
    assert [t.name for t in tags.search_tags(session, prefix="él")] == ["Élite"]
    assert len(tags.search_tags(session, prefix="v", limit=2)) == 2


def test_search_tags_treats_wildcards_literally(session) -> None:
    tags.create_tag(session, name="50%", actor_id=None)
    tags.create_tag(session, name="500", actor_id=None)
    assert [t.name for t in tags.search_tags(session, prefix="50%")] == ["50%"]


def test_create_tag_refuses_a_name_that_exists_in_another_case(session) -> None:
    tags.create_tag(session, name="VIP", actor_id=None)
    with pytest.raises(ValidationError):
        tags.create_tag(session, name=" vip ", actor_id=None)


def test_create_tag_refuses_an_empty_or_too_long_name(session) -> None:
    with pytest.raises(ValidationError):
        tags.create_tag(session, name="  ", actor_id=None)
    with pytest.raises(ValidationError):
        tags.create_tag(session, name="x" * 81, actor_id=None)


def test_create_tag_refuses_a_colour_outside_the_palette(session) -> None:
    with pytest.raises(ValidationError) as caught:
        tags.create_tag(session, name="VIP", color="#ff0000", actor_id=None)
    assert "color" in caught.value.errors


def test_rename_tag_changes_the_name_everywhere(session) -> None:
    read = service.create_contact(session, data=person(tags=["VIP"]), actor_id=None)
    tags.rename_tag(session, tag_id=read.tags[0].id, name="Premium", actor_id=None)
    assert _contact_tags(session, read.id) == ["Premium"]


def test_rename_tag_may_change_only_the_case(session) -> None:
    tag = tags.create_tag(session, name="vip", actor_id=None)
    assert tags.rename_tag(session, tag_id=tag.id, name="VIP", actor_id=None).name == "VIP"


def test_rename_tag_refuses_the_name_of_another_tag(session) -> None:
    tags.create_tag(session, name="VIP", actor_id=None)
    other = tags.create_tag(session, name="Gold", actor_id=None)
    with pytest.raises(ValidationError):
        tags.rename_tag(session, tag_id=other.id, name="vip", actor_id=None)


def test_rename_tag_of_a_system_tag_keeps_its_system_key(session) -> None:
    conflict = service.ensure_system_tags(session)["conflict"]
    read = tags.rename_tag(session, tag_id=conflict.id, name="Litige", actor_id=None)
    assert (read.name, read.system_key) == ("Litige", "conflict")


def test_set_tag_color_accepts_radix_colour_names_only(session) -> None:
    tag = tags.create_tag(session, name="VIP", actor_id=None)
    assert tags.set_tag_color(session, tag_id=tag.id, color="Amber", actor_id=None).color == "amber"
    with pytest.raises(ValidationError):
        tags.set_tag_color(session, tag_id=tag.id, color="crimson", actor_id=None)


def test_merge_tags_moves_contacts_to_the_target_without_duplicates(db) -> None:
    both = service.create_contact(db, data=person(first_name="Both", tags=["VIP", "Gold"]), actor_id=None)
    source_only = service.create_contact(db, data=person(first_name="Src", tags=["Gold", "Premium"]), actor_id=None)
    target_only = service.create_contact(db, data=person(first_name="Tgt", tags=["VIP"]), actor_id=None)
    db.commit()
    target = _tag_id(db, "VIP")
    result = tags.merge_tags(
        db, source_ids=[_tag_id(db, "Gold"), _tag_id(db, "Premium"), target], target_id=target, actor_id=None
    )
    db.commit()
    assert result.name == "VIP"
    assert [t.name for t in tags.list_tags(db)] == ["VIP"]
    assert {c.id: _contact_tags(db, c.id) for c in (both, source_only, target_only)} == {
        both.id: ["VIP"],
        source_only.id: ["VIP"],
        target_only.id: ["VIP"],
    }
    assert len(db.exec(select(ContactTag)).all()) == 3


def test_merge_tags_audits_tag_added_only_where_the_target_is_new(db) -> None:
    both = service.create_contact(db, data=person(first_name="Both", tags=["VIP", "Gold"]), actor_id=None)
    source_only = service.create_contact(db, data=person(first_name="Src", tags=["Gold"]), actor_id=None)
    tags.merge_tags(db, source_ids=[_tag_id(db, "Gold")], target_id=_tag_id(db, "VIP"), actor_id=None)
    added = db.exec(select(AuditEntry.contact_id, AuditEntry.new).where(AuditEntry.kind == "tag_added")).all()
    assert [tuple(row) for row in added] == [(source_only.id, "VIP")]
    assert service.get_contact(db, contact_id=both.id).version == 2


def test_merge_tags_refuses_to_merge_away_a_system_tag(session) -> None:
    conflict = service.ensure_system_tags(session)["conflict"]
    target = tags.create_tag(session, name="VIP", actor_id=None)
    with pytest.raises(ValidationError):
        tags.merge_tags(session, source_ids=[conflict.id], target_id=target.id, actor_id=None)


def test_merge_tags_with_an_unknown_source_raises_not_found(session) -> None:
    target = tags.create_tag(session, name="VIP", actor_id=None)
    with pytest.raises(NotFoundError):
        tags.merge_tags(session, source_ids=[999], target_id=target.id, actor_id=None)


def test_delete_tag_takes_it_off_every_contact(db) -> None:
    read = service.create_contact(db, data=person(tags=["VIP", "Gold"]), actor_id=None)
    tags.delete_tag(db, tag_id=_tag_id(db, "Gold"), actor_id=None)
    db.commit()
    assert _contact_tags(db, read.id) == ["VIP"]
    kinds = [e.kind for e in service.contact_history(db, contact_id=read.id)]
    assert kinds[0] == "tag_removed"


def test_delete_tag_refuses_a_system_tag(session) -> None:
    conflict = service.ensure_system_tags(session)["conflict"]
    with pytest.raises(ValidationError):
        tags.delete_tag(session, tag_id=conflict.id, actor_id=None)


def test_a_tag_is_found_by_name_whatever_its_case_and_created_only_when_asked(db: Session) -> None:
    vip = tags.create_tag(db, name="VIP", actor_id=None)
    assert tags.tag_id_by_name(db, name=" vip ", create=False, actor_id=None) == vip.id
    with pytest.raises(NotFoundError):
        tags.tag_id_by_name(db, name="Gold", create=False, actor_id=None)
    gold = tags.tag_id_by_name(db, name="Gold", create=True, actor_id=None)
    assert tags.tag_id_by_name(db, name="GOLD", create=False, actor_id=None) == gold != vip.id
