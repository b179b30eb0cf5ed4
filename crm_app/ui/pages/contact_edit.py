"""The contact file: identity panel, details, history; stacked on a phone."""

from __future__ import annotations

import reflex as rx

from crm_app.auth.permissions import Permission
from crm_app.contacts.editing import ConflictRow
from crm_app.contacts.form_layout import FormCard, FormItem
from crm_app.contacts.forms import AddressForm, EmailForm, PhoneForm
from crm_app.ui.components.dialogs import confirm_dialog
from crm_app.ui.components.feed import contact_feed
from crm_app.ui.components.markers import contact_name
from crm_app.ui.i18n import t
from crm_app.ui.live.registry import ContactPulse, Presence
from crm_app.ui.state.contact_edit import ContactEditState
from crm_app.ui.state.session import can
from crm_app.ui.styles import FULL_WIDTH_SELECT_STYLE

S = ContactEditState
CAN_EDIT = can(Permission.CONTACTS_EDIT)


def _err(key: rx.Var | str) -> rx.Component:
    message = S.errors.get(key, "")
    note = S.remote_notes.get(key, "")
    return rx.fragment(
        rx.cond(message, rx.text(message, color_scheme="red", size="1", class_name="field-error", role="alert")),
        rx.cond(
            note,
            rx.text(rx.icon("users", size=12), " ", note, color_scheme="amber", size="1", class_name="remote-note"),
        ),
    )


def _required_mark(required: rx.Var | bool) -> rx.Component:
    return rx.cond(required, rx.text.span(" *", color=rx.color("red", 10), class_name="required-mark"))


def _label(text: rx.Var, html_for: rx.Var | str = "", required: rx.Var | bool = False) -> rx.Component:
    return rx.text(
        text,
        _required_mark(required),
        as_="label",
        custom_attrs={"htmlFor": html_for} if isinstance(html_for, rx.Var) or html_for else {},
        size="1",
        weight="medium",
        color_scheme="gray",
    )


def _text_field(label: rx.Var, name: str, value: rx.Var, required: rx.Var | bool = False, **props) -> rx.Component:
    return rx.vstack(
        _label(label, f"f-{name}", required),
        rx.input(
            id=f"f-{name}",
            value=value,
            on_change=lambda v: S.edit_field(name, v),
            width="100%",
            read_only=~CAN_EDIT,
            **props,
        ),
        _err(name),
        spacing="1",
        width="100%",
    )


def _section(title: rx.Var, *children: rx.Component, action: rx.Component | None = None) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(title, size="3", as_="h2"),
                rx.spacer(),
                action or rx.fragment(),
                width="100%",
                align="center",
            ),
            *children,
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _select(options: rx.Var, value: rx.Var, on_change, placeholder: rx.Var, id_: str, allow_empty: bool = True):
    return rx.el.select(
        *([rx.el.option(placeholder, value="")] if allow_empty else []),
        rx.foreach(options, lambda o: rx.el.option(o.label, value=o.value)),
        value=value,
        on_change=on_change,
        id=id_,
        disabled=~CAN_EDIT,
        style=FULL_WIDTH_SELECT_STYLE,
    )


# ---- identity panel ------------------------------------------------------------------------


def _remove_button(label: rx.Var, on_click) -> rx.Component:
    """The red bin that removes one phone, e-mail or address (shown only to those who may edit)."""
    return rx.cond(
        CAN_EDIT,
        rx.icon_button(
            rx.icon("trash-2", size=16),
            variant="ghost",
            color_scheme="red",
            aria_label=label,
            on_click=on_click,
            class_name="touch-target",
        ),
    )


def _quick_action(icon: str, label: rx.Var, href: rx.Var, id_: str, *, external: bool = False) -> rx.Component:
    return rx.cond(
        href,
        rx.el.a(
            rx.icon(icon, size=18),
            rx.text(label, size="2", weight="medium"),
            href=href,
            target="_blank" if external else None,
            rel="noopener noreferrer" if external else None,
            class_name="quick-action",
            id=id_,
        ),
    )


def _quick_actions() -> rx.Component:
    """One tap to call, message on a channel the contact agreed to, or get directions to the main address."""
    return rx.cond(
        S.quick_call | S.quick_directions,
        rx.flex(
            _quick_action("phone", t("Call"), S.quick_call, "quick-call"),
            _quick_action("message-square", t("Message"), S.quick_message, "quick-message", external=True),
            _quick_action("map-pin", t("Directions"), S.quick_directions, "quick-directions", external=True),
            gap="8px",
            wrap="wrap",
            width="100%",
            id="quick-actions",
        ),
    )


