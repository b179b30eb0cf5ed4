"""Contact file services: create, read, update with versions, lifecycle, history, references."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from sqlmodel import Session, select

from crm_app.contacts import service, texts
from crm_app.contacts.models import Contact, Phone, PhoneType, Tag
from crm_app.contacts.schemas import AddressIn, EmailIn, PhoneIn
from crm_app.core.app_settings import update_settings
from crm_app.core.errors import ConflictError, NotFoundError
from crm_app.core.models import AuditEntry
from crm_app.feed import files
from crm_app.feed.models import Attachment
from crm_app.settings import settings
from tests.contacts.factories import as_input, make_channel, make_user, organisation, person, row_counts


@pytest.fixture
def db(any_engine) -> Iterator[Session]:
    """A session on SQLite, then on PostgreSQL."""
    with Session(any_engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def upload_dir(tmp_path, monkeypatch) -> Path:
    """A private folder of this test for stored files."""
    folder = tmp_path / "private-files"
    monkeypatch.setattr(settings, "upload_dir", folder)
    return folder


def _audit(session: Session, contact_id: int) -> list[AuditEntry]:
    stmt = select(AuditEntry).where(AuditEntry.contact_id == contact_id).order_by(AuditEntry.id)
    return list(session.exec(stmt).all())


def _kinds(session: Session, contact_id: int) -> list[str]:
    return [entry.kind for entry in _audit(session, contact_id)]


# ---------------------------------------------------------------- create / get


def test_create_contact_returns_the_whole_contact_file(db) -> None:
    user = make_user(db, name="Alice Martin")
    read = service.create_contact(db, data=person(registration_no="RCS 123", memo="Likes tea"), actor_id=user.id)
    db.commit()
    assert read.display_name == "Ann Smith"
    assert read.reference == "C-000001"
    assert read.version == 1
    assert read.created_by_name == "Alice Martin"
    assert read.registration_no == "RCS 123"
    assert read.memo == "Likes tea"
    assert [p.display for p in read.phones] == ["+33 6 12 34 56 78"]
    assert read.phones[0].type_label == "Mobile"
    assert read.phones[0].tel_link == "tel:+33612345678"
    assert [e.address for e in read.emails] == ["ann@example.com"]
    assert read.addresses[0].country == "FR"
    assert read.addresses[0].is_main is True
    assert read.addresses[0].one_line == "1 rue de la Paix, 75002 Paris, France"
    assert read.addresses[0].map_url == (
        "https://www.openstreetmap.org/search?query=1%20rue%20de%20la%20Paix%2C%2075002%20Paris%2C%20France"
    )
    assert service.get_contact(db, contact_id=read.id) == read


def test_create_contact_writes_a_created_audit_entry(db) -> None:
    read = service.create_contact(db, data=person(), actor_id=None)
    entries = _audit(db, read.id)
    assert [(e.entity, e.kind, e.new) for e in entries] == [("contact", "created", "Ann Smith (C-000001)")]


def test_create_contact_hands_out_references_in_sequence(db) -> None:
    first = service.create_contact(db, data=person(), actor_id=None)
    second = service.create_contact(db, data=organisation(), actor_id=None)
    db.commit()
    assert (first.reference, second.reference) == ("C-000001", "C-000002")


def test_reference_numbers_are_never_reused_after_a_delete(db) -> None:
    first = service.create_contact(db, data=person(), actor_id=None)
    service.delete_contact(db, contact_id=first.id, actor_id=None)
    db.commit()
    assert service.create_contact(db, data=person(), actor_id=None).reference == "C-000002"


def test_reference_uses_the_prefix_and_digits_of_the_settings(db) -> None:
    update_settings(db, actor_id=None, reference_prefix="CUST_", reference_digits=3)
    assert service.create_contact(db, data=person(), actor_id=None).reference == "CUST_001"


def test_reference_skips_a_number_that_is_already_taken(db) -> None:
    db.add(Contact(reference="C-000001", display_name="Imported"))
    db.flush()
    assert service.create_contact(db, data=person(), actor_id=None).reference == "C-000002"


def test_reference_counter_gives_distinct_numbers_to_concurrent_transactions(any_engine) -> None:
    references: list[str] = []
    errors: list[BaseException] = []

    def create() -> None:
        try:
            with Session(any_engine, expire_on_commit=False) as s:
                references.append(service.create_contact(s, data=person(), actor_id=None).reference)
                s.commit()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=create) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(references) == [f"C-{n:06d}" for n in range(1, 7)]


def test_get_contact_raises_not_found_for_an_unknown_id(db) -> None:
    with pytest.raises(NotFoundError):
        service.get_contact(db, contact_id=12345)


def test_create_contact_applies_channel_defaults_to_new_phones(db) -> None:
    update_settings(db, actor_id=None, channel_defaults={"whatsapp": True, "sms": True, "email": True})
    phones = [PhoneIn(number="0612345678"), PhoneIn(number="0698765432", whatsapp=False)]
    read = service.create_contact(db, data=person(phones=phones), actor_id=None)
    assert [(p.whatsapp, p.viber, p.sms) for p in read.phones] == [(True, False, True), (False, False, True)]
    assert read.phones[0].whatsapp_link == "https://wa.me/33612345678"
    assert read.emails[0].email_ok is True


def test_create_contact_keeps_consents_off_by_default(db) -> None:
    read = service.create_contact(db, data=person(), actor_id=None)
    assert (read.phones[0].whatsapp, read.phones[0].viber, read.phones[0].sms) == (False, False, False)
    assert read.emails[0].email_ok is False


def test_create_contact_creates_tags_on_the_fly_and_reuses_existing_ones_whatever_the_case(db) -> None:
    db.add(Tag(name="VIP", color="amber"))
    db.flush()
    read = service.create_contact(db, data=person(tags=[" vip ", "Élite", "élite", ""]), actor_id=None)
    assert sorted(t.name for t in read.tags) == ["VIP", "Élite"]
    assert len(db.exec(select(Tag)).all()) == 2


def test_create_contact_accepts_a_custom_phone_type(db) -> None:
    db.add(PhoneType(name="Fax"))
    db.flush()
    read = service.create_contact(db, data=person(phones=[PhoneIn(number="0145454545", type="fax")]), actor_id=None)
    assert (read.phones[0].type, read.phones[0].type_label) == ("Fax", "Fax")


def test_create_contact_stores_the_builtin_phone_type_key(db) -> None:
    read = service.create_contact(db, data=person(phones=[PhoneIn(number="0145454545", type="Work")]), actor_id=None)
    assert (read.phones[0].type, read.phones[0].type_label) == ("work", "Work")


def test_phone_display_follows_the_national_setting(db) -> None:
    update_settings(db, actor_id=None, phone_display="national")
    read = service.create_contact(db, data=person(), actor_id=None)
    assert read.phones[0].display == "06 12 34 56 78"


def test_display_and_sort_names_are_derived_from_the_names(db) -> None:
    read = service.create_contact(db, data=person(first_name="  Élodie ", last_name="Ünal"), actor_id=None)
    contact = db.get(Contact, read.id)
    assert (read.first_name, contact.display_name, contact.sort_name) == ("Élodie", "Élodie Ünal", "elodie unal")


def test_organisation_display_name_is_the_company_name(db) -> None:
    read = service.create_contact(db, data=organisation(first_name="Jo", company_name="Acme"), actor_id=None)
    assert read.display_name == "Acme"


# ---------------------------------------------------------------- update


def test_update_contact_replaces_the_fields_and_increments_the_version(db) -> None:
    user = make_user(db, name="Bob")
    created = service.create_contact(db, data=person(), actor_id=None)
    db.commit()
    read = service.update_contact(
        db,
        contact_id=created.id,
        data=as_input(created, first_name="Annie", is_supplier=True, assigned_user_id=user.id),
        actor_id=user.id,
        expected_version=1,
    )
    db.commit()
    assert (read.display_name, read.is_supplier, read.assigned_user_name) == ("Annie Smith", True, "Bob")
    assert read.version == 2
    assert read.updated_by_name == "Bob"
    assert read.updated_at >= created.updated_at


def test_update_contact_with_nothing_changed_keeps_the_version_and_writes_no_audit(db) -> None:
    created = service.create_contact(db, data=person(tags=["VIP"]), actor_id=None)
    db.commit()
    read = service.update_contact(db, contact_id=created.id, data=as_input(created), actor_id=None, expected_version=1)
    assert read.version == 1
    assert read.updated_at == created.updated_at
    assert _kinds(db, created.id) == ["created"]


def test_update_contact_with_a_stale_expected_version_raises_conflict(db) -> None:
    created = service.create_contact(db, data=person(), actor_id=None)
    service.update_contact(db, contact_id=created.id, data=as_input(created, first_name="Annie"), actor_id=None)
    db.commit()
    with pytest.raises(ConflictError):
        service.update_contact(
            db, contact_id=created.id, data=as_input(created, first_name="Anna"), actor_id=None, expected_version=1
        )
    db.rollback()
    assert service.get_contact(db, contact_id=created.id).first_name == "Annie"


def test_update_contact_conflicts_when_another_session_saved_first(any_engine) -> None:
    with Session(any_engine, expire_on_commit=False) as s:
        created = service.create_contact(s, data=person(), actor_id=None)
        s.commit()
    with Session(any_engine, expire_on_commit=False) as s:
        service.update_contact(
            s, contact_id=created.id, data=as_input(created, first_name="Bea"), actor_id=None, expected_version=1
        )
        s.commit()
    with Session(any_engine, expire_on_commit=False) as s, pytest.raises(ConflictError):
        service.update_contact(
            s, contact_id=created.id, data=as_input(created, first_name="Cat"), actor_id=None, expected_version=1
        )


@pytest.mark.postgres
def test_update_contact_refuses_to_overwrite_a_save_committed_after_it_read_the_row(pg_engine) -> None:
    from sqlmodel import SQLModel

    SQLModel.metadata.create_all(pg_engine)
    with Session(pg_engine, expire_on_commit=False) as s:
        created = service.create_contact(s, data=person(), actor_id=None)
        s.commit()
    with Session(pg_engine, expire_on_commit=False) as slow, Session(pg_engine, expire_on_commit=False) as fast:
        stale = slow.get(Contact, created.id)  # the slow writer has read version 1 and holds it
        service.update_contact(fast, contact_id=created.id, data=as_input(created, first_name="Bea"), actor_id=None)
        fast.commit()
        with pytest.raises(ConflictError):
            service.update_contact(slow, contact_id=created.id, data=as_input(created, first_name="Cat"), actor_id=None)
        assert stale.version == 1


def test_update_contact_keeps_child_rows_matched_by_id(db) -> None:
    created = service.create_contact(db, data=person(), actor_id=None)
    data = as_input(created)
    data.phones[0].number = "07 55 55 55 55"
    read = service.update_contact(db, contact_id=created.id, data=data, actor_id=None)
    assert read.phones[0].id == created.phones[0].id
    assert read.phones[0].e164 == "+33755555555"


@pytest.mark.parametrize("shown", ["+33 6 12 34 56 78", "06 12 34 56 78", "+33612345678"])
def test_update_contact_keeps_the_number_as_typed_when_the_form_sends_back_its_display(db, shown) -> None:
    created = service.create_contact(db, data=person(phones=[PhoneIn(number="06.12.34.56.78")]), actor_id=None)
    data = as_input(created)
    data.phones[0].number = shown
    read = service.update_contact(db, contact_id=created.id, data=data, actor_id=None)
    assert read.phones[0].raw == "06.12.34.56.78"
    assert read.version == created.version


def test_update_contact_stores_a_number_retyped_in_another_form(db) -> None:
    created = service.create_contact(db, data=person(phones=[PhoneIn(number="06.12.34.56.78")]), actor_id=None)
    data = as_input(created)
    data.phones[0].number = "0033 6 12 34 56 78"
    read = service.update_contact(db, contact_id=created.id, data=data, actor_id=None)
    assert (read.phones[0].raw, read.phones[0].e164) == ("0033 6 12 34 56 78", "+33612345678")


def test_update_contact_removes_child_rows_left_out_of_the_input(db) -> None:
    created = service.create_contact(db, data=person(), actor_id=None)
    read = service.update_contact(
        db, contact_id=created.id, data=as_input(created, phones=[], emails=[], addresses=[]), actor_id=None
    )
    assert (read.phones, read.emails, read.addresses) == ([], [], [])
    assert db.exec(select(Phone)).all() == []


def test_update_contact_treats_an_id_of_another_contact_as_a_new_row(db) -> None:
    other = service.create_contact(db, data=person(first_name="Other"), actor_id=None)
    created = service.create_contact(db, data=person(phones=[]), actor_id=None)
    data = as_input(created, phones=[PhoneIn(id=other.phones[0].id, number="0601020304")])
    read = service.update_contact(db, contact_id=created.id, data=data, actor_id=None)
    assert read.phones[0].id != other.phones[0].id
    assert service.get_contact(db, contact_id=other.id).phones[0].e164 == "+33612345678"


def test_update_contact_keeps_stored_consents_when_the_input_leaves_them_unset(db) -> None:
    update_settings(db, actor_id=None, channel_defaults={"whatsapp": True})
    created = service.create_contact(db, data=person(phones=[PhoneIn(number="0612345678", sms=True)]), actor_id=None)
    update_settings(db, actor_id=None, channel_defaults={"whatsapp": False})
    data = as_input(created, phones=[PhoneIn(id=created.phones[0].id, number="0612345678")])
    read = service.update_contact(db, contact_id=created.id, data=data, actor_id=None)
    assert (read.phones[0].whatsapp, read.phones[0].sms) == (True, True)


def test_update_contact_audits_each_changed_field_with_old_and_new(db) -> None:
    created = service.create_contact(db, data=person(), actor_id=None)
    service.update_contact(
        db, contact_id=created.id, data=as_input(created, last_name="Jones", is_supplier=True), actor_id=None
    )
    changed = [(e.kind, e.field, e.old, e.new) for e in _audit(db, created.id) if e.kind == "field_changed"]
    assert changed == [("field_changed", "last_name", "Smith", "Jones"), ("field_changed", "is_supplier", False, True)]


def test_update_contact_audits_assignment_and_channel_by_name(db) -> None:
    user = make_user(db, name="Bob")
    channel = make_channel(db, name="Radio")
    created = service.create_contact(db, data=person(), actor_id=None)
    data = as_input(created, assigned_user_id=user.id, acquisition_channel_id=channel.id)
    read = service.update_contact(db, contact_id=created.id, data=data, actor_id=None)
    changed = {e.field: e.new for e in _audit(db, created.id) if e.kind == "field_changed"}
    assert changed == {"assigned_user_id": "Bob", "acquisition_channel_id": "Radio"}
    assert read.acquisition_channel_name == "Radio"


def test_update_contact_audits_a_discount_change_as_discount_changed(db) -> None:
    created = service.create_contact(db, data=person(discount_percent="5"), actor_id=None)
    read = service.update_contact(
        db, contact_id=created.id, data=as_input(created, discount_percent="12,5"), actor_id=None
    )
    entries = [(e.kind, e.old, e.new) for e in _audit(db, created.id) if e.kind == "discount_changed"]
    assert entries == [("discount_changed", "5", "12.5")]
    assert read.discount_percent == "12.5"


def test_update_contact_audits_phones_added_changed_and_removed_readably(db) -> None:
    created = service.create_contact(
        db, data=person(phones=[PhoneIn(number="0612345678"), PhoneIn(number="0145454545", type="home")]), actor_id=None
    )
    data = as_input(created)
    data.phones[0].whatsapp = True
    data.phones[0].sms = True
    data.phones = [data.phones[0], PhoneIn(number="+44 20 7946 0958", type="work")]
    service.update_contact(db, contact_id=created.id, data=data, actor_id=None)
    entries = {e.kind: (e.old, e.new) for e in _audit(db, created.id) if e.kind.startswith("phone_")}
    assert entries == {
        "phone_changed": ("+33 6 12 34 56 78 (mobile)", "+33 6 12 34 56 78 (mobile; WhatsApp, SMS)"),
        "phone_added": (None, "+44 20 7946 0958 (work)"),
        "phone_removed": ("+33 1 45 45 45 45 (home)", None),
    }


def test_update_contact_audits_emails_and_addresses_added_and_removed(db) -> None:
    created = service.create_contact(db, data=person(), actor_id=None)
    data = as_input(
        created,
        emails=[EmailIn(address="new@example.com", email_ok=True)],
        addresses=[AddressIn(label="Office", city="Lyon", country="FR")],
    )
    service.update_contact(db, contact_id=created.id, data=data, actor_id=None)
    entries = {(e.kind, e.old or e.new) for e in _audit(db, created.id) if e.entity in ("email", "address")}
    assert entries == {
        ("email_added", "new@example.com (e-mail OK)"),
        ("email_removed", "ann@example.com"),
        ("address_added", "Office: Lyon, France (main)"),
        ("address_removed", "1 rue de la Paix, 75002 Paris, France (main)"),
    }


def test_update_contact_audits_tags_added_and_removed(db) -> None:
    created = service.create_contact(db, data=person(tags=["VIP", "Old"]), actor_id=None)
    service.update_contact(db, contact_id=created.id, data=as_input(created, tags=["vip", "New"]), actor_id=None)
    entries = {(e.kind, e.old or e.new) for e in _audit(db, created.id) if e.kind.startswith("tag_")}
    assert entries == {("tag_added", "New"), ("tag_removed", "Old")}


def test_update_contact_accepts_an_inactive_channel_that_is_already_stored(db) -> None:
    channel = make_channel(db, name="Fair 2024")
    created = service.create_contact(db, data=person(acquisition_channel_id=channel.id), actor_id=None)
    channel.active = False
    db.add(channel)
    db.flush()
    read = service.update_contact(db, contact_id=created.id, data=as_input(created, memo="still fine"), actor_id=None)
    assert read.acquisition_channel_id == channel.id


def test_update_contact_of_an_unknown_contact_raises_not_found(db) -> None:
    with pytest.raises(NotFoundError):
        service.update_contact(db, contact_id=999, data=person(), actor_id=None)


# ---------------------------------------------------------------- lifecycle


def test_archive_contact_marks_it_archived_bumps_the_version_and_audits(db) -> None:
    created = service.create_contact(db, data=person(), actor_id=None)
    read = service.archive_contact(db, contact_id=created.id, actor_id=None)
    assert (read.archived, read.version) == (True, 2)
    assert read.archived_at is not None
    assert _kinds(db, created.id) == ["created", "archived"]


def test_archive_contact_twice_changes_nothing_the_second_time(db) -> None:
    created = service.create_contact(db, data=person(), actor_id=None)
    service.archive_contact(db, contact_id=created.id, actor_id=None)
    assert service.archive_contact(db, contact_id=created.id, actor_id=None).version == 2


def test_restore_contact_brings_it_back_and_audits(db) -> None:
    created = service.create_contact(db, data=person(), actor_id=None)
    service.archive_contact(db, contact_id=created.id, actor_id=None)
    read = service.restore_contact(db, contact_id=created.id, actor_id=None)
    assert (read.archived, read.archived_at, read.version) == (False, None, 3)
    assert _kinds(db, created.id) == ["created", "archived", "restored"]


def test_archive_contact_with_a_stale_version_raises_conflict(db) -> None:
    created = service.create_contact(db, data=person(), actor_id=None)
    with pytest.raises(ConflictError):
        service.archive_contact(db, contact_id=created.id, actor_id=None, expected_version=7)


def test_delete_contact_removes_the_contact_and_its_rows(db) -> None:
    keep = service.create_contact(db, data=person(first_name="Keep", tags=["VIP"]), actor_id=None)
    gone = service.create_contact(db, data=person(tags=["VIP"]), actor_id=None)
    db.commit()
    service.delete_contact(db, contact_id=gone.id, actor_id=None)
    db.commit()
    counts = row_counts(db)
    assert (counts["contact"], counts["phone"], counts["email"], counts["address"], counts["contact_tag"]) == (
        1,
        1,
        1,
        1,
        1,
    )
    assert service.get_contact(db, contact_id=keep.id).tags[0].name == "VIP"
    with pytest.raises(NotFoundError):
        service.get_contact(db, contact_id=gone.id)


def _attach(db, contact_id: int, name: str, content: bytes) -> list[Path]:
    """Store a file for the contact; return the paths it and its thumbnail take on disk."""
    read = files.store_upload(db, contact_id=contact_id, filename=name, stream=io.BytesIO(content), actor_id=None)
    stored_name = db.get(Attachment, read.id).stored_name
    return sorted(p for p in Path(settings.upload_dir).iterdir() if p.name.startswith(stored_name))


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_delete_contact_removes_its_files_and_thumbnails_from_disk_once_committed(db, upload_dir) -> None:
    keep = service.create_contact(db, data=person(first_name="Keep"), actor_id=None)
    gone = service.create_contact(db, data=person(), actor_id=None)
    kept_paths = _attach(db, keep.id, "kept.txt", b"stays")
    gone_paths = _attach(db, gone.id, "photo.png", _png()) + _attach(db, gone.id, "notes.txt", b"hello")
    db.commit()
    assert len(gone_paths) == 3 and all(p.exists() for p in gone_paths)
    service.delete_contact(db, contact_id=gone.id, actor_id=None)
    assert all(p.exists() for p in gone_paths)
    db.commit()
    assert [p for p in gone_paths if p.exists()] == []
    assert all(p.exists() for p in kept_paths)
    assert db.exec(select(Attachment.contact_id)).all() == [keep.id]


def test_delete_contact_rolled_back_keeps_the_files(db, upload_dir) -> None:
    gone = service.create_contact(db, data=person(), actor_id=None)
    paths = _attach(db, gone.id, "notes.txt", b"hello")
    db.commit()
    service.delete_contact(db, contact_id=gone.id, actor_id=None)
    db.rollback()
    service.update_contact(db, contact_id=gone.id, data=as_input(gone, first_name="Still here"), actor_id=None)
    db.commit()
    assert all(p.exists() for p in paths)
    assert service.get_contact(db, contact_id=gone.id).first_name == "Still here"


def test_delete_contact_leaves_an_audit_entry_not_tied_to_the_contact(db) -> None:
    user = make_user(db)
    gone = service.create_contact(db, data=person(), actor_id=None)
    service.delete_contact(db, contact_id=gone.id, actor_id=user.id)
    db.commit()
    entries = db.exec(select(AuditEntry)).all()
    assert [(e.entity, e.entity_id, e.contact_id, e.kind, e.old, e.actor_id) for e in entries] == [
        ("contact", gone.id, None, "deleted", "Ann Smith (C-000001)", user.id)
    ]


def test_convert_person_to_organisation_uses_the_full_name_and_keeps_the_names(db) -> None:
    created = service.create_contact(db, data=person(), actor_id=None)
    read = service.convert_kind(db, contact_id=created.id, to_kind="organization", actor_id=None)
    assert (read.kind, read.company_name, read.display_name) == ("organization", "Ann Smith", "Ann Smith")
    assert (read.first_name, read.last_name, read.version) == ("Ann", "Smith", 2)
    assert "kind_converted" in _kinds(db, created.id)


def test_convert_person_to_organisation_keeps_an_existing_company_name(db) -> None:
    created = service.create_contact(db, data=person(company_name="Smith & Co"), actor_id=None)
    read = service.convert_kind(db, contact_id=created.id, to_kind="organization", actor_id=None)
    assert read.display_name == "Smith & Co"


def test_convert_organisation_to_person_splits_the_company_name_when_names_are_empty(db) -> None:
    created = service.create_contact(db, data=organisation(company_name="Jean Paul Dupont"), actor_id=None)
    read = service.convert_kind(db, contact_id=created.id, to_kind="person", actor_id=None)
    assert (read.first_name, read.last_name, read.company_name) == ("Jean", "Paul Dupont", "Jean Paul Dupont")
    assert read.display_name == "Jean Paul Dupont"


def test_convert_organisation_back_to_person_restores_the_previous_names(db) -> None:
    created = service.create_contact(db, data=person(), actor_id=None)
    service.convert_kind(db, contact_id=created.id, to_kind="organization", actor_id=None)
    read = service.convert_kind(db, contact_id=created.id, to_kind="person", actor_id=None)
    assert (read.kind, read.first_name, read.last_name, read.company_name) == ("person", "Ann", "Smith", "Ann Smith")


def test_convert_kind_to_the_same_kind_changes_nothing(db) -> None:
    created = service.create_contact(db, data=person(), actor_id=None)
    assert service.convert_kind(db, contact_id=created.id, to_kind="person", actor_id=None).version == 1


# ---------------------------------------------------------------- history, conflict tag


def test_contact_history_lists_entries_newest_first_with_the_actor_name(db) -> None:
    user = make_user(db, name="Bob")
    created = service.create_contact(db, data=person(), actor_id=user.id)
    service.update_contact(db, contact_id=created.id, data=as_input(created, first_name="Annie"), actor_id=None)
    history = service.contact_history(db, contact_id=created.id)
    assert [(h.kind, h.actor_name, h.field, h.old, h.new) for h in history] == [
        ("field_changed", "", "first_name", "Ann", "Annie"),
        ("created", "Bob", "", "", "Ann Smith (C-000001)"),
    ]


def test_contact_history_respects_the_limit(db) -> None:
    created = service.create_contact(db, data=person(), actor_id=None)
    for name in ("A", "B", "C"):
        created = service.update_contact(
            db, contact_id=created.id, data=as_input(created, first_name=name), actor_id=None
        )
    assert [h.new for h in service.contact_history(db, contact_id=created.id, limit=2)] == ["C", "B"]


def test_ensure_system_tags_creates_a_red_conflict_tag_once(db) -> None:
    first = service.ensure_system_tags(db)["conflict"]
    again = service.ensure_system_tags(db)["conflict"]
    assert (first.id, first.name, first.color, first.system_key) == (again.id, "Conflict", "red", "conflict")


def test_ensure_system_tags_adopts_an_existing_tag_named_conflict(db) -> None:
    db.add(Tag(name="conflict", color="blue"))
    db.flush()
    tag = service.ensure_system_tags(db)["conflict"]
    assert (tag.name, tag.color, tag.system_key) == ("conflict", "red", "conflict")
    assert len(db.exec(select(Tag)).all()) == 1


def test_contact_is_conflict_when_it_carries_the_conflict_tag(db) -> None:
    created = service.create_contact(db, data=person(), actor_id=None)
    read = service.flag_conflict(db, contact_id=created.id, conflict=True, actor_id=None)
    assert read.is_conflict is True
    assert read.tags[0].system_key == "conflict"
    read = service.flag_conflict(db, contact_id=created.id, conflict=False, actor_id=None)
    assert read.is_conflict is False


def test_typing_the_conflict_tag_name_uses_the_system_tag(db) -> None:
    service.ensure_system_tags(db)
    read = service.create_contact(db, data=person(tags=["conflict"]), actor_id=None)
    assert read.is_conflict is True
    assert len(db.exec(select(Tag)).all()) == 1


def test_services_leave_the_commit_to_the_caller(db) -> None:
    service.create_contact(db, data=person(tags=["VIP"]), actor_id=None)
    db.rollback()
    assert row_counts(db) == dict.fromkeys(row_counts(db), 0)


def test_a_full_name_typed_in_one_box_splits_into_first_and_last_name() -> None:
    assert texts.split_full_name("  Jane   van der  Berg ") == ("Jane", "van der Berg")
    assert texts.split_full_name("Cher") == ("Cher", "")
    assert texts.split_full_name("") == ("", "")
    assert texts.split_full_name("x" * 500 + " y") == ("x" * 200, "y")


def test_avatar_initials_are_the_first_letters_of_the_first_two_words() -> None:
    assert texts.initials_for("Boulangerie Dupont SARL") == "BD"
    assert texts.initials_for("Anna-Maria Nowicka") == "AN"
    assert texts.initials_for("acme") == "A"
    assert texts.initials_for("  ") == ""
    assert texts.initials_for("(Old) Firm Ltd") == "FL"
