"""Mechanisms every record type shares: retried creates, the steps of recording something that
happened to a person, and versioned, field-merging edits."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date, datetime, timezone

from ..extensions import db
from . import access, audit, batch, dates
from .errors import Conflict, Duplicate, Invalid


def _canonical(value):
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value


def payload_hash(data: dict) -> str:
    return hashlib.sha256(json.dumps(_canonical(data), sort_keys=True).encode()).hexdigest()


def check_retry(model, data: dict) -> str:
    """Before creating under a client-made id: raise Duplicate if this exact create already
    happened, Invalid if a different record holds the id. Returns the payload hash to store."""
    digest = payload_hash(data)
    if data.get("id"):
        push = batch.current()
        if push is not None and push.absent.get(data["id"]) is model:
            return digest  # looked up for the whole push and not there (batch.py)
        existing = db.session.get(model, data["id"])
        if existing is not None:
            if existing.origin_hash == digest:
                raise Duplicate(existing)
            raise Invalid("A different record already has this id.", fields={"id": ["A different record already has this id."]})
    return digest


def fields_for_retry(data: dict) -> dict:
    """A create's fields for the model: a client-made id is kept, an empty one left to the default."""
    return {k: v for k, v in data.items() if k != "id" or v}


def create_happened(actor, kind: str, model, data: dict, check: Callable[[dict], None],
                    detail: Callable[[object], dict] | None = None):
    """Record something that happened to a person (`data["happened_at"]`), with the steps every such
    capture shares: may `actor` write `kind` for the person (403/404), a retried create answered with
    the first record, not in the future, then `check` (the record's own rule), the row (flushed) and
    its audit entry (with `detail(row)`). The caller commits."""
    person = access.require_write(actor, kind, data["person_id"])
    digest = check_retry(model, data)
    dates.not_future(data["happened_at"], "happened_at")
    check(data)
    row = model(**fields_for_retry(data), created_by=actor.id, origin_hash=digest)
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "create", kind, row.id, person=person, **(detail(row) if detail else {}))
    return row


def apply_update(record, changes: dict, base_version: int, dump, merge_partial: bool = False) -> list[str]:
    """Apply `changes` made from `base_version` to a versioned record.

    Fields nobody else changed since `base_version` merge. A field changed on the server since then
    to a different value is a conflict: the server value stands. With `merge_partial` (sync) the
    other fields are still applied and the conflicting ones reported; otherwise (an interactive
    form) nothing is applied and the caller gets the current record to re-apply from.
    Returns the names of the fields that changed.
    """
    if base_version > record.version:
        raise Invalid("This version does not exist yet.", fields={"version": ["Newer than the record."]})
    field_versions = dict(record.field_versions or {})
    conflicts, apply = [], {}
    for name, value in changes.items():
        if getattr(record, name) == value:
            continue
        if field_versions.get(name, 0) > base_version:
            conflicts.append(name)
        else:
            apply[name] = value
    if conflicts and not merge_partial:
        raise Conflict(
            "Someone else changed this since you opened it. Their version is shown; re-apply your change if it still stands.",
            fields={name: ["Changed by someone else since you opened it."] for name in conflicts},
            current=dump(record),
        )
    if apply:
        record.version += 1
        for name, value in apply.items():
            setattr(record, name, value)
            field_versions[name] = record.version
        record.field_versions = field_versions
    if conflicts:
        db.session.flush()
        raise Conflict(
            "Some fields were changed by someone else; their values stand.",
            fields={name: ["Changed by someone else since this edit was made."] for name in conflicts},
            current=dump(record),
            applied=sorted(apply),
        )
    return sorted(apply)
