"""Settings lists: custom phone types and acquisition channels."""

from __future__ import annotations

import pytest
from sqlmodel import select

from crm_app.contacts import lists, service
from crm_app.contacts.schemas import PhoneIn
from crm_app.core.errors import ValidationError
from crm_app.core.models import AuditEntry
from tests.contacts.factories import person


def test_create_phone_type_adds_it_at_the_end(session) -> None:
    lists.create_phone_type(session, name=" Fax ", actor_id=None)
    lists.create_phone_type(session, name="Pager", actor_id=None)
    assert [(t.name, t.position) for t in lists.list_phone_types(session)] == [("Fax", 0), ("Pager", 1)]


def test_create_phone_type_refuses_a_duplicate_in_another_case(session) -> None:
    lists.create_phone_type(session, name="Fax", actor_id=None)
    with pytest.raises(ValidationError):
        lists.create_phone_type(session, name="FAX", actor_id=None)


def test_create_phone_type_refuses_the_name_of_a_builtin_type(session) -> None:
    with pytest.raises(ValidationError):
        lists.create_phone_type(session, name="mobile", actor_id=None)


def test_create_phone_type_refuses_an_empty_or_too_long_name(session) -> None:
    with pytest.raises(ValidationError):
        lists.create_phone_type(session, name=" ", actor_id=None)
    with pytest.raises(ValidationError):
        lists.create_phone_type(session, name="x" * 61, actor_id=None)


def test_create_phone_type_is_audited_as_a_setting(session) -> None:
    created = lists.create_phone_type(session, name="Fax", actor_id=None)
    entry = session.exec(select(AuditEntry)).one()
    assert (entry.entity, entry.entity_id, entry.field, entry.kind, entry.new) == (
        "setting",
        created.id,
        "phone_type",
        "created",
        "Fax",
    )


def test_phone_type_choices_list_builtins_then_custom_types(session) -> None:
    lists.create_phone_type(session, name="Fax", actor_id=None)
    assert lists.phone_type_choices(session) == [
        ("mobile", "Mobile"),
        ("work", "Work"),
        ("home", "Home"),
        ("Fax", "Fax"),
    ]


def test_rename_phone_type_updates_the_phones_of_that_type(session) -> None:
    fax = lists.create_phone_type(session, name="Fax", actor_id=None)
    read = service.create_contact(
        session, data=person(phones=[PhoneIn(number="0145454545", type="Fax")]), actor_id=None
    )
    renamed = lists.rename_phone_type(session, type_id=fax.id, name="Telefax", actor_id=None)
    assert (renamed.name, renamed.usage) == ("Telefax", 1)
    assert service.get_contact(session, contact_id=read.id).phones[0].type == "Telefax"


def test_delete_phone_type_refuses_while_phones_use_it_and_says_how_many(session) -> None:
    fax = lists.create_phone_type(session, name="Fax", actor_id=None)
    phones = [PhoneIn(number="0145454545", type="Fax"), PhoneIn(number="0145454546", type="Fax")]
    service.create_contact(session, data=person(phones=phones), actor_id=None)
    with pytest.raises(ValidationError) as caught:
        lists.delete_phone_type(session, type_id=fax.id, actor_id=None)
    assert "2 phones use" in caught.value.message
    assert lists.list_phone_types(session)[0].usage == 2


def test_delete_phone_type_removes_an_unused_type(session) -> None:
    fax = lists.create_phone_type(session, name="Fax", actor_id=None)
    lists.delete_phone_type(session, type_id=fax.id, actor_id=None)
    assert lists.list_phone_types(session) == []


def test_move_phone_type_swaps_it_with_its_neighbour(session) -> None:
    for name in ("A", "B", "C"):
        lists.create_phone_type(session, name=name, actor_id=None)
    c = lists.list_phone_types(session)[2]
    assert [t.name for t in lists.move_phone_type(session, type_id=c.id, direction="up", actor_id=None)] == [
        "A",
        "C",
        "B",
    ]
    assert [t.name for t in lists.move_phone_type(session, type_id=c.id, direction="down", actor_id=None)] == [
        "A",
        "B",
        "C",
    ]


def test_move_phone_type_past_the_end_changes_nothing(session) -> None:
    a = lists.create_phone_type(session, name="A", actor_id=None)
    assert [t.name for t in lists.move_phone_type(session, type_id=a.id, direction="up", actor_id=None)] == ["A"]
    with pytest.raises(ValidationError):
        lists.move_phone_type(session, type_id=a.id, direction="sideways", actor_id=None)  # type: ignore[arg-type]


def test_list_channels_hides_inactive_ones_unless_asked(session) -> None:
    lists.create_channel(session, name="Flyer", actor_id=None)
    radio = lists.create_channel(session, name="Radio", actor_id=None)
    lists.set_channel_active(session, channel_id=radio.id, active=False, actor_id=None)
    assert [c.name for c in lists.list_channels(session)] == ["Flyer"]
    assert [(c.name, c.active) for c in lists.list_channels(session, include_inactive=True)] == [
        ("Flyer", True),
        ("Radio", False),
    ]


def test_create_channel_refuses_a_duplicate_in_another_case(session) -> None:
    lists.create_channel(session, name="Flyer", actor_id=None)
    with pytest.raises(ValidationError):
        lists.create_channel(session, name="flyer", actor_id=None)


def test_create_channel_limits_the_name_to_120_characters(session) -> None:
    assert lists.create_channel(session, name="c" * 120, actor_id=None)
    with pytest.raises(ValidationError):
        lists.create_channel(session, name="d" * 121, actor_id=None)


def test_rename_channel_keeps_it_on_contacts(session) -> None:
    flyer = lists.create_channel(session, name="Flyer", actor_id=None)
    read = service.create_contact(session, data=person(acquisition_channel_id=flyer.id), actor_id=None)
    lists.rename_channel(session, channel_id=flyer.id, name="Leaflet", actor_id=None)
    assert service.get_contact(session, contact_id=read.id).acquisition_channel_name == "Leaflet"


def test_set_channel_active_is_audited_as_a_setting(session) -> None:
    flyer = lists.create_channel(session, name="Flyer", actor_id=None)
    lists.set_channel_active(session, channel_id=flyer.id, active=False, actor_id=None)
    kinds = session.exec(select(AuditEntry.kind).where(AuditEntry.entity == "setting")).all()
    assert kinds == ["created", "deactivated"]


def test_move_channel_swaps_it_with_its_neighbour(session) -> None:
    first = lists.create_channel(session, name="Flyer", actor_id=None)
    lists.create_channel(session, name="Radio", actor_id=None)
    moved = lists.move_channel(session, channel_id=first.id, direction="down", actor_id=None)
    assert [c.name for c in moved] == ["Radio", "Flyer"]
