"""Errors the domain raises; server/errors.py turns each into the API's JSON error shape."""
from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, fields: dict | None = None, **extra):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.extra = extra


class Invalid(DomainError):
    status = 422
    code = "validation"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    """A stale edit. `extra["current"]` holds the record as the server has it."""

    status = 409
    code = "conflict"


class Duplicate(Exception):
    """A create retried with the same id and payload: not an error, the record already exists."""

    def __init__(self, record):
        super().__init__("duplicate")
        self.record = record
