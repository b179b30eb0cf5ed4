"""Bulk actions on the contact list: each action, its audit trail, versions, batches, resuming, deleting."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from crm_app.contacts import bulk, service, tags
from crm_app.contacts import events as changes
from crm_app.contacts.models import Address, Contact, ContactSearch, ContactTag, Email, Phone
from crm_app.contacts.schemas import AddressIn, EmailIn, PhoneIn
from crm_app.contacts.search.documents import reindex_contacts
from crm_app.contacts.search.filters import ContactFilter
from crm_app.contacts.search.query import search_contacts
from crm_app.core import events
from crm_app.core.errors import NotFoundError, ValidationError
from crm_app.core.models import AuditEntry
from tests.contacts.factories import make_user, person


@pytest.fixture
def db(any_engine) -> Iterator[Session]:
    """A session on SQLite, then on PostgreSQL."""
    with Session(any_engine, expire_on_commit=False) as s:
        yield s


def _add(db: Session, first: str, last: str = "Martin", **overrides) -> int:
    values = {"first_name": first, "last_name": last, "phones": [], "emails": [], "addresses": []}
    values.update(overrides)
    return service.create_contact(db, data=person(**values), actor_id=None).id


def _tag_id(db: Session, name: str) -> int:
    found = [tag.id for tag in tags.list_tags(db) if tag.name == name]
    return found[0] if found else tags.create_tag(db, name=name, actor_id=None).id


def _audits(db: Session, kind: str) -> list[AuditEntry]:
    return list(db.exec(select(AuditEntry).where(AuditEntry.kind == kind).order_by(AuditEntry.contact_id)).all())


def _versions(db: Session, ids: list[int]) -> dict[int, int]:
    return dict(db.exec(select(Contact.id, Contact.version).where(Contact.id.in_(ids))).all())


def _names(db: Session, query: str = "", **filters) -> list[str]:
    page = search_contacts(db, filter=ContactFilter(query=query, **filters), page_size=200)
    return sorted(row.display_name for row in page.rows)


def test_bulk_add_tag_tags_the_selection_audits_each_contact_and_bumps_versions(db) -> None:
    ids = [_add(db, name) for name in ("Ann", "Bob", "Cid")]
    vip = _tag_id(db, "VIP")
    actor = make_user(db)
    db.commit()
    before = _versions(db, ids)
    result = bulk.bulk_add_tag(db, ids=ids[:2], tag_id=vip, actor_id=actor.id)
    assert (result.matched, result.changed, result.skipped, result.batches) == (2, 2, 0, 1)
    entries = _audits(db, "tag_added")
    assert [(e.contact_id, e.actor_id, e.entity, e.entity_id, e.new) for e in entries] == [
        (ids[0], actor.id, "tag", vip, "VIP"),
        (ids[1], actor.id, "tag", vip, "VIP"),
    ]
    after = _versions(db, ids)
    assert [after[i] - before[i] for i in ids] == [1, 1, 0]
    assert _names(db, "vip") == ["Ann Martin", "Bob Martin"]
    assert _names(db, tag_ids=(vip,)) == ["Ann Martin", "Bob Martin"]


def test_bulk_add_tag_skips_contacts_that_already_have_it_so_a_rerun_changes_nothing(db) -> None:
    ids = [_add(db, "Ann", tags=["VIP"]), _add(db, "Bob")]
    vip = _tag_id(db, "VIP")
    first = bulk.bulk_add_tag(db, ids=ids, tag_id=vip, actor_id=None)
    again = bulk.bulk_add_tag(db, ids=ids, tag_id=vip, actor_id=None)
    assert (first.changed, first.skipped) == (1, 1)
    assert (again.changed, again.skipped) == (0, 2)
    assert [entry.contact_id for entry in _audits(db, "tag_added")] == [ids[1]]


def test_bulk_remove_tag_takes_it_off_and_reindexes(db) -> None:
    ids = [_add(db, "Ann", tags=["VIP", "Gold"]), _add(db, "Bob", tags=["VIP"]), _add(db, "Cid")]
    vip = _tag_id(db, "VIP")
    before = _versions(db, ids)
    result = bulk.bulk_remove_tag(db, ids=ids, tag_id=vip, actor_id=None)
    assert (result.matched, result.changed, result.skipped) == (3, 2, 1)
    assert [e.old for e in _audits(db, "tag_removed")] == ["VIP", "VIP"]
    after = _versions(db, ids)
    assert [after[i] - before[i] for i in ids] == [1, 1, 0]
    assert _names(db, "vip") == []
    assert _names(db, "gold") == ["Ann Martin"]


def test_bulk_assign_sets_the_staff_member_with_old_and_new_names_in_the_history(db) -> None:
    alice, bruno = make_user(db, name="Alice"), make_user(db, name="Bruno")
    ids = [_add(db, "Ann", assigned_user_id=alice.id), _add(db, "Bob"), _add(db, "Cid", assigned_user_id=bruno.id)]
    result = bulk.bulk_assign(db, ids=ids, user_id=bruno.id, actor_id=None)
    assert (result.changed, result.skipped) == (2, 1)
    entries = _audits(db, "field_changed")
    assert [(e.contact_id, e.field, e.old, e.new) for e in entries] == [
        (ids[0], "assigned_user_id", "Alice", "Bruno"),
        (ids[1], "assigned_user_id", None, "Bruno"),
    ]
    assert _names(db, assigned_user_ids=(bruno.id,)) == ["Ann Martin", "Bob Martin", "Cid Martin"]
    assert db.exec(select(ContactSearch.assigned_key).where(ContactSearch.contact_id == ids[1])).one() == "bruno"


def test_bulk_assign_to_nobody_clears_the_assignment(db) -> None:
    alice = make_user(db, name="Alice")
    ids = [_add(db, "Ann", assigned_user_id=alice.id)]
    result = bulk.bulk_assign(db, ids=ids, user_id=None, actor_id=None)
    assert result.changed == 1
    assert _names(db, unassigned=True) == ["Ann Martin"]


def test_bulk_assign_refuses_unknown_and_deactivated_users(db) -> None:
    ids = [_add(db, "Ann")]
    gone = make_user(db, active=False)
    with pytest.raises(ValidationError):
        bulk.bulk_assign(db, ids=ids, user_id=gone.id, actor_id=None)
    with pytest.raises(ValidationError):
        bulk.bulk_assign(db, ids=ids, user_id=99_999, actor_id=None)


def test_bulk_archive_and_restore_skip_contacts_already_in_that_state(db) -> None:
    ids = [_add(db, "Ann"), _add(db, "Bob")]
    service.archive_contact(db, contact_id=ids[1], actor_id=None)
    archived = bulk.bulk_archive(db, ids=ids, actor_id=None)
    assert (archived.changed, archived.skipped) == (1, 1)
    assert _names(db) == []
    restored = bulk.bulk_restore(db, ids=ids, actor_id=None)
    assert (restored.changed, restored.skipped) == (2, 0)
    assert _names(db) == ["Ann Martin", "Bob Martin"]
    assert len(_audits(db, "archived")) == 2
    assert len(_audits(db, "restored")) == 2


def test_bulk_delete_removes_contacts_with_their_dependents_and_remembers_them(db) -> None:
    keep = _add(db, "Keep", phones=[PhoneIn(number="06 12 34 56 78")])
    ids = [
        _add(
            db,
            "Ann",
            phones=[PhoneIn(number="07 81 22 33 44")],
            emails=[EmailIn(address="ann@example.com")],
            addresses=[AddressIn(city="Lyon", country="FR")],
            tags=["VIP"],
        ),
        _add(db, "Bob"),
    ]
    result = bulk.bulk_delete(db, ids=[*ids, 99_999], actor_id=None)
    assert (result.matched, result.changed) == (2, 2)
    for model in (Phone, Email, Address, ContactTag, ContactSearch):
        remaining = db.exec(select(model.contact_id).where(model.contact_id.in_(ids))).all()
        assert remaining == [], model.__name__
    assert db.exec(select(func.count()).select_from(AuditEntry).where(AuditEntry.contact_id.in_(ids))).one() == 0
    deleted = _audits(db, "deleted")
    assert sorted(e.entity_id for e in deleted) == ids
    assert all(e.contact_id is None and "Martin" in e.old for e in deleted)
    assert _names(db, "martin") == ["Keep Martin"]
    assert _names(db, "3344") == []
    assert db.get(Contact, keep) is not None


def test_bulk_actions_on_a_filter_reach_every_matching_contact_in_batches(db) -> None:
    ids = [_add(db, f"Ann{index}") for index in range(5)]
    _add(db, "Bob", "Nowak")
    vip = _tag_id(db, "VIP")
    db.commit()
    result = bulk.bulk_add_tag(db, filter=ContactFilter(query="martin"), tag_id=vip, actor_id=None, batch_size=2)
    assert (result.matched, result.changed, result.batches) == (5, 5, 3)
    assert sorted(db.exec(select(ContactTag.contact_id).where(ContactTag.tag_id == vip)).all()) == ids


def test_bulk_archive_on_a_filter_that_stops_matching_still_visits_every_contact_once(db) -> None:
    for index in range(5):
        _add(db, f"Ann{index}")
    db.commit()
    result = bulk.bulk_archive(db, filter=ContactFilter(), actor_id=None, batch_size=2)
    assert (result.matched, result.changed, result.batches) == (5, 5, 3)
    assert _names(db, archived="only") == [f"Ann{index} Martin" for index in range(5)]


def test_batched_actions_commit_each_batch(db, any_engine) -> None:
    ids = [_add(db, name) for name in ("Ann", "Bob", "Cid")]
    vip = _tag_id(db, "VIP")
    db.commit()
    bulk.bulk_add_tag(db, ids=ids, tag_id=vip, actor_id=None, batch_size=2)
    db.rollback()
    with Session(any_engine) as other:
        assert len(other.exec(select(ContactTag).where(ContactTag.tag_id == vip)).all()) == 3


def test_an_action_in_one_transaction_is_left_for_the_caller_to_commit(db) -> None:
    ids = [_add(db, name) for name in ("Ann", "Bob")]
    vip = _tag_id(db, "VIP")
    db.commit()
    result = bulk.bulk_add_tag(db, ids=ids, tag_id=vip, actor_id=None, batch_size=None)
    assert (result.changed, result.batches) == (2, 1)
    db.rollback()
    assert db.exec(select(ContactTag).where(ContactTag.tag_id == vip)).all() == []


def test_an_interrupted_action_resumes_where_it_stopped(db, monkeypatch) -> None:
    ids = [_add(db, f"Ann{index}") for index in range(5)]
    vip = _tag_id(db, "VIP")
    db.commit()
    calls = {"n": 0}
    real = bulk._audit

    def failing_audit(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("power cut")
        return real(*args, **kwargs)

    monkeypatch.setattr(bulk, "_audit", failing_audit)
    with pytest.raises(RuntimeError):
        bulk.bulk_add_tag(db, ids=ids, tag_id=vip, actor_id=None, batch_size=2)
    db.rollback()
    monkeypatch.setattr(bulk, "_audit", real)
    assert len(db.exec(select(ContactTag).where(ContactTag.tag_id == vip)).all()) == 2
    resumed = bulk.bulk_add_tag(db, ids=ids, tag_id=vip, actor_id=None, batch_size=2)
    assert (resumed.matched, resumed.changed, resumed.skipped) == (5, 3, 2)
    assert len(_audits(db, "tag_added")) == 5


def test_bulk_actions_need_either_a_selection_or_a_filter(db) -> None:
    vip = _tag_id(db, "VIP")
    with pytest.raises(ValidationError):
        bulk.bulk_add_tag(db, tag_id=vip, actor_id=None)
    with pytest.raises(ValidationError):
        bulk.bulk_archive(db, ids=[1], filter=ContactFilter(), actor_id=None)


def test_bulk_tag_actions_refuse_an_unknown_tag(db) -> None:
    ids = [_add(db, "Ann")]
    with pytest.raises(NotFoundError):
        bulk.bulk_add_tag(db, ids=ids, tag_id=99_999, actor_id=None)
    with pytest.raises(NotFoundError):
        bulk.bulk_remove_tag(db, ids=ids, tag_id=99_999, actor_id=None)


def test_ids_that_do_not_exist_are_neither_matched_nor_changed(db) -> None:
    ids = [_add(db, "Ann")]
    vip = _tag_id(db, "VIP")
    result = bulk.bulk_add_tag(db, ids=[*ids, 99_998, 99_999], tag_id=vip, actor_id=None)
    assert (result.matched, result.changed, result.skipped) == (1, 1, 0)
    assert bulk.bulk_archive(db, ids=[99_999], actor_id=None).matched == 0


def test_a_tag_added_in_bulk_is_indexed_like_a_full_reindex(db) -> None:
    ids = [_add(db, "Ann", phones=[PhoneIn(number="06 12 34 56 78")], tags=["Gold"])]
    tag = _tag_id(db, "Salon-2025")
    bulk.bulk_add_tag(db, ids=ids, tag_id=tag, actor_id=None)
    assert _names(db, "salon-2025") == ["Ann Martin"]
    assert _names(db, "salon 20") == ["Ann Martin"]
    reindex_contacts(db, contact_ids=ids)
    assert _names(db, "salon-2025") == ["Ann Martin"]


# ---------------------------------------------------------------- every batch reaches the open views


@pytest.fixture
def announced() -> Iterator[list[changes.ContactsChanged]]:
    """What each commit announced to the live views."""
    notes: list[changes.ContactsChanged] = []
    events.after_commit(changes.ContactsChanged, notes.append)
    yield notes
    events.forget(changes.ContactsChanged, notes.append)


def test_each_batch_of_a_bulk_action_announces_the_contacts_it_changed(db, announced) -> None:
    ids = [_add(db, f"Name{index}") for index in range(5)]
    vip = _tag_id(db, "VIP")
    db.commit()
    announced.clear()
    bulk.bulk_add_tag(db, filter=ContactFilter(query="martin"), tag_id=vip, actor_id=None, batch_size=2)
    assert [sorted(note.changed) for note in announced] == [ids[0:2], ids[2:4], ids[4:5]]


@pytest.mark.parametrize("action", ["remove_tag", "assign", "archive", "restore"])
def test_every_bulk_action_announces_only_the_contacts_it_changed(db, announced, action) -> None:
    ids = [_add(db, name) for name in ("Ann", "Bob", "Cid")]
    vip = _tag_id(db, "VIP")
    alice = make_user(db)
    bulk.bulk_add_tag(db, ids=ids[:2], tag_id=vip, actor_id=None, batch_size=None)
    bulk.bulk_assign(db, ids=ids[2:], user_id=alice.id, actor_id=None, batch_size=None)
    bulk.bulk_archive(db, ids=ids[1:], actor_id=None, batch_size=None)
    db.commit()
    announced.clear()
    calls = {
        "remove_tag": lambda: bulk.bulk_remove_tag(db, ids=ids, tag_id=vip, actor_id=None),
        "assign": lambda: bulk.bulk_assign(db, ids=ids, user_id=alice.id, actor_id=None),
        "archive": lambda: bulk.bulk_archive(db, ids=ids, actor_id=None),
        "restore": lambda: bulk.bulk_restore(db, ids=ids, actor_id=None),
    }
    calls[action]()
    expected = {"remove_tag": ids[:2], "assign": ids[:2], "archive": ids[:1], "restore": ids[1:]}[action]
    assert [sorted(note.changed) for note in announced] == [expected]


def test_bulk_delete_announces_the_deleted_contacts(db, announced) -> None:
    ids = [_add(db, name) for name in ("Ann", "Bob")]
    db.commit()
    announced.clear()
    bulk.bulk_delete(db, ids=ids, actor_id=None)
    assert [(sorted(note.deleted), sorted(note.changed)) for note in announced] == [(ids, [])]


def test_one_transaction_bulk_actions_announce_at_the_callers_commit(db, announced) -> None:
    ids = [_add(db, name) for name in ("Ann", "Bob")]
    db.commit()
    announced.clear()
    bulk.bulk_archive(db, ids=ids, actor_id=None, batch_size=None)
    assert announced == []
    db.commit()
    assert [sorted(note.changed) for note in announced] == [ids]


def test_bulk_actions_report_running_totals_after_each_batch(db) -> None:
    ids = [_add(db, f"Name{index}") for index in range(5)]
    bulk.bulk_archive(db, ids=ids[:1], actor_id=None, batch_size=None)
    db.commit()
    seen: list[tuple[int, int, int]] = []
    bulk.bulk_archive(
        db, ids=ids, actor_id=None, batch_size=2, on_batch=lambda r: seen.append((r.matched, r.changed, r.batches))
    )
    assert seen == [(2, 1, 1), (4, 3, 2), (5, 4, 3)]


def _documents(db: Session, ids: list[int]) -> dict[int, tuple[frozenset[str], str, str]]:
    rows = db.exec(
        select(
            ContactSearch.contact_id, ContactSearch.body_doc, ContactSearch.assigned_key, ContactSearch.tag_key
        ).where(ContactSearch.contact_id.in_(ids))
    ).all()
    return {cid: (frozenset(body.split()), assigned, tag) for cid, body, assigned, tag in rows}


def test_bulk_shortcuts_leave_the_search_rows_a_full_reindex_would_build(db) -> None:
    """Tagging, assigning, archiving and restoring in bulk patch the search rows in place (filter tokens
    included on SQLite); the result must be what rebuilding each row gives."""
    first, second = make_user(db, name="Zoe Adams"), make_user(db, name="Yann Brel")
    ids = [
        _add(db, name, assigned_user_id=first.id if index % 2 else None, tags=["Zinc"] if index else ["Acme"])
        for index, name in enumerate("ABCD")
    ]
    vip = _tag_id(db, "VIP")
    bulk.bulk_add_tag(db, ids=ids[:3], tag_id=vip, actor_id=None)
    bulk.bulk_assign(db, ids=ids[1:], user_id=second.id, actor_id=None)
    bulk.bulk_archive(db, ids=ids[:2], actor_id=None)
    bulk.bulk_restore(db, ids=ids[:1], actor_id=None)
    db.flush()
    patched = _documents(db, ids)
    reindex_contacts(db, contact_ids=ids)
    assert patched == _documents(db, ids)
    assert _names(db, tag_ids=(vip,), assigned_user_ids=(second.id,)) == ["C Martin"]
    assert _names(db, archived="only") == ["B Martin"]
    assert _names(db, unassigned=True) == ["A Martin"]


def test_a_contact_archived_or_restored_alone_moves_between_the_list_filters(db) -> None:
    contact_id = _add(db, "Ann")
    version = service.archive_contact(db, contact_id=contact_id, actor_id=None).version
    assert (_names(db), _names(db, archived="only")) == ([], ["Ann Martin"])
    service.restore_contact(db, contact_id=contact_id, actor_id=None, expected_version=version)
    assert (_names(db), _names(db, archived="only")) == (["Ann Martin"], [])


def _tagged(db: Session, tag_id: int) -> list[int]:
    return sorted(db.exec(select(ContactTag.contact_id).where(ContactTag.tag_id == tag_id)).all())


def test_undo_of_a_bulk_tag_takes_it_off_only_the_contacts_that_got_it(db) -> None:
    ann, bob, cid = (_add(db, name) for name in ("Ann", "Bob", "Cid"))
    vip = _tag_id(db, "VIP")
    bulk.bulk_add_tag(db, ids=[ann], tag_id=vip, actor_id=None)
    result = bulk.bulk_add_tag(db, ids=[ann, bob, cid], tag_id=vip, actor_id=None)
    assert result.undo == bulk.BulkUndo(action="add_tag", tag_id=vip, before={bob: None, cid: None})
    undone = bulk.undo_bulk(db, undo=result.undo, actor_id=None)
    assert (undone.changed, undone.undo) == (2, None)
    assert _tagged(db, vip) == [ann]


def test_undo_of_a_bulk_tag_removal_puts_it_back(db) -> None:
    ann, bob = (_add(db, name) for name in ("Ann", "Bob"))
    vip = _tag_id(db, "VIP")
    bulk.bulk_add_tag(db, ids=[ann, bob], tag_id=vip, actor_id=None)
    result = bulk.bulk_remove_tag(db, ids=[ann, bob], tag_id=vip, actor_id=None)
    bulk.undo_bulk(db, undo=result.undo, actor_id=None)
    assert _tagged(db, vip) == [ann, bob]


def test_undo_of_a_bulk_assign_gives_each_contact_its_assignee_back_unless_reassigned_since(db) -> None:
    alice, bruno = make_user(db, name="Alice"), make_user(db, name="Bruno")
    ann, bob, cid, dan = (_add(db, name) for name in ("Ann", "Bob", "Cid", "Dan"))
    bulk.bulk_assign(db, ids=[ann], user_id=alice.id, actor_id=None)
    bulk.bulk_assign(db, ids=[bob], user_id=bruno.id, actor_id=None)
    result = bulk.bulk_assign(db, ids=[ann, bob, cid, dan], user_id=bruno.id, actor_id=None)
    assert result.undo.before == {ann: alice.id, cid: None, dan: None}
    bulk.bulk_assign(db, ids=[dan], user_id=alice.id, actor_id=None)
    undone = bulk.undo_bulk(db, undo=result.undo, actor_id=None)
    assert (undone.changed, undone.skipped) == (2, 1)
    assigned = dict(db.exec(select(Contact.id, Contact.assigned_user_id)).all())
    assert (assigned[ann], assigned[bob], assigned[cid], assigned[dan]) == (alice.id, bruno.id, None, alice.id)


def test_no_undo_is_kept_for_an_action_that_changed_nothing_or_too_many(db, monkeypatch) -> None:
    ids = [_add(db, name) for name in ("Ann", "Bob", "Cid")]
    vip = _tag_id(db, "VIP")
    assert bulk.bulk_remove_tag(db, ids=ids, tag_id=vip, actor_id=None).undo is None
    monkeypatch.setattr(bulk, "UNDO_LIMIT", 2)
    assert bulk.bulk_add_tag(db, ids=ids, tag_id=vip, actor_id=None, batch_size=1).undo is None
    assert bulk.bulk_archive(db, ids=ids, actor_id=None).undo is None
