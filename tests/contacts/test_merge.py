"""Three-way merge of concurrent edits to one contact."""

from crm_app.contacts.merge import changed_fields, three_way_merge


def test_changes_to_different_fields_merge_without_conflict():
    base = {"first_name": "Anna", "memo": "old", "discount_percent": "0"}
    mine = {**base, "memo": "mine"}
    theirs = {**base, "discount_percent": "5"}
    result = three_way_merge(base, mine, theirs)
    assert result.conflicts == []
    assert result.merged == {"first_name": "Anna", "memo": "mine", "discount_percent": "5"}
    assert result.taken_from_theirs == ["discount_percent"]


def test_the_same_field_changed_differently_is_a_conflict_showing_all_three_values():
    base = {"memo": "old"}
    result = three_way_merge(base, {"memo": "mine"}, {"memo": "theirs"})
    assert len(result.conflicts) == 1
    c = result.conflicts[0]
    assert (c.field, c.base, c.mine, c.theirs) == ("memo", "old", "mine", "theirs")


def test_the_same_change_on_both_sides_is_not_a_conflict():
    result = three_way_merge({"memo": "old"}, {"memo": "same"}, {"memo": "same"})
    assert result.conflicts == []
    assert result.merged["memo"] == "same"


def test_tags_merge_as_sets():
    base = {"tags": ["A", "B"]}
    mine = {"tags": ["A", "B", "Mine"]}
    theirs = {"tags": ["B", "Theirs"]}
    result = three_way_merge(base, mine, theirs)
    assert result.conflicts == []
    assert result.merged["tags"] == ["B", "Theirs", "Mine"]


def test_a_tag_i_removed_stays_removed_even_if_they_kept_it():
    result = three_way_merge({"tags": ["A", "B"]}, {"tags": ["A"]}, {"tags": ["A", "B", "C"]})
    assert result.merged["tags"] == ["A", "C"]


def test_list_fields_like_phones_are_compared_whole():
    base = {"phones": [{"number": "1"}]}
    mine = {"phones": [{"number": "1"}, {"number": "2"}]}
    theirs = {"phones": [{"number": "3"}]}
    assert [c.field for c in three_way_merge(base, mine, theirs).conflicts] == ["phones"]


def test_changed_fields_lists_what_differs():
    assert changed_fields({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == {"b", "c"}
