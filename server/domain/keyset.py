"""Keyset paging for lists (CONVENTIONS.md 16): `WHERE (key, id) < (:last_key, :last_id)`, newest
first, never OFFSET. The cursor is the last row's (key, id), base64url-encoded JSON, opaque to clients."""
from __future__ import annotations

import base64
import binascii
import json
from datetime import date, datetime

from sqlalchemy import and_, or_

from .errors import Invalid

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def encode(key, row_id: str) -> str:
    """A cursor naming the last row of a (key, id) page."""
    return encode_keys([key, row_id])


def decode(cursor: str, kind: type):
    """(key, id) from a cursor made by `encode`; `kind` is datetime, date or str."""
    key, row_id = decode_keys(cursor, (kind, str))
    return key, row_id


def newest_first(query, key_column, id_column, limit: int, cursor: str | None, kind: type):
    """Apply the cursor, the order (key desc, id desc) and limit + 1 to `query`."""
    if cursor:
        key, row_id = decode(cursor, kind)
        query = query.where(or_(key_column < key, and_(key_column == key, id_column < row_id)))
    return query.order_by(key_column.desc(), id_column.desc()).limit(limit + 1)


def page(rows: list, limit: int, key) -> tuple[list, str | None]:
    """Split the limit + 1 rows a query returned into the page and the next cursor."""
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    k, row_id = key(last)
    return rows, encode(k, row_id)


# ---- lists in any fixed order: several sort keys, each ascending or descending ----

def encode_keys(values) -> str:
    """A cursor naming the last row of a page by its sort keys (dates as ISO strings)."""
    plain = [v.isoformat() if isinstance(v, (date, datetime)) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).rstrip(b"=").decode()


def decode_keys(cursor: str, kinds) -> list:
    """The sort keys of a cursor made by `encode_keys`; `kinds` is the type of each (str, date or
    datetime). Anything else is a 422 naming `cursor`."""
    bad = Invalid("This cursor is not one the server gave out.", fields={"cursor": ["Not a valid cursor."]})
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(raw, list) or len(raw) != len(kinds) or not all(isinstance(v, str) for v in raw):
            raise bad
        out = []
        for value, kind in zip(raw, kinds):
            if kind is datetime:
                value = datetime.fromisoformat(value)
                if value.tzinfo is None:
                    raise bad
            elif kind is date:
                value = date.fromisoformat(value)
            out.append(value)
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError, UnicodeDecodeError):
        raise bad from None
    return out


def ordered_page(query, order, limit: int, cursor: str | None):
    """Apply `order` — [(column, descending), ...], the last one unique (the id) — the rows after
    `cursor` in that order, and limit + 1, to `query`. The condition is spelled as a chain of
    `a < :a OR (a = :a AND b > :b) ...` so mixed directions work on SQLite and PostgreSQL alike."""
    if cursor:
        values = decode_keys(cursor, [kind for _, _, kind in order])
        clauses = []
        for i, (column, descending, _) in enumerate(order):
            step = column < values[i] if descending else column > values[i]
            clauses.append(and_(*[order[j][0] == values[j] for j in range(i)], step))
        query = query.where(or_(*clauses))
    return query.order_by(*[column.desc() if descending else column.asc() for column, descending, _ in order]).limit(limit + 1)


def split(rows: list, limit: int, keys) -> tuple[list, str | None]:
    """The limit + 1 rows `ordered_page` fetched → (the page, the cursor after its last row or None)."""
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_keys(keys(rows[-1]))
