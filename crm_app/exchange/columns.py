"""The columns of a contact spreadsheet: what each can hold, their headers in every language, and the
proposed mapping of a file's headers onto them (case- and accent-insensitive, English/French/Polish synonyms,
custom field labels).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process

from crm_app.core.text import fold
from crm_app.i18n import LOCALES, _, translate

IGNORE = ""
PHONES = "phones"
EMAILS = "emails"
TAGS = "tags"
MULTI_TARGETS = frozenset({PHONES, EMAILS, TAGS})
ADDRESS_PARTS = ("label", "line1", "line2", "postcode", "city", "region", "country")
MAX_ADDRESS_GROUPS = 5
CUSTOM_PREFIX = "custom."
FUZZY_CUTOFF = 88

# Built-in targets in the order of the exported sheet, with their English header (a msgid).
BUILTIN_HEADERS: dict[str, str] = {
    "kind": _("Type"),
    "reference": _("Reference"),
    "first_name": _("First name"),
    "last_name": _("Last name"),
    "company_name": _("Company name"),
    "name": _("Name"),
    "registration_no": _("Registration number"),
    "is_supplier": _("Supplier"),
    "assigned": _("Assigned to"),
    "channel": _("Acquisition channel"),
    "discount": _("Discount (%)"),
    PHONES: _("Phones"),
    "phone_type": _("Phone type"),
    "phone_country": _("Phone country"),
    "whatsapp": _("WhatsApp"),
    "viber": _("Viber"),
    "sms": _("SMS"),
    EMAILS: _("E-mails"),
    "email_ok": _("E-mail consent"),
    TAGS: _("Tags"),
    "memo": _("Notes"),
    "archived": _("Archived"),
}
# The sections of the mapping's target list (msgids), and the built-in targets of each, in order.
SECTIONS: dict[str, tuple[str, ...]] = {
    _("Identity"): ("kind", "reference", "first_name", "last_name", "company_name", "name", "registration_no"),
    _("Phones and e-mails"): (
        "phones",
        "phone_type",
        "phone_country",
        "whatsapp",
        "viber",
        "sms",
        "emails",
        "email_ok",
    ),
    _("Follow-up"): ("is_supplier", "assigned", "channel", "discount", "tags", "memo", "archived"),
}
ADDRESS_HEADERS: dict[str, str] = {
    "label": _("Address label"),
    "line1": _("Street"),
    "line2": _("Street (line 2)"),
    "postcode": _("Postcode"),
    "city": _("City"),
    "region": _("Region"),
    "country": _("Country"),
}
# Headers written by exports and error reports that an import always leaves out.
EXPORT_ONLY_HEADERS: tuple[str, ...] = (_("Created at"), _("Updated at"), _("Row"), _("Problems"), _("Result"))

# Other ways people name these columns (folded: lower case, no accents), English, French, Polish.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "kind": (
        "kind",
        "contact type",
        "client type",
        "type de client",
        "type de contact",
        "typ",
        "rodzaj",
        "typ klienta",
    ),
    "reference": (
        "ref",
        "reference",
        "client number",
        "customer number",
        "numero client",
        "n client",
        "nr klienta",
        "numer klienta",
        "identyfikator",
        "code client",
    ),
    "first_name": ("first name", "firstname", "given name", "forename", "prenom", "prenom du client", "imie", "imiona"),
    "last_name": (
        "last name",
        "lastname",
        "surname",
        "family name",
        "nom",
        "nom de famille",
        "nom du contact",
        "nazwisko",
        "nazwisko klienta",
    ),
    "company_name": (
        "company",
        "company name",
        "organisation",
        "organization",
        "business",
        "societe",
        "entreprise",
        "raison sociale",
        "nom de l entreprise",
        "nom de la societe",
        "firma",
        "nazwa firmy",
        "organizacja",
        "nazwa",
    ),
    "name": (
        "name",
        "full name",
        "client",
        "customer",
        "contact",
        "client name",
        "nom complet",
        "nom du client",
        "imie i nazwisko",
        "klient",
        "kontakt",
    ),
    "registration_no": (
        "registration number",
        "registration no",
        "company id",
        "vat",
        "vat number",
        "tax id",
        "siret",
        "siren",
        "tva",
        "numero de tva",
        "n tva",
        "nip",
        "regon",
        "krs",
    ),
    "is_supplier": ("supplier", "vendor", "fournisseur", "dostawca"),
    "assigned": (
        "assigned",
        "assigned to",
        "assignee",
        "owner",
        "account manager",
        "staff",
        "responsable",
        "commercial",
        "suivi par",
        "charge de clientele",
        "gere par",
        "sales rep",
        "handlowiec",
        "prowadzacy",
        "opiekun",
        "przypisany",
        "przypisany do",
        "odpowiedzialny",
    ),
    "channel": (
        "acquisition channel",
        "channel",
        "source",
        "lead source",
        "how did they find us",
        "how did you find us",
        "how did you hear about us",
        "how did they hear about us",
        "referral",
        "referred by",
        "marketing source",
        "campaign",
        "canal",
        "canal d acquisition",
        "campagne",
        "origine",
        "origine du client",
        "provenance",
        "apporteur",
        "comment nous a t il trouve",
        "comment le client vous a t il trouve",
        "comment nous avez vous connu",
        "comment nous a t il connu",
        "zrodlo",
        "zrodlo pozyskania",
        "kanal",
        "kanal pozyskania",
        "kampania",
        "skad klient",
        "skad nas zna",
        "jak nas znalazl",
        "polecenie",
    ),
    "discount": ("discount", "discount %", "remise", "reduction", "remise %", "rabat", "znizka", "upust"),
    PHONES: (
        "phone",
        "phones",
        "phone number",
        "telephone",
        "tel",
        "mobile",
        "mobile phone",
        "cell",
        "gsm",
        "portable",
        "telephone portable",
        "numero de telephone",
        "telefon",
        "telefony",
        "komorka",
        "numer telefonu",
        "tel komorkowy",
    ),
    "phone_type": ("phone type", "type of phone", "type de telephone", "typ telefonu"),
    "phone_country": (
        "phone country",
        "country of phone",
        "phone country code",
        "dialling code",
        "calling code",
        "pays du telephone",
        "indicatif",
        "indicatif pays",
        "indicatif telephonique",
        "kraj telefonu",
        "kierunkowy",
        "numer kierunkowy",
    ),
    "whatsapp": ("whatsapp", "whats app"),
    "viber": ("viber",),
    "sms": ("sms", "text messages", "sms ok"),
    EMAILS: (
        "email",
        "e mail",
        "emails",
        "e mails",
        "mail",
        "email address",
        "courriel",
        "adresse e mail",
        "adresse email",
        "adres e mail",
        "adres email",
    ),
    "email_ok": (
        "email consent",
        "e mail consent",
        "newsletter",
        "email ok",
        "opt in",
        "consentement e mail",
        "consentement email",
        "zgoda e mail",
        "zgoda na e mail",
        "zgoda marketingowa",
    ),
    TAGS: ("tag", "tags", "labels", "etiquettes", "etiquette", "tagi", "etykiety", "groups", "groupe"),
    "memo": (
        "notes",
        "note",
        "memo",
        "comment",
        "comments",
        "remarks",
        "remarques",
        "commentaire",
        "observations",
        "notatki",
        "uwagi",
        "notatka",
    ),
    "archived": ("archived", "archive", "archive e", "archivee", "zarchiwizowany", "archiwum"),
    "address.label": ("address label", "libelle adresse", "etykieta adresu"),
    "address.line1": (
        "address",
        "street",
        "street address",
        "address line 1",
        "adresse",
        "rue",
        "adresse 1",
        "ulica",
        "adres",
        "adres 1",
    ),
    "address.line2": (
        "address line 2",
        "address 2",
        "street line 2",
        "complement",
        "complement d adresse",
        "adresse 2",
        "adres 2",
        "adres cd",
    ),
    "address.postcode": (
        "postcode",
        "post code",
        "postal code",
        "zip",
        "zip code",
        "code postal",
        "cp",
        "kod pocztowy",
        "kod",
    ),
    "address.city": ("city", "town", "ville", "commune", "localite", "miasto", "miejscowosc"),
    "address.region": ("region", "state", "province", "county", "departement", "wojewodztwo"),
    "address.country": ("country", "pays", "kraj", "country code"),
}
IGNORED_SYNONYMS: tuple[str, ...] = (
    "created at",
    "updated at",
    "row",
    "problems",
    "result",
    "errors",
    "id",
    "date de creation",
    "cree le",
    "utworzono",
    "data utworzenia",
    "modifie le",
    "zmieniono",
    "wiersz",
    "ligne",
    "erreurs",
    "bledy",
    "problemy",
)
PHONE_TYPE_HINTS: dict[str, tuple[str, ...]] = {
    "mobile": ("mobile", "cell", "portable", "gsm", "komork"),
    "work": ("work", "office", "business", "travail", "bureau", "professionnel", "praca", "sluzbow", "firmowy"),
    "home": ("home", "domicile", "fixe", "personnel", "domow", "stacjonarny"),
}
# Words of a question header asking how a client came ("Comment le client vous a-t-il trouvé ?").
CHANNEL_QUESTION_HINTS: tuple[str, ...] = (
    "trouve",
    "connu",
    "find us",
    "found us",
    "hear about",
    "heard about",
    "znalazl",
    "dowiedzial",
    "skad",
)
NAME_TARGETS = frozenset({"first_name", "last_name", "company_name", "name"})
_NON_WORD = re.compile(r"[^a-z0-9%]+")
_GROUP_SUFFIX = re.compile(r"^(.*?)[\s(#-]*([2-9])\)?$")


def normalise_header(text: Any) -> str:
    """A header folded for comparison: lower case, no accents, punctuation as single spaces."""
    return " ".join(_NON_WORD.sub(" ", fold(str(text or ""))).split())


def address_target(group: int, part: str) -> str:
    """The target of an address part: ``address.city`` for the main address, ``address2.city`` for the second."""
    return f"address.{part}" if group == 1 else f"address{group}.{part}"


def split_address_target(target: str) -> tuple[int, str] | None:
    """(group, part) of an address target, or None."""
    match = re.fullmatch(r"address(\d?)\.(\w+)", target)
    if not match or match.group(2) not in ADDRESS_PARTS:
        return None
    group = int(match.group(1) or 1)
    return (group, match.group(2)) if 1 <= group <= MAX_ADDRESS_GROUPS else None


@dataclass(frozen=True)
class CustomColumn:
    """A custom field as a spreadsheet column (one per key; a key shared by both forms is one column)."""

    key: str
    label: str
    type: str
    kinds: tuple[str, ...]
    choices: tuple[str, ...] = ()


@dataclass
class Target:
    """Something a column can be mapped to, as offered in the mapping step; ``extra`` for addresses 2 to 5,
    offered folded."""

    value: str
    label: str
    group: str
    extra: bool = False


@dataclass
class ColumnPlan:
    """How one column of a file is read: its target, and for phone and e-mail columns their type and consents."""

    target: str = IGNORE
    phone_type: str = "mobile"
    whatsapp: bool = False
    viber: bool = False
    sms: bool = False
    email_ok: bool = False
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON form, stored with the import."""
        return {
            "target": self.target,
            "phone_type": self.phone_type,
            "whatsapp": self.whatsapp,
            "viber": self.viber,
            "sms": self.sms,
            "email_ok": self.email_ok,
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, data: Any) -> ColumnPlan:
        """Read the JSON form back, tolerating missing or odd values."""
        data = data if isinstance(data, dict) else {}
        return cls(
            target=str(data.get("target") or IGNORE)[:120],
            phone_type=str(data.get("phone_type") or "mobile")[:60],
            whatsapp=bool(data.get("whatsapp")),
            viber=bool(data.get("viber")),
            sms=bool(data.get("sms")),
            email_ok=bool(data.get("email_ok")),
            note=str(data.get("note") or "")[:200],
        )


