"""Fill a database with realistic contacts for the list/search benchmarks; prints one JSON object.

    python bench/seed.py --contacts 1000000                      # SQLite file under bench/results/
    python bench/seed.py --contacts 100000 --engine postgresql   # schema crm_bench in CRM_TEST_POSTGRES_URL

French, Polish and English people and companies with accented names, phones written in national and
international form, e-mails, cities, tags, staff assignments, acquisition channels and custom field values
(a searchable loyalty card number shown as a list column, choices, dates and a checkbox; see CUSTOM_FIELDS).
Rows are written with straight SQL in big batches (executemany on SQLite, COPY on PostgreSQL) into tables whose
secondary indexes are created after the load; the search index is built once at the end.
"""

from __future__ import annotations

import argparse
import bisect
import json
import multiprocessing
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy import Engine, create_engine, event, text  # noqa: E402
from sqlmodel import Session, SQLModel  # noqa: E402

import crm_app.models  # noqa: E402,F401  (loads every table)
from crm_app.contacts.name_words import rebuild_name_words  # noqa: E402
from crm_app.contacts.search.custom_fields import CustomField  # noqa: E402
from crm_app.contacts.search.documents import custom_tokens, document_row  # noqa: E402
from crm_app.contacts.search.structures import (  # noqa: E402
    create_search_structures,
    index_loaded_rows,
    mark_search_documents_current,
    resume_index_sync,
    suspend_index_sync,
)
from crm_app.contacts.search.tokens import TOKEN_TYPES, filter_tokens, uses_filter_tokens  # noqa: E402
from crm_app.contacts.texts import display_name_for  # noqa: E402
from crm_app.contacts.texts import sort_key as _sort_key  # noqa: E402
from crm_app.core.emails import email_key  # noqa: E402
from crm_app.db import normalise_url  # noqa: E402
from crm_app.fields.models import FieldDefinition  # noqa: E402
from crm_app.fields.types import Choice  # noqa: E402

RESULTS = ROOT / "bench" / "results"
# Number ranges in which phonenumbers finds every number valid (the leading digits after the country code):
# French mobiles and landlines, British mobiles (07700 and 07911 hold reserved or unallocated blocks).
FR_MOBILE_PREFIXES = ("60", "61", "62", "64", "65", "66", "67", "68", "73", "74", "75", "76", "77", "78")
FR_LANDLINE_PREFIXES = ("10", "13", "14", "20", "23", "24", "30", "32", "38", "41", "47", "49", "55", "56")
UK_MOBILE_PREFIXES = ("740", "745", "750", "755", "771", "775", "780", "785", "790", "795", "798")
DEFAULT_SQLITE = RESULTS / "bench.db"
PG_SCHEMA = "crm_bench"
LOADED_TABLES = ("contact", "phone", "email", "address", "contact_tag", "contact_search")

