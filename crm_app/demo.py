"""Demo data for a first look: a demo admin and about thirty clients (run once; later runs do nothing)."""

from __future__ import annotations

import sys

from sqlmodel import func, select

import crm_app.models  # noqa: F401  (loads every table)
from crm_app.auth import service as auth_service
from crm_app.auth.models import User
from crm_app.contacts import lists as contact_lists
from crm_app.contacts import service as contacts
from crm_app.contacts.models import Contact
from crm_app.contacts.schemas import AddressIn, ContactIn, EmailIn, PhoneIn
from crm_app.contacts.search.structures import ensure_search_documents
from crm_app.db import session_scope
from crm_app.settings import settings

PEOPLE = [
    (
        "Camille",
        "Lefèbvre",
        "+33 6 12 34 56 78",
        "camille.lefebvre@example.fr",
        "12 rue des Lilas",
        "75011",
        "Paris",
        "FR",
        ["VIP"],
    ),
    ("Julien", "Moreau", "06 23 45 67 89", "julien.moreau@example.fr", "4 place Bellecour", "69002", "Lyon", "FR", []),
    (
        "Chloé",
        "Dubois",
        "+33 7 81 22 33 44",
        "chloe.dubois@example.fr",
        "8 quai de la Fosse",
        "44000",
        "Nantes",
        "FR",
        ["Newsletter"],
    ),
    (
        "Léa",
        "Girard",
        "0033 6 45 67 89 01",
        "lea.girard@example.fr",
        "21 cours Mirabeau",
        "13100",
        "Aix-en-Provence",
        "FR",
        [],
    ),
    ("Hugo", "Bernard", "+33 6 98 76 54 32", "", "3 rue Nationale", "59000", "Lille", "FR", ["Warranty"]),
    ("Manon", "Petit", "+33 6 11 22 33 44", "manon.petit@example.fr", "", "", "", "", []),
    (
        "Agnieszka",
        "Wiśniewska",
        "+48 601 234 567",
        "a.wisniewska@example.pl",
        "ul. Floriańska 15",
        "31-019",
        "Kraków",
        "PL",
        ["VIP"],
    ),
    (
        "Piotr",
        "Kowalski",
        "+48 512 345 678",
        "piotr.kowalski@example.pl",
        "ul. Marszałkowska 84",
        "00-514",
        "Warszawa",
        "PL",
        [],
    ),
    (
        "Katarzyna",
        "Nowak",
        "+48 698 765 432",
        "k.nowak@example.pl",
        "ul. Długa 7",
        "80-831",
        "Gdańsk",
        "PL",
        ["Newsletter"],
    ),
    ("Tomasz", "Wójcik", "+48 721 000 111", "", "ul. Piotrkowska 120", "90-006", "Łódź", "PL", []),
    ("Małgorzata", "Zielińska", "+48 605 432 100", "m.zielinska@example.pl", "", "", "Poznań", "PL", ["Warranty"]),
    (
        "Paweł",
        "Lewandowski",
        "+48 660 123 987",
        "pawel.l@example.pl",
        "ul. Świdnicka 40",
        "50-024",
        "Wrocław",
        "PL",
        [],
    ),
    (
        "Oliver",
        "Smith",
        "+44 7911 234567",
        "oliver.smith@example.co.uk",
        "221 Baker Street",
        "NW1 6XE",
        "London",
        "GB",
        [],
    ),
    (
        "Amelia",
        "Jones",
        "+44 7722 345678",
        "amelia.jones@example.co.uk",
        "10 Deansgate",
        "M3 2BW",
        "Manchester",
        "GB",
        ["VIP"],
    ),
    ("Harry", "Taylor", "+44 7911 123456", "", "5 Princes Street", "EH2 2DG", "Edinburgh", "GB", []),
    (
        "Emily",
        "Brown",
        "+1 415 234 5678",
        "emily.brown@example.com",
        "500 Market St",
        "94105",
        "San Francisco",
        "US",
        ["Newsletter"],
    ),
    ("Jack", "Wilson", "+44 7400 123789", "jack.wilson@example.co.uk", "", "", "Bristol", "GB", []),
    (
        "Sophie",
        "Martin",
        "+33 6 55 44 33 22",
        "sophie.martin@example.fr",
        "14 allée Jean Jaurès",
        "31000",
        "Toulouse",
        "FR",
        [],
    ),
    ("Louis", "Roux", "+33 6 70 80 90 10", "", "2 rue Sainte-Catherine", "33000", "Bordeaux", "FR", []),
    ("Zofia", "Kamińska", "+48 501 999 888", "zofia.k@example.pl", "", "", "Lublin", "PL", []),
]