def all_targets(custom: list[CustomColumn], locale: str = "en") -> list[Target]:
    """Every target a column can be mapped to, labelled in ``locale``, by section."""
    targets = [Target(IGNORE, translate(locale, "— Do not import —"), "")]
    for section, keys in SECTIONS.items():
        targets += [Target(key, translate(locale, BUILTIN_HEADERS[key]), translate(locale, section)) for key in keys]
    for group in range(1, MAX_ADDRESS_GROUPS + 1):
        group_label = translate(locale, "Main address") if group == 1 else translate(locale, "Address {n}", n=group)
        for part in ADDRESS_PARTS:
            header = translate(locale, ADDRESS_HEADERS[part])
            label = header if group == 1 else f"{header} ({group})"
            targets.append(Target(address_target(group, part), label, group_label, extra=group > 1))
    custom_group = translate(locale, "Custom fields")
    targets += [Target(CUSTOM_PREFIX + column.key, column.label, custom_group) for column in custom]
    return targets


def header_for(target: str, locale: str, custom: dict[str, CustomColumn]) -> str:
    """The header a sheet written in ``locale`` uses for ``target``."""
    if target in BUILTIN_HEADERS:
        return translate(locale, BUILTIN_HEADERS[target])
    address = split_address_target(target)
    if address is not None:
        group, part = address
        header = translate(locale, ADDRESS_HEADERS[part])
        return header if group == 1 else f"{header} ({group})"
    if target.startswith(CUSTOM_PREFIX) and target[len(CUSTOM_PREFIX) :] in custom:
        return custom[target[len(CUSTOM_PREFIX) :]].label
    return target


