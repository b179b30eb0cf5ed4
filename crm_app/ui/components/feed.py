"""The contact's event feed: memo pinned, filters, comment / activity / task forms, uploads, entries."""

from __future__ import annotations

import reflex as rx

from crm_app.auth.permissions import Permission
from crm_app.feed.files import EXTENSIONS, IMAGE_TYPES, MAX_FILES_PER_UPLOAD
from crm_app.settings import settings
from crm_app.ui.i18n import t
from crm_app.ui.state.feed import ACTIVITY_LABELS, BodyPart, ContactFeedState, FeedRow, StaffOption, VersionLine
from crm_app.ui.state.session import can
from crm_app.ui.styles import FULL_WIDTH_SELECT_STYLE, ROW_BORDER

UPLOAD_ID = "feed-upload"
CAMERA_ID = "feed-camera"
# What the file picker offers (any image opens the phone's camera or gallery; the server checks the content).
ACCEPT: dict[str, list[str]] = {
    "image/*": [ext for kind in IMAGE_TYPES for ext in EXTENSIONS[kind]],
    **{kind: list(exts) for kind, exts in EXTENSIONS.items() if kind not in IMAGE_TYPES},
}


def _filters() -> rx.Component:
    return rx.select.root(
        rx.select.trigger(variant="soft", id="feed-filter"),
        rx.select.content(
            rx.select.item(t("Everything"), value="all"),
            rx.select.item(t("Changes"), value="changes"),
            rx.select.item(t("Comments"), value="comments"),
            rx.select.item(t("Activities"), value="activities"),
            rx.select.item(t("Tasks"), value="tasks"),
            rx.select.item(t("Files"), value="files"),
        ),
        value=rx.cond(ContactFeedState.kind_filter == "", "all", ContactFeedState.kind_filter),
        on_change=lambda v: ContactFeedState.filter_kind(rx.cond(v == "all", "", v)),
        size="1",
    )


def _staff_option(option: StaffOption) -> rx.Component:
    return rx.el.option(option.label, value=option.value)


def _staff_select(name: str, id_: str, label: rx.Var) -> rx.Component:
    """Active staff, the signed-in user first so that the form's default (and reset) is me."""
    return rx.el.select(
        rx.foreach(ContactFeedState.staff, _staff_option),
        name=name,
        id=id_,
        aria_label=label,
        title=label,
        style=FULL_WIDTH_SELECT_STYLE,
    )


def _show_progress(progress: rx.Var) -> rx.event.EventSpec:
    """Client side only (assets/feed.js): a server event per progress tick would queue behind the upload itself."""
    fraction = progress.to(dict)["progress"]
    return rx.call_function(rx.Var(f"(() => window.crmFeedUploadProgress?.({fraction!s}))"))


def _send(upload_id: str):
    start = rx.call_function(rx.Var("(() => window.crmFeedUploadStart?.())"))
    return [start, ContactFeedState.upload(rx.upload_files(upload_id=upload_id, on_upload_progress=_show_progress))]


def _progress_bar() -> rx.Component:
    """Hidden until files are being sent; assets/feed.js fills it, and hides it when ``data-finished`` moves."""
    return rx.box(
        rx.box(
            rx.box(
                class_name="upload-progress-fill",
                height="100%",
                width="0%",
                background=rx.color("accent", 9),
                border_radius="3px",
                transition="width 0.2s",
            ),
            role="progressbar",
            aria_label=t("Upload progress"),
            height="6px",
            width="100%",
            background=rx.color("gray", 4),
            border_radius="3px",
            overflow="hidden",
        ),
        rx.text(
            rx.text.span(t("Sending…"), class_name="upload-sending"),
            rx.text.span(t("Checking the files…"), class_name="upload-checking", display="none"),
            " ",
            rx.text.span("0", class_name="upload-percent"),
            " %",
            size="1",
            color_scheme="gray",
        ),
        id="upload-progress",
        custom_attrs={"data-finished": ContactFeedState.uploads_finished},
        display="none",
        width="100%",
    )


