"""The benchmark seed writes phones as the app would store them: valid numbers, the same E.164 and digits."""

from __future__ import annotations

import pytest

from bench.seed import STAFF, Generator
from crm_app.core.phones import parse_phone

REGIONS = {"fr": "FR", "pl": "PL", "en": "GB"}


@pytest.mark.parametrize("lang", sorted(REGIONS))
def test_every_seeded_phone_is_valid_and_stored_as_the_app_stores_it(lang: str) -> None:
    generator = Generator(7, tag_ids=[1], conflict_id=1, user_ids=list(range(1, len(STAFF) + 1)), channels=[1])
    for _ in range(3000):
        raw, e164, national = generator.phone(lang)
        parsed = parse_phone(raw, REGIONS[lang])
        assert (parsed.e164, parsed.national_digits) == (e164, national), raw