def _identity() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.box(rx.avatar(fallback=S.initials, size="4", radius="full"), flex_shrink="0", id="contact-avatar"),
                rx.vstack(
                    contact_name(
                        S.title, S.is_supplier, S.is_conflict, S.archived, size="4", weight="bold", wrap=True, as_="h1"
                    ),
                    rx.text(rx.cond(S.kind == "person", t("Person"), t("Organisation")), size="1", color_scheme="gray"),
                    spacing="1",
                    min_width="0",
                    flex="1",
                ),
                align="center",
                width="100%",
            ),
            rx.cond(
                S.archived,
                rx.callout(
                    t("This contact is archived."), icon="archive", color_scheme="amber", size="1", id="archived-banner"
                ),
            ),
            _quick_actions(),
            rx.button(
                rx.icon(rx.cond(S.show_details, "chevron-up", "chevron-down"), size=16),
                t("Reference, assignee, dates"),
                variant="ghost",
                color_scheme="gray",
                on_click=S.toggle_details,
                class_name="phone-only touch-target",
                id="toggle-details",
            ),
            rx.data_list.root(
                rx.data_list.item(
                    rx.data_list.label(t("Reference")),
                    rx.data_list.value(rx.cond(S.reference, S.reference, t("(on save)")), id="reference"),
                ),
                rx.cond(
                    S.registration_no,
                    rx.data_list.item(
                        rx.data_list.label(t("Registration number")),
                        rx.data_list.value(S.registration_no, id="identity-registration"),
                    ),
                ),
                rx.data_list.item(
                    rx.data_list.label(t("Assigned to")),
                    rx.data_list.value(rx.cond(S.assigned_name, S.assigned_name, "—"), id="identity-assigned"),
                ),
                rx.data_list.item(rx.data_list.label(t("Created")), rx.data_list.value(S.created_label)),
                rx.data_list.item(rx.data_list.label(t("Updated")), rx.data_list.value(S.updated_label)),
                orientation="vertical",
                size="1",
                class_name=rx.cond(S.show_details, "", "hide-on-phone"),
                id="identity-details",
            ),
            rx.text(
                rx.hstack(
                    rx.switch(
                        checked=S.is_conflict,
                        on_change=S.toggle_conflict,
                        color_scheme="red",
                        disabled=~CAN_EDIT,
                        id="f-conflict",
                    ),
                    t("Conflict"),
                    spacing="2",
                    align="center",
                ),
                as_="label",
                size="2",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        id="identity",
    )


# ---- details ---------------------------------------------------------------------------------


def _names() -> rx.Component:
    return _section(
        t("Client name"),
        rx.cond(
            S.kind == "person",
            rx.flex(
                rx.box(
                    _text_field(t("First name"), "first_name", S.first_name, auto_complete="off"),
                    flex="1",
                    min_width="180px",
                ),
                rx.box(
                    _text_field(t("Last name"), "last_name", S.last_name, auto_complete="off"),
                    flex="1",
                    min_width="180px",
                ),
                gap="12px",
                wrap="wrap",
                width="100%",
            ),
            _text_field(t("Company name"), "company_name", S.company_name, auto_complete="off"),
        ),
        action=rx.cond(
            CAN_EDIT,
            rx.button(
                rx.icon("repeat", size=14),
                rx.cond(S.kind == "person", t("Convert to organisation"), t("Convert to person")),
                variant="ghost",
                size="1",
                on_click=S.ask_convert,
                id="convert-kind",
            ),
        ),
    )


def _consent(label: str, checked: rx.Var, index: rx.Var, key: str) -> rx.Component:
    return rx.text(
        rx.hstack(
            rx.checkbox(
                checked=checked,
                on_change=lambda v: S.edit_phone(index, key, v),
                disabled=~CAN_EDIT,
                class_name=f"consent-{key}",
            ),
            t(label),
            spacing="1",
            align="center",
        ),
        as_="label",
        size="1",
    )


