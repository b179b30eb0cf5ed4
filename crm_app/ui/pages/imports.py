"""Imports: the upload page with the history, and one import's wizard (columns, duplicates, dry run, run, undo)."""

from __future__ import annotations

import reflex as rx

from crm_app.auth.permissions import Permission
from crm_app.settings import settings
from crm_app.ui.components.dialogs import confirm_dialog
from crm_app.ui.i18n import t
from crm_app.ui.layout import page_header
from crm_app.ui.state.imports import (
    UPLOAD_ID,
    ColumnView,
    HistoryRow,
    ImportJobState,
    ImportsState,
    Option,
    ReasonView,
    TargetGroup,
    UnknownView,
)
from crm_app.ui.state.session import can
from crm_app.ui.styles import FULL_WIDTH_SELECT_STYLE, ROW_BORDER


def _download_link(label: rx.Var, href: str | rx.Var, id_: str, icon: str = "download") -> rx.Component:
    """A plain link the browser downloads (``reload_document``: not routed inside the app)."""
    return rx.el.a(
        rx.button(rx.icon(icon, size=16), label, variant="soft", type="button"),
        href=href,
        reload_document=True,
        download="",
        id=id_,
    )


def _history_row(row: HistoryRow) -> rx.Component:
    return rx.link(
        rx.card(
            rx.flex(
                rx.vstack(
                    rx.text(row.file_name, weight="medium", size="2", class_name="clip"),
                    rx.text(row.when, " · ", row.by, size="1", color_scheme="gray"),
                    spacing="1",
                    min_width="0",
                    flex="1",
                    width="100%",
                ),
                rx.hstack(
                    rx.badge(row.status_label, color_scheme=row.color),
                    rx.text(
                        rx.text.span(row.created, " ", t("created")),
                        " · ",
                        rx.text.span(row.updated, " ", t("updated")),
                        " · ",
                        rx.text.span(row.skipped, " ", t("skipped")),
                        " · ",
                        rx.text.span(row.rejected, " ", t("rejected")),
                        size="1",
                        color_scheme="gray",
                    ),
                    spacing="2",
                    align="center",
                    wrap="wrap",
                ),
                gap="8px",
                direction=rx.breakpoints(initial="column", sm="row"),
                align=rx.breakpoints(initial="start", sm="center"),
                width="100%",
            ),
            width="100%",
        ),
        href="/imports/" + row.id.to_string(),
        underline="none",
        color=rx.color("gray", 12),
        width="100%",
        class_name="import-row",
    )


def _refused() -> rx.Component:
    return rx.callout(
        t("Only managers and administrators can import contacts."),
        icon="lock",
        color_scheme="gray",
        id="no-import-permission",
    )


def imports_page() -> rx.Component:
    """Upload a file, download the sample workbook, and the imports so far."""
    return rx.cond(can(Permission.IMPORT), _imports(), rx.box(page_header(t("Imports")), _refused(), _staff_upload()))


def _staff_upload() -> rx.Component:
    """The drop zone stays reachable so a refusal comes from the server, not only from a hidden control."""
    return rx.upload(
        rx.text(t("Drop a file here"), size="1", color_scheme="gray"),
        id=UPLOAD_ID,
        multiple=False,
        max_files=1,
        border=f"1px dashed {rx.color('gray', 6)}",
        border_radius="8px",
        padding="8px",
        margin_top="12px",
        on_drop=ImportsState.upload(rx.upload_files(upload_id=UPLOAD_ID)),
    )


