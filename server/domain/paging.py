"""Keyset paging (CONVENTIONS.md 16): a list sorted newest first by (moment, id) returns a cursor
naming the last row of the page; the next page is everything strictly older than it."""
from __future__ import annotations

import base64
import binascii
from datetime import datetime, timezone

from sqlalchemy import and_, or_

from .errors import Invalid


def encode(moment: datetime, row_id) -> str:
    raw = f"{moment.astimezone(timezone.utc).isoformat()}|{row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str, int_id: bool = False) -> tuple[datetime, str | int]:
    """(moment, id) from a cursor this module made; anything else is a 422 naming `cursor`."""
    problem = Invalid("This cursor is not one the server gave out.", fields={"cursor": ["Not a valid cursor."]})
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment_text, row_id = raw.split("|", 1)
        moment = datetime.fromisoformat(moment_text)
        if moment.tzinfo is None or not row_id:
            raise ValueError("incomplete cursor")
        return moment, int(row_id) if int_id else row_id
    except (binascii.Error, UnicodeDecodeError, ValueError, OverflowError):
        raise problem from None


def older_than(moment_column, id_column, moment: datetime, row_id):
    """WHERE (moment, id) < (:moment, :id), spelled so both SQLite and PostgreSQL use the index."""
    return or_(moment_column < moment, and_(moment_column == moment, id_column < row_id))


def page(rows: list, limit: int, key) -> tuple[list, str | None]:
    """Rows fetched with LIMIT limit + 1 → (the page, the cursor for the next page or None)."""
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode(*key(rows[-1]))
