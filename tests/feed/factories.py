"""Test data for the feed: a contact and a couple of users."""

from __future__ import annotations

from sqlmodel import Session

from crm_app.contacts import service as contacts
from tests.contacts.factories import make_user, person


def make_contact(session: Session, *, first_name: str = "Ann", last_name: str = "Smith", actor_id: int | None = None):
    """A person contact without phones or e-mails, flushed."""
    data = person(first_name=first_name, last_name=last_name, phones=[], emails=[], addresses=[])
    return contacts.create_contact(session, data=data, actor_id=actor_id)


__all__ = ["make_contact", "make_user"]