FIRST_NAMES = {
    "fr": [
        "Jean",
        "Marie",
        "Pierre",
        "Michel",
        "Philippe",
        "Nathalie",
        "Isabelle",
        "Sylvie",
        "Catherine",
        "Françoise",
        "Alain",
        "Nicolas",
        "Christophe",
        "Stéphane",
        "Sébastien",
        "Frédéric",
        "Valérie",
        "Hélène",
        "Chloé",
        "Léa",
        "Zoé",
        "Anaïs",
        "Cédric",
        "Jérôme",
        "Gaëlle",
        "Noémie",
        "Élodie",
        "Océane",
        "Thierry",
        "Laurent",
        "Julien",
        "Camille",
        "Manon",
        "Inès",
        "Clément",
        "Théo",
        "Maël",
        "Loïc",
        "Agnès",
        "Benoît",
        "Céline",
        "Aurélie",
        "Émilie",
        "François",
        "Joël",
        "Mathéo",
        "Raphaël",
        "Maëlys",
        "Sandrine",
        "Véronique",
        "Dominique",
        "Éric",
        "Hervé",
        "André",
        "René",
        "Gérard",
        "Josée",
    ],
    "pl": [
        "Anna",
        "Maria",
        "Katarzyna",
        "Małgorzata",
        "Agnieszka",
        "Barbara",
        "Ewa",
        "Krystyna",
        "Elżbieta",
        "Zofia",
        "Joanna",
        "Magdalena",
        "Monika",
        "Piotr",
        "Krzysztof",
        "Andrzej",
        "Tomasz",
        "Paweł",
        "Michał",
        "Marcin",
        "Jakub",
        "Łukasz",
        "Grzegorz",
        "Mateusz",
        "Wojciech",
        "Mariusz",
        "Dariusz",
        "Zbigniew",
        "Jerzy",
        "Józef",
        "Stanisław",
        "Bartłomiej",
        "Przemysław",
        "Sławomir",
        "Jędrzej",
        "Bożena",
        "Jadwiga",
        "Grażyna",
        "Dorota",
        "Beata",
        "Iwona",
        "Żaneta",
        "Weronika",
        "Kamila",
        "Oliwia",
        "Szymon",
        "Kacper",
        "Filip",
        "Maciej",
        "Wiesław",
        "Tadeusz",
        "Ryszard",
    ],
    "en": [
        "James",
        "John",
        "Robert",
        "Michael",
        "William",
        "David",
        "Richard",
        "Joseph",
        "Thomas",
        "Charles",
        "Mary",
        "Patricia",
        "Jennifer",
        "Linda",
        "Elizabeth",
        "Susan",
        "Jessica",
        "Sarah",
        "Karen",
        "Emma",
        "Olivia",
        "Amelia",
        "Isla",
        "Ava",
        "Oliver",
        "George",
        "Harry",
        "Jack",
        "Jacob",
        "Noah",
        "Charlie",
        "Muhammad",
        "Thomas",
        "Oscar",
        "Sophie",
        "Chloe",
        "Lucy",
        "Grace",
        "Emily",
        "Hannah",
        "Megan",
        "Rebecca",
        "Daniel",
        "Matthew",
        "Andrew",
        "Paul",
        "Mark",
        "Stephen",
        "Ann",
        "Margaret",
        "Helen",
        "Ruth",
        "Kevin",
        "Brian",
        "Gary",
        "Ian",
        "Neil",
        "Siobhan",
        "Niamh",
        "Aoife",
    ],
}
LAST_NAMES = {
    "fr": [
        "Martin",
        "Bernard",
        "Thomas",
        "Petit",
        "Robert",
        "Richard",
        "Durand",
        "Dubois",
        "Moreau",
        "Laurent",
        "Simon",
        "Michel",
        "Lefèbvre",
        "Leroy",
        "Roux",
        "David",
        "Bertrand",
        "Morel",
        "Fournier",
        "Girard",
        "Bonnet",
        "Dupont",
        "Lambert",
        "Fontaine",
        "Rousseau",
        "Vincent",
        "Müller",
        "Lefèvre",
        "Faure",
        "André",
        "Mercier",
        "Blanc",
        "Guérin",
        "Boyer",
        "Garnier",
        "Chevalier",
        "François",
        "Legrand",
        "Gauthier",
        "Garcia",
        "Perrin",
        "Robin",
        "Clément",
        "Morin",
        "Nicolas",
        "Henry",
        "Roussel",
        "Mathieu",
        "Gautier",
        "Masson",
        "Marchand",
        "Duval",
        "Denis",
        "Dumont",
        "Marie",
        "Lemaire",
        "Noël",
        "Meyer",
        "Dufour",
        "Meunier",
        "Brun",
        "Blanchard",
        "Giraud",
        "Joly",
        "Rivière",
        "Lucas",
        "Brunet",
        "Gaillard",
        "Barbier",
        "Arnaud",
        "Martinez",
        "Gérard",
        "Roche",
        "Renard",
        "Schmitt",
        "Roy",
        "Leroux",
        "Colin",
        "Vidal",
        "Caron",
        "Picard",
        "Roger",
        "Fabre",
        "Aubert",
        "Lemoine",
        "Renaud",
        "Dumas",
        "Lacroix",
        "Olivier",
        "Philippe",
        "Bourgeois",
        "Pierre",
        "Benoît",
        "Rey",
        "Leclerc",
        "Payet",
        "Rolland",
        "Leclercq",
        "Guillaume",
        "Lecomte",
        "Lopez",
        "Jean",
        "Dupuy",
        "Guillot",
        "Hubert",
        "Berger",
        "Carpentier",
        "Sánchez",
        "Dupuis",
        "Moulin",
        "Louis",
        "Deschamps",
        "Huet",
        "Vasseur",
        "Perez",
        "Boucher",
        "Fleury",
        "Royer",
        "Klein",
        "Jacquet",
        "Adam",
        "Paris",
        "Poirier",
        "Marty",
        "Aubry",
        "Guyot",
        "Carré",
        "Charles",
        "Renault",
        "Charpentier",
        "Ménard",
        "Maillard",
        "Baron",
        "Bertin",
        "Bailly",
        "Hervé",
        "Schneider",
        "Fernandez",
        "Le Gall",
        "Collet",
        "Léger",
        "Bouvier",
        "Julien",
        "Prévost",
        "Millet",
        "Perrot",
        "Daniel",
        "Le Roux",
        "Cousin",
        "Germain",
        "Breton",
        "Besson",
        "Langlois",
        "Rémy",
        "Le Goff",
        "Pelletier",
        "Lévêque",
        "Perrier",
        "Leblanc",
        "Barré",
        "Lebrun",
        "Marchal",
        "Weber",
        "Mallet",
        "Hamon",
        "Boulanger",
        "N'Diaye",
        "Großmann",
    ],
    "pl": [
        "Nowak",
        "Kowalski",
        "Wiśniewski",
        "Wójcik",
        "Kowalczyk",
        "Kamiński",
        "Lewandowski",
        "Zieliński",
        "Szymański",
        "Woźniak",
        "Dąbrowski",
        "Kozłowski",
        "Jankowski",
        "Mazur",
        "Wojciechowski",
        "Kwiatkowski",
        "Krawczyk",
        "Kaczmarek",
        "Piotrowski",
        "Grabowski",
        "Zając",
        "Pawłowski",
        "Michalski",
        "Król",
        "Wieczorek",
        "Jabłoński",
        "Wróbel",
        "Nowakowski",
        "Majewski",
        "Olszewski",
        "Stępień",
        "Malinowski",
        "Jaworski",
        "Adamczyk",
        "Dudek",
        "Nowicki",
        "Pawlak",
        "Górski",
        "Witkowski",
        "Walczak",
        "Sikora",
        "Baran",
        "Rutkowski",
        "Michalak",
        "Szewczyk",
        "Ostrowski",
        "Tomaszewski",
        "Pietrzak",
        "Zalewski",
        "Wróblewski",
        "Jasiński",
        "Marciniak",
        "Bąk",
        "Zawadzki",
        "Sadowski",
        "Jakubowski",
        "Duda",
        "Włodarczyk",
        "Wilk",
        "Chmielewski",
        "Borkowski",
        "Sokołowski",
        "Szczepański",
        "Sawicki",
        "Lis",
        "Kucharski",
        "Mazurek",
        "Kubiak",
        "Kalinowski",
        "Wysocki",
        "Żak",
        "Przybylski",
        "Czarnecki",
        "Głowacki",
        "Łukasik",
        "Żukowski",
        "Ślusarczyk",
        "Kowalska-Nowak",
    ],
    "en": [
        "Smith",
        "Jones",
        "Williams",
        "Taylor",
        "Brown",
        "Davies",
        "Evans",
        "Wilson",
        "Thomas",
        "Johnson",
        "Roberts",
        "Robinson",
        "Thompson",
        "Wright",
        "Walker",
        "White",
        "Edwards",
        "Hughes",
        "Green",
        "Hall",
        "Lewis",
        "Harris",
        "Clarke",
        "Patel",
        "Jackson",
        "Wood",
        "Turner",
        "Martin",
        "Cooper",
        "Hill",
        "Ward",
        "Morris",
        "Moore",
        "Clark",
        "Lee",
        "King",
        "Baker",
        "Harrison",
        "Morgan",
        "Allen",
        "James",
        "Scott",
        "Phillips",
        "Watson",
        "Davis",
        "Parker",
        "Price",
        "Bennett",
        "Young",
        "Griffiths",
        "Mitchell",
        "Kelly",
        "Cook",
        "Carter",
        "Richardson",
        "Bailey",
        "Collins",
        "Bell",
        "Shaw",
        "Murphy",
        "Miller",
        "Cox",
        "Richards",
        "Khan",
        "Marshall",
        "Anderson",
        "Simpson",
        "Ellis",
        "Adams",
        "Singh",
        "Begum",
        "Wilkinson",
        "Foster",
        "Chapman",
        "Powell",
        "Webb",
        "Rogers",
        "Gray",
        "Mason",
        "Ali",
        "Hunt",
        "Hussain",
        "Campbell",
        "Matthews",
        "Owen",
        "Palmer",
        "Holmes",
        "Mills",
        "Barnes",
        "Knight",
        "Lloyd",
        "Butler",
        "Russell",
        "Barker",
        "Fisher",
        "Stevens",
        "Jenkins",
        "Murray",
        "Dixon",
        "Harvey",
        "O'Brien",
        "O'Connor",
        "McDonald",
    ],
}
POLISH_FEMININE = {"ski": "ska", "cki": "cka", "dzki": "dzka"}
COMPANY_FORMS = {
    "fr": ("{} SARL", "{} SAS", "Boulangerie {}", "Garage {}", "Cabinet {}", "{} et Fils", "Transports {}"),
    "pl": ("{} Sp. z o.o.", "{} S.A.", "Firma {}", "Zakład {}", "Hurtownia {}", "{} i Synowie"),
    "en": ("{} Ltd", "{} & Sons", "{} Plumbing", "{} Consulting", "{} Holdings plc", "{} Bakery"),
}
CITIES = {
    "fr": [
        "Paris",
        "Marseille",
        "Lyon",
        "Toulouse",
        "Nice",
        "Nantes",
        "Montpellier",
        "Strasbourg",
        "Bordeaux",
        "Lille",
        "Rennes",
        "Reims",
        "Saint-Étienne",
        "Le Havre",
        "Toulon",
        "Grenoble",
        "Dijon",
        "Angers",
        "Nîmes",
        "Villeurbanne",
        "Clermont-Ferrand",
        "Aix-en-Provence",
        "Brest",
        "Limoges",
        "Tours",
        "Amiens",
        "Perpignan",
        "Metz",
        "Besançon",
        "Orléans",
        "Rouen",
        "Mulhouse",
        "Caen",
        "Nancy",
        "Argenteuil",
        "Créteil",
    ],
    "pl": [
        "Warszawa",
        "Kraków",
        "Łódź",
        "Wrocław",
        "Poznań",
        "Gdańsk",
        "Szczecin",
        "Bydgoszcz",
        "Lublin",
        "Białystok",
        "Katowice",
        "Gdynia",
        "Częstochowa",
        "Radom",
        "Toruń",
        "Sosnowiec",
        "Rzeszów",
        "Kielce",
        "Gliwice",
        "Olsztyn",
        "Zabrze",
        "Bielsko-Biała",
        "Bytom",
        "Zielona-Góra",
        "Rybnik",
        "Ruda-Śląska",
        "Opole",
        "Tychy",
        "Gorzów-Wielkopolski",
        "Elbląg",
        "Płock",
        "Wałbrzych",
        "Włocławek",
        "Tarnów",
        "Chorzów",
    ],
    "en": [
        "London",
        "Birmingham",
        "Manchester",
        "Liverpool",
        "Leeds",
        "Sheffield",
        "Bristol",
        "Newcastle",
        "Nottingham",
        "Leicester",
        "Coventry",
        "Bradford",
        "Cardiff",
        "Edinburgh",
        "Glasgow",
        "Belfast",
        "Southampton",
        "Portsmouth",
        "Brighton",
        "Plymouth",
        "Reading",
        "Derby",
        "Wolverhampton",
        "Swansea",
        "Aberdeen",
        "Norwich",
        "Oxford",
        "Cambridge",
        "York",
        "Bath",
        "Exeter",
        "Dundee",
        "Luton",
        "Preston",
    ],
}
COUNTRY = {"fr": "FR", "pl": "PL", "en": "GB"}
# Custom fields of the seeded forms: (kind, key, label, type, choices, flags).
CUSTOM_FIELDS = (
    ("person", "loyalty_card", "Loyalty card", "text", (), {"searchable": True, "show_in_list": True}),
    ("person", "preferred_time", "Preferred time", "select", ("Morning", "Afternoon", "Evening"), {}),
    ("person", "next_visit", "Next visit", "date", (), {}),
    ("person", "newsletter", "Newsletter", "checkbox", (), {}),
    (
        "organization",
        "sector",
        "Sector",
        "select",
        ("Retail", "Construction", "Hospitality", "Health", "Transport", "Agriculture"),
        {"searchable": True, "show_in_list": True},
    ),
    ("organization", "contract_end", "Contract end", "date", (), {}),
)