def _imports() -> rx.Component:
    return rx.box(
        page_header(
            t("Imports"),
            _download_link(t("Sample workbook"), "/api/imports/sample.xlsx", "download-sample", "file-spreadsheet"),
        ),
        rx.card(
            rx.vstack(
                rx.heading(t("Import contacts from Excel or CSV"), size="3"),
                rx.text(
                    t(
                        "Upload the file: you will then check how its columns are read and see what the import "
                        "would do before anything is written."
                    ),
                    size="2",
                    color_scheme="gray",
                ),
                rx.upload(
                    rx.vstack(
                        rx.icon("file-up", size=28, color=rx.color("accent", 9)),
                        rx.text(t("Drop an .xlsx or .csv file here, or tap to choose one"), size="2", align="center"),
                        rx.text(ImportsState.limits_text, size="1", color_scheme="gray"),
                        align="center",
                        spacing="2",
                    ),
                    id=UPLOAD_ID,
                    multiple=False,
                    max_files=1,
                    max_size=settings.max_import_mb * 1024 * 1024,
                    border=f"2px dashed {rx.color('gray', 7)}",
                    border_radius="10px",
                    padding="28px 16px",
                    width="100%",
                    cursor="pointer",
                    on_drop=ImportsState.upload(rx.upload_files(upload_id=UPLOAD_ID)),
                    on_drop_rejected=ImportsState.file_refused,
                    disabled=~ImportsState.loaded,
                    opacity=rx.cond(ImportsState.loaded, "1", "0.6"),
                    custom_attrs={"data-ready": rx.cond(ImportsState.loaded, "yes", "no")},
                ),
                rx.cond(
                    ImportsState.upload_error,
                    rx.callout(ImportsState.upload_error, icon="triangle-alert", color_scheme="red", id="upload-error"),
                ),
                spacing="3",
                width="100%",
            ),
            width="100%",
        ),
        rx.heading(t("Imports so far"), size="4", margin_top="24px", margin_bottom="8px"),
        rx.cond(
            ImportsState.history.length() > 0,
            rx.vstack(rx.foreach(ImportsState.history, _history_row), spacing="2", width="100%"),
            rx.text(t("No import yet."), size="2", color_scheme="gray"),
        ),
        width="100%",
    )


# ---------------------------------------------------------------- one import


def _option(option: Option) -> rx.Component:
    return rx.el.option(option.label, value=option.value)


def _target_group(group: TargetGroup) -> rx.Component:
    return rx.cond(
        group.label,
        rx.el.optgroup(rx.foreach(group.options, _option), label=group.label),
        rx.foreach(group.options, _option),
    )


def _column_card(column: ColumnView) -> rx.Component:
    return rx.box(
        rx.flex(
            rx.vstack(
                rx.text(column.header, weight="bold", size="2", class_name="clip", max_width="100%"),
                rx.text(column.samples, size="1", color_scheme="gray", class_name="clip samples", max_width="100%"),
                spacing="0",
                min_width="0",
                flex="1 1 200px",
            ),
            rx.vstack(
                rx.el.select(
                    rx.foreach(ImportJobState.shown_target_groups, _target_group),
                    value=column.target,
                    on_change=lambda value: ImportJobState.choose_target(column.index, value),
                    disabled=~ImportJobState.editable,
                    style=FULL_WIDTH_SELECT_STYLE,
                    aria_label=t("Field"),
                    class_name="column-target",
                    id="target-" + column.index.to_string(),
                ),
                rx.cond(
                    column.is_phone,
                    rx.flex(
                        rx.el.select(
                            rx.foreach(ImportJobState.phone_types, _option),
                            value=column.phone_type,
                            on_change=lambda value: ImportJobState.choose_phone_type(column.index, value),
                            disabled=~ImportJobState.editable,
                            style={**FULL_WIDTH_SELECT_STYLE, "width": "auto"},
                            aria_label=t("Phone type"),
                        ),
                        *[
                            rx.checkbox(
                                label,
                                checked=getattr(column, channel),
                                on_change=lambda value, channel=channel: ImportJobState.toggle_consent(
                                    column.index, channel, value
                                ),
                                disabled=~ImportJobState.editable,
                                size="1",
                            )
                            for channel, label in (("whatsapp", "WhatsApp"), ("viber", "Viber"), ("sms", "SMS"))
                        ],
                        gap="10px",
                        align="center",
                        wrap="wrap",
                    ),
                ),
                rx.cond(
                    column.is_email,
                    rx.checkbox(
                        t("Agrees to receive e-mails"),
                        checked=column.email_ok,
                        on_change=lambda value: ImportJobState.toggle_consent(column.index, "email_ok", value),
                        disabled=~ImportJobState.editable,
                        size="1",
                    ),
                ),
                rx.cond(column.error, rx.text(column.error, color_scheme="red", size="1")),
                spacing="2",
                flex="1 1 260px",
                min_width="0",
            ),
            gap="12px",
            wrap="wrap",
            width="100%",
        ),
        padding="10px 0",
        border_bottom=ROW_BORDER,
        width="100%",
        class_name="column-card",
    )


