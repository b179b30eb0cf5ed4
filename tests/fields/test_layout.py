"""Where fields sit on a form: moving them, and the sections that group them."""

from __future__ import annotations

import pytest

from crm_app.core.errors import ValidationError
from crm_app.fields import definitions, layout
from tests.fields.factories import add_field, keys, section_keys


def test_move_field_swaps_it_with_its_neighbour(session) -> None:
    a, b = add_field(session, "Alpha"), add_field(session, "Beta")
    form = layout.move_field(session, field_id=b.id, direction="up", actor_id=None)
    assert keys(form)[-2:] == ["beta", "alpha"]
    form = layout.move_field(session, field_id=b.id, direction="down", actor_id=None)
    assert keys(form)[-2:] == ["alpha", "beta"]
    assert [f.position for f in form.sections[0].fields] == list(range(len(form.sections[0].fields)))
    assert a.id != b.id


def test_moving_past_the_edge_of_a_group_enters_the_neighbour_section(session) -> None:
    alpha = add_field(session, "Alpha")
    section = layout.create_section(session, kind="person", title="Details", actor_id=None)
    beta = add_field(session, "Beta", section_id=section.id)
    form = layout.move_field(session, field_id=alpha.id, direction="down", actor_id=None)
    assert section_keys(form)[1] == ("Details", ["alpha", "beta"])
    form = layout.move_field(session, field_id=alpha.id, direction="up", actor_id=None)
    assert section_keys(form)[0][1][-1] == "alpha"
    assert section_keys(form)[1] == ("Details", ["beta"])
    last = layout.move_field(session, field_id=beta.id, direction="down", actor_id=None)
    assert section_keys(last)[1] == ("Details", ["beta"])


def test_move_field_refuses_a_direction_other_than_up_or_down(session) -> None:
    field = add_field(session, "Alpha")
    with pytest.raises(ValidationError):
        layout.move_field(session, field_id=field.id, direction="left", actor_id=None)


def test_move_field_to_puts_a_field_into_a_section_at_a_position(session) -> None:
    section = layout.create_section(session, kind="person", title="Details", actor_id=None)
    beta = add_field(session, "Beta", section_id=section.id)
    gamma = add_field(session, "Gamma", section_id=section.id)
    alpha = add_field(session, "Alpha")
    form = layout.move_field_to(session, field_id=alpha.id, section_id=section.id, position=1, actor_id=None)
    assert section_keys(form)[1] == ("Details", ["beta", "alpha", "gamma"])
    form = layout.move_field_to(session, field_id=gamma.id, section_id=section.id, position=0, actor_id=None)
    assert section_keys(form)[1] == ("Details", ["gamma", "beta", "alpha"])
    form = layout.move_field_to(session, field_id=beta.id, section_id=None, position=0, actor_id=None)
    assert keys(form)[0] == "beta"
    assert beta.id and gamma.id


def test_builtin_fields_can_be_reordered_per_form(session) -> None:
    memo = definitions.form_for(session, kind="person").field("memo")
    layout.move_field_to(session, field_id=memo.id, section_id=None, position=0, actor_id=None)
    assert keys(definitions.form_for(session, kind="person"))[0] == "memo"
    assert keys(definitions.form_for(session, kind="organization"))[0] == "phones"


def test_sections_are_created_renamed_and_moved(session) -> None:
    first = layout.create_section(session, kind="person", title="Details", actor_id=None)
    second = layout.create_section(session, kind="person", title="Billing", actor_id=None)
    layout.rename_section(session, section_id=first.id, title="Personal details", actor_id=None)
    form = layout.move_section(session, section_id=second.id, direction="up", actor_id=None)
    assert [s.title for s in form.sections] == ["", "Billing", "Personal details"]
    assert definitions.form_for(session, kind="organization").sections[1:] == []


def test_deleting_a_section_moves_its_fields_to_the_end_of_the_untitled_group(session) -> None:
    section = layout.create_section(session, kind="person", title="Details", actor_id=None)
    add_field(session, "Beta", section_id=section.id)
    add_field(session, "Gamma", section_id=section.id)
    add_field(session, "Alpha")
    form = layout.delete_section(session, section_id=section.id, actor_id=None)
    assert len(form.sections) == 1
    assert keys(form)[-3:] == ["alpha", "beta", "gamma"]
    assert [f.position for f in form.fields] == list(range(len(form.fields)))


def test_a_section_needs_a_title(session) -> None:
    with pytest.raises(ValidationError) as caught:
        layout.create_section(session, kind="person", title="  ", actor_id=None)
    assert caught.value.errors == {"title": "Enter a name."}