def _choice_id(label: str) -> str:
    return label.casefold()


def _custom_field(kind: str, key: str, label: str, type_: str, choices: tuple[str, ...]) -> CustomField:
    return CustomField(
        key=key, label=label, type=type_, kind=kind, choices=tuple(Choice(_choice_id(c), c) for c in choices)
    )


TOKEN_FIELDS = {
    kind: [
        _custom_field(k, key, label, type_, choices)
        for k, key, label, type_, choices, _flags in CUSTOM_FIELDS
        if k == kind and type_ in TOKEN_TYPES
    ]
    for kind in ("person", "organization")
}
SEARCHABLE = {
    kind: [
        _custom_field(k, key, label, type_, choices)
        for k, key, label, type_, choices, flags in CUSTOM_FIELDS
        if k == kind and flags.get("searchable")
    ]
    for kind in ("person", "organization")
}
MAIL_DOMAINS = {
    "fr": ("orange.fr", "free.fr", "gmail.com", "laposte.net", "sfr.fr", "wanadoo.fr", "hotmail.fr"),
    "pl": ("wp.pl", "onet.pl", "gmail.com", "interia.pl", "o2.pl", "op.pl"),
    "en": ("gmail.com", "outlook.com", "yahoo.co.uk", "btinternet.com", "hotmail.co.uk", "icloud.com"),
}
STREETS = {
    "fr": ("rue de la Paix", "avenue Victor Hugo", "boulevard Voltaire", "rue des Écoles", "place du Marché"),
    "pl": ("ul. Długa", "ul. Marszałkowska", "al. Jerozolimskie", "ul. Piotrkowska", "ul. Świętojańska"),
    "en": ("High Street", "Station Road", "Church Lane", "Victoria Road", "Park Avenue"),
}
TAGS = [
    "VIP",
    "Newsletter",
    "Prospect",
    "Client",
    "Ancien-client",
    "Partenaire",
    "Grossiste",
    "Fournisseur-agréé",
    "Salon-2024",
    "Salon-2025",
    "Relance",
    "Devis-envoyé",
    "Impayé",
    "Export",
    "B2B",
    "B2C",
    "Klient-stały",
    "Hurt",
    "Rabat",
    "Premium",
    "Gold",
    "Silver",
    "Bronze",
    "Event",
    "Webinar",
    "Referral",
    "Wholesale",
    "Retail",
    "Priority",
    "Dormant",
]
CHANNELS = ("Website", "Google Ads", "Facebook", "Trade fair", "Referral", "Flyer", "Cold call", "Newsletter")
STAFF = (
    "Alice Martin",
    "Bruno Lefèvre",
    "Claire Dubois",
    "Damien Roux",
    "Élise Garnier",
    "Agnieszka Nowak",
    "Paweł Wójcik",
    "Łucja Kamińska",
    "Tomasz Zieliński",
    "Zofia Krawczyk",
    "Oliver Smith",
    "Amelia Jones",
    "Harry Taylor",
    "Grace Evans",
    "Jack Wilson",
    "Hugo Bernard",
    "Inès Moreau",
    "Jules Fournier",
    "Karol Mazur",
    "Lena Woźniak",
)


