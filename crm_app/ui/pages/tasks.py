"""My tasks: open tasks under Overdue / Today / Tomorrow / Later, the ones done lately, and a quick add."""

import reflex as rx

from crm_app.auth.permissions import Permission
from crm_app.ui.i18n import t
from crm_app.ui.layout import page_header
from crm_app.ui.state.session import can
from crm_app.ui.state.tasks import ContactChoice, MyTasksState, TaskGroup, TaskLine
from crm_app.ui.styles import SELECT_STYLE


def _contact_link(task: TaskLine) -> rx.Component:
    return rx.link(task.contact_name, href="/contacts/" + task.contact_id.to_string(), size="1")


def _task(task: TaskLine) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.checkbox(
                on_change=lambda _v: MyTasksState.complete(task.id),
                aria_label=t("Done"),
                size="3",
                class_name="my-task-done",
            ),
            rx.vstack(
                rx.text(task.title, weight="medium", size="2", class_name="my-task-title"),
                _contact_link(task),
                spacing="0",
                flex="1",
                min_width="0",
            ),
            rx.cond(
                task.when,
                rx.badge(
                    task.when,
                    title=task.due,
                    color_scheme=rx.cond(task.overdue, "red", "gray"),
                    variant="soft",
                    class_name="my-task-when",
                ),
            ),
            align="center",
            width="100%",
        ),
        width="100%",
        class_name="my-task",
    )


def _group(group: TaskGroup) -> rx.Component:
    return rx.vstack(
        rx.heading(
            group.label,
            " · ",
            group.tasks.length().to_string(),
            as_="h2",
            size="3",
            color=rx.cond(group.key == "overdue", rx.color("red", 11), rx.color("gray", 11)),
        ),
        rx.foreach(group.tasks, _task),
        spacing="2",
        width="100%",
        class_name="task-group",
        custom_attrs={"data-group": group.key},
    )


def _done_task(task: TaskLine) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.icon("circle-check", size=18, color=rx.color("green", 10)),
            rx.vstack(
                rx.text(task.title, size="2", text_decoration="line-through", color_scheme="gray"),
                _contact_link(task),
                spacing="0",
                flex="1",
                min_width="0",
            ),
            rx.button(
                rx.icon("undo-2", size=14),
                t("Reopen"),
                variant="soft",
                size="2",
                on_click=MyTasksState.reopen(task.id),
                class_name="my-task-reopen",
            ),
            align="center",
            width="100%",
        ),
        width="100%",
        class_name="my-done-task",
    )


def _choice(choice: ContactChoice) -> rx.Component:
    return rx.button(
        choice.label,
        variant="ghost",
        size="2",
        justify="start",
        width="100%",
        on_click=MyTasksState.choose_contact(choice.id),
        class_name="task-contact-choice",
    )


def _contact_picker() -> rx.Component:
    return rx.cond(
        MyTasksState.new_contact_id > 0,
        rx.hstack(
            rx.badge(rx.icon("user", size=14), MyTasksState.new_contact_name, size="2", id="task-contact-chosen"),
            rx.button(t("Change"), variant="ghost", size="1", on_click=MyTasksState.change_contact),
            align="center",
        ),
        rx.box(
            rx.debounce_input(
                rx.input(
                    rx.input.slot(rx.icon("search", size=16)),
                    value=MyTasksState.contact_query,
                    on_change=MyTasksState.find_contact,
                    placeholder=t("Contact: type a name, phone, e-mail…"),
                    id="task-contact",
                    width="100%",
                ),
                debounce_timeout=250,
            ),
            rx.cond(
                MyTasksState.contact_choices.length() > 0,
                rx.vstack(
                    rx.foreach(MyTasksState.contact_choices, _choice), spacing="0", width="100%", margin_top="4px"
                ),
            ),
            width="100%",
        ),
    )


def _add_form() -> rx.Component:
    return rx.cond(
        can(Permission.CONTACTS_EDIT),
        rx.card(
            _contact_picker(),
            rx.form(
                rx.vstack(
                    rx.input(name="title", placeholder=t("What is to be done?"), id="new-task-title", width="100%"),
                    rx.flex(
                        rx.el.select(
                            rx.el.option(t("Due: pick a time or none"), value=""),
                            rx.el.option(t("Later today"), value="later_today"),
                            rx.el.option(t("Tomorrow 9:00"), value="tomorrow_morning"),
                            rx.el.option(t("Next Monday 9:00"), value="next_monday"),
                            name="preset",
                            id="new-task-preset",
                            style=SELECT_STYLE,
                        ),
                        rx.input(name="due", type="datetime-local", aria_label=t("Due"), id="new-task-due"),
                        rx.button(rx.icon("plus", size=16), t("Add task"), type="submit", id="new-task-add"),
                        gap="8px",
                        wrap="wrap",
                        align="center",
                    ),
                    spacing="2",
                    width="100%",
                ),
                on_submit=MyTasksState.add_task,
                reset_on_submit=False,
                margin_top="8px",
            ),
            width="100%",
            id="new-task",
        ),
    )


def _views() -> rx.Component:
    return rx.segmented_control.root(
        rx.segmented_control.item(t("Open"), " · ", MyTasksState.open_count.to_string(), value="open"),
        rx.segmented_control.item(t("Done"), value="done"),
        value=MyTasksState.view,
        on_change=MyTasksState.show_view,
        id="task-views",
    )


def tasks_page() -> rx.Component:
    """Open tasks by due date with links to their contacts, the ones done lately, a form to add one."""
    return rx.vstack(
        page_header(t("My tasks")),
        _views(),
        rx.cond(
            MyTasksState.view == "open",
            rx.vstack(
                _add_form(),
                rx.cond(MyTasksState.groups.length() == 0, rx.text(t("No open tasks."), color_scheme="gray")),
                rx.foreach(MyTasksState.groups, _group),
                spacing="4",
                width="100%",
            ),
            rx.vstack(
                rx.cond(MyTasksState.done.length() == 0, rx.text(t("No task done yet."), color_scheme="gray")),
                rx.foreach(MyTasksState.done, _done_task),
                spacing="2",
                width="100%",
            ),
        ),
        spacing="4",
        width="100%",
        max_width="760px",
    )
