"""Values outside a closed list: listed by the dry run with their counts, mapped to an existing value, added to
the list or left empty, and proposed again for the next import of the same layout."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crm_app.auth import service as auth_service
from crm_app.contacts.models import AcquisitionChannel, Contact, Phone
from crm_app.core.errors import ValidationError
from crm_app.db import session_scope
from crm_app.exchange import values
from crm_app.exchange.imports import dry_run, lifecycle, mapping
from crm_app.fields import definitions
from crm_app.fields.schemas import FieldCreate
from tests.exchange.helpers import run, upload, xlsx_bytes

HEADERS = ["Prénom", "Type", "Campagne", "Suivi par", "Fournisseur", "Téléphone", "Type de téléphone", "Coiffeur"]


def _setup(engine) -> None:
    with session_scope(engine) as s:
        s.add(AcquisitionChannel(name="Salon"))
        auth_service.create_user(
            s, email="marie@exemple.fr", name="Marie", role="staff", password="long-password-4321", actor_id=None
        )
        definitions.create_field(
            s, kind="person", data=FieldCreate(label="Coiffeur", type="select", choices=["Ana", "Bo"]), actor_id=None
        )


ROWS = [
    HEADERS,
    ["Anna", "Particulier", "Salon 2025", "Marie", "oui", "06 12 34 56 78", "Mobile", "Ana"],
    ["Bob", "Client", "salon 2025", "Mme Marie", "peut-être", "06 12 34 56 79", "Perso", "Zed"],
    ["Cleo", "Client", "Bouche à oreille", "Mme Marie", "non", "06 12 34 56 80", "Perso", "zed"],
]


def _unknown(engine, job_id: int) -> list[tuple[str, str, int]]:
    with session_scope(engine) as s:
        dry = lifecycle.get_import(s, import_id=job_id).dry_run
    return [(u.header, u.value, u.count) for u in dry.unknown_values]


def test_the_dry_run_lists_the_distinct_unknown_values_of_closed_columns_with_counts(engine):
    _setup(engine)
    job = upload(engine, xlsx_bytes(ROWS), locale="fr")
    dry_run.dry_run(import_id=job.id, engine=engine)
    assert _unknown(engine, job.id) == [
        ("Type", "Client", 2),
        ("Campagne", "Salon 2025", 2),
        ("Campagne", "Bouche à oreille", 1),
        ("Suivi par", "Mme Marie", 2),
        ("Fournisseur", "peut-être", 1),
        ("Type de téléphone", "Perso", 2),
        ("Coiffeur", "Zed", 2),
    ]


def _map(engine, job_id: int, column: int, value: str, choice: str):
    with session_scope(engine) as s:
        return values.map_value(s, import_id=job_id, column=column, value=value, choice=choice, actor_id=None)


def test_unknown_values_are_mapped_created_or_left_empty_and_remembered_for_the_same_layout(engine):
    _setup(engine)
    job = upload(engine, xlsx_bytes(ROWS), locale="fr")
    dry_run.dry_run(import_id=job.id, engine=engine)
    _map(engine, job.id, 1, "CLIENT", "person")
    _map(engine, job.id, 2, "Salon 2025", values.CREATE)
    _map(engine, job.id, 2, "Bouche à oreille", "Salon")
    _map(engine, job.id, 3, "Mme Marie", "marie@exemple.fr")
    _map(engine, job.id, 4, "peut-être", "")
    _map(engine, job.id, 6, "Perso", "home")
    read = _map(engine, job.id, 7, "Zed", values.CREATE)
    assert read.status == "uploaded"
    dry = dry_run.dry_run(import_id=job.id, engine=engine)
    assert (dry.create, dry.reject, dry.with_dropped, dry.unknown_values) == (3, 0, 0, [])
    run(engine, job.id)
    with session_scope(engine) as s:
        stored = s.execute(
            select(Contact.first_name, Contact.kind, AcquisitionChannel.name, Contact.is_supplier, Contact.custom)
            .join(AcquisitionChannel, AcquisitionChannel.id == Contact.acquisition_channel_id)
            .order_by(Contact.id)
        ).all()
        assert all(c.assigned_user_id for c in s.execute(select(Contact)).scalars())
        types = list(s.execute(select(Phone.type).order_by(Phone.id)).scalars())
    assert [(n, k, c, sup) for n, k, c, sup, _custom in stored] == [
        ("Anna", "person", "Salon 2025", True),
        ("Bob", "person", "Salon 2025", False),
        ("Cleo", "person", "Salon", False),
    ]
    assert types == ["mobile", "home", "home"]
    assert stored[1][4] == stored[2][4] and stored[1][4] != {}
    again = upload(engine, xlsx_bytes(ROWS), "again.xlsx", locale="fr")
    assert again.options.value_map == read.options.value_map
    other_layout = upload(engine, xlsx_bytes([HEADERS[:3], ROWS[1][:3]]), "other.xlsx", locale="fr")
    assert other_layout.options.value_map == {}


@pytest.mark.parametrize(
    ("column", "value", "choice"),
    [
        (0, "Anna", ""),  # a free-text column
        (99, "x", ""),
        ("1", "Client", "person"),
        (1, "", "person"),
        (1, "Client", "robot"),
        (1, "Client", values.CREATE),  # types cannot be added
        (3, "Mme Marie", "nobody@exemple.fr"),
        (2, {"name": "x"}, ""),
    ],
)
def test_a_value_mapping_is_checked(engine, column, value, choice):
    _setup(engine)
    job = upload(engine, xlsx_bytes(ROWS), locale="fr")
    with pytest.raises(ValidationError):
        _map(engine, job.id, column, value, choice)


def test_a_value_mapping_cannot_come_in_through_the_options(engine):
    _setup(engine)
    job = upload(engine, xlsx_bytes(ROWS), locale="fr")
    with session_scope(engine) as s:
        read = mapping.update_mapping(
            s,
            import_id=job.id,
            mapping=job.mapping,
            options={"value_map": {"channel": {"salon 2025": "Salon"}}},
            actor_id=None,
        )
    assert read.options.value_map == {}