@lru_cache(maxsize=200_000)
def sort_key(text: str) -> str:
    """The service's sort key, memoised (names repeat a lot)."""
    return _sort_key(text)


@lru_cache(maxsize=100_000)
def _mail_local(name: str) -> str:
    local = sort_key(name).replace(" ", "").replace("'", "")
    return "".join(ch for ch in local if ch.isalnum() or ch == ".").strip(".") or "contact"


@lru_cache(maxsize=4096)
def _pick_city(lang: str, city: str) -> str:
    return city.replace("-", " ") if lang == "pl" else city


class Generator:
    """Realistic random contacts, deterministic for a given seed (written for speed: ~1M in a minute)."""

    def __init__(self, seed: int, *, tag_ids: list[int], conflict_id: int, user_ids: list[int], channels: list[int]):
        self.rng = random.Random(seed)
        self.tag_ids = tag_ids
        self.conflict_id = conflict_id
        self.user_ids = user_ids
        self.user_names = dict(zip(user_ids, STAFF, strict=True))
        self.channels = channels
        self.tag_names: dict[int, str] = {}
        self.tokens = False
        self.now = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp())
        self.epoch = datetime(1970, 1, 1)
        self.days: dict[int, str] = {}
        # Zipf-like weights: a few very common surnames, a long tail.
        self.last_cum = {
            lang: _cumulative([1 / (rank + 1) ** 0.8 for rank in range(len(names))])
            for lang, names in LAST_NAMES.items()
        }

    def last_name(self, lang: str, female: bool) -> str:
        cum = self.last_cum[lang]
        name = LAST_NAMES[lang][bisect.bisect_left(cum, self.rng.random() * cum[-1])]
        if lang == "pl" and female:
            for suffix, feminine in POLISH_FEMININE.items():
                if name.endswith(suffix):
                    return name[: -len(suffix)] + feminine
        return name

    def stamp(self, seconds: int) -> str:
        """A timestamp as SQLAlchemy stores it in SQLite ("2024-05-01 12:34:56.789012")."""
        day, rest = divmod(seconds, 86400)
        text = self.days.get(day)
        if text is None:
            text = self.days[day] = (self.epoch + timedelta(days=day)).strftime("%Y-%m-%d")
        micro = (seconds * 7919) % 1_000_000
        return f"{text} {rest // 3600:02d}:{rest // 60 % 60:02d}:{rest % 60:02d}.{micro:06d}"

    def phone(self, lang: str) -> tuple[str, str, str]:
        """(raw as typed, e164, national digits)."""
        r = self.rng.random
        if lang == "fr":
            prefixes = FR_MOBILE_PREFIXES if r() < 0.7 else FR_LANDLINE_PREFIXES
            subscriber = f"{prefixes[int(r() * len(prefixes))]}{int(r() * 1e7):07d}"
            national = "0" + subscriber
            style = r()
            if style < 0.45:
                raw = f"{national[:2]} {national[2:4]} {national[4:6]} {national[6:8]} {national[8:]}"
            elif style < 0.65:
                raw = national
            elif style < 0.85:
                raw = f"+33 {subscriber[0]} {subscriber[1:3]} {subscriber[3:5]} {subscriber[5:7]} {subscriber[7:]}"
            else:
                raw = "0033" + subscriber
            return raw, "+33" + subscriber, national
        if lang == "pl":
            prefix = ("50", "51", "53", "60", "66", "69", "72", "78", "79", "88")[int(r() * 10)]
            subscriber = f"{prefix}{int(r() * 1e7):07d}"
            if r() < 0.6:
                raw = f"+48 {subscriber[:3]} {subscriber[3:6]} {subscriber[6:]}"
            else:
                raw = f"{subscriber[:3]}-{subscriber[3:6]}-{subscriber[6:]}"
            return raw, "+48" + subscriber, subscriber
        subscriber = f"{UK_MOBILE_PREFIXES[int(r() * len(UK_MOBILE_PREFIXES))]}{int(r() * 1e7):07d}"
        national = "0" + subscriber
        raw = f"{national[:5]} {national[5:]}" if r() < 0.6 else f"+44 {subscriber[:4]} {subscriber[4:]}"
        return raw, "+44" + subscriber, national

    def custom(self, kind: str) -> dict[str, Any]:
        """Custom values as the forms store them: choice ids, ISO dates, booleans, text (many left empty)."""
        r = self.rng.random
        values: dict[str, Any] = {}
        if kind == "person":
            if r() < 0.3:
                values["loyalty_card"] = f"LC-{int(r() * 1e6):06d}"
            if r() < 0.5:
                values["preferred_time"] = ("morning", "afternoon", "evening")[int(r() * 3)]
            if r() < 0.4:
                values["next_visit"] = self.day(self.now + int((r() - 0.5) * 730 * 86400))
            if r() < 0.35:
                values["newsletter"] = True
        else:
            if r() < 0.8:
                values["sector"] = ("retail", "construction", "hospitality", "health", "transport", "agriculture")[
                    int(r() * 6)
                ]
            if r() < 0.5:
                values["contract_end"] = self.day(self.now + int(r() * 1095 * 86400))
        return values

    def day(self, seconds: int) -> str:
        """An ISO date ("2026-03-15")."""
        day = seconds // 86400
        text = self.days.get(day)
        if text is None:
            text = self.days[day] = (self.epoch + timedelta(days=day)).strftime("%Y-%m-%d")
        return text

    def contact(self, contact_id: int) -> dict[str, Any]:
        """One contact and its rows: contact, phones, emails, addresses, tags, search document."""
        rng = self.rng
        r = rng.random
        x = r()
        lang = "fr" if x < 0.5 else "pl" if x < 0.8 else "en"
        organisation = r() < 0.2
        female = r() < 0.5
        firsts = FIRST_NAMES[lang]
        first = firsts[int(r() * len(firsts))]
        last = self.last_name(lang, female)
        company = ""
        forms = COMPANY_FORMS[lang]
        if organisation:
            company = forms[int(r() * len(forms))].format(self.last_name(lang, False))
            if r() < 0.6:
                first, last = "", ""
        elif r() < 0.1:
            company = forms[int(r() * len(forms))].format(self.last_name(lang, False))
        kind = "organization" if organisation else "person"
        display = display_name_for(kind, first, last, company)
        created = self.now - int(r() * 5 * 365 * 86400)
        updated = created + int(r() * (self.now - created))
        updated_text = self.stamp(updated)
        archived = updated_text if r() < 0.05 else None
        assigned = self.user_ids[int(r() * len(self.user_ids))] if r() < 0.7 else None
        channel = self.channels[int(r() * len(self.channels))] if r() < 0.6 else None
        registration = ""
        if organisation:
            if lang == "fr":
                registration = str(int(1e8 + r() * 9e8))
            elif lang == "pl":
                registration = f"PL{int(1e9 + r() * 9e9)}"
            else:
                registration = str(int(1e7 + r() * 9e7))
        contact = {
            "id": contact_id,
            "kind": kind,
            "first_name": first,
            "last_name": last,
            "company_name": company,
            "display_name": display,
            "sort_name": sort_key(display),
            "reference": f"C-{contact_id:06d}",
            "registration_no": registration,
            "is_supplier": organisation and r() < 0.3,
            "assigned_user_id": assigned,
            "acquisition_channel_id": channel,
            "archived_at": archived,
            "created_at": self.stamp(created),
            "updated_at": updated_text,
        }
        phones = [self.phone(lang) for _ in range((0, 1, 1, 1, 2, 2, 3)[int(r() * 7)])]
        emails = []
        domains = MAIL_DOMAINS[lang]
        for index in range((0, 1, 1, 1, 1, 2)[int(r() * 6)]):
            local = _mail_local(f"{first}.{last}" if first and not organisation else (company or last))
            if index or r() < 0.4:
                local += str(1 + int(r() * 998))
            emails.append(f"{local}@{domains[int(r() * len(domains))]}")
        towns = CITIES[lang]
        cities = [
            (index == 0, _pick_city(lang, towns[int(r() * len(towns))]))
            for index in range((0, 1, 1, 1, 1, 2)[int(r() * 6)])
        ]
        tag_count = (0, 0, 1, 1, 1, 2, 3)[int(r() * 7)]
        tag_ids = sorted(set(rng.sample(self.tag_ids, tag_count))) if tag_count else []
        if r() < 0.005:
            tag_ids.append(self.conflict_id)
        custom = self.custom(kind)
        search = document_row(
            contact,
            phones=[(e164, national) for _raw, e164, national in phones],
            emails=emails,
            cities=cities,
            tags=[self.tag_names[tag_id] for tag_id in tag_ids],
            assigned=self.user_names[assigned] if assigned else "",
            custom=custom_tokens(custom, SEARCHABLE[kind]) if custom else (),
            filters=filter_tokens({**contact, "custom": custom}, tag_ids=tag_ids, fields=TOKEN_FIELDS[kind])
            if self.tokens
            else (),
        )
        contact["custom"] = json.dumps(custom, separators=(",", ":")) if custom else "{}"
        return {
            "contact": contact,
            "phones": phones,
            "emails": emails,
            "cities": cities,
            "lang": lang,
            "tags": tag_ids,
            "search": search,
        }