def _phone_row(phone: PhoneForm, i: rx.Var) -> rx.Component:
    key = "phones." + i.to_string() + ".number"
    return rx.vstack(
        rx.flex(
            rx.box(
                rx.input(
                    value=phone.number,
                    on_change=lambda v: S.edit_phone(i, "number", v),
                    type="tel",
                    placeholder=t("Phone number"),
                    width="100%",
                    class_name="phone-number",
                    read_only=~CAN_EDIT,
                    aria_label=t("Phone number"),
                ),
                flex="1",
                min_width="0",
            ),
            rx.box(
                _select(
                    S.phone_types, phone.type, lambda v: S.edit_phone(i, "type", v), "", "phone-type", allow_empty=False
                ),
                width="112px",
                flex_shrink="0",
            ),
            rx.cond(
                phone.tel_link,
                rx.el.a(
                    rx.icon("phone", size=18),
                    href=phone.tel_link,
                    aria_label=t("Call"),
                    class_name="quick-action icon-only phone-call",
                ),
            ),
            gap="8px",
            align="center",
            width="100%",
        ),
        _err(key),
        rx.flex(
            _consent("WhatsApp", phone.whatsapp, i, "whatsapp"),
            _consent("Viber", phone.viber, i, "viber"),
            _consent("SMS", phone.sms, i, "sms"),
            rx.cond(phone.whatsapp_link, rx.link("WhatsApp ↗", href=phone.whatsapp_link, size="1", is_external=True)),
            rx.cond(phone.viber_link, rx.link("Viber ↗", href=phone.viber_link, size="1")),
            rx.cond(phone.sms_link, rx.link("SMS ↗", href=phone.sms_link, size="1")),
            rx.box(_remove_button(t("Remove phone"), S.remove_phone(i)), margin_left="auto", class_name="phone-remove"),
            gap="8px 12px",
            wrap="wrap",
            align="center",
            width="100%",
        ),
        spacing="4",
        width="100%",
        class_name="phone-row",
        padding_bottom="8px",
        border_bottom=f"1px dashed {rx.color('gray', 5)}",
    )


def _part_heading(item: FormItem, add: rx.Component) -> rx.Component:
    """The heading of a list part (phones, e-mails, addresses, memo) with its add button."""
    return rx.hstack(
        rx.cond(
            item.sub,
            rx.heading(item.label, _required_mark(item.required), size="2", as_="h3"),
            rx.heading(item.label, _required_mark(item.required), size="3", as_="h2"),
        ),
        rx.spacer(),
        add,
        width="100%",
        align="center",
    )


def _add_button(label: rx.Var, on_click, id_: str) -> rx.Component:
    return rx.cond(
        CAN_EDIT,
        rx.button(rx.icon("plus", size=14), label, variant="soft", size="1", on_click=on_click, id=id_),
    )


def _phones(item: FormItem) -> rx.Component:
    return rx.vstack(
        _part_heading(item, _add_button(t("Add phone"), S.add_phone, "add-phone")),
        _err("phones"),
        rx.foreach(S.phones, _phone_row),
        spacing="3",
        width="100%",
    )


def _email_row(email: EmailForm, i: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.box(
                rx.input(
                    value=email.address,
                    on_change=lambda v: S.edit_email(i, "address", v),
                    type="email",
                    placeholder="name@example.com",
                    width="100%",
                    class_name="email-address",
                    read_only=~CAN_EDIT,
                    aria_label=t("E-mail"),
                ),
                flex="1",
                min_width="200px",
            ),
            rx.text(
                rx.hstack(
                    rx.checkbox(
                        checked=email.email_ok, on_change=lambda v: S.edit_email(i, "email_ok", v), disabled=~CAN_EDIT
                    ),
                    t("Agrees to receive e-mails"),
                    spacing="1",
                    align="center",
                ),
                as_="label",
                size="1",
            ),
            rx.cond(
                email.address,
                rx.link(
                    rx.icon_button(rx.icon("mail", size=16), variant="soft", aria_label=t("Write")),
                    href="mailto:" + email.address,
                ),
            ),
            _remove_button(t("Remove e-mail"), S.remove_email(i)),
            gap="8px",
            wrap="wrap",
            align="center",
            width="100%",
        ),
        _err("emails." + i.to_string() + ".address"),
        spacing="1",
        width="100%",
    )


def _emails(item: FormItem) -> rx.Component:
    return rx.vstack(
        _part_heading(item, _add_button(t("Add e-mail"), S.add_email, "add-email")),
        _err("emails"),
        rx.foreach(S.emails, _email_row),
        spacing="3",
        width="100%",
    )