def _uploads() -> rx.Component:
    """Drop zone (several files), a camera button on a phone, progress while sending, refusals by name."""
    return rx.vstack(
        rx.upload(
            rx.vstack(
                rx.icon("upload", size=20),
                rx.text(
                    t("Drop files here or click to choose (photos, PDF…)"),
                    size="1",
                    align="center",
                    class_name="hide-on-phone",
                ),
                rx.text(t("Tap to choose files or take a photo"), size="1", align="center", class_name="phone-only"),
                align="center",
                spacing="1",
            ),
            id=UPLOAD_ID,
            multiple=True,
            max_files=MAX_FILES_PER_UPLOAD,
            max_size=settings.max_upload_mb * 1024 * 1024,
            accept=ACCEPT,
            border=f"1px dashed {rx.color('gray', 8)}",
            border_radius="8px",
            padding="12px",
            width="100%",
            cursor="pointer",
            on_drop=_send(UPLOAD_ID),
            on_drop_rejected=ContactFeedState.files_refused,
        ),
        rx.upload(
            rx.button(rx.icon("camera", size=16), t("Take a photo"), type="button", variant="soft", width="100%"),
            id=CAMERA_ID,
            multiple=False,
            max_files=1,
            max_size=settings.max_upload_mb * 1024 * 1024,
            accept={"image/*": ACCEPT["image/*"]},
            no_drag=True,
            custom_attrs={"data-capture": "environment"},
            class_name="phone-only",
            width="100%",
            border="none",
            padding="0",
            on_drop=_send(CAMERA_ID),
            on_drop_rejected=ContactFeedState.files_refused,
        ),
        _progress_bar(),
        rx.cond(
            ContactFeedState.upload_error,
            rx.text(
                ContactFeedState.upload_error, color_scheme="red", size="1", class_name="pre-wrap", id="upload-error"
            ),
        ),
        spacing="2",
        width="100%",
    )


def _composer() -> rx.Component:
    comment = rx.form(
        rx.vstack(
            rx.text_area(
                name="body", placeholder=t("Write a comment…"), rows="3", width="100%", id="comment-body", required=True
            ),
            rx.button(t("Comment"), type="submit", size="2", id="comment-submit"),
            align="end",
            spacing="2",
            width="100%",
        ),
        on_submit=ContactFeedState.add_comment,
        reset_on_submit=True,
        width="100%",
    )
    activity = rx.form(
        rx.vstack(
            rx.el.select(
                *[rx.el.option(t(label), value=key) for key, label in ACTIVITY_LABELS.items()],
                name="kind",
                id="activity-kind",
                style=FULL_WIDTH_SELECT_STYLE,
            ),
            _staff_select("staff", "activity-staff", t("Staff member")),
            rx.hstack(
                rx.input(name="at", type="datetime-local", size="2", aria_label=t("When"), flex="1"),
                rx.input(
                    name="duration",
                    type="number",
                    min="0",
                    placeholder=t("Minutes"),
                    size="2",
                    width="96px",
                    id="activity-duration",
                ),
                width="100%",
            ),
            rx.text_area(
                name="summary", placeholder=t("What was said or done"), rows="2", width="100%", id="activity-summary"
            ),
            rx.button(t("Log"), type="submit", size="2", id="activity-submit"),
            align="end",
            spacing="2",
            width="100%",
        ),
        on_submit=ContactFeedState.log_activity,
        reset_on_submit=True,
        width="100%",
    )
    task = rx.form(
        rx.vstack(
            rx.input(name="title", placeholder=t("What needs doing"), required=True, width="100%", id="task-title"),
            rx.input(name="due", type="datetime-local", aria_label=t("Due"), width="100%", id="task-due"),
            _staff_select("assignee", "task-assignee", t("Assignee")),
            rx.button(t("Add task"), type="submit", size="2", id="task-submit"),
            align="end",
            spacing="2",
            width="100%",
        ),
        on_submit=ContactFeedState.add_task,
        reset_on_submit=True,
        width="100%",
    )
    upload = _uploads()
    return rx.tabs.root(
        rx.tabs.list(
            rx.tabs.trigger(t("Comment"), value="comment"),
            rx.tabs.trigger(t("Activity"), value="activity", id="tab-activity"),
            rx.tabs.trigger(t("Task"), value="task", id="tab-task"),
            rx.tabs.trigger(t("File"), value="file", id="tab-file"),
            size="1",
        ),
        rx.box(
            rx.tabs.content(comment, value="comment"),
            rx.tabs.content(activity, value="activity"),
            rx.tabs.content(task, value="task"),
            rx.tabs.content(upload, value="file"),
            padding_top="8px",
        ),
        default_value="comment",
        width="100%",
    )