def _preview() -> rx.Component:
    return rx.box(
        rx.table.root(
            rx.table.header(
                rx.table.row(rx.foreach(ImportJobState.preview_headers, lambda h: rx.table.column_header_cell(h)))
            ),
            rx.table.body(
                rx.foreach(
                    ImportJobState.preview_rows,
                    lambda row: rx.table.row(rx.foreach(row, lambda cell: rx.table.cell(cell, white_space="nowrap"))),
                )
            ),
            size="1",
            variant="surface",
        ),
        overflow_x="auto",
        width="100%",
        max_height="320px",
        overflow_y="auto",
        id="preview",
    )


def _step(number: str, title: rx.Var, *children: rx.Component, id_: str = "") -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.center(
                    rx.text(number, size="2", weight="bold", color="white"),
                    background=rx.color("accent", 9),
                    border_radius="999px",
                    width="26px",
                    height="26px",
                    flex_shrink="0",
                ),
                rx.heading(title, size="4"),
                align="center",
                spacing="2",
            ),
            *children,
            spacing="3",
            width="100%",
        ),
        width="100%",
        id=id_,
    )


def _duplicates() -> rx.Component:
    return rx.vstack(
        rx.text(t("Find existing contacts by"), size="2", weight="medium"),
        rx.flex(
            *[
                rx.checkbox(
                    label,
                    checked=getattr(ImportJobState, f"match_{key}"),
                    on_change=lambda value, key=key: ImportJobState.toggle_match(key, value),
                    disabled=~ImportJobState.editable,
                    id=f"match-{key}",
                )
                for key, label in (("reference", t("Reference")), ("email", t("E-mail")), ("phone", t("Phone (E.164)")))
            ],
            gap="16px",
            wrap="wrap",
        ),
        rx.text(t("When a row matches an existing contact"), size="2", weight="medium"),
        rx.radio_group.root(
            rx.vstack(
                *[
                    rx.text(
                        rx.hstack(rx.radio_group.item(value=value, id=f"on-match-{value}"), label, spacing="2"),
                        as_="label",
                        size="2",
                    )
                    for value, label in (
                        ("skip", t("Skip the row (leave the contact as it is)")),
                        ("fill", t("Fill the contact's empty fields only")),
                        ("overwrite", t("Overwrite the contact's fields with the file's values")),
                    )
                ],
                spacing="2",
            ),
            value=ImportJobState.on_match,
            on_change=ImportJobState.choose_on_match,
            disabled=~ImportJobState.editable,
        ),
        rx.text(
            t(
                "Rows repeated inside the file are found too. Empty cells never erase anything; numbers and e-mails "
                "are added, never removed."
            ),
            size="1",
            color_scheme="gray",
        ),
        spacing="2",
        width="100%",
    )


def _values() -> rx.Component:
    return rx.vstack(
        rx.text(
            t("When a value is unusable (a wrong phone or e-mail, an unknown campaign…)"), size="2", weight="medium"
        ),
        rx.radio_group.root(
            rx.vstack(
                *[
                    rx.text(
                        rx.hstack(rx.radio_group.item(value=value, id=f"on-bad-value-{value}"), label, spacing="2"),
                        as_="label",
                        size="2",
                    )
                    for value, label in (
                        ("drop", t("Import the contact without it (listed in the report)")),
                        ("reject", t("Reject the row")),
                    )
                ],
                spacing="2",
            ),
            value=ImportJobState.on_bad_value,
            on_change=ImportJobState.choose_on_bad_value,
            disabled=~ImportJobState.editable,
        ),
        rx.text(t("A row without a name or with an unknown type is always rejected."), size="1", color_scheme="gray"),
        rx.text(t("Numbers without a country code are from"), size="2", weight="medium"),
        rx.select.root(
            rx.select.trigger(width="100%", id="phone-region"),
            rx.select.content(
                rx.foreach(ImportJobState.phone_regions, lambda o: rx.select.item(o.label, value=o.value))
            ),
            value=ImportJobState.phone_region,
            on_change=ImportJobState.choose_phone_region,
            disabled=~ImportJobState.editable,
        ),
        rx.text(
            t(
                "Unless the row says otherwise: a phone country column first, then the country of the row's "
                "address. The dry run lists numbers from another country than the address."
            ),
            size="1",
            color_scheme="gray",
        ),
        spacing="2",
        width="100%",
        max_width="560px",
    )


