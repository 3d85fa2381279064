"""`format=csv` and `format=json`: every row of the current view, written as it is read.

The rows come in chunks (browse.export_rows), so an export of any size holds one chunk in memory.
Values are written as they are, in full: no spreadsheet-formula escaping, which would change them.
"""
from __future__ import annotations

import csv
import io
import json
import re
from typing import AsyncIterator
from urllib.parse import quote

from .columns import jsonable

MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}
PLAIN = (str, int)  # written as they are (exactly these types: a bool is converted), most values of most tables


def _cell(value) -> str:
    shown = jsonable(value, whole=True)
    if shown is None:
        return ""
    if isinstance(shown, bool):
        return "true" if shown else "false"
    if isinstance(shown, (list, dict)):
        return json.dumps(shown, ensure_ascii=False)
    return str(shown)


async def csv_lines(columns: list[str], chunks: AsyncIterator[list[dict]]) -> AsyncIterator[str]:
    """A header line, then one line per row (RFC 4180: quoted where needed, CRLF line ends)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    yield buffer.getvalue()
    async for chunk in chunks:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([v if v is None or type(v) in PLAIN else _cell(v) for v in map(r.__getitem__, columns)]
                         for r in chunk)
        yield buffer.getvalue()


async def json_array(columns: list[str], chunks: AsyncIterator[list[dict]]) -> AsyncIterator[str]:
    """A JSON array of one object per row, keys in column order."""
    first = True
    yield "["
    async for chunk in chunks:
        parts = []
        for r in chunk:
            parts.append(("\n" if first else ",\n")
                         + json.dumps({c: v if v is None or type(v) in PLAIN else jsonable(v, whole=True)
                                       for c, v in zip(columns, map(r.__getitem__, columns))}, ensure_ascii=False))
            first = False
        yield "".join(parts)
    yield "\n]\n"


def disposition(table: str, fmt: str) -> str:
    """`attachment` with the table's name as the file name (ASCII fallback, and the exact one per RFC 6266)."""
    plain = re.sub(r"[^A-Za-z0-9._-]+", "_", table).strip("_") or "export"
    return f"attachment; filename=\"{plain}.{fmt}\"; filename*=UTF-8''{quote(table, safe='')}.{fmt}"