def _part(part: BodyPart) -> rx.Component:
    """Plain text, or a link the domain checked (http, https, mailto) opening in a new tab without an opener."""
    return rx.cond(
        part.href != "",
        rx.link(
            part.text,
            href=part.href,
            target="_blank",
            rel="noopener noreferrer nofollow",
            class_name="feed-link",
        ),
        rx.text.span(part.text),
    )


def _body(row: FeedRow) -> rx.Component:
    return rx.text(rx.foreach(row.parts, _part), size="2", class_name="pre-wrap feed-body")


def _version(version: VersionLine) -> rx.Component:
    return rx.box(
        rx.text(version.at, size="1", color_scheme="gray"),
        rx.text(version.body, size="2", class_name="pre-wrap"),
        padding_left="8px",
        border_left=f"2px solid {rx.color('gray', 6)}",
        class_name="comment-version",
    )


def _edited_marker(row: FeedRow) -> rx.Component:
    """The "edited" mark with its time; the earlier texts open behind a native disclosure (no round trip)."""
    return rx.el.details(
        rx.el.summary(
            rx.text.span(t("edited"), " ", row.edited_at, " — ", t("show original")),
            cursor="pointer",
            color=rx.color("gray", 11),
            font_size="12px",
        ),
        rx.vstack(rx.foreach(row.versions, _version), spacing="1", padding_top="4px"),
        class_name="comment-history",
    )


def _comment_editor(row: FeedRow) -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.text_area(
                name="body",
                default_value=row.body,
                rows="3",
                width="100%",
                required=True,
                id="comment-edit-body",
                aria_label=t("Comment"),
            ),
            _edit_buttons("comment", ContactFeedState.cancel_comment_edit),
            align="end",
            spacing="2",
            width="100%",
        ),
        on_submit=ContactFeedState.save_comment_edit,
        width="100%",
    )


def _edit_buttons(name: str, on_cancel) -> rx.Component:
    """Cancel and Save under an inline edit form (ids ``<name>-edit-cancel`` and ``<name>-edit-save``)."""
    return rx.hstack(
        rx.button(
            t("Cancel"),
            type="button",
            variant="soft",
            color_scheme="gray",
            size="1",
            on_click=on_cancel,
            id=f"{name}-edit-cancel",
        ),
        rx.button(t("Save"), type="submit", size="1", id=f"{name}-edit-save"),
        spacing="2",
    )


def _comment_actions(row: FeedRow) -> rx.Component:
    return rx.hstack(
        rx.link(
            t("Edit"),
            size="1",
            on_click=ContactFeedState.start_comment_edit(row.comment_id),
            cursor="pointer",
            class_name="comment-edit",
        ),
        rx.link(
            t("Delete"),
            size="1",
            color_scheme="red",
            on_click=ContactFeedState.delete_comment(row.comment_id),
            cursor="pointer",
            class_name="comment-delete",
        ),
        spacing="3",
    )


