"""Reading documents back as a user's software would: CSV with csv, workbooks with openpyxl, PDFs
with pypdf (text, tagging) and, test-only, PDF pages turned into PNG images in test-artifacts/pdf-pages/
(git-ignored) to look at while developing."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from openpyxl import load_workbook
from pypdf import PdfReader

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "pdf-pages"


def squash(text: str) -> str:
    """Whitespace collapsed, so text wrapped across lines still matches."""
    return re.sub(r"\s+", " ", text).strip()


def read_csv(data: bytes) -> tuple[list[str], list[dict]]:
    assert data.startswith(b"\xef\xbb\xbf"), "CSV must start with a UTF-8 byte-order mark for Excel"
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    header = next(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    return header, rows


def read_xlsx(data: bytes):
    return load_workbook(io.BytesIO(data))


def xlsx_text(data: bytes) -> str:
    wb = read_xlsx(data)
    return "\n".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None)


class Pdf:
    def __init__(self, data: bytes):
        assert data.startswith(b"%PDF-"), data[:200]
        self.data = data
        self.reader = PdfReader(io.BytesIO(data))
        self.pages = [page.extract_text() or "" for page in self.reader.pages]

    @property
    def text(self) -> str:
        return squash(" ".join(self.pages))

    @property
    def tagged(self) -> bool:
        root = self.reader.trailer["/Root"]
        mark = root.get("/MarkInfo")
        return bool(mark and mark.get("/Marked")) and "/StructTreeRoot" in root

    @property
    def language(self):
        return self.reader.trailer["/Root"].get("/Lang")

    @property
    def title(self):
        return (self.reader.metadata or {}).get("/Title")

    def render_pngs(self, name: str, scale: float = 1.2) -> list[Path]:
        """Test-only: every page as a PNG in test-artifacts/pdf-pages/, to look at."""
        import pypdfium2 as pdfium

        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        doc = pdfium.PdfDocument(self.data)
        paths = []
        try:
            for i in range(len(doc)):
                page = doc[i]
                image = page.render(scale=scale).to_pil()
                path = ARTIFACTS / f"{name}-{i + 1}.png"
                image.save(path)
                paths.append(path)
                page.close()
        finally:
            doc.close()
        return paths


def has_ink(path: Path) -> bool:
    """Not a blank page: some pixels are dark."""
    from PIL import Image

    with Image.open(path) as image:
        grey = image.convert("L")
        return grey.getextrema()[0] < 100
