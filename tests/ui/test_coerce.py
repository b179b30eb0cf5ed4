"""The shared input coercers turn whatever a browser sends into what a handler may use, or nothing."""

from __future__ import annotations

from crm_app.ui.state.coerce import as_bool, as_direction, as_flag, as_index, form_text


def test_flags_and_checkboxes() -> None:
    assert [as_flag(v) for v in (True, "on", "true", False, "off", "false", 1, None)] == [
        True,
        True,
        True,
        False,
        False,
        False,
        None,
        None,
    ]
    assert [as_bool(v) for v in (True, "on", "true", 1, "1", False, "yes", None)] == [True] * 5 + [False] * 3


def test_positions_and_directions() -> None:
    assert [as_index(v, 3) for v in (0, "2", 3, -1, "x", None)] == [0, 2, None, None, None, None]
    assert [as_direction(v) for v in ("up", "down", "left", 1)] == ["up", "down", None, None]


def test_form_text_is_cut_and_refuses_what_is_no_text() -> None:
    assert form_text({"name": "abcdef"}, "name", 3) == "abc"
    assert form_text({}, "name", 3) == ""
    assert form_text({"name": 5}, "name", 3) is None
    assert form_text("name", "name", 3) is None
