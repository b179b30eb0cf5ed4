"""The one place that loads every table, so SQLModel.metadata is complete, and every domain's event subscriptions."""

from crm_app.auth.models import LoginAttempt, User, UserSession
from crm_app.contacts import custom_values as _custom_values  # noqa: F401  (keeps stored custom values in step)
from crm_app.contacts import jobs as _contact_jobs  # noqa: F401  (registers the contacts' job handlers)
from crm_app.contacts.models import (
    AcquisitionChannel,
    Address,
    Contact,
    ContactNameWord,
    ContactSearch,
    ContactTag,
    Counter,
    Email,
    Phone,
    PhoneType,
    SavedView,
    Tag,
)
from crm_app.core.models import AppSetting, AuditEntry
from crm_app.exchange import jobs as _exchange_jobs  # noqa: F401  (registers the exchange's job handlers)
from crm_app.exchange.models import ExportJob, ImportJob, ImportRow
from crm_app.feed import files as _feed_files  # noqa: F401  (removes a deleted contact's files)
from crm_app.feed.models import Activity, Attachment, Comment, Task
from crm_app.fields.models import FieldDefinition, FormSection
from crm_app.jobs.models import Job

__all__ = [
    "AcquisitionChannel",
    "Activity",
    "Address",
    "AppSetting",
    "Attachment",
    "AuditEntry",
    "Comment",
    "Contact",
    "ContactNameWord",
    "ContactSearch",
    "ContactTag",
    "Counter",
    "Email",
    "ExportJob",
    "FieldDefinition",
    "FormSection",
    "ImportJob",
    "ImportRow",
    "Job",
    "LoginAttempt",
    "Phone",
    "PhoneType",
    "SavedView",
    "Tag",
    "Task",
    "User",
    "UserSession",
]
