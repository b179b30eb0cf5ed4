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
    """Base of every error a service raises on purpose."""

    code: ErrorCode = ErrorCode.VALIDATION

    def __init__(self, message: str, *, field: str | None = None, errors: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.errors = dict(errors or {})
        if field and field not in self.errors:
            self.errors[field] = message


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