def _cumulative(weights: list[float]) -> list[float]:
    total = 0.0
    out = []
    for weight in weights:
        total += weight
        out.append(total)
    return out


# ---------------------------------------------------------------- writers

CONTACT_COLUMNS = (
    "id",
    "kind",
    "first_name",
    "last_name",
    "company_name",
    "display_name",
    "sort_name",
    "reference",
    "registration_no",
    "is_supplier",
    "assigned_user_id",
    "acquisition_channel_id",
    "discount_percent",
    "memo",
    "custom",
    "archived_at",
    "created_at",
    "created_by_id",
    "updated_at",
    "updated_by_id",
    "version",
)
PHONE_COLUMNS = ("contact_id", "raw", "e164", "national_digits", "type", "position", "whatsapp", "viber", "sms")
EMAIL_COLUMNS = ("contact_id", "address", "address_key", "position", "email_ok")
ADDRESS_COLUMNS = (
    "contact_id",
    "label",
    "line1",
    "line2",
    "postcode",
    "city",
    "region",
    "country",
    "is_main",
    "position",
)
TAG_COLUMNS = ("contact_id", "tag_id")
SEARCH_COLUMNS = (
    "contact_id",
    "name_key",
    "name_doc",
    "body_doc",
    "city_key",
    "email_key",
    "phone_key",
    "assigned_key",
    "tag_key",
)