def _addr_input(a: AddressForm, i: rx.Var, key: str, label: str, flex: str = "1", min_w: str = "140px"):
    return rx.box(
        rx.input(
            value=getattr(a, key),
            on_change=lambda v: S.edit_address(i, key, v),
            placeholder=t(label),
            aria_label=t(label),
            width="100%",
            read_only=~CAN_EDIT,
            class_name=f"address-{key}",
        ),
        _err("addresses." + i.to_string() + "." + key),
        flex=flex,
        min_width=min_w,
    )


def _address_block(a: AddressForm, i: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(
                rx.hstack(
                    rx.radio_group.root(
                        rx.radio_group.item(value="main"),
                        value=rx.cond(a.is_main, "main", ""),
                        on_change=lambda _v: S.make_main_address(i),
                        disabled=~CAN_EDIT,
                    ),
                    t("Main address"),
                    spacing="1",
                    align="center",
                ),
                as_="label",
                size="1",
                class_name="address-main",
            ),
            rx.cond(a.is_main, rx.badge(t("Main"), color_scheme="green")),
            rx.spacer(),
            rx.cond(
                a.map_url,
                rx.link(
                    rx.hstack(rx.icon("map-pin", size=14), t("Show on map"), spacing="1"),
                    href=a.map_url,
                    is_external=True,
                    size="1",
                ),
            ),
            _remove_button(t("Remove address"), S.remove_address(i)),
            width="100%",
            align="center",
        ),
        rx.flex(
            _addr_input(a, i, "label", "Label (e.g. Home, Site)"),
            _addr_input(a, i, "line1", "Street", "2"),
            gap="8px",
            wrap="wrap",
            width="100%",
        ),
        rx.flex(
            _addr_input(a, i, "line2", "Street, line 2", "2"),
            _addr_input(a, i, "postcode", "Postcode", "1", "90px"),
            gap="8px",
            wrap="wrap",
            width="100%",
        ),
        rx.flex(
            _addr_input(a, i, "city", "City"),
            _addr_input(a, i, "region", "Region"),
            _addr_input(a, i, "country", "Country (FR, PL…)", "1", "90px"),
            gap="8px",
            wrap="wrap",
            width="100%",
        ),
        spacing="2",
        width="100%",
        class_name="address-block",
        padding_bottom="8px",
        border_bottom=f"1px dashed {rx.color('gray', 5)}",
    )


def _addresses(item: FormItem) -> rx.Component:
    return rx.vstack(
        _part_heading(item, _add_button(t("Add address"), S.add_address, "add-address")),
        _err("addresses"),
        rx.foreach(S.addresses, _address_block),
        spacing="3",
        width="100%",
    )


def _tags() -> rx.Component:
    return _section(
        t("Tags"),
        _err("tags"),
        rx.flex(
            rx.foreach(
                S.tags,
                lambda name: rx.badge(
                    name,
                    rx.cond(
                        CAN_EDIT,
                        rx.icon(
                            "x", size=12, on_click=S.remove_tag(name), cursor="pointer", aria_label=t("Remove tag")
                        ),
                    ),
                    color_scheme=rx.cond(name == S.conflict_tag, "red", S.tag_colors.get(name, "indigo")),
                    variant="soft",
                    size="2",
                    class_name="tag-chip",
                ),
            ),
            gap="6px",
            wrap="wrap",
        ),
        rx.cond(
            CAN_EDIT,
            rx.vstack(
                rx.hstack(
                    rx.input(
                        value=S.tag_input,
                        on_change=S.type_tag,
                        on_key_down=S.add_tag_on_enter,
                        placeholder=t("Add a tag…"),
                        id="tag-input",
                        width="100%",
                        auto_complete="off",
                    ),
                    rx.button(t("Add"), variant="soft", on_click=S.add_typed_tag, id="tag-add"),
                    width="100%",
                ),
                rx.flex(
                    rx.foreach(
                        S.tag_suggestions,
                        lambda s: rx.button(
                            s, size="1", variant="outline", on_click=S.add_tag(s), class_name="tag-suggestion"
                        ),
                    ),
                    gap="6px",
                    wrap="wrap",
                ),
                spacing="2",
                width="100%",
            ),
        ),
    )