def _count(label: rx.Var, value: rx.Var, color: str, id_: str) -> rx.Component:
    return rx.vstack(
        rx.text(value, size="6", weight="bold", color=rx.color(color, 11), id=id_),
        rx.text(label, size="1", color_scheme="gray"),
        spacing="0",
        align="center",
        padding="8px 12px",
        border_radius="8px",
        background=rx.color(color, 2),
        min_width="96px",
        flex="1",
    )


def _reason(reason: ReasonView) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.badge(reason.action, variant="soft")),
        rx.table.cell(reason.column),
        rx.table.cell(reason.message),
        rx.table.cell(reason.count),
        rx.table.cell(reason.rows, white_space="nowrap"),
    )


def _reason_card(reason: ReasonView) -> rx.Component:
    """One reason on a phone, where the table's five columns do not fit."""
    return rx.vstack(
        rx.hstack(
            rx.badge(reason.action, variant="soft"),
            rx.text(reason.column, size="2", weight="medium", class_name="clip", min_width="0"),
            spacing="2",
            align="center",
            width="100%",
        ),
        rx.text(reason.message, size="2"),
        rx.text(t("Rows"), ": ", reason.rows, " (", reason.count, ")", size="1", color_scheme="gray"),
        spacing="1",
        width="100%",
        padding="8px 0",
        border_bottom=ROW_BORDER,
        class_name="reason-card",
    )


def _unknown_value(item: UnknownView) -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.text(item.header, size="1", color_scheme="gray", class_name="clip", max_width="100%"),
            rx.text("“", item.value, "”", size="2", weight="medium", class_name="clip", max_width="100%"),
            rx.text(t("Rows"), ": ", item.count, size="1", color_scheme="gray"),
            spacing="0",
            min_width="0",
            flex="1 1 200px",
        ),
        rx.select.root(
            rx.select.trigger(
                placeholder=t("Choose…"), width=["100%", "100%", "320px"], id="unknown-" + item.index.to_string()
            ),
            rx.select.content(rx.foreach(item.options, lambda o: rx.select.item(o.label, value=o.value))),
            value=item.choice,
            on_change=lambda value: ImportJobState.map_value(item.index, value),
            disabled=~ImportJobState.editable,
        ),
        gap="8px",
        wrap="wrap",
        align="center",
        width="100%",
        padding="8px 0",
        border_bottom=ROW_BORDER,
        class_name="unknown-value",
    )


def _unknown_values() -> rx.Component:
    return rx.cond(
        ImportJobState.unknown_values.length() > 0,
        rx.vstack(
            rx.heading(t("Values the app does not know"), size="2"),
            rx.text(
                t(
                    "Choose what each becomes: an existing value, a new value of the list, or nothing. "
                    "Then check the file again; the next import of a file with these columns starts with your choices."
                ),
                size="1",
                color_scheme="gray",
            ),
            rx.foreach(ImportJobState.unknown_values, _unknown_value),
            spacing="1",
            width="100%",
            id="unknown-values",
        ),
    )


