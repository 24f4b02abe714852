"""Errors the domain raises. They say what went wrong (a `code` and a message naming the fields),
never how HTTP answers it: server/errors.py maps each kind to its status, and the sync push
reports the same code per mutation.

The kinds, by what the user should do about them:
* Invalid: the input is wrong; fix the named fields.
* NotFound: no such record among those the user can reach (whatever the reason).
* Forbidden: the user's role may not do this.
* Conflict: someone else changed the record since it was read (`extra["current"]` holds it).
* Clash: the record as it stands does not allow this (already recorded, already done, not overdue).
* Gone: a one-time link was used, has expired or was replaced.
* TooLarge: more than the service takes in one request.
* Unsupported: a kind of content the service does not read.
"""
from __future__ import annotations


class DomainError(Exception):
    code = "bad_request"

    def __init__(self, message: str, fields: dict | None = None, **extra):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.extra = extra


class Invalid(DomainError):
    code = "validation"


class NotFound(DomainError):
    code = "not_found"


class Forbidden(DomainError):
    code = "forbidden"


class Conflict(DomainError):
    """A stale edit. `extra["current"]` holds the record as the server has it."""

    code = "conflict"


class Clash(DomainError):
    """What is asked clashes with the record as it stands. Subclasses name the clash in `code`."""

    code = "conflict"


class AlreadyRecorded(Clash):
    """A second record where only one may exist (one weekly check per person per week, one
    supervision per worker per month)."""

    code = "already_recorded"


class Gone(DomainError):
    """A link that was used (code `link_used`), or has expired or was replaced (`link_expired`)."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


class TooLarge(DomainError):
    code = "too_large"


class Unsupported(DomainError):
    code = "unsupported_media_type"


class Duplicate(Exception):
    """A create retried with the same id and payload: not an error, the record already exists."""

    def __init__(self, record):
        super().__init__("duplicate")
        self.record = record
