"""A manager brings clients in from a spreadsheet and takes them out again, in the browser.

Download the sample, import a file with errors, download the error report, fix it and import it again,
undo an import, export the list and import the export back with no change; on a desktop and a phone.
"""

from __future__ import annotations

import io

import openpyxl
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from crm_app.contacts.models import AcquisitionChannel, Contact
from tests.e2e.helpers import make_user, sign_in

HEADERS = ["Prénom", "Nom", "Téléphone", "E-mail", "Ville"]


def _xlsx(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _count(app_server, last_name_prefix: str) -> int:
    with app_server.session() as db:
        return int(
            db.execute(
                select(func.count()).select_from(Contact).where(Contact.last_name.startswith(last_name_prefix))
            ).scalar_one()
        )


def _upload(page: Page, name: str, data: bytes) -> None:
    page.goto("/imports")
    expect(page.locator("#import-upload")).to_have_attribute("data-ready", "yes")
    page.locator("#import-upload input[type=file]").set_input_files(
        [{"name": name, "mimeType": "application/octet-stream", "buffer": data}]
    )
    page.wait_for_url("**/imports/*", timeout=20_000)
    expect(page.locator("#columns .column-card").first).to_be_visible(timeout=15_000)


def _dry_run_then_import(page: Page) -> None:
    page.locator("#dry-run").click()
    expect(page.locator("#import-status")).to_have_text("Checked", timeout=30_000)
    page.locator("#start-import").click()
    expect(page.locator("#import-status")).to_have_text("Done", timeout=60_000)


def test_import_with_errors_fix_the_report_import_again_and_undo(app_server, desktop):
    sign_in(desktop, make_user(app_server, "manager"))
    desktop.goto("/imports")
    with desktop.expect_download() as sample:
        desktop.locator("#download-sample").click()
    sample_book = openpyxl.load_workbook(io.BytesIO(sample.value.path().read_bytes()))
    assert [c.value for c in sample_book.worksheets[0][1]][:3] == ["Type", "First name", "Last name"]
    assert sample_book.sheetnames[-1] == "Instructions"

    rows = [
        HEADERS,
        ["Anna", "Importa", "+48 601 734 591", "anna@import.example", "Kraków"],
        ["Jean", "Importb", "06 12", "jean@import.example", "Paris"],
        ["Zoe", "Importc", "+44 20 7946 0513", "not-an-address@", "London"],
        ["Anna", "Importd", "", "anna@import.example", ""],
    ]
    _upload(desktop, "clients.xlsx", _xlsx(rows))
    targets = [desktop.locator(f"#target-{i}").input_value() for i in range(5)]
    assert targets == ["first_name", "last_name", "phones", "emails", "address.city"]
    expect(desktop.locator("#phone-region")).to_contain_text("France")
    # The fields are offered by section; addresses 2 to 5 only once unfolded.
    labels = desktop.locator("#target-0 optgroup").evaluate_all("groups => groups.map(g => g.label)")
    assert labels[:4] == ["Identity", "Phones and e-mails", "Follow-up", "Main address"]
    expect(desktop.locator("#target-0 option[value='address2.city']")).to_have_count(0)
    desktop.locator("#more-addresses").click()
    expect(desktop.locator("#target-0 option[value='address2.city']")).to_have_count(1)
    desktop.locator("#target-4").select_option("address3.city")
    desktop.locator("#more-addresses").click()
    expect(desktop.locator("#target-0 option[value='address3.city']")).to_have_count(1)
    desktop.locator("#target-4").select_option("address.city")
    expect(desktop.locator("#target-0 option[value='address3.city']")).to_have_count(0)
    # "Find a field" narrows every list to the matching fields; the fields columns use stay offered.
    desktop.locator("#target-filter").fill("postc")
    expect(desktop.locator("#target-0 option[value='address.postcode']")).to_have_count(1)
    expect(desktop.locator("#target-0 option[value='memo']")).to_have_count(0)
    expect(desktop.locator("#target-0 option[value='address.city']")).to_have_count(1)
    expect(desktop.locator("#target-0")).to_have_value("first_name")
    desktop.locator("#target-filter").fill("")
    expect(desktop.locator("#target-0 option[value='memo']")).to_have_count(1)
    # By default an unusable value is left out of the contact; here the rows are to be fixed and imported again.
    desktop.locator("#dry-run").click()
    expect(desktop.locator("#dry-create")).to_have_text("3", timeout=30_000)
    expect(desktop.locator("#dry-dropped")).to_have_text("2")
    desktop.locator("#on-bad-value-reject").click()
    expect(desktop.locator("#import-status")).to_have_text("Ready to check")
    desktop.locator("#dry-run").click()
    expect(desktop.locator("#dry-create")).to_have_text("1", timeout=30_000)
    expect(desktop.locator("#dry-reject")).to_have_text("2")
    expect(desktop.locator("#dry-skip")).to_have_text("1")
    expect(desktop.locator("#reasons table")).to_contain_text("too short")
    expect(desktop.locator("#reasons .reason-card").first).to_be_hidden()
    expect(desktop.locator("#reasons")).to_contain_text("Skipped as a duplicate of row 2 (same e-mail address)")
    with desktop.expect_download() as dry_report:
        desktop.locator("#download-dry-run").click()
    assert dry_report.value.suggested_filename == "clients-dry-run.xlsx"
    dry_sheet = openpyxl.load_workbook(io.BytesIO(dry_report.value.path().read_bytes())).worksheets[0]
    dry_rows = [[c.value for c in row] for row in dry_sheet.iter_rows()]
    assert [(r[-3], r[-1]) for r in dry_rows[1:]] == [("Rejected", 3), ("Rejected", 4), ("Skipped", 5)]
    assert _count(app_server, "Import") == 0
    desktop.screenshot(path="test-results/import-dry-run-desktop.png", full_page=True)
    desktop.locator("#start-import").click()
    expect(desktop.locator("#import-status")).to_have_text("Done", timeout=60_000)
    expect(desktop.locator("#done-created")).to_have_text("1")
    expect(desktop.locator("#done-rejected")).to_have_text("2")
    expect(desktop.locator("#done-skipped")).to_have_text("1")
    assert _count(app_server, "Import") == 1
    desktop.screenshot(path="test-results/import-done-desktop.png", full_page=True)

    with desktop.expect_download() as report:
        desktop.locator("#download-errors").click()
    assert report.value.suggested_filename == "clients-errors.xlsx"
    sheet = openpyxl.load_workbook(io.BytesIO(report.value.path().read_bytes())).worksheets[0]
    got = [[c.value for c in row] for row in sheet.iter_rows()]
    assert got[0] == [*HEADERS, "Result", "Problems", "Row"]
    assert [r[-1] for r in got[1:]] == [3, 4, 5]
    assert "too short" in got[1][-2]
    fixed = [got[0]]
    for row in got[1:]:
        cells = list(row[:5])
        if cells[1] == "Importb":
            cells[2] = "06 31 41 59 26"
        if cells[1] == "Importc":
            cells[3] = "zoe@import.example"
        if cells[1] == "Importd":
            cells[3] = "anna.d@import.example"
        fixed.append([*cells, row[5], row[6], row[7]])
    _upload(desktop, "clients-fixed.xlsx", _xlsx(fixed))
    assert [desktop.locator(f"#target-{i}").input_value() for i in (5, 6, 7)] == ["", "", ""]
    _dry_run_then_import(desktop)
    expect(desktop.locator("#done-created")).to_have_text("3")
    expect(desktop.locator("#done-rejected")).to_have_text("0")
    assert _count(app_server, "Import") == 4

    desktop.locator("#undo-import").click()
    desktop.locator("#confirm-undo").click()
    expect(desktop.locator("#import-status")).to_have_text("Undone", timeout=60_000)
    expect(desktop.locator("#undo-report")).to_contain_text("3")
    assert _count(app_server, "Import") == 1
    desktop.goto("/imports")
    expect(desktop.locator(".import-row", has_text="clients-fixed.xlsx")).to_contain_text("Undone")
    expect(desktop.locator(".import-row", has_text="clients.xlsx").first).to_be_visible()
    desktop.screenshot(path="test-results/imports-desktop.png", full_page=True)


def test_export_the_list_and_import_it_back_with_no_change(app_server, desktop):
    sign_in(desktop, make_user(app_server, "manager"))
    _upload(
        desktop,
        "roundtrip.xlsx",
        _xlsx(
            [
                HEADERS,
                ["Łucja", "Roundtrip", "06 27 18 28 18", "lucja@rt.example", "Łódź"],
                ["Ōe", "Roundtrip2", "+48 22 318 47 59", "oe@rt.example", "Gdańsk"],
            ]
        ),
    )
    _dry_run_then_import(desktop)
    desktop.goto("/contacts?q=Roundtrip")
    expect(desktop.locator(".contact-row")).to_have_count(2, timeout=15_000)
    desktop.locator("#export-menu").click()
    with desktop.expect_download(timeout=30_000) as exported:
        desktop.locator("#export-xlsx").click()
    data = exported.value.path().read_bytes()
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    names = sorted(row[3].value for row in sheet.iter_rows(min_row=2))
    assert names == ["Roundtrip", "Roundtrip2"]
    _upload(desktop, "export.xlsx", data)
    desktop.locator("#on-match-overwrite").click()
    desktop.locator("#dry-run").click()
    expect(desktop.locator("#dry-unchanged")).to_have_text("2", timeout=30_000)
    expect(desktop.locator("#dry-create")).to_have_text("0")
    expect(desktop.locator("#dry-update")).to_have_text("0")
    desktop.locator("#start-import").click()
    expect(desktop.locator("#import-status")).to_have_text("Done", timeout=60_000)
    assert _count(app_server, "Roundtrip") == 2


def test_a_bad_file_is_refused_with_a_clear_message_and_staff_cannot_import(app_server, phone):
    sign_in(phone, make_user(app_server, "manager"))
    phone.goto("/imports")
    expect(phone.locator("#import-upload")).to_have_attribute("data-ready", "yes")
    phone.locator("#import-upload input[type=file]").set_input_files(
        [{"name": "photo.xlsx", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\n" + bytes(300)}]
    )
    expect(phone.locator("#upload-error")).to_contain_text("not a spreadsheet")
    phone.screenshot(path="test-results/imports-phone.png", full_page=True)
    note = "Call before coming: the gate code changes every week " * 4
    _upload(
        phone,
        "phone.csv",
        f"Prénom;Nom;Téléphone;Notes\nEwa;Phoneimport;+48 601 938 271;{note}\nJan;Phonebad;1e10;\n".encode(),
    )
    width = phone.viewport_size["width"]
    samples = phone.locator("#columns .column-card .samples").last
    expect(samples).to_contain_text("gate code")
    box = samples.bounding_box()
    assert box is not None and box["x"] + box["width"] <= width, "a long sample is cut off, not ellipsed"
    phone.screenshot(path="test-results/import-columns-phone.png", full_page=True)
    phone.locator("#dry-run").click()
    expect(phone.locator("#import-status")).to_have_text("Checked", timeout=30_000)
    # On a phone the reasons are cards, not a table wider than the screen.
    expect(phone.locator("#reasons .reason-card").first).to_contain_text("scientific notation")
    expect(phone.locator("#dry-dropped")).to_have_text("1")
    expect(phone.locator("#reasons table")).to_be_hidden()
    assert phone.evaluate("document.documentElement.scrollWidth") <= width
    phone.locator("#start-import").click()
    expect(phone.locator("#import-status")).to_have_text("Done", timeout=60_000)
    assert _count(app_server, "Phoneimport") == 1 and _count(app_server, "Phonebad") == 1
    phone.screenshot(path="test-results/import-done-phone.png", full_page=True)


def test_staff_see_no_imports_and_the_server_refuses_them(app_server, desktop):
    sign_in(desktop, make_user(app_server, "staff"))
    expect(desktop.locator(".nav-link", has_text="Imports")).to_have_count(0)
    response = desktop.request.get("/api/imports/sample.xlsx")
    assert response.status == 403
    desktop.goto("/imports")
    expect(desktop.locator("#no-import-permission")).to_be_visible()
    desktop.locator("#import-upload input[type=file]").set_input_files(
        [{"name": "x.csv", "mimeType": "text/csv", "buffer": b"First name\nA\n"}]
    )
    expect(desktop.get_by_text("permission", exact=False).first).to_be_visible(timeout=10_000)
    with app_server.session() as db:
        assert db.execute(select(func.count()).select_from(Contact).where(Contact.first_name == "A")).scalar_one() == 0


def _unknown_values_file(prefix: str, channel_header: str = "Campagne") -> bytes:
    return _xlsx(
        [
            ["Prénom", "Nom", channel_header],
            ["Anna", f"{prefix}a", f"Salon {prefix}"],
            ["Jean", f"{prefix}b", f"salon {prefix}"],
            ["Zoe", f"{prefix}c", "Inconnue"],
        ]
    )


def _choose(page: Page, index: int, label: str) -> None:
    page.locator(f"#unknown-{index}").click()
    page.get_by_role("option", name=label).click()


def _map_and_import(page: Page, prefix: str) -> None:
    page.locator("#dry-run").click()
    expect(page.locator("#unknown-values")).to_contain_text(f"Salon {prefix}", timeout=30_000)
    expect(page.locator("#unknown-values .unknown-value").first).to_contain_text("Rows: 2")
    expect(page.locator("#dry-dropped")).to_have_text("3")
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    _choose(page, 0, f"Add “Salon {prefix}” to the list")
    expect(page.locator("#import-status")).to_have_text("Ready to check")
    _choose(page, 1, "Leave empty")
    expect(page.locator("#unknown-1")).to_contain_text("Leave empty")
    page.screenshot(path=f"test-results/import-unknown-values-{prefix.lower()}.png", full_page=True)
    page.locator("#dry-run").click()
    expect(page.locator("#dry-dropped")).to_have_text("0", timeout=30_000)
    expect(page.locator("#unknown-values")).to_have_count(0)
    page.locator("#start-import").click()
    expect(page.locator("#import-status")).to_have_text("Done", timeout=60_000)


def test_values_the_app_does_not_know_are_mapped_in_the_wizard_on_a_desktop(app_server, desktop):
    sign_in(desktop, make_user(app_server, "manager"))
    _upload(desktop, "campagnes.xlsx", _unknown_values_file("Desk"))
    _map_and_import(desktop, "Desk")
    with app_server.session() as db:
        channels = db.execute(
            select(AcquisitionChannel.name)
            .join(Contact, Contact.acquisition_channel_id == AcquisitionChannel.id)
            .where(Contact.last_name.startswith("Desk"))
        ).scalars()
        assert sorted(channels) == ["Salon Desk", "Salon Desk"]
    # The next file with the same columns starts with these choices.
    _upload(desktop, "campagnes-2.xlsx", _unknown_values_file("Desk"))
    desktop.locator("#dry-run").click()
    expect(desktop.locator("#dry-dropped")).to_have_text("0", timeout=30_000)
    expect(desktop.locator("#unknown-values")).to_have_count(0)


def test_values_the_app_does_not_know_are_mapped_in_the_wizard_on_a_phone(app_server, phone):
    sign_in(phone, make_user(app_server, "manager"))
    # Other headers than the desktop's file: the choices made there are for that layout only.
    _upload(phone, "campagnes-phone.xlsx", _unknown_values_file("Mobi", "Canal"))
    _map_and_import(phone, "Mobi")
    assert _count(app_server, "Mobi") == 3