def _dry_run() -> rx.Component:
    return rx.vstack(
        rx.cond(
            ImportJobState.status == "checking",
            rx.vstack(
                rx.progress(value=ImportJobState.progress, width="100%"),
                rx.text(t("Checking rows…"), " ", ImportJobState.dry_rows, size="2", color_scheme="gray"),
                width="100%",
            ),
        ),
        rx.cond(
            ImportJobState.dry_state == "done",
            rx.vstack(
                rx.flex(
                    _count(t("to create"), ImportJobState.dry_create, "green", "dry-create"),
                    _count(t("to update"), ImportJobState.dry_update, "blue", "dry-update"),
                    _count(t("already up to date"), ImportJobState.dry_unchanged, "gray", "dry-unchanged"),
                    _count(t("to skip"), ImportJobState.dry_skip, "amber", "dry-skip"),
                    _count(t("to reject"), ImportJobState.dry_reject, "red", "dry-reject"),
                    _count(t("without some values"), ImportJobState.dry_with_dropped, "orange", "dry-dropped"),
                    gap="8px",
                    wrap="wrap",
                    width="100%",
                ),
                rx.foreach(
                    ImportJobState.warnings,
                    lambda w: rx.callout(w, icon="info", color_scheme="amber", size="1", width="100%"),
                ),
                rx.cond(
                    ImportJobState.reasons.length() > 0,
                    rx.box(
                        rx.box(
                            rx.table.root(
                                rx.table.header(
                                    rx.table.row(
                                        rx.table.column_header_cell(t("What")),
                                        rx.table.column_header_cell(t("Column")),
                                        rx.table.column_header_cell(t("Reason")),
                                        rx.table.column_header_cell(t("Rows")),
                                        rx.table.column_header_cell(t("Row numbers")),
                                    )
                                ),
                                rx.table.body(rx.foreach(ImportJobState.reasons, _reason)),
                                size="1",
                            ),
                            overflow_x="auto",
                            display=["none", "none", "block"],
                        ),
                        rx.box(rx.foreach(ImportJobState.reasons, _reason_card), display=["block", "block", "none"]),
                        width="100%",
                        id="reasons",
                    ),
                ),
                rx.cond(
                    ImportJobState.more_reasons > 0,
                    rx.text(
                        ImportJobState.more_reasons_text,
                        size="2",
                        color_scheme="amber",
                        id="more-reasons",
                    ),
                ),
                _unknown_values(),
                _download_link(
                    t("Download the dry run"),
                    "/api/imports/" + ImportJobState.import_id.to_string() + "/dry-run.xlsx",
                    "download-dry-run",
                    "file-spreadsheet",
                ),
                spacing="3",
                width="100%",
            ),
        ),
        rx.button(
            rx.icon("search-check", size=16),
            rx.cond(ImportJobState.dry_state == "done", t("Check again"), t("Check the file (dry run)")),
            on_click=ImportJobState.check,
            disabled=~ImportJobState.editable | ImportJobState.busy,
            loading=ImportJobState.status == "checking",
            variant=rx.cond(ImportJobState.dry_current, "soft", "solid"),
            id="dry-run",
        ),
        spacing="3",
        width="100%",
    )


def _run() -> rx.Component:
    running = ImportJobState.status == "running"
    return rx.vstack(
        rx.cond(
            running | (ImportJobState.processed > 0),
            rx.vstack(
                rx.progress(value=ImportJobState.progress, width="100%", id="import-progress"),
                rx.text(
                    ImportJobState.processed,
                    " / ",
                    ImportJobState.total_rows,
                    " ",
                    t("rows"),
                    " · ",
                    ImportJobState.rows_per_second,
                    " ",
                    t("rows/s"),
                    size="2",
                    color_scheme="gray",
                    id="import-counts",
                ),
                rx.flex(
                    _count(t("created"), ImportJobState.created, "green", "done-created"),
                    _count(t("updated"), ImportJobState.updated, "blue", "done-updated"),
                    _count(t("skipped"), ImportJobState.skipped, "amber", "done-skipped"),
                    _count(t("rejected"), ImportJobState.rejected, "red", "done-rejected"),
                    gap="8px",
                    wrap="wrap",
                    width="100%",
                ),
                width="100%",
                spacing="2",
            ),
        ),
        rx.cond(
            ImportJobState.stale,
            rx.callout(
                t(
                    "This import was interrupted (the server stopped). Resume it: it goes on "
                    "after its last complete batch."
                ),
                icon="triangle-alert",
                color_scheme="amber",
            ),
        ),
        rx.cond(ImportJobState.error, rx.callout(ImportJobState.error, icon="triangle-alert", color_scheme="red")),
        rx.flex(
            rx.cond(
                ImportJobState.can_run,
                rx.button(
                    rx.icon("play", size=16),
                    rx.cond(ImportJobState.status == "checked", t("Import now"), t("Resume the import")),
                    on_click=ImportJobState.start,
                    disabled=ImportJobState.busy,
                    id="start-import",
                ),
            ),
            rx.cond(
                running & ~ImportJobState.stale,
                rx.button(
                    rx.icon("square", size=16),
                    t("Cancel"),
                    on_click=ImportJobState.cancel,
                    color_scheme="red",
                    variant="soft",
                    disabled=ImportJobState.cancel_requested,
                    id="cancel-import",
                ),
            ),
            rx.cond(
                ImportJobState.processed > 0,
                _download_link(
                    t("Download the report (rows not imported as they were)"),
                    "/api/imports/" + ImportJobState.import_id.to_string() + "/errors.xlsx",
                    "download-errors",
                    "file-warning",
                ),
            ),
            rx.cond(ImportJobState.can_undo, _undo_button()),
            gap="8px",
            wrap="wrap",
        ),
        rx.cond(ImportJobState.status == "done", rx.link(t("See the contacts"), href="/contacts", size="2")),
        spacing="3",
        width="100%",
    )