def _registration(item: FormItem) -> rx.Component:
    return _text_field(item.label, "registration_no", S.registration_no, item.required)


def _assigned(item: FormItem) -> rx.Component:
    return rx.vstack(
        _label(item.label, "f-assigned", item.required),
        _select(S.users, S.assigned_user_id, lambda v: S.edit_field("assigned_user_id", v), t("Nobody"), "f-assigned"),
        _err("assigned_user_id"),
        spacing="1",
        width="100%",
    )


def _channel(item: FormItem) -> rx.Component:
    return rx.vstack(
        _label(item.label, "f-channel", item.required),
        _select(
            S.channels,
            S.acquisition_channel_id,
            lambda v: S.edit_field("acquisition_channel_id", v),
            t("Not known"),
            "f-channel",
        ),
        _err("acquisition_channel_id"),
        spacing="1",
        width="100%",
    )


def _discount(item: FormItem) -> rx.Component:
    return _text_field(item.label, "discount_percent", S.discount_percent, item.required, input_mode="decimal")


def _supplier(item: FormItem) -> rx.Component:
    return rx.text(
        rx.hstack(
            rx.switch(
                checked=S.is_supplier,
                on_change=lambda v: S.edit_field("is_supplier", v),
                disabled=~CAN_EDIT,
                id="f-supplier",
            ),
            rx.icon("truck", size=16),
            item.label,
            spacing="2",
            align="center",
        ),
        as_="label",
        size="2",
    )


def _memo(item: FormItem) -> rx.Component:
    return rx.vstack(
        _part_heading(item, rx.fragment()),
        rx.text_area(
            value=S.memo,
            on_change=lambda v: S.edit_field("memo", v),
            rows="5",
            width="100%",
            id="f-memo",
            read_only=~CAN_EDIT,
            placeholder=t("Notes about this client"),
            aria_label=item.label,
        ),
        _err("memo"),
        spacing="3",
        width="100%",
    )


def _custom_input(f: FormItem) -> rx.Component:
    key = "custom." + f.key
    fid = "c-" + f.key
    text_value = S.custom_text.get(f.key, "")
    on_text = lambda v: S.edit_custom(f.key, v)  # noqa: E731
    control = rx.match(
        f.type,
        (
            "long_text",
            rx.text_area(value=text_value, on_change=on_text, id=fid, rows="3", width="100%", read_only=~CAN_EDIT),
        ),
        ("date", rx.input(type="date", value=text_value, on_change=on_text, id=fid, width="100%", read_only=~CAN_EDIT)),
        (
            "select",
            rx.el.select(
                rx.el.option(t("—"), value=""),
                rx.foreach(f.choices, lambda o: rx.el.option(o.label, value=o.value)),
                value=text_value,
                on_change=on_text,
                id=fid,
                disabled=~CAN_EDIT,
                style=FULL_WIDTH_SELECT_STYLE,
            ),
        ),
        (
            "multi_select",
            rx.flex(
                rx.foreach(
                    f.choices,
                    lambda o: rx.button(
                        o.label,
                        size="1",
                        type="button",
                        variant=rx.cond(S.custom_multi.get(f.key, []).contains(o.value), "solid", "outline"),
                        on_click=S.toggle_custom_choice(f.key, o.value),
                        disabled=~CAN_EDIT,
                        class_name="choice-chip",
                    ),
                ),
                gap="6px",
                wrap="wrap",
                id=fid,
            ),
        ),
        (
            "checkbox",
            rx.checkbox(
                checked=S.custom_check.get(f.key, False),
                on_change=lambda v: S.edit_custom_check(f.key, v),
                id=fid,
                disabled=~CAN_EDIT,
            ),
        ),
        rx.input(
            value=text_value,
            on_change=on_text,
            id=fid,
            width="100%",
            read_only=~CAN_EDIT,
            input_mode=rx.match(
                f.type,
                ("number", "numeric"),
                ("decimal", "decimal"),
                ("phone", "tel"),
                ("email", "email"),
                ("url", "url"),
                "text",
            ),
        ),
    )
    return rx.vstack(
        _label(f.label, fid, f.required),
        control,
        rx.cond(f.help, rx.text(f.help, size="1", color_scheme="gray")),
        _err(key),
        spacing="1",
        width="100%",
        class_name="custom-field",
    )


