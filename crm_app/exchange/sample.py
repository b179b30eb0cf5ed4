"""The sample workbook: the current forms as columns (localised headers), one example row per contact type,
drop-down lists where a column has fixed values, and a sheet of instructions.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select
from sqlmodel import Session

from crm_app.contacts.models import AcquisitionChannel, PhoneType
from crm_app.contacts.schemas import BUILTIN_PHONE_TYPES
from crm_app.contacts.texts import BUILTIN_PHONE_LABELS
from crm_app.exchange.columns import CUSTOM_PREFIX, CustomColumn, address_target, header_for
from crm_app.exchange.imports.context import custom_columns
from crm_app.exchange.sheets import HEADER_FILL, HEADER_FONT
from crm_app.i18n import _, normalise_locale, translate

SAMPLE_TARGETS = (
    "kind",
    "first_name",
    "last_name",
    "company_name",
    "registration_no",
    "phones",
    "phone_type",
    "whatsapp",
    "viber",
    "sms",
    "emails",
    "email_ok",
    address_target(1, "line1"),
    address_target(1, "postcode"),
    address_target(1, "city"),
    address_target(1, "country"),
    "tags",
    "channel",
    "discount",
    "is_supplier",
    "memo",
)
YES_NO_TARGETS = ("whatsapp", "viber", "sms", "email_ok", "is_supplier")
EXAMPLES: dict[str, dict[str, Any]] = {
    "person": {
        "first_name": "Anna",
        "last_name": "Kowalska",
        "phones": "+48 601 234 567",
        "phone_type": "mobile",
        "whatsapp": True,
        "viber": False,
        "sms": True,
        "emails": "anna.kowalska@example.com",
        "email_ok": True,
        "address.line1": "ul. Długa 12",
        "address.postcode": "00-238",
        "address.city": "Warszawa",
        "address.country": "PL",
        "tags": "VIP",
        "discount": 5,
        "is_supplier": False,
        "memo": "Prefers calls after 5 pm.",
    },
    "organization": {
        "company_name": "Garage Lefèvre SARL",
        "registration_no": "FR40303265045",
        "phones": "01 42 68 53 00",
        "phone_type": "work",
        "whatsapp": False,
        "viber": False,
        "sms": False,
        "emails": "contact@garage-lefevre.example",
        "email_ok": False,
        "address.line1": "18 rue de la Paix",
        "address.postcode": "75002",
        "address.city": "Paris",
        "address.country": "FR",
        "tags": "Partner; Supplier",
        "discount": 0,
        "is_supplier": True,
        "memo": "",
    },
}
INSTRUCTIONS = (
    _("How to fill in this workbook"),
    _(
        "One row per contact. Keep the first row: it names the columns. You may delete columns you do not need, "
        "reorder them or add your own: the import proposes a column for each header and you can change it."
    ),
    _("Type: Person or Organisation. A person needs a first or last name, an organisation a company name."),
    _(
        "Phones: several numbers in one cell are separated by ; (semicolon). Write numbers as you dial them "
        "(06 12 34 56 78) or with the country code (+33 6 12 34 56 78). Format the column as Text so Excel keeps "
        "the leading zero and never turns a number into 3.36E+10."
    ),
    _(
        "Phone type, WhatsApp, Viber, SMS: apply to the numbers of the row. Consent to messages is off unless "
        "you write yes."
    ),
    _("E-mails: several addresses in one cell are separated by ; (semicolon). E-mail consent: yes or no."),
    _("Country: the name or the two-letter code (FR, PL, GB)."),
    _("Tags: separated by ; (semicolon). Unknown tags are created."),
    _("Acquisition channel: the name of a marketing campaign from the settings."),
    _("Dates: any date cell, or text like 2024-03-31 or 31/03/2024."),
    _(
        "Duplicates: rows are matched to existing contacts by reference, e-mail or phone. You choose what a match "
        "does (skip, fill empty fields, overwrite). Nothing is written before you have seen the dry run."
    ),
)


def _style_header(ws: Any) -> None:
    for cell in ws[1]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="center")
    ws.freeze_panes = "A2"


def _list_validation(ws: Any, lists: Any, column: int, values: list[str], title: str) -> None:
    """A drop-down on the column, its values kept on the hidden Lists sheet (no 255-character limit)."""
    if not values:
        return
    list_column = lists.max_column + 1 if lists.max_row > 1 or lists["A1"].value else 1
    lists.cell(row=1, column=list_column, value=title)
    for index, value in enumerate(values, start=2):
        lists.cell(row=index, column=list_column, value=value)
    letter = get_column_letter(list_column)
    formula = f"{quote_sheetname(lists.title)}!${letter}$2:${letter}${len(values) + 1}"
    validation = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=True)
    validation.error = title
    ws.add_data_validation(validation)
    target = get_column_letter(column)
    validation.add(f"{target}2:{target}5000")


def sample_workbook(session: Session, *, locale: str = "en") -> bytes:
    """The sample .xlsx for the current forms, in ``locale``."""
    locale = normalise_locale(locale)
    custom = custom_columns(session)
    by_key = {c.key: c for c in custom}
    targets = [*SAMPLE_TARGETS, *(CUSTOM_PREFIX + c.key for c in custom)]
    headers = [header_for(t, locale, by_key) for t in targets]
    workbook = Workbook()
    ws = workbook.active
    ws.title = translate(locale, "Contacts")
    ws.append(headers)
    _style_header(ws)
    yes, no = translate(locale, "Yes"), translate(locale, "No")
    phone_types = [translate(locale, BUILTIN_PHONE_LABELS[key]) for key in BUILTIN_PHONE_TYPES]
    phone_types += list(session.execute(select(PhoneType.name).order_by(PhoneType.position)).scalars())
    kinds = {"person": translate(locale, "Person"), "organization": translate(locale, "Organisation")}
    for kind, example in EXAMPLES.items():
        ws.append([_example_value(t, kind, example, kinds, yes, no, locale, by_key) for t in targets])
    for index, header in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(index)].width = max(14, min(36, len(header) + 6))
        ws.cell(row=1, column=index).value = header
    for index, target in enumerate(targets, start=1):
        if target in ("phones", "registration_no", address_target(1, "postcode")):
            ws.column_dimensions[get_column_letter(index)].number_format = "@"
            for row in (2, 3):
                ws.cell(row=row, column=index).number_format = "@"
    lists = workbook.create_sheet(translate(locale, "Lists"))
    lists.sheet_state = "hidden"
    for index, target in enumerate(targets, start=1):
        title = headers[index - 1]
        if target == "kind":
            _list_validation(ws, lists, index, list(kinds.values()), title)
        elif target == "phone_type":
            _list_validation(ws, lists, index, phone_types, title)
        elif target in YES_NO_TARGETS:
            _list_validation(ws, lists, index, [yes, no], title)
        elif target == "channel":
            names = session.execute(
                select(AcquisitionChannel.name)
                .where(AcquisitionChannel.active.is_(True))
                .order_by(AcquisitionChannel.position)
            ).scalars()
            _list_validation(ws, lists, index, list(names), title)
        elif target.startswith(CUSTOM_PREFIX):
            column = by_key[target[len(CUSTOM_PREFIX) :]]
            if column.type == "select":
                _list_validation(ws, lists, index, list(column.choices), title)
            elif column.type == "checkbox":
                _list_validation(ws, lists, index, [yes, no], title)
    help_sheet = workbook.create_sheet(translate(locale, "Instructions"))
    help_sheet.column_dimensions["A"].width = 120
    for line_number, line in enumerate(INSTRUCTIONS, start=1):
        cell = help_sheet.cell(row=line_number, column=1, value=translate(locale, line))
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if line_number == 1:
            cell.font = Font(bold=True, size=14)
    for offset, column in enumerate(custom, start=len(INSTRUCTIONS) + 2):
        kinds_text = ", ".join(kinds[k] for k in column.kinds)
        type_text = translate(locale, _TYPE_HELP.get(column.type, "Text"))
        help_sheet.cell(row=offset, column=1, value=f"{column.label} ({kinds_text}): {type_text}")
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


_TYPE_HELP = {
    "text": _("Text"),
    "long_text": _("Long text"),
    "number": _("Whole number"),
    "decimal": _("Decimal number"),
    "date": _("Date"),
    "email": _("E-mail"),
    "phone": _("Phone"),
    "url": _("Web address (http or https)"),
    "select": _("One of the listed choices"),
    "multi_select": _("Choices from the list, separated by ;"),
    "checkbox": _("Yes or no"),
}


def _example_value(
    target: str,
    kind: str,
    example: dict[str, Any],
    kinds: dict[str, str],
    yes: str,
    no: str,
    locale: str,
    custom: dict[str, CustomColumn],
) -> Any:
    if target == "kind":
        return kinds[kind]
    if target.startswith(CUSTOM_PREFIX):
        column = custom[target[len(CUSTOM_PREFIX) :]]
        if kind not in column.kinds:
            return None
        if column.type in ("select", "multi_select"):
            return column.choices[0] if column.choices else None
        if column.type == "checkbox":
            return no
        return None
    value = example.get(target)
    if target == "phone_type" and value:
        return translate(locale, BUILTIN_PHONE_LABELS[value])
    if isinstance(value, bool):
        return yes if value else no
    if target == "discount":
        return str(value)
    return value
