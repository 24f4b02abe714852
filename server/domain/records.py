"""Mechanisms every record type shares: retried creates and versioned, field-merging edits."""
from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timezone

from ..extensions import db
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
        existing = db.session.get(model, data["id"])
        if existing is not None:
            if existing.origin_hash == digest:
                raise Duplicate(existing)
            raise Invalid("A different record already has this id.", fields={"id": ["A different record already has this id."]})
    return digest


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