@dataclass
class _Index:
    exact: dict[str, str] = field(default_factory=dict)
    fuzzy: dict[str, str] = field(default_factory=dict)

    def add(self, text: str, target: str, *, fuzzy_ok: bool = True) -> None:
        key = normalise_header(text)
        if key and key not in self.exact:
            self.exact[key] = target
            if fuzzy_ok and len(key) >= 4:
                self.fuzzy.setdefault(key, target)


def _header_index(custom: list[CustomColumn], phone_type_names: list[str]) -> _Index:
    index = _Index()
    for column in custom:
        index.add(column.label, CUSTOM_PREFIX + column.key)
        index.add(column.key.replace("_", " "), CUSTOM_PREFIX + column.key)
    for locale in LOCALES:
        for key, header in BUILTIN_HEADERS.items():
            index.add(translate(locale, header), key)
        for group in range(1, MAX_ADDRESS_GROUPS + 1):
            for part, header in ADDRESS_HEADERS.items():
                text = translate(locale, header)
                index.add(text if group == 1 else f"{text} ({group})", address_target(group, part), fuzzy_ok=False)
        for header in EXPORT_ONLY_HEADERS:
            index.add(translate(locale, header), IGNORE, fuzzy_ok=False)
    for target, names in SYNONYMS.items():
        for name in names:
            index.add(name, target)
    for name in IGNORED_SYNONYMS:
        index.add(name, IGNORE, fuzzy_ok=False)
    for name in phone_type_names:
        index.add(name, PHONES, fuzzy_ok=False)
    return index