def _form_item(item: FormItem) -> rx.Component:
    return rx.box(
        rx.match(
            item.key,
            ("phones", _phones(item)),
            ("emails", _emails(item)),
            ("addresses", _addresses(item)),
            ("registration_no", _registration(item)),
            ("assigned_user_id", _assigned(item)),
            ("acquisition_channel_id", _channel(item)),
            ("discount_percent", _discount(item)),
            ("is_supplier", _supplier(item)),
            ("memo", _memo(item)),
            _custom_input(item),
        ),
        grid_column=rx.cond(item.wide, "1 / -1", "auto"),
        min_width="0",
        class_name="form-part",
        custom_attrs={"data-part": item.key},
    )


def _form_card(card: FormCard) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.cond(card.title, rx.heading(card.title, size="3", as_="h2", class_name="section-title")),
            rx.grid(
                rx.foreach(card.parts, _form_item),
                grid_template_columns="repeat(auto-fill, minmax(min(100%, 200px), 1fr))",
                gap="12px",
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        class_name="form-card",
        custom_attrs={"data-section": card.title},
    )


def _form() -> rx.Component:
    """The contact's form in the order and sections the managers set for its type."""
    return rx.fragment(
        rx.foreach(S.form_cards, _form_card),
        rx.cond(
            S.hidden_custom.length() > 0,
            rx.callout(
                t("Kept but hidden for this type:") + " " + S.hidden_custom.join(", "),
                icon="eye-off",
                color_scheme="gray",
                size="1",
                id="hidden-values",
            ),
        ),
        rx.cond(
            S.kept_aside.length() > 0,
            rx.callout(
                rx.cond(
                    S.kind == "person",
                    t("Not on the person form, so not saved; switch back to Organisation to get them again:"),
                    t("Not on the organisation form, so not saved; switch back to Person to get them again:"),
                )
                + " "
                + S.kept_aside.join(", "),
                icon="archive",
                color_scheme="amber",
                size="1",
                id="kept-aside",
            ),
        ),
    )


def _details() -> rx.Component:
    """The contact's name, its form and its tags."""
    return rx.vstack(_names(), _form(), _tags(), spacing="3", width="100%")


# ---- history ---------------------------------------------------------------------------------


# ---- page --------------------------------------------------------------------------------------


def _actions() -> rx.Component:
    return rx.hstack(
        rx.cond(
            S.dirty, rx.badge(rx.icon("circle-dot", size=12), t("Unsaved changes"), color_scheme="amber", id="unsaved")
        ),
        rx.cond(
            CAN_EDIT,
            rx.hstack(
                rx.cond(
                    S.dirty,
                    rx.button(t("Discard"), variant="soft", color_scheme="gray", on_click=S.discard, id="discard"),
                ),
                rx.button(
                    rx.icon("save", size=16),
                    t("Save"),
                    on_click=S.save,
                    id="save",
                    size="3",
                    disabled=~S.dirty & ~S.is_new,
                ),
                spacing="2",
            ),
        ),
        rx.cond(
            ~S.is_new,
            rx.menu.root(
                rx.menu.trigger(
                    rx.icon_button(
                        rx.icon("ellipsis"), variant="soft", size="3", aria_label=t("More actions"), id="more-actions"
                    )
                ),
                rx.menu.content(
                    rx.cond(
                        can(Permission.CONTACTS_ARCHIVE),
                        rx.cond(
                            S.archived,
                            rx.menu.item(
                                rx.icon("archive-restore", size=16), t("Restore"), on_click=S.restore, id="restore"
                            ),
                            rx.menu.item(rx.icon("archive", size=16), t("Archive"), on_click=S.archive, id="archive"),
                        ),
                    ),
                    rx.cond(
                        can(Permission.CONTACTS_DELETE),
                        rx.menu.item(
                            rx.icon("trash-2", size=16), t("Delete…"), color="red", on_click=S.ask_delete, id="delete"
                        ),
                    ),
                ),
            ),
        ),
        spacing="2",
        align="center",
    )


def _presence() -> rx.Component:
    def viewer(v: Presence) -> rx.Component:
        return rx.tooltip(
            rx.box(
                rx.avatar(
                    fallback=v.initials,
                    size="2",
                    radius="full",
                    color_scheme=rx.cond(v.editing, "amber", "gray"),
                    variant="solid",
                ),
                class_name=rx.cond(v.editing, "presence presence-editing", "presence"),
            ),
            content=rx.cond(v.editing, v.name + " · " + t("editing"), v.name + " · " + t("viewing")),
        )

    return rx.hstack(rx.foreach(ContactPulse.viewers, viewer), spacing="1", id="presence")