ORGANISATIONS = [
    (
        "Garage Lefèbvre & Fils",
        "FR12345678901",
        "+33 1 42 00 11 22",
        "contact@garage-lefebvre.fr",
        "Paris",
        "FR",
        True,
        ["Partner"],
    ),
    (
        "Serwis AGD Kowalski sp. z o.o.",
        "PL5252248481",
        "+48 22 123 45 67",
        "biuro@serwis-kowalski.pl",
        "Warszawa",
        "PL",
        False,
        [],
    ),
    (
        "Bright Repairs Ltd",
        "GB123456789",
        "+44 20 7123 4567",
        "hello@brightrepairs.co.uk",
        "London",
        "GB",
        False,
        ["VIP"],
    ),
    ("Pièces Auto Dupont", "FR98765432109", "+33 4 78 00 00 01", "commandes@dupont-pieces.fr", "Lyon", "FR", True, []),
    (
        "Hurtownia Elektro-Max",
        "PL7740001454",
        "+48 61 850 00 00",
        "zamowienia@elektromax.pl",
        "Poznań",
        "PL",
        True,
        ["Partner"],
    ),
    (
        "Clinique Vétérinaire du Parc",
        "FR55566677788",
        "+33 2 40 00 00 02",
        "accueil@vet-parc.fr",
        "Nantes",
        "FR",
        False,
        [],
    ),
    (
        "Northern Facilities Management",
        "GB987654321",
        "+44 161 234 5678",
        "ops@nfm.example.co.uk",
        "Manchester",
        "GB",
        False,
        ["Contract"],
    ),
    ("Salon Élégance", "", "+33 5 56 00 00 03", "rdv@salon-elegance.fr", "Bordeaux", "FR", False, []),
    ("Kwiaciarnia Różana", "", "+48 12 421 00 00", "kontakt@rozana.pl", "Kraków", "PL", False, []),
    (
        "Acme Field Services",
        "US-4455667",
        "+1 212 345 6789",
        "dispatch@acme-fs.example.com",
        "New York",
        "US",
        False,
        ["Contract"],
    ),
]


def seed(*, out=sys.stdout) -> bool:
    """Create the demo admin (a random one-time password, printed once) and demo contacts on an empty database."""
    with session_scope() as db:
        has_users = db.exec(select(func.count()).select_from(User)).one() > 0
        one_time = None
        if not has_users:
            _admin, one_time = auth_service.create_user(
                db, email=settings.demo_admin_email, name="Demo Admin", role="admin", password=None, actor_id=None
            )
        if db.exec(select(func.count()).select_from(Contact)).one() > 0:
            if one_time:
                _print_credentials(out, one_time)
            return False
        # No contact yet: this records that the search rows written below have today's layout, so the app's
        # first start does not rebuild them.
        ensure_search_documents(db)
        admin_id = db.exec(select(User.id).where(User.role == "admin")).first()
        for name in ("Website", "Google", "Recommendation", "Walk-in", "Facebook"):
            contact_lists.create_channel(db, name=name, actor_id=admin_id)
        channels = [c.id for c in contact_lists.list_channels(db)]
        for n, (first, last, phone, email, street, postcode, city, country, tags) in enumerate(PEOPLE):
            contacts.create_contact(
                db,
                data=ContactIn(
                    kind="person",
                    first_name=first,
                    last_name=last,
                    phones=[PhoneIn(number=phone, type="mobile", sms=n % 2 == 0, whatsapp=n % 3 == 0)],
                    emails=[EmailIn(address=email, email_ok=n % 2 == 1)] if email else [],
                    addresses=[AddressIn(line1=street, postcode=postcode, city=city, country=country, is_main=True)]
                    if city
                    else [],
                    tags=tags,
                    acquisition_channel_id=channels[n % len(channels)],
                    discount_percent="5" if "VIP" in tags else "0",
                    memo="Prefers to be called after 17:00." if n % 4 == 0 else "",
                ),
                actor_id=admin_id,
            )
        for name, reg, phone, email, city, country, supplier, tags in ORGANISATIONS:
            contacts.create_contact(
                db,
                data=ContactIn(
                    kind="organization",
                    company_name=name,
                    registration_no=reg,
                    is_supplier=supplier,
                    phones=[PhoneIn(number=phone, type="work")],
                    emails=[EmailIn(address=email, email_ok=True)],
                    addresses=[AddressIn(label="Office", city=city, country=country, is_main=True)],
                    tags=tags,
                ),
                actor_id=admin_id,
            )
    if one_time:
        _print_credentials(out, one_time)
    print(f"Demo data: {len(PEOPLE) + len(ORGANISATIONS)} contacts created.", file=out)
    return True


def _print_credentials(out, password: str) -> None:
    host = "localhost" if settings.host in ("127.0.0.1", "localhost", "::1") else settings.host
    print("", file=out)
    print(f"  Demo administrator created — sign in at http://{host}:{settings.port} with:", file=out)
    print(f"    e-mail:   {settings.demo_admin_email}", file=out)
    print(f"    one-time password: {password}   (shown only now; you choose your own at the first sign-in)", file=out)
    print("", file=out)


if __name__ == "__main__":
    seed()