def _phone_type_hint(header_key: str, phone_type_names: list[str]) -> str:
    for name in phone_type_names:
        if normalise_header(name) and normalise_header(name) in header_key:
            return name
    for type_, hints in PHONE_TYPE_HINTS.items():
        if any(hint in header_key for hint in hints):
            return type_
    return "mobile"


def _match(header_key: str, index: _Index) -> str | None:
    if header_key in index.exact:
        return index.exact[header_key]
    grouped = _GROUP_SUFFIX.match(header_key)
    if grouped:
        base, group = grouped.group(1).strip(), int(grouped.group(2))
        target = index.exact.get(base)
        if target and target.startswith("address."):
            return address_target(group, target.split(".", 1)[1])
        if target in MULTI_TARGETS:
            return target
    words = header_key.split()
    if words and words[0] in ("phone", "tel", "telephone", "telefon", "mobile", "portable", "gsm", "komorka"):
        return PHONES
    if (words and words[0] in ("email", "mail", "courriel")) or header_key.startswith("e mail"):
        return EMAILS
    if any(hint in header_key for hint in CHANNEL_QUESTION_HINTS):
        return "channel"
    if index.fuzzy:
        found = process.extractOne(header_key, list(index.fuzzy), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
        if found:
            return index.fuzzy[found[0]]
    return None


def propose_mapping(
    headers: list[str],
    *,
    custom: list[CustomColumn],
    phone_type_names: list[str],
    channel_defaults: dict[str, bool],
    empty_columns: frozenset[int] = frozenset(),
) -> list[ColumnPlan]:
    """A column plan per header: each known target once (phones, e-mails and tags may repeat); a column empty in
    the first rows (``empty_columns``: formulas saved without their values read as empty) is not proposed for a
    name."""
    index = _header_index(custom, phone_type_names)
    used: set[str] = set()
    plans: list[ColumnPlan] = []
    for position, header in enumerate(headers):
        key = normalise_header(header)
        target = _match(key, index) if key else None
        if target in NAME_TARGETS and position in empty_columns:
            target = None
        plan = ColumnPlan(
            whatsapp=channel_defaults.get("whatsapp", False),
            viber=channel_defaults.get("viber", False),
            sms=channel_defaults.get("sms", False),
            email_ok=channel_defaults.get("email", False),
        )
        if target and (target not in used or target in MULTI_TARGETS):
            plan.target = target
            used.add(target)
            if target == PHONES:
                plan.phone_type = _phone_type_hint(key, phone_type_names)
        elif target:
            plan.note = "Another column is already mapped to this field."
        plans.append(plan)
    return plans


def check_mapping(plans: list[ColumnPlan], *, valid_targets: set[str]) -> dict[int, str]:
    """Problems of a mapping by column index: unknown targets, a single field mapped twice."""
    problems: dict[int, str] = {}
    seen: dict[str, int] = {}
    for index, plan in enumerate(plans):
        if plan.target == IGNORE:
            continue
        if plan.target not in valid_targets:
            problems[index] = "This field does not exist (any more): choose another one."
            continue
        if plan.target in seen and plan.target not in MULTI_TARGETS:
            problems[index] = "Another column is already mapped to this field."
            continue
        seen[plan.target] = index
    return problems
