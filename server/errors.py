"""One JSON error shape for every /api failure:
{"error": {"code": "<slug>", "message": "<sentence>", "fields": {"<field>": ["<what is wrong>"]}}}
"""
from __future__ import annotations

import json
import logging

from flask import Flask, jsonify, request
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError
from sqlalchemy.exc import DataError, IntegrityError, StatementError
from werkzeug.exceptions import HTTPException

from .domain import errors as domain_errors
from .domain.errors import DomainError
from .extensions import db
from .models.base import UnstorableValue

log = logging.getLogger(__name__)

CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation",
    429: "rate_limited",
}


# Each kind of domain error (server/domain/errors.py) and the HTTP status that answers it; a kind
# not listed answers as its nearest listed base class, and DomainError itself as 400.
DOMAIN_STATUS: dict[type[DomainError], int] = {
    domain_errors.Invalid: 422,
    domain_errors.NotFound: 404,
    domain_errors.Forbidden: 403,
    domain_errors.Conflict: 409,
    domain_errors.Clash: 409,
    domain_errors.Gone: 410,
    domain_errors.TooLarge: 413,
    domain_errors.Unsupported: 415,
}


def domain_status(exc: DomainError) -> int:
    for kind in type(exc).__mro__:
        if kind in DOMAIN_STATUS:
            return DOMAIN_STATUS[kind]
    return 400


def error_response(status: int, message: str, fields: dict | None = None, code: str | None = None, **extra):
    body = {"error": {"code": code or CODES.get(status, "error"), "message": message, "fields": fields or {}, **extra}}
    response = jsonify(body)
    response.status_code = status
    return response


def flatten_messages(messages) -> dict:
    """webargs nests errors under the location ("json", "query"); marshmallow under nested fields."""
    if isinstance(messages, dict):
        for location in ("json", "query", "form", "files", "headers"):
            if location in messages and len(messages) == 1:
                messages = messages[location]
                break
    if isinstance(messages, list):
        return {"_schema": [str(m) for m in messages]}
    out = {}
    for name, value in (messages or {}).items():
        out[str(name)] = value if isinstance(value, (list, dict)) else [str(value)]
    return out


def _summary(fields: dict) -> str:
    names = [n for n in fields if n != "_schema"]
    if not names:
        return "The request could not be understood."
    return "Check " + ", ".join(names) + "."


def http_error(exc: HTTPException):
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages")
    if messages is not None:
        fields = flatten_messages(messages)
        if status == 400 and "_schema" in fields and any("JSON" in m for m in fields["_schema"] if isinstance(m, str)):
            return error_response(400, "The body must be valid JSON.", fields, code="invalid_json")
        return error_response(status, _summary(fields), fields)
    message = data.get("message") or getattr(exc, "description", None) or "Request failed."
    if status == 429:
        message = "Too many attempts. Wait a minute and try again."
    if status == 404:
        message = "Not found."
    if status == 413:
        message = "The request body is too large."
    return error_response(status, message)


def _nested_too_deeply(body: bytes) -> bool:
    try:
        json.loads(body)
    except RecursionError:
        return True
    except ValueError:
        return False
    return False


def register(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        db.session.rollback()
        return error_response(domain_status(exc), exc.message, exc.fields, code=exc.code, **exc.extra)

    @app.errorhandler(ValidationError)
    def _validation(exc: ValidationError):
        db.session.rollback()
        fields = flatten_messages(exc.messages)
        return error_response(422, _summary(fields), fields)

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):
        return error_response(403, "Missing or invalid CSRF token. Fetch /api/v1/session and send its csrf_token in X-CSRF-Token.", code="csrf")

    @app.errorhandler(IntegrityError)
    def _integrity(exc: IntegrityError):
        db.session.rollback()
        return error_response(409, "This conflicts with a record that already exists.")

    @app.errorhandler(DataError)
    def _data(exc: DataError):
        # A value the database cannot hold (too long, out of range) that validation let through:
        # still bad input, so a 4xx, and nothing is saved. The schema should catch it by name.
        db.session.rollback()
        log.warning("database refused a value on %s %s: %s", request.method, request.path, exc.orig)
        return error_response(422, "A value is too long, out of range or cannot be stored.", code="validation")

    @app.errorhandler(StatementError)
    def _statement(exc: StatementError):
        # A column type refused a value before the database saw it (UnstorableValue): bad input
        # that validation let through, like DataError. Anything else is a fault: a 500.
        if isinstance(exc.orig, UnstorableValue):
            db.session.rollback()
            log.warning("a column refused a value on %s %s: %s", request.method, request.path, exc.orig)
            return error_response(422, "A value is too long, out of range or cannot be stored.", code="validation")
        return _unexpected(exc)

    @app.errorhandler(OverflowError)
    def _overflow(exc: OverflowError):
        # Date or number arithmetic past the ends of Python's range: input validation keeps such
        # values out, so this is a last line of defence. Still bad input, still nothing saved.
        db.session.rollback()
        log.warning("a value overflowed on %s %s", request.method, request.path, exc_info=exc)
        return error_response(422, "A date or number is out of range.", code="validation")

    @app.errorhandler(RecursionError)
    def _recursion(exc: RecursionError):
        # json.loads gives up on a body nested thousands of levels deep ([[[[...) with a
        # RecursionError, not a decoding error: that is a bad body, not a fault.
        db.session.rollback()
        if request.is_json and _nested_too_deeply(request.get_data(cache=True)):
            return error_response(400, "The body is nested too deeply to read.", code="invalid_json")
        return _unexpected(exc)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        if request.path.startswith("/api/") or request.path == "/healthz" or request.accept_mimetypes.best == "application/json":
            return http_error(exc)
        return exc

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return _http(exc)
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "Something went wrong on the server. Nothing was saved.", code="server_error")