def _task_line(row: FeedRow) -> rx.Component:
    return rx.hstack(
        rx.checkbox(
            checked=row.done,
            on_change=lambda v: ContactFeedState.toggle_task(row.task_id, v),
            disabled=~can(Permission.CONTACTS_EDIT),
            class_name="task-done",
            aria_label=t("Done"),
        ),
        rx.text(
            row.title, size="2", text_decoration=rx.cond(row.done, "line-through", "none"), class_name="task-title"
        ),
        rx.cond(
            row.due,
            rx.badge(
                row.due,
                color_scheme=rx.cond(row.overdue, "red", "gray"),
                variant="soft",
                class_name=rx.cond(row.overdue, "overdue", ""),
            ),
        ),
        rx.cond(
            row.assignee,
            rx.badge(
                rx.icon("user", size=12),
                row.assignee,
                variant="outline",
                color_scheme="gray",
                class_name="task-assignee",
            ),
        ),
        rx.cond(
            can(Permission.CONTACTS_EDIT) & (row.task_id > 0),
            rx.icon_button(
                rx.icon("pencil", size=12),
                size="1",
                variant="ghost",
                aria_label=t("Edit task"),
                on_click=ContactFeedState.start_task_edit(row.id),
                class_name="task-edit",
            ),
        ),
        spacing="2",
        align="center",
        wrap="wrap",
    )


def _task_editor(row: FeedRow) -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.input(
                name="title",
                default_value=row.title,
                required=True,
                width="100%",
                id="task-edit-title",
                aria_label=t("Title"),
            ),
            rx.input(
                name="due",
                type="datetime-local",
                default_value=row.due_input,
                width="100%",
                id="task-edit-due",
                aria_label=t("Due"),
            ),
            rx.el.select(
                rx.foreach(ContactFeedState.staff, _staff_option),
                rx.el.option(t("Unassigned"), value=""),
                name="assignee",
                default_value=row.assignee_value,
                id="task-edit-assignee",
                aria_label=t("Assignee"),
                style=FULL_WIDTH_SELECT_STYLE,
            ),
            _edit_buttons("task", ContactFeedState.cancel_task_edit),
            align="end",
            spacing="2",
            width="100%",
        ),
        on_submit=ContactFeedState.save_task_edit,
        width="100%",
    )


def _image_viewer(row: FeedRow) -> rx.Component:
    """The thumbnail; clicked, a dialog with the full image (authenticated route) and a download link.

    Reflex renders ``a`` as a React Router link: ``reload_document`` leaves the click to the browser, which honours
    ``download`` instead of routing to the file URL inside the app.
    """
    full = "/api/files/" + row.file_id.to_string()
    return rx.dialog.root(
        rx.dialog.trigger(
            rx.el.button(
                rx.image(
                    src=full + "?thumb=1",
                    max_height="120px",
                    border_radius="6px",
                    class_name="feed-thumb",
                    alt=row.title,
                    display="block",
                ),
                type="button",
                aria_label=t("Open image"),
                title=row.title,
                background="none",
                border="none",
                padding="0",
                cursor="zoom-in",
                class_name="feed-thumb-open",
            ),
        ),
        rx.dialog.content(
            rx.vstack(
                rx.hstack(
                    rx.dialog.title(row.title, size="3", margin="0", class_name="clip", flex="1", min_width="0"),
                    rx.dialog.close(
                        rx.icon_button(
                            rx.icon("x", size=16), variant="ghost", color_scheme="gray", aria_label=t("Close")
                        )
                    ),
                    width="100%",
                    align="center",
                ),
                rx.center(
                    rx.image(
                        src=full,
                        alt=row.title,
                        max_width="100%",
                        max_height="calc(100dvh - 180px)",
                        object_fit="contain",
                        class_name="viewer-image",
                    ),
                    width="100%",
                    background=rx.color("gray", 3),
                    border_radius="6px",
                ),
                rx.el.a(
                    rx.hstack(rx.icon("download", size=14), t("Download"), spacing="1", align="center"),
                    href=full,
                    download=row.title,
                    reload_document=True,
                    class_name="viewer-download",
                    color=rx.color("accent", 11),
                    font_size="14px",
                ),
                spacing="3",
                width="100%",
            ),
            max_width="min(96vw, 1100px)",
            padding="16px",
            id="image-viewer",
        ),
    )