def _rows(generator: Generator, start: int, count: int, sqlite: bool) -> dict[str, list[tuple]]:
    out: dict[str, list[tuple]] = {name: [] for name in LOADED_TABLES}
    contacts, phones, emails = out["contact"], out["phone"], out["email"]
    addresses, tags, search = out["address"], out["contact_tag"], out["contact_search"]
    r = generator.rng.random
    yes, no = (1, 0) if sqlite else (True, False)
    suffix = "" if sqlite else "+00"
    for contact_id in range(start, start + count):
        item = generator.contact(contact_id)
        c = item["contact"]
        archived = c["archived_at"]
        contacts.append(
            (
                contact_id,
                c["kind"],
                c["first_name"],
                c["last_name"],
                c["company_name"],
                c["display_name"],
                c["sort_name"],
                c["reference"],
                c["registration_no"],
                yes if c["is_supplier"] else no,
                c["assigned_user_id"],
                c["acquisition_channel_id"],
                0,
                "",
                c["custom"],
                archived + suffix if archived else None,
                c["created_at"] + suffix,
                None,
                c["updated_at"] + suffix,
                None,
                1,
            )
        )
        lang = item["lang"]
        for position, (raw, e164, national) in enumerate(item["phones"]):
            kind = "mobile" if lang == "pl" or national[:2] in ("06", "07") else "work"
            phones.append((contact_id, raw, e164, national, kind, position, no, no, no))
        for position, address in enumerate(item["emails"]):
            emails.append((contact_id, address, email_key(address), position, yes if r() < 0.5 else no))
        streets = STREETS[lang]
        for position, (is_main, city) in enumerate(item["cities"]):
            street = f"{1 + int(r() * 199)} {streets[int(r() * len(streets))]}"
            postcode = f"{10000 + int(r() * 89999)}" if lang != "en" else f"AB{1 + int(r() * 98)} 1CD"
            addresses.append(
                (contact_id, "", street, "", postcode, city, "", COUNTRY[lang], yes if is_main else no, position)
            )
        for tag_id in item["tags"]:
            tags.append((contact_id, tag_id))
        s = item["search"]
        search.append(tuple(s[name] for name in SEARCH_COLUMNS))
    return out


COLUMNS = {
    "contact": CONTACT_COLUMNS,
    "phone": PHONE_COLUMNS,
    "email": EMAIL_COLUMNS,
    "address": ADDRESS_COLUMNS,
    "contact_tag": TAG_COLUMNS,
    "contact_search": SEARCH_COLUMNS,
}


