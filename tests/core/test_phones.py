"""Phone numbers: parsing with reasons, display styles, links, search forms."""

from __future__ import annotations

import pytest

from crm_app.core.errors import ValidationError
from crm_app.core.phones import ParsedPhone, format_phone, parse_phone, phone_links, search_forms


def _reason(raw: str, region: str = "FR") -> str:
    with pytest.raises(ValidationError) as caught:
        parse_phone(raw, region)
    return caught.value.message


@pytest.mark.parametrize(
    "raw", ["06 12 34 56 78", "0612345678", "+33 6 12 34 56 78", "0033 6 12 34 56 78", "06.12.34.56.78"]
)
def test_parse_phone_reads_every_written_form_of_a_french_mobile(raw) -> None:
    assert parse_phone(raw, "FR") == ParsedPhone(e164="+33612345678", national_digits="0612345678")


def test_parse_phone_uses_the_region_for_numbers_without_country_code() -> None:
    assert parse_phone("020 7946 0958", "GB").e164 == "+442079460958"


def test_parse_phone_refuses_an_empty_number() -> None:
    assert _reason("   ") == "Enter a phone number."


def test_parse_phone_says_the_country_code_is_unknown() -> None:
    assert _reason("+999 123") == "Unknown country code +999."


def test_parse_phone_says_the_country_code_is_unknown_after_00() -> None:
    assert _reason("00 999 1234 5678") == "Unknown country code +999."


def test_parse_phone_says_a_number_is_too_short() -> None:
    assert "too short" in _reason("06 12")


def test_parse_phone_says_a_number_is_too_long() -> None:
    assert "too long" in _reason("06 12 34 56 78 9")


def test_parse_phone_refuses_more_than_60_characters() -> None:
    assert "too long" in _reason("0" * 61)


def test_parse_phone_says_letters_are_not_allowed() -> None:
    assert _reason("+1 800 FLOWERS") == "A phone number cannot contain letters."


def test_parse_phone_refuses_other_symbols() -> None:
    assert "only contain digits" in _reason("06*12#34")


def test_parse_phone_says_when_a_possible_number_is_not_valid() -> None:
    assert _reason("+33 0 12 34 56 78") == "This is not a valid phone number for France."


def test_parse_phone_error_is_attached_to_the_number_field() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_phone("abc", "FR")
    assert caught.value.errors == {"number": "A phone number cannot contain letters."}


def test_format_phone_international() -> None:
    assert format_phone("+33612345678", "international", "FR") == "+33 6 12 34 56 78"


def test_format_phone_national_for_a_number_of_the_account_region() -> None:
    assert format_phone("+33612345678", "national", "FR") == "06 12 34 56 78"


def test_format_phone_national_keeps_foreign_numbers_international() -> None:
    assert format_phone("+442079460958", "national", "FR") == "+44 20 7946 0958"


def test_phone_links_always_have_tel_and_only_consented_channels() -> None:
    assert phone_links("+33612345678", False, False, False) == {
        "tel": "tel:+33612345678",
        "whatsapp": "",
        "viber": "",
        "sms": "",
    }


def test_phone_links_for_every_channel() -> None:
    links = phone_links("+33612345678", True, True, True)
    assert links["whatsapp"] == "https://wa.me/33612345678"
    assert links["viber"] == "viber://chat?number=%2B33612345678"
    assert links["sms"] == "sms:+33612345678"


def test_search_forms_turns_a_national_number_into_its_international_digits() -> None:
    assert search_forms("06 12 34 56 78", "FR") == ["0612345678", "33612345678"]


def test_search_forms_drops_the_00_prefix() -> None:
    assert "33612" in search_forms("0033 612", "FR")


def test_search_forms_ignores_text_with_fewer_than_three_digits() -> None:
    assert search_forms("Ann 06", "FR") == []
