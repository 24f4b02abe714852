"""Documents out of the app: one Jinja template per document, and the formats made from it.

* HTML: the template, served as a page (its stylesheet is /static/css/documents.css).
* PDF: the same HTML through WeasyPrint as PDF/UA-1, a tagged PDF (structure tree, real text,
  the document's language and title), so screen readers can read it. The stylesheet's @page rules
  put the document's running title and "Page N of M" on every page. Stylesheets and images are
  read from client/ directly, never over the network.
* CSV: one table per download, UTF-8 with a byte-order mark so Excel reads the characters right,
  numbers written as numbers (no thousands separators, '.' for decimals).
* XLSX: a workbook with a sheet per table, real numbers (never text), bold frozen header rows.
"""
from __future__ import annotations

import csv
import io
import mimetypes
import zipfile
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit

from flask import render_template

CLIENT = Path(__file__).resolve().parent.parent / "client"
PDF_MIMETYPE = "application/pdf"
CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP_MIMETYPE = "application/zip"


def render_html(template: str, **context) -> str:
    return render_template(template, **context)


def _local_fetcher():
    """A WeasyPrint URL fetcher that gives /static/... files from client/ and refuses anything else
    (a document never loads from the network). A missing file stops the rendering."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class LocalFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            path = urlsplit(url).path
            if path.startswith("/static/"):
                target = (CLIENT / path[len("/static/"):]).resolve()
                if CLIENT in target.parents and target.is_file():
                    mime, _ = mimetypes.guess_type(target.name)
                    return URLFetcherResponse(url, target.read_bytes(), {"Content-Type": mime or "application/octet-stream"})
            raise ValueError(f"Documents load only the app's own static files, not {url!r}.")

    return LocalFetcher(allowed_protocols=("http", "data"), fail_on_errors=True)


def html_to_pdf(html: str) -> bytes:
    """A tagged, accessible PDF (PDF/UA-1) of a document's HTML."""
    from weasyprint import HTML

    return HTML(string=html, base_url="http://tandem.invalid/", url_fetcher=_local_fetcher()).write_pdf(
        pdf_variant="pdf/ua-1", pdf_tags=True
    )


def _cell(value):
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ";".join(str(v) for v in value)
    return value


def to_csv(columns: list[str], rows: list[list]) -> bytes:
    """One tidy table: a header row, then one row per record; UTF-8 with a BOM, CRLF line ends."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if v is None else _cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(sheets: list[dict], title: str = "") -> bytes:
    """sheets: [{"name", "columns": [names], "rows": [[values]], "notes": [column meanings] or None}].
    Numbers stay numbers; dates are real dates; the header row is bold and frozen."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    if title:
        wb.properties.title = title
    wb.properties.creator = "Tandem"
    bold = Font(bold=True)
    for sheet in sheets:
        ws = wb.create_sheet(sheet["name"][:31])
        ws.append(sheet["columns"])
        for cell in ws[1]:
            cell.font = bold
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in sheet["rows"]:
            ws.append([_xlsx_cell(v) for v in row])
        ws.freeze_panes = "A2"
        for i, name in enumerate(sheet["columns"], start=1):
            longest = max([len(str(name))] + [len(str(r[i - 1])) for r in sheet["rows"][:200] if r[i - 1] is not None])
            ws.column_dimensions[get_column_letter(i)].width = min(60, max(10, longest + 2))
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, date) and not isinstance(cell.value, datetime):
                    cell.number_format = "yyyy-mm-dd"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _xlsx_cell(value):
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)  # Excel has no time zones; every stored time is UTC
    if isinstance(value, (list, tuple)):
        return ";".join(str(v) for v in value)
    return value


def to_zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return out.getvalue()


# ---- Jinja filters the document templates use ----

def _num(value, missing: str = "–"):
    if value is None:
        return missing
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    return str(value)


def _signed(value):
    return "–" if value is None else f"{value:+.1f}"


def _percent(share):
    return "–" if share is None else f"{share * 100:.0f}%"


def _long_date(day):
    from .domain.effects import long_date

    if day is None:
        return "–"
    if isinstance(day, str):
        day = date.fromisoformat(day[:10])
    if isinstance(day, datetime):
        day = day.date()
    return long_date(day)


FILTERS = {"num": _num, "signed": _signed, "percent": _percent, "long_date": _long_date}