def _write_sqlite_part(path: str, batch: dict[str, list[tuple]]) -> None:
    """Write one batch into a scratch SQLite file (plain tables, no indexes) for the main process to merge."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("BEGIN")
        for table_name, rows in batch.items():
            columns = COLUMNS[table_name]
            conn.execute(f'CREATE TABLE "{table_name}" ({",".join(columns)})')
            marks = ",".join("?" * len(columns))
            conn.executemany(f'INSERT INTO "{table_name}" VALUES ({marks})', rows)
        conn.execute("COMMIT")
    finally:
        conn.close()


def _merge_sqlite_part(engine: Engine, path: str) -> None:
    """Copy a scratch file's rows into the database with INSERT ... SELECT (no Python per row)."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("ATTACH DATABASE ? AS part", (path,))
        cursor.execute("BEGIN")
        for table_name in LOADED_TABLES:
            columns = ",".join(COLUMNS[table_name])
            cursor.execute(f'INSERT INTO main."{table_name}" ({columns}) SELECT {columns} FROM part."{table_name}"')
        cursor.execute("COMMIT")
        # The part's full-text rows too, while the workers generate the next parts (not in one pass at the end).
        cursor.execute("BEGIN")
        index_loaded_rows(cursor.execute, 'SELECT contact_id, name_doc, body_doc FROM part."contact_search"')
        cursor.execute("COMMIT")
        cursor.execute("DETACH DATABASE part")
    finally:
        raw.close()
    Path(path).unlink(missing_ok=True)


def _copy_postgres(url: str, schema: str, batch: dict[str, list[tuple]]) -> None:
    """COPY one batch into PostgreSQL over the worker's own connection."""
    with psycopg.connect(
        url.replace("postgresql+psycopg://", "postgresql://"), options=f"-csearch_path={schema}"
    ) as conn:
        with conn.cursor() as cursor:
            for table_name, rows in batch.items():
                columns = ",".join(COLUMNS[table_name])
                with cursor.copy(f'COPY "{table_name}" ({columns}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
        conn.commit()


# ---------------------------------------------------------------- orchestration


def _engine(args: argparse.Namespace) -> Engine:
    if args.engine == "sqlite":
        url = args.database_url or f"sqlite:///{DEFAULT_SQLITE}"
        path = url.removeprefix("sqlite:///")
        if not args.database_url or args.fresh:
            for suffix in ("", "-wal", "-shm"):
                Path(path + suffix).unlink(missing_ok=True)
        return sqlite_loader_engine(url)
    return postgres_engine(args.database_url, args.pg_schema, recreate=True)


def sqlite_loader_engine(url: str) -> Engine:
    """A SQLite engine for bulk loading: no journal, no fsync, big cache, sorter threads (WAL is set at the end)."""
    Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)

    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        for pragma in (
            "journal_mode=OFF",
            "synchronous=OFF",
            "foreign_keys=OFF",
            "cache_size=-1000000",
            "temp_store=MEMORY",
            "threads=2",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    event.listen(engine, "connect", _pragmas)
    event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))
    return engine


