"""Every change of a form definition is audited and shown in the form's history, newest first."""

from __future__ import annotations

from crm_app.fields import definitions, layout, stored_values
from crm_app.fields.history import form_history
from crm_app.fields.schemas import FieldCreate, FieldUpdate
from tests.contacts.factories import make_user
from tests.fields.factories import add_field, audit_entries


def test_every_definition_change_is_versioned_in_the_audit_history(session) -> None:
    manager = make_user(session, name="Maria", role="manager")
    field = definitions.create_field(
        session, kind="person", data=FieldCreate(label="Size", help_text="In cm"), actor_id=manager.id
    )
    definitions.update_field(session, field_id=field.id, data=FieldUpdate(help_text="In metres"), actor_id=manager.id)
    section = layout.create_section(session, kind="person", title="Details", actor_id=manager.id)
    layout.move_field_to(session, field_id=field.id, section_id=section.id, position=0, actor_id=manager.id)
    created = audit_entries(session)[0]
    assert (created.kind, created.actor_id, created.new["label"], created.new["key"]) == (
        "created",
        manager.id,
        "Size",
        "size",
    )
    history = [h for h in form_history(session, kind="person") if h.entity == "field"]
    assert [(h.kind, h.field, h.actor_name) for h in history] == [
        ("moved", "", "Maria"),
        ("changed", "help_text", "Maria"),
        ("created", "", "Maria"),
    ]
    assert (history[1].old, history[1].new) == ("In cm", "In metres")
    sections = audit_entries(session, "form_section")
    assert [(e.kind, e.new) for e in sections] == [("created", "Details")]
    assert len(form_history(session, kind="person")) == 4


def test_form_history_names_each_field_and_section_of_that_form_newest_first(session) -> None:
    manager = make_user(session, name="Maria", role="manager")
    size = definitions.create_field(session, kind="person", data=FieldCreate(label="Size"), actor_id=manager.id)
    definitions.create_field(session, kind="organization", data=FieldCreate(label="Seats"), actor_id=manager.id)
    definitions.update_field(session, field_id=size.id, data=FieldUpdate(required=True), actor_id=manager.id)
    section = layout.create_section(session, kind="person", title="Details", actor_id=manager.id)
    layout.rename_section(session, section_id=section.id, title="Workshop", actor_id=manager.id)
    history = form_history(session, kind="person")
    assert [(h.entity, h.subject, h.kind, h.field, h.old, h.new, h.actor_name) for h in history] == [
        ("section", "Workshop", "renamed", "title", "Details", "Workshop", "Maria"),
        ("section", "Workshop", "created", "title", None, "Details", "Maria"),
        ("field", "Size", "changed", "required", False, True, "Maria"),
        ("field", "Size", "created", "", None, history[-1].new, "Maria"),
    ]
    assert [h.subject for h in form_history(session, kind="organization")] == ["Seats"]


def test_form_history_keeps_naming_a_deleted_field_and_respects_the_limit(session) -> None:
    old = add_field(session, "Old code")
    definitions.update_field(session, field_id=old.id, data=FieldUpdate(help_text="Gone soon"), actor_id=None)
    stored_values.delete_field(session, field_id=old.id, actor_id=None, confirm=True)
    history = form_history(session, kind="person")
    assert [(h.subject, h.kind) for h in history] == [
        ("Old code", "deleted"),
        ("Old code", "changed"),
        ("Old code", "created"),
    ]
    assert history[0].new == {"values_removed": 0}
    assert len(form_history(session, kind="person", limit=2)) == 2
    assert form_history(session, kind="organization") == []
