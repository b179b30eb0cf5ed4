"""Field types: what each accepts, what it refuses and why, how it shows values and converts them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from crm_app.core.errors import ValidationError
from crm_app.fields.types import (
    FIELD_TYPES,
    CannotConvert,
    Choice,
    convert_value,
    get_type,
    parse_number_text,
)

COLOURS = [Choice("red", "Red"), Choice("green", "Green"), Choice("blue", "Blue", active=False)]


def parse(type_key: str, raw, locale: str = "en", **kwargs):
    return FIELD_TYPES[type_key].parse(raw, locale, **kwargs)


def refusal(type_key: str, raw, locale: str = "en", **kwargs) -> str:
    with pytest.raises(ValidationError) as caught:
        parse(type_key, raw, locale, **kwargs)
    return caught.value.message


def test_the_registry_holds_every_type_of_the_issue() -> None:
    assert list(FIELD_TYPES) == [
        "text",
        "long_text",
        "number",
        "decimal",
        "date",
        "email",
        "phone",
        "url",
        "select",
        "multi_select",
        "checkbox",
    ]


def test_an_unknown_type_is_refused_with_a_message_on_the_type_field() -> None:
    with pytest.raises(ValidationError) as caught:
        get_type("colour")
    assert caught.value.errors == {"type": "Choose a field type from the list."}


@pytest.mark.parametrize("type_key", [key for key in FIELD_TYPES if key != "checkbox"])
@pytest.mark.parametrize("raw", [None, "", "   "])
def test_an_empty_input_stores_nothing(type_key, raw) -> None:
    assert parse(type_key, raw, choices=COLOURS) is None


# ---------------------------------------------------------------- text


def test_text_is_trimmed() -> None:
    assert parse("text", "  Blue door  ") == "Blue door"


def test_text_refuses_line_breaks_and_control_characters() -> None:
    assert refusal("text", "one\ntwo") == "Remove the invisible control characters from this text."
    assert refusal("text", "bell\x07") == "Remove the invisible control characters from this text."


def test_text_refuses_more_than_its_limit_and_says_how_long_it_is() -> None:
    assert refusal("text", "x" * 501) == "Keep this under 500 characters (it has 501)."


def test_text_refuses_unpaired_surrogates() -> None:
    assert refusal("text", "bad \ud800") == "This text contains characters that cannot be stored."


def test_long_text_keeps_line_breaks_and_normalises_windows_ones() -> None:
    assert parse("long_text", "line one\r\nline two\n") == "line one\nline two"


def test_long_text_accepts_up_to_twenty_thousand_characters() -> None:
    assert len(parse("long_text", "x" * 20000)) == 20000
    assert refusal("long_text", "x" * 20001) == "Keep this under 20000 characters (it has 20001)."


def test_text_refuses_a_structured_value() -> None:
    assert refusal("text", {"a": 1}) == "Enter text here."


# ---------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("raw", "locale", "expected"),
    [
        ("1 234,5", "fr", Decimal("1234.5")),
        ("1\u202f234,5", "fr", Decimal("1234.5")),
        ("1\u00a0234,5", "fr", Decimal("1234.5")),
        ("1,234.5", "en", Decimal("1234.5")),
        ("1 234,5", "pl", Decimal("1234.5")),
        ("1234.5", "fr", Decimal("1234.5")),
        ("1234,5", "pl", Decimal("1234.5")),
        ("-12", "en", Decimal("-12")),
        ("\u221212", "en", Decimal("-12")),
        ("+3", "en", Decimal("3")),
        (".5", "en", Decimal("0.5")),
        (",5", "fr", Decimal("0.5")),
        ("12.", "en", Decimal("12")),
    ],
)
def test_numbers_are_read_the_way_the_locale_writes_them(raw, locale, expected) -> None:
    assert parse_number_text(raw, locale) == expected


@pytest.mark.parametrize(
    ("raw", "locale"),
    [
        ("1,5", "en"),
        ("1,23,4", "en"),
        ("1 234", "en"),
        ("12abc", "en"),
        ("NaN", "en"),
        ("Infinity", "en"),
        ("1e5", "en"),
        ("1_000", "en"),
        ("１２", "en"),
        ("1.234,5", "fr"),
        ("--1", "en"),
    ],
)
def test_numbers_that_are_ambiguous_or_malformed_in_the_locale_are_not_numbers(raw, locale) -> None:
    assert parse_number_text(raw, locale) is None


def test_a_whole_number_is_stored_as_an_integer() -> None:
    assert parse("number", "1 234", "fr") == 1234
    assert parse("number", "1,234", "en") == 1234
    assert parse("number", 42) == 42
    assert parse("number", 3.0) == 3


@pytest.mark.parametrize("raw", ["12.5", "twelve", "1,5", True, 2.5])
def test_a_whole_number_refuses_anything_else(raw) -> None:
    assert refusal("number", raw) == "Enter a whole number."


def test_a_whole_number_refuses_values_a_browser_cannot_hold_exactly() -> None:
    assert refusal("number", "9007199254740992") == "This number is too large."
    assert parse("number", "9007199254740991") == 9007199254740991


def test_a_decimal_is_stored_exactly_as_text_without_trailing_zeros() -> None:
    assert parse("decimal", "1 234,50", "fr") == "1234.5"
    assert parse("decimal", "1,234.5", "en") == "1234.5"
    assert parse("decimal", "0.10") == "0.1"
    assert parse("decimal", "-0") == "0"
    assert parse("decimal", 0.1) == "0.1"
    assert parse("decimal", 7) == "7"
    assert parse("decimal", Decimal("2.50")) == "2.5"


def test_a_decimal_refusal_shows_an_example_in_the_users_locale() -> None:
    assert refusal("decimal", "abc", "en") == "Enter a number, like 1,234.5."
    assert refusal("decimal", "abc", "fr") == "Enter a number, like 1\u202f234,5."
    assert refusal("decimal", "1,5", "en") == "Enter a number, like 1,234.5."


def test_a_decimal_has_at_most_ten_decimals_and_fifteen_integer_digits() -> None:
    assert parse("decimal", "0.0000000001") == "0.0000000001"
    assert refusal("decimal", "0.00000000001") == "Use at most 10 decimals."
    assert parse("decimal", "999999999999999") == "999999999999999"
    assert refusal("decimal", "9999999999999999") == "This number is too large."


def test_numbers_are_shown_in_the_locale() -> None:
    assert FIELD_TYPES["number"].format(1234, "en") == "1,234"
    assert FIELD_TYPES["number"].format(1234, "fr") == "1\u202f234"
    assert FIELD_TYPES["decimal"].format("1234.5", "fr") == "1\u202f234,5"
    assert FIELD_TYPES["decimal"].format("1234.5", "pl") == "1\u00a0234,5"
    assert FIELD_TYPES["decimal"].format("0.1234567", "en") == "0.1234567"


@pytest.mark.parametrize("locale", ["en", "fr", "pl", "de"])
@pytest.mark.parametrize(("type_key", "value"), [("number", -1234567), ("decimal", "-1234567.891")])
def test_a_number_shown_in_any_locale_reads_back_to_the_same_value(locale, type_key, value) -> None:
    shown = FIELD_TYPES[type_key].input_value(value, locale)
    assert parse(type_key, shown, locale) == value


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("raw", "locale"),
    [
        ("2026-11-23", "en"),
        ("2026-11-23", "fr"),
        ("11/23/26", "en"),
        ("11/23/2026", "en"),
        ("23/11/2026", "fr"),
        ("23/11/26", "fr"),
        ("23.11.2026", "pl"),
        ("23.11.2026", "de"),
        (" 23 / 11 / 2026 ", "fr"),
    ],
)
def test_a_date_is_read_in_iso_form_or_in_the_locales_short_form(raw, locale) -> None:
    assert parse("date", raw, locale) == "2026-11-23"


def test_a_date_object_is_stored_in_iso_form() -> None:
    assert parse("date", date(2026, 11, 23)) == "2026-11-23"


@pytest.mark.parametrize("raw", ["tomorrow", "23 November", "1/2/3", "2026-11", "0026-11-23", "11/23/026"])
def test_a_date_that_cannot_be_read_asks_for_the_iso_form(raw) -> None:
    assert refusal("date", raw, "en") == "Use a date like 2026-11-23."


@pytest.mark.parametrize(("raw", "locale"), [("2026-02-30", "en"), ("31/04/2026", "fr"), ("23/11/2026", "en")])
def test_a_date_that_does_not_exist_says_so(raw, locale) -> None:
    assert refusal("date", raw, locale) == "This date does not exist: check the day and the month."


def test_a_date_is_shown_in_the_locales_medium_form_and_edited_in_iso_form() -> None:
    assert FIELD_TYPES["date"].format("2026-11-23", "en") == "Nov 23, 2026"
    assert FIELD_TYPES["date"].format("2026-11-23", "fr") == "23 nov. 2026"
    assert FIELD_TYPES["date"].input_value("2026-11-23", "fr") == "2026-11-23"


# ---------------------------------------------------------------- e-mail, phone, link


def test_an_email_is_normalised() -> None:
    assert parse("email", "  Ann@Example.COM ") == "Ann@example.com"


def test_an_email_refusal_says_what_is_wrong() -> None:
    assert refusal("email", "ann@") == "There must be something after the @-sign."
    assert refusal("email", "ann@example") == "The domain after the @ is incomplete: it needs a dot, like example.com."


def test_a_phone_is_stored_in_e164_form_read_with_the_account_region() -> None:
    assert parse("phone", "06 12 34 56 78", region="FR") == "+33612345678"
    assert parse("phone", "020 7946 0958", region="GB") == "+442079460958"
    assert FIELD_TYPES["phone"].format("+33612345678") == "+33 6 12 34 56 78"


def test_a_phone_refusal_says_why() -> None:
    assert refusal("phone", "12", region="FR") == "This phone number is too short for France."
    assert refusal("phone", "call me", region="FR") == "A phone number cannot contain letters."


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://example.com/a?b=1#c", "https://example.com/a?b=1#c"),
        ("HTTP://Example.com", "http://Example.com"),
        ("example.com", "https://example.com"),
        ("www.example.co.uk/path", "https://www.example.co.uk/path"),
        ("localhost:8000", "https://localhost:8000"),
        ("https://münchen.de", "https://münchen.de"),
        ("http://192.168.1.10/admin", "http://192.168.1.10/admin"),
    ],
)
def test_a_link_is_kept_and_gets_https_when_it_has_no_scheme(raw, expected) -> None:
    assert parse("url", raw) == expected


@pytest.mark.parametrize(
    "raw", ["javascript:alert(1)", "ftp://example.com", "mailto:ann@example.com", "data:text/html"]
)
def test_a_link_with_another_scheme_is_refused(raw) -> None:
    assert refusal("url", raw) == "Only http and https links are allowed."


@pytest.mark.parametrize(
    "raw", ["https://nohost", "http:/example.com", "https://", "://example.com", "https://exa_mple.com"]
)
def test_a_link_without_a_proper_host_is_refused(raw) -> None:
    assert refusal("url", raw) == "Enter a full web address, like https://example.com."


def test_a_link_with_spaces_is_refused() -> None:
    assert refusal("url", "https://exa mple.com") == "A link cannot contain spaces or invisible characters."


def test_a_link_longer_than_two_thousand_characters_is_refused() -> None:
    assert refusal("url", "https://example.com/" + "a" * 2000) == "Keep this under 2000 characters (it has 2020)."


# ---------------------------------------------------------------- choices and checkbox


def test_a_single_choice_stores_the_choice_id_given_by_id_or_label() -> None:
    assert parse("select", "red", choices=COLOURS) == "red"
    assert parse("select", "  GREEN ", choices=COLOURS) == "green"
    assert parse("select", ["red"], choices=COLOURS) == "red"


def test_a_single_choice_refuses_unknown_and_inactive_options() -> None:
    assert refusal("select", "purple", choices=COLOURS) == "Choose one of the options in the list."
    assert refusal("select", "blue", choices=COLOURS) == "“Blue” is no longer an option: choose another one."
    assert refusal("select", ["red", "green"], choices=COLOURS) == "Choose only one option."


def test_a_multiple_choice_stores_ids_once_in_the_order_of_the_list() -> None:
    assert parse("multi_select", ["green", "Red", "green"], choices=COLOURS) == ["red", "green"]
    assert parse("multi_select", "red", choices=COLOURS) == ["red"]
    assert parse("multi_select", [], choices=COLOURS) is None


def test_a_multiple_choice_refuses_an_inactive_option() -> None:
    assert (
        refusal("multi_select", ["red", "blue"], choices=COLOURS)
        == "“Blue” is no longer an option: choose another one."
    )


def test_over_long_numbers_dates_and_option_lists_are_refused_without_work() -> None:
    assert refusal("number", "1" * 65) == "Enter a whole number."
    assert refusal("date", "2026-11-23" + "1" * 60) == "Use a date like 2026-11-23."
    assert refusal("multi_select", ["red"] * 201, choices=COLOURS) == "Choose fewer options."


def test_choices_are_shown_by_their_current_label_even_when_inactive() -> None:
    assert FIELD_TYPES["select"].format("blue", choices=COLOURS) == "Blue"
    assert FIELD_TYPES["multi_select"].format(["red", "blue"], choices=COLOURS) == "Red, Blue"
    renamed = [Choice("red", "Crimson"), *COLOURS[1:]]
    assert FIELD_TYPES["select"].format("red", choices=renamed) == "Crimson"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(True, True), (False, False), (None, False), ("yes", True), ("on", True), ("0", False), ("", False), (1, True)],
)
def test_a_checkbox_reads_common_forms_of_yes_and_no(raw, expected) -> None:
    assert parse("checkbox", raw) is expected


def test_a_checkbox_refuses_anything_else_and_counts_as_empty_unless_ticked() -> None:
    assert refusal("checkbox", "maybe") == "Tick the box or leave it empty."
    checkbox = FIELD_TYPES["checkbox"]
    assert (checkbox.is_empty(False), checkbox.is_empty(True)) == (True, False)
    assert (checkbox.format(True), checkbox.format(False)) == ("Yes", "No")


# ---------------------------------------------------------------- stored values


@pytest.mark.parametrize(
    ("type_key", "value"),
    [
        ("text", "Blue door"),
        ("long_text", "a\nb"),
        ("number", 12),
        ("decimal", "1234.5"),
        ("date", "2026-11-23"),
        ("email", "ann@example.com"),
        ("phone", "+33612345678"),
        ("url", "https://example.com"),
        ("select", "blue"),
        ("multi_select", ["red", "blue"]),
        ("checkbox", False),
    ],
)
def test_a_stored_value_is_valid_for_its_type_and_reads_back_from_its_edit_form(type_key, value) -> None:
    field_type = FIELD_TYPES[type_key]
    assert field_type.validate(value, choices=COLOURS) == value
    kept = [Choice(c.id, c.label, True) for c in COLOURS]
    assert field_type.parse(field_type.input_value(value, "fr", choices=kept), "fr", choices=kept) == value


@pytest.mark.parametrize(
    ("type_key", "value"),
    [
        ("number", "12"),
        ("number", 1.5),
        ("decimal", 12),
        ("decimal", "12.50"),
        ("decimal", "1,234.5"),
        ("date", "23/11/2026"),
        ("email", "Ann@Example.com"),
        ("phone", "06 12 34 56 78"),
        ("url", "example.com"),
        ("select", "purple"),
        ("multi_select", "red"),
        ("multi_select", ["red", "red"]),
        ("checkbox", "yes"),
    ],
)
def test_a_value_not_in_stored_form_is_not_valid(type_key, value) -> None:
    with pytest.raises(ValidationError):
        FIELD_TYPES[type_key].validate(value, choices=COLOURS)


# ---------------------------------------------------------------- conversion


def convert(value, source: str, target: str, **kwargs):
    return convert_value(value, FIELD_TYPES[source], FIELD_TYPES[target], **kwargs)


@pytest.mark.parametrize(
    ("value", "source", "target", "expected"),
    [
        ("Blue door", "text", "long_text", "Blue door"),
        ("one line", "long_text", "text", "one line"),
        (12, "number", "decimal", "12"),
        ("12", "decimal", "number", 12),
        ("12.0", "decimal", "number", 12),
        ("red", "select", "multi_select", ["red"]),
        (["red"], "multi_select", "select", "red"),
        (12, "number", "text", "12"),
        ("1234.5", "decimal", "text", "1234.5"),
        ("2026-11-23", "date", "text", "2026-11-23"),
        ("ann@example.com", "email", "text", "ann@example.com"),
        ("+33612345678", "phone", "text", "+33612345678"),
        ("https://example.com", "url", "long_text", "https://example.com"),
        ("red", "select", "text", "Red"),
        (["red", "green"], "multi_select", "long_text", "Red, Green"),
        ("1,234", "text", "number", 1234),
        ("2026-11-23", "text", "date", "2026-11-23"),
        ("Ann@Example.COM", "text", "email", "Ann@example.com"),
        ("example.com", "text", "url", "https://example.com"),
        ("green", "text", "select", "green"),
        ("Green", "text", "multi_select", ["green"]),
        (None, "checkbox", "date", None),
    ],
)
def test_values_convert_when_nothing_is_lost(value, source, target, expected) -> None:
    assert convert(value, source, target, choices=COLOURS, new_choices=COLOURS) == expected
    assert FIELD_TYPES[source].can_convert_to(FIELD_TYPES[target], value, choices=COLOURS) is True


@pytest.mark.parametrize(
    ("value", "source", "target"),
    [
        ("two\nlines", "long_text", "text"),
        ("x" * 600, "long_text", "text"),
        ("12.5", "decimal", "number"),
        ("twelve", "text", "number"),
        ("1,5", "text", "decimal"),
        ("soon", "text", "date"),
        (["red", "green"], "multi_select", "select"),
        (True, "checkbox", "text"),
        ("yes", "text", "checkbox"),
        ("2026-11-23", "date", "number"),
        ("purple", "text", "select"),
        ("+33612345678", "phone", "email"),
    ],
)
def test_values_that_would_lose_something_do_not_convert(value, source, target) -> None:
    with pytest.raises(CannotConvert):
        convert(value, source, target, choices=COLOURS, new_choices=COLOURS)
    assert FIELD_TYPES[source].can_convert_to(FIELD_TYPES[target], value, choices=COLOURS) is False