def _live_triggers() -> rx.Component:
    """Invisible helpers that keep this tab in the presence list (changes are pushed by the server)."""
    return rx.fragment(
        # Two different boxes, so that starting (or ending) an edit mounts one and says so at once.
        rx.cond(
            S.dirty,
            rx.box(on_mount=S.heartbeat, display="none", id="presence-editing-trigger"),
            rx.box(on_mount=S.heartbeat, display="none", id="presence-viewing-trigger"),
        ),
        rx.moment(interval=15_000, on_change=S.heartbeat, display="none"),
        rx.box(on_unmount=S.leave, display="none"),
    )


def _conflict_row(row: ConflictRow) -> rx.Component:
    def option(side: str, label: rx.Var, value: rx.Var) -> rx.Component:
        return rx.card(
            rx.vstack(
                rx.text(label, size="1", color_scheme="gray"),
                rx.text(value, size="2", class_name="pre-wrap"),
                spacing="1",
            ),
            on_click=S.choose_side(row.field, side),
            cursor="pointer",
            variant=rx.cond(row.choice == side, "classic", "surface"),
            border=rx.cond(row.choice == side, f"2px solid {rx.color('accent', 9)}", "2px solid transparent"),
            class_name=f"choose-{side}",
            flex="1",
            min_width="160px",
        )

    return rx.vstack(
        rx.text(row.label, weight="bold", size="2"),
        rx.text(t("Before:"), " ", row.base, size="1", color_scheme="gray", class_name="pre-wrap"),
        rx.flex(
            option("theirs", t("Theirs"), row.theirs),
            option("mine", t("Mine"), row.mine),
            gap="8px",
            wrap="wrap",
            width="100%",
        ),
        spacing="2",
        width="100%",
        class_name="conflict-row",
    )


def _conflict_dialog() -> rx.Component:
    return confirm_dialog(
        rx.alert_dialog.description(
            t("Their other changes are kept. For each field below, pick the value to keep."), size="2"
        ),
        rx.vstack(rx.foreach(S.conflicts, _conflict_row), spacing="4", width="100%", margin_y="16px"),
        title=t("Someone else changed the same fields"),
        open=S.show_conflicts,
        on_close=S.cancel_conflicts,
        cancel_label=t("Keep editing"),
        confirm=rx.button(t("Save my choices"), on_click=S.resolve_conflicts, id="resolve-conflicts"),
        id="conflict-dialog",
        max_width="640px",
    )


def _delete_dialog() -> rx.Component:
    return confirm_dialog(
        rx.alert_dialog.description(
            t("The contact, its phones, e-mails, addresses and history are removed for good. This cannot be undone.")
        ),
        title=t("Delete this contact?"),
        open=S.confirm_delete,
        on_close=S.cancel_delete,
        confirm=rx.button(t("Delete"), color_scheme="red", on_click=S.delete, id="confirm-delete"),
        id="delete-dialog",
        return_focus="#more-actions",
    )


def _discard_dialog() -> rx.Component:
    return confirm_dialog(
        rx.alert_dialog.description(t("What you typed in this new contact is thrown away.")),
        title=t("Discard this new contact?"),
        open=S.confirm_discard,
        on_close=S.cancel_discard,
        cancel_label=t("Keep editing"),
        confirm=rx.button(t("Discard"), color_scheme="red", on_click=S.confirm_discard_new, id="confirm-discard"),
        id="discard-dialog",
    )


def _convert_dialog() -> rx.Component:
    return confirm_dialog(
        rx.alert_dialog.description(
            t("These values are kept but not shown on the other form:"),
            " ",
            rx.text.strong(S.convert_hidden.join(", ")),
            id="convert-summary",
        ),
        rx.text(t("Convert back to see them again."), size="2", color_scheme="gray", margin_top="8px"),
        title=rx.cond(S.kind == "person", t("Convert to an organisation?"), t("Convert to a person?")),
        open=S.confirm_convert,
        on_close=S.cancel_convert,
        confirm=rx.button(t("Convert"), on_click=S.convert, id="confirm-convert"),
        id="convert-dialog",
    )