def _entry(row: FeedRow) -> rx.Component:
    return rx.hstack(
        rx.center(
            rx.icon(row.icon, size=14),
            width="26px",
            height="26px",
            border_radius="50%",
            background=rx.color("accent", 3),
            color=rx.color("accent", 11),
            flex_shrink="0",
        ),
        rx.vstack(
            rx.hstack(
                rx.text(row.actor, size="1", weight="bold"),
                rx.text(row.at, size="1", color_scheme="gray"),
                rx.cond(row.event_label, rx.text(row.event_label, size="1", color_scheme="gray")),
                spacing="2",
                wrap="wrap",
            ),
            rx.cond(
                row.kind == "tasks",
                rx.cond(ContactFeedState.editing_task_entry == row.id, _task_editor(row), _task_line(row)),
                rx.cond(
                    row.title | row.old | row.new,
                    rx.text(
                        rx.text.strong(row.title),
                        " ",
                        rx.cond(
                            row.old, rx.text.span(row.old, color=rx.color("red", 11), text_decoration="line-through")
                        ),
                        rx.cond(row.old & row.new, " → ", ""),
                        rx.cond(row.new, rx.text.span(row.new, color=rx.color("green", 11))),
                        size="2",
                        class_name="pre-wrap",
                    ),
                ),
            ),
            rx.cond(
                (row.comment_id > 0) & (ContactFeedState.editing_comment_id == row.comment_id),
                _comment_editor(row),
                rx.fragment(
                    rx.cond(row.body, _body(row)),
                    rx.cond(row.edited, _edited_marker(row)),
                ),
            ),
            rx.cond(
                row.file_id > 0,
                rx.hstack(
                    rx.cond(
                        row.thumb,
                        _image_viewer(row),
                        rx.el.a(
                            rx.hstack(rx.icon("download", size=14), t("Download"), spacing="1", align="center"),
                            href="/api/files/" + row.file_id.to_string(),
                            download=row.title,
                            reload_document=True,
                            class_name="feed-download",
                            color=rx.color("accent", 11),
                            font_size="14px",
                        ),
                    ),
                    rx.cond(
                        can(Permission.CONTACTS_EDIT),
                        rx.icon_button(
                            rx.icon("trash-2", size=14),
                            size="1",
                            variant="ghost",
                            color_scheme="red",
                            aria_label=t("Delete file"),
                            on_click=ContactFeedState.delete_file(row.file_id),
                        ),
                    ),
                    align="end",
                    spacing="2",
                ),
            ),
            rx.cond(
                row.mine & (row.comment_id > 0) & (ContactFeedState.editing_comment_id != row.comment_id),
                _comment_actions(row),
            ),
            spacing="1",
            width="100%",
            min_width="0",
        ),
        spacing="2",
        width="100%",
        align="start",
        class_name="feed-entry history-entry",
        padding_y="6px",
        border_bottom=ROW_BORDER,
    )


def contact_feed() -> rx.Component:
    """The whole feed card."""
    return rx.card(
        rx.vstack(
            rx.hstack(rx.heading(t("Feed"), size="3", as_="h2"), rx.spacer(), _filters(), width="100%", align="center"),
            rx.cond(
                ContactFeedState.memo,
                rx.callout(
                    ContactFeedState.memo,
                    icon="pin",
                    color_scheme="amber",
                    size="1",
                    class_name="pre-wrap",
                    id="pinned-memo",
                ),
            ),
            rx.cond(can(Permission.CONTACTS_EDIT), _composer()),
            rx.cond(
                ContactFeedState.rows.length() == 0, rx.text(t("Nothing here yet."), size="2", color_scheme="gray")
            ),
            rx.foreach(ContactFeedState.rows, _entry),
            rx.cond(
                ContactFeedState.has_more,
                rx.button(
                    t("Older entries"),
                    variant="soft",
                    size="1",
                    on_click=ContactFeedState.load_more,
                    width="100%",
                    id="feed-more",
                ),
            ),
            # Scrolled into view, this loads the older entries (assets/feed.js); the button above is the fallback.
            rx.box(id="feed-end", height="1px", width="100%"),
            rx.script(src="/feed.js"),
            spacing="2",
            width="100%",
            id="history",
        ),
        width="100%",
    )