def _undo_button() -> rx.Component:
    return confirm_dialog(
        rx.alert_dialog.description(
            t(
                "The contacts it created are deleted and the values it overwrote come back. Contacts changed "
                "since the import are kept as they are and listed."
            ),
            size="2",
        ),
        title=t("Undo this import?"),
        cancel_label=t("Keep it"),
        confirm=rx.button(
            t("Undo"), color_scheme="red", on_click=ImportJobState.undo, disabled=ImportJobState.busy, id="confirm-undo"
        ),
        id="undo-dialog",
        trigger=rx.button(
            rx.icon("undo-2", size=16),
            t("Undo this import"),
            color_scheme="red",
            variant="outline",
            id="undo-import",
            disabled=ImportJobState.busy,  # the run's follower is still closing: an undo now would be ignored
        ),
    )


def _undone() -> rx.Component:
    return rx.callout(
        rx.vstack(
            rx.text(
                t("Import undone:"),
                " ",
                ImportJobState.undo_removed,
                " ",
                t("contacts removed"),
                ", ",
                ImportJobState.undo_restored,
                " ",
                t("restored"),
                ", ",
                ImportJobState.undo_kept_count,
                " ",
                t("kept because they changed since"),
                ".",
            ),
            rx.foreach(ImportJobState.undo_kept, lambda label: rx.text("• ", label, size="1")),
            spacing="1",
        ),
        icon="undo-2",
        color_scheme="gray",
        width="100%",
        id="undo-report",
    )


def import_page() -> rx.Component:
    """One import, step by step."""
    return rx.cond(can(Permission.IMPORT), _import(), rx.box(page_header(t("Import")), _refused()))


def _import() -> rx.Component:
    return rx.box(
        rx.link(
            rx.hstack(rx.icon("arrow-left", size=14), t("All imports"), spacing="1", align="center"),
            href="/imports",
            size="2",
        ),
        rx.cond(
            ImportJobState.not_found,
            rx.callout(t("This import does not exist."), icon="triangle-alert", color_scheme="red", margin_top="12px"),
            rx.vstack(
                page_header(
                    rx.text.span(ImportJobState.file_name, class_name="clip"),
                    rx.badge(ImportJobState.status_label, size="2", id="import-status"),
                ),
                rx.cond(ImportJobState.status == "undone", _undone()),
                _step(
                    "1",
                    t("How the columns are read"),
                    rx.text(
                        t("Each column of the file goes into a field. Change what was proposed if needed."),
                        size="2",
                        color_scheme="gray",
                    ),
                    rx.debounce_input(
                        rx.input(
                            rx.input.slot(rx.icon("search", size=16)),
                            placeholder=t("Find a field in the lists (e.g. phone, city, discount)"),
                            value=ImportJobState.target_filter,
                            on_change=ImportJobState.filter_targets,
                            type="search",
                            aria_label=t("Find a field"),
                            id="target-filter",
                            width="100%",
                            max_width="420px",
                        ),
                        debounce_timeout=250,
                    ),
                    rx.box(rx.foreach(ImportJobState.columns, _column_card), width="100%", id="columns"),
                    rx.checkbox(
                        t("Offer addresses 2 to 5 in the lists of fields"),
                        checked=ImportJobState.more_addresses,
                        on_change=ImportJobState.show_more_addresses,
                        size="1",
                        id="more-addresses",
                    ),
                    rx.cond(
                        ImportJobState.mapping_error,
                        rx.text(ImportJobState.mapping_error, color_scheme="red", size="2"),
                    ),
                    rx.heading(t("First rows of the file"), size="2"),
                    _preview(),
                    id_="step-columns",
                ),
                _step("2", t("Duplicates and unusable values"), _duplicates(), _values(), id_="step-duplicates"),
                _step("3", t("Dry run: what the import would do"), _dry_run(), id_="step-check"),
                _step("4", t("Import"), _run(), id_="step-run"),
                spacing="4",
                width="100%",
            ),
        ),
        width="100%",
        max_width="1100px",
    )
