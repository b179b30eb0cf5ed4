"""My tasks: the signed-in user's open tasks across contacts, soonest first."""

import reflex as rx

from crm_app.ui.i18n import t
from crm_app.ui.layout import page_header
from crm_app.ui.state.feed import MyTasksState, TaskLine


def _task(task: TaskLine) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.checkbox(
                on_change=lambda _v: MyTasksState.complete(task.id), aria_label=t("Done"), class_name="my-task-done"
            ),
            rx.vstack(
                rx.text(task.title, weight="medium", size="2"),
                rx.link(task.contact_name, href="/contacts/" + task.contact_id.to_string(), size="1"),
                spacing="0",
                flex="1",
                min_width="0",
            ),
            rx.cond(task.due, rx.badge(task.due, color_scheme=rx.cond(task.overdue, "red", "gray"), variant="soft")),
            align="center",
            width="100%",
        ),
        width="100%",
        class_name="my-task",
    )


def tasks_page() -> rx.Component:
    """Open tasks with links to their contacts; overdue ones in red."""
    return rx.box(
        page_header(t("My tasks")),
        rx.cond(MyTasksState.tasks.length() == 0, rx.text(t("No open tasks."), color_scheme="gray")),
        rx.vstack(rx.foreach(MyTasksState.tasks, _task), spacing="2", width="100%", max_width="760px"),
    )