def postgres_engine(url: str | None, schema: str, *, recreate: bool = False) -> Engine:
    """An engine whose search_path is the bench schema (recreated empty when asked)."""
    url = normalise_url(url or os.environ.get("CRM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    if recreate:
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
    return create_engine(url, connect_args={"options": f"-csearch_path={schema}"})


def _secondary_indexes() -> list:
    """Indexes built after the load; those on ``contact_id`` stay (rows arrive in that order: cheap appends)."""
    indexes = []
    for table_name in LOADED_TABLES:
        for index in SQLModel.metadata.tables[table_name].indexes:
            if [column.name for column in index.columns] != ["contact_id"]:
                indexes.append(index)
    return indexes


def _setup(engine: Engine) -> dict[str, Any]:
    SQLModel.metadata.create_all(engine)
    with engine.begin() as conn:
        create_search_structures(conn)
        suspend_index_sync(conn)
        for index in _secondary_indexes():
            index.drop(conn)
        now = datetime.now(UTC)
        users = []
        for index, name in enumerate(STAFF, start=1):
            email = f"{sort_key(name).replace(' ', '.')}@crm.example"
            conn.execute(
                text(
                    'INSERT INTO "user" (id, email, name, password_hash, role, active, must_change_password, '
                    "locale, created_at, updated_at) VALUES (:id, :email, :name, 'x', 'staff', true, false, 'en', "
                    ":now, :now)"
                ),
                {"id": index, "email": email, "name": name, "now": now},
            )
            users.append(index)
        channels = []
        for index, name in enumerate(CHANNELS, start=1):
            conn.execute(
                text("INSERT INTO acquisition_channel (id, name, active, position) VALUES (:id, :name, true, :id)"),
                {"id": index, "name": name},
            )
            channels.append(index)
        tag_names = {}
        for index, name in enumerate(TAGS, start=1):
            conn.execute(
                text("INSERT INTO tag (id, name, color, system_key) VALUES (:id, :name, 'gray', NULL)"),
                {"id": index, "name": name},
            )
            tag_names[index] = name
        conflict_id = len(TAGS) + 1
        conn.execute(
            text("INSERT INTO tag (id, name, color, system_key) VALUES (:id, 'Conflict', 'red', 'conflict')"),
            {"id": conflict_id},
        )
        conn.execute(
            FieldDefinition.__table__.insert(),
            [
                {
                    "kind": kind,
                    "key": key,
                    "label": label,
                    "type": type_,
                    "options": {"choices": [{"id": _choice_id(c), "label": c, "active": True} for c in choices]}
                    if choices
                    else {},
                    "required": False,
                    "default_value": None,
                    "help_text": "",
                    "position": position,
                    "active": True,
                    "show_in_list": bool(flags.get("show_in_list")),
                    "searchable": bool(flags.get("searchable")),
                    "on_web_form": False,
                    "builtin": False,
                    "created_at": now,
                    "updated_at": now,
                }
                for position, (kind, key, label, type_, choices, flags) in enumerate(CUSTOM_FIELDS)
            ],
        )
        tag_names[conflict_id] = "Conflict"
    return {"users": users, "channels": channels, "tag_names": tag_names, "conflict_id": conflict_id}


def _finish(engine: Engine, contacts: int) -> dict[str, float]:
    timings = {}
    started = time.perf_counter()
    with engine.begin() as conn:
        for index in _secondary_indexes():
            index.create(conn)
        conn.execute(
            text("INSERT INTO counter (name, value) VALUES ('contact_reference', :n)"),
            {"n": contacts},
        )
    timings["indexes_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    with engine.begin() as conn:
        resume_index_sync(conn, rebuild=engine.dialect.name != "sqlite")
        rebuild_name_words(conn)
    with Session(engine) as session:
        # Every search row was written here by today's code: the app must not rebuild them at start.
        mark_search_documents_current(session)
        session.commit()
    timings["search_index_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    if engine.dialect.name == "sqlite":
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        engine.dispose()
        raw = engine.raw_connection()
        try:
            raw.cursor().execute("PRAGMA journal_mode=WAL")
        finally:
            raw.close()
    else:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
            for name in ("user", "acquisition_channel", "tag"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), (SELECT max(id) FROM \"{name}\"))"
                )
            conn.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('contact', 'id'), (SELECT coalesce(max(id), 1) FROM contact))"
            )
    timings["analyze_s"] = round(time.perf_counter() - started, 1)
    return timings


def _load_batch(job: dict[str, Any]) -> dict[str, int]:
    """Worker: generate one batch, write it (scratch SQLite file, or COPY into PostgreSQL); returns row counts."""
    setup = job["setup"]
    generator = Generator(
        job["seed"] * 1_000_003 + job["start"],
        tag_ids=list(range(1, len(TAGS) + 1)),
        conflict_id=setup["conflict_id"],
        user_ids=setup["users"],
        channels=setup["channels"],
    )
    generator.tag_names = setup["tag_names"]
    generator.tokens = uses_filter_tokens("sqlite" if job["sqlite"] else "postgresql")
    rows = _rows(generator, job["start"], job["count"], job["sqlite"])
    if job["sqlite"]:
        _write_sqlite_part(job["part"], rows)
    else:
        _copy_postgres(job["url"], job["schema"], rows)
    return {name: len(items) for name, items in rows.items()}


def seed(
    engine: Engine,
    contacts: int,
    *,
    seed_value: int = 42,
    batch: int = 20_000,
    workers: int = 2,
    pg_schema: str = PG_SCHEMA,
) -> dict[str, Any]:
    """Load ``contacts`` generated contacts into an empty database; returns the timings."""
    started = time.perf_counter()
    setup = _setup(engine)
    sqlite = engine.dialect.name == "sqlite"
    counts = dict.fromkeys(LOADED_TABLES, 0)
    merge_s = 0.0
    scratch = Path(tempfile.mkdtemp(prefix="crm-seed-"))
    url = engine.url.render_as_string(hide_password=False)
    jobs = [
        {
            "seed": seed_value,
            "start": start,
            "count": count,
            "sqlite": sqlite,
            "setup": setup,
            "part": str(scratch / f"part-{start}.db"),
            "url": url,
            "schema": pg_schema,
        }
        for start, count in _iter_batches(contacts, batch)
    ]
    context = multiprocessing.get_context("fork")
    try:
        with context.Pool(workers) as pool:
            for job, done in zip(jobs, pool.imap(_load_batch, jobs), strict=True):
                if sqlite:
                    t1 = time.perf_counter()
                    _merge_sqlite_part(engine, job["part"])
                    merge_s += time.perf_counter() - t1
                for name, count in done.items():
                    counts[name] += count
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    load_s = time.perf_counter() - started
    finish = _finish(engine, contacts)
    return {
        "contacts": contacts,
        "engine": engine.dialect.name,
        "rows": counts,
        "load_s": round(load_s, 1),
        "merge_s": round(merge_s, 1),
        **finish,
        "total_s": round(time.perf_counter() - started, 1),
    }


def _iter_batches(total: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(1, total + 1, size):
        yield start, min(size, total + 1 - start)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--database-url", default=None, help="default: bench/results/bench.db or CRM_TEST_POSTGRES_URL")
    parser.add_argument("--pg-schema", default=PG_SCHEMA, help="PostgreSQL schema to (re)create and fill")
    parser.add_argument("--fresh", action="store_true", help="delete the SQLite file given by --database-url first")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--batch", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=max(1, os.cpu_count() or 1), help="generator processes")
    args = parser.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    engine = _engine(args)
    try:
        result = seed(
            engine,
            args.contacts,
            seed_value=args.seed,
            batch=args.batch,
            workers=args.workers,
            pg_schema=args.pg_schema,
        )
    finally:
        engine.dispose()
    result["database"] = engine.url.render_as_string(hide_password=True)
    if args.engine == "postgresql":
        result["schema"] = args.pg_schema
    print(json.dumps(result))


if __name__ == "__main__":
    main()
