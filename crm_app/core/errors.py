"""Domain errors: a stable code for machines, a human message, optionally the field at fault."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """Stable error codes shared by the UI and the API."""

    VALIDATION = "validation"
    NOT_FOUND = "not_found"
    PERMISSION_DENIED = "permission_denied"
    NOT_SIGNED_IN = "not_signed_in"
    CONFLICT = "conflict"
    THROTTLED = "throttled"


class DomainError(Exception):
    """Base of every error a service raises on purpose.

    ``message`` is a msgid, optionally with ``{placeholders}`` filled from ``params``: ``msgid`` and ``params``
    are what the UI translates; ``message`` (and ``errors[field]``) hold the filled-in English text.
    """

    code: ErrorCode = ErrorCode.VALIDATION

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        errors: dict[str, str] | None = None,
        params: dict[str, object] | None = None,
    ):
        self.msgid = message
        self.params = dict(params or {})
        self.message = message.format(**self.params) if self.params else message
        super().__init__(self.message)
        self.field = field
        self.errors = dict(errors or {})
        if field and field not in self.errors:
            self.errors[field] = self.message


class ValidationError(DomainError):
    """Input that breaks a rule; ``errors`` maps field names to messages."""

    code = ErrorCode.VALIDATION


class NotFoundError(DomainError):
    """The record does not exist (or the caller may not know it exists)."""

    code = ErrorCode.NOT_FOUND


class PermissionDenied(DomainError):
    """The caller is signed in but their role does not allow this."""

    code = ErrorCode.PERMISSION_DENIED


class NotSignedIn(DomainError):
    """No valid session."""

    code = ErrorCode.NOT_SIGNED_IN


class ConflictError(DomainError):
    """The record changed since the caller read it, or a uniqueness rule failed."""

    code = ErrorCode.CONFLICT


class ThrottledError(DomainError):
    """Too many attempts; try later."""

    code = ErrorCode.THROTTLED
