"""The contact form as the editor lays it out and holds it: cards, custom inputs, a change of type, the input
the services get, the links of a typed number."""

from __future__ import annotations

from sqlmodel import Session

from crm_app.contacts.form_layout import build_cards, custom_inputs, editor_choices, load_layout, switch_inputs
from crm_app.contacts.forms import SCALAR_FIELDS, AddressForm, ContactForm, PhoneForm, to_input, with_links
from crm_app.fields import definitions
from crm_app.fields.schemas import FieldCreate


def _field(session: Session, kind: str, label: str, type_: str = "text", **values) -> str:
    return definitions.create_field(
        session, kind=kind, data=FieldCreate(label=label, type=type_, **values), actor_id=None
    ).key


def test_phones_emails_addresses_and_the_memo_take_a_card_each_and_custom_fields_follow(engine) -> None:
    with Session(engine) as s:
        key = _field(s, "person", "Shoe size", "number")
        layout = load_layout(s, kind="person", locale="en")
    assert layout.custom_types == {key: "number"}
    cards = build_cards(layout.sections, held={}, locale="en")
    singles = [card.parts[0].key for card in cards if len(card.parts) == 1 and card.parts[0].builtin]
    assert {"phones", "emails", "addresses", "memo"} <= set(singles)
    assert key in [part.key for card in cards for part in card.parts]


def test_a_value_the_new_type_lacks_is_set_aside_and_comes_back(engine) -> None:
    with Session(engine) as s:
        size = _field(s, "person", "Shoe size")
        before = load_layout(s, kind="person", locale="en")
        after = load_layout(s, kind="organization", locale="en")
    inputs, aside = switch_inputs({size: "42"}, {}, before=before, after=after, locale="en")
    assert f"custom.{size}" not in inputs
    assert aside == {size: {"label": "Shoe size", "value": "42"}}
    back, aside = switch_inputs({}, aside, before=after, after=before, locale="en")
    assert back[f"custom.{size}"] == "42" and aside == {}


def test_custom_values_become_the_inputs_of_their_type() -> None:
    types = {"a": "checkbox", "b": "multi_select", "c": "select", "d": "text"}
    stored = {"a": 1, "b": None, "c": 7}
    assert custom_inputs(types, stored, locale="en") == {
        "custom.a": True,
        "custom.b": [],
        "custom.c": "7",
        "custom.d": "",
    }


def test_a_form_becomes_the_services_input_with_ids_and_custom_values_by_type() -> None:
    form = ContactForm(first_name="Ann", assigned_user_id="12", acquisition_channel_id="", custom={"a": "on"})
    data = to_input(form.values(), {"a": "checkbox", "b": "text"})
    assert (data.first_name, data.assigned_user_id, data.acquisition_channel_id) == ("Ann", 12, None)
    assert data.custom == {"a": True, "b": ""}
    assert set(SCALAR_FIELDS) <= set(type(data).model_fields)


def test_a_number_typed_without_its_country_code_gets_links_in_the_main_addresss_country() -> None:
    row = PhoneForm(number="0612345678", sms=True)
    addresses = [AddressForm(country="PL"), AddressForm(country="FR", is_main=True)]
    linked = with_links(row, addresses=addresses, default_region="DE")
    assert (linked.tel_link, linked.sms_link) == ("tel:+33612345678", "sms:+33612345678")
    assert with_links(PhoneForm(number="12"), addresses=[], default_region="FR").tel_link == ""


def test_the_form_offers_the_built_in_phone_types_and_the_conflict_tag(engine) -> None:
    with Session(engine) as s:
        choices = editor_choices(s, locale="en")
    assert [o.value for o in choices.phone_types][:3] == ["mobile", "work", "home"]
    assert choices.conflict_tag