def _new_kind_switch() -> rx.Component:
    return rx.cond(
        S.is_new,
        rx.segmented_control.root(
            rx.segmented_control.item(t("Person"), value="person"),
            rx.segmented_control.item(t("Organisation"), value="organization"),
            value=S.kind,
            on_change=lambda v: S.edit_field("kind", v),
            id="kind-switch",
        ),
    )


def contact_page() -> rx.Component:
    """Identity left, details centre, feed right on a desktop; on a phone the details and the feed are two tabs."""
    phone_tab_panel = {"@media (max-width: 767px)": {"&[data-state='inactive']": {"display": "none"}}}
    return rx.cond(
        S.not_found,
        rx.center(
            rx.vstack(
                rx.heading(t("Contact not found"), size="5"),
                rx.link(t("Back to contacts"), href="/contacts"),
                align="center",
            ),
            padding="60px",
        ),
        rx.box(
            rx.el.div(data_dirty=rx.cond(S.dirty, "true", "false"), id="dirty-flag", hidden=True),
            _live_triggers(),
            rx.flex(
                rx.link(
                    rx.hstack(rx.icon("arrow-left", size=16), t("Contacts"), spacing="1"), href="/contacts", size="2"
                ),
                rx.spacer(),
                _presence(),
                _new_kind_switch(),
                rx.flex(
                    rx.spacer(),
                    _actions(),
                    align="center",
                    gap="8px",
                    z_index="20",
                    position=["fixed", "fixed", "static"],
                    left="0",
                    right="0",
                    bottom="0",
                    background=[rx.color("gray", 1), rx.color("gray", 1), "transparent"],
                    border_top=[f"1px solid {rx.color('gray', 5)}", f"1px solid {rx.color('gray', 5)}", "none"],
                    padding=["10px 12px calc(10px + env(safe-area-inset-bottom))", "10px 16px", "0"],
                    id="action-bar",
                ),
                align="center",
                gap="8px",
                wrap="wrap",
                width="100%",
                margin_bottom="12px",
                position="sticky",
                top=["56px", "56px", "0"],
                z_index="30",
                background=rx.color("gray", 2),
                padding_y="8px",
            ),
            rx.cond(
                S.form_notice,
                rx.callout(S.form_notice, icon="info", color_scheme="blue", margin_bottom="12px", id="form-notice"),
            ),
            rx.cond(
                S.remote_banner,
                rx.callout(
                    S.remote_banner, icon="users", color_scheme="amber", margin_bottom="12px", id="remote-banner"
                ),
            ),
            rx.cond(
                S.form_error,
                rx.callout(
                    S.form_error, icon="triangle-alert", color_scheme="red", margin_bottom="12px", id="form-error"
                ),
            ),
            # On a phone the details and the feed are two tabs sharing one grid area; from 768 px on, both panels
            # show side by side (force-mounted, so their forms keep what was typed when switching tabs).
            rx.tabs.root(
                rx.grid(
                    rx.box(_identity(), grid_area="identity"),
                    rx.tabs.list(
                        rx.tabs.trigger(t("Details"), value="details", id="tab-details", flex="1"),
                        rx.tabs.trigger(t("Feed"), value="feed", id="tab-feed", flex="1"),
                        grid_area="tabs",
                        class_name="phone-only",
                    ),
                    rx.tabs.content(
                        _details(),
                        value="details",
                        force_mount=True,
                        grid_area=["panel", "panel", "details", "details"],
                        min_width="0",
                        style=phone_tab_panel,
                    ),
                    rx.tabs.content(
                        contact_feed(),
                        value="feed",
                        force_mount=True,
                        grid_area=["panel", "panel", "history", "history"],
                        min_width="0",
                        style=phone_tab_panel,
                    ),
                    grid_template_columns=["1fr", "1fr", "260px 1fr", "280px 1fr 320px"],
                    grid_template_areas=[
                        '"identity" "tabs" "panel"',
                        '"identity" "tabs" "panel"',
                        '"identity details" "history details"',
                        '"identity details history"',
                    ],
                    gap="16px",
                    width="100%",
                    align_items="start",
                ),
                default_value="details",
                width="100%",
            ),
            _delete_dialog(),
            _conflict_dialog(),
            _discard_dialog(),
            _convert_dialog(),
            width="100%",
            padding_bottom="80px",
        ),
    )
