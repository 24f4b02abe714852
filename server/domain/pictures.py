"""The person's picture scale for documents (the easy-read summary), drawn as the app draws it.

The app's pictures are in client/js/pictures.js; this is the same drawing in Python so a PDF can
carry it. tests/test_person_summary.py checks that the words match the app's.
"""
from __future__ import annotations

from markupsafe import Markup

PROGRESS_WORDS = {1: "Not started", 2: "Starting", 3: "Getting better", 4: "Nearly there", 5: "Done it"}
PROGRESS_QUESTION = "How is it going?"


def progress_picture(n: int) -> Markup:
    """Five steps; the person stands on step n; step 5 has a flag (black when done)."""
    steps = "".join(
        f'<rect x="{8 + (i - 1) * 16}" y="{86 - i * 12}" width="16" height="{i * 12}" '
        f'fill="{"#0b5d57" if i <= n else "#ffffff"}" stroke="#1a1a1a" stroke-width="2"/>'
        for i in range(1, 6)
    )
    x, y = 16 + (n - 1) * 16, 86 - n * 12
    arms = (
        f'<line x1="{x}" y1="{y - 12}" x2="{x + 6}" y2="{y - 20}" stroke="#1a1a1a" stroke-width="3"/>'
        f'<line x1="{x}" y1="{y - 12}" x2="{x - 6}" y2="{y - 20}" stroke="#1a1a1a" stroke-width="3"/>'
        if n == 5 else ""
    )
    return Markup(
        '<svg viewBox="0 0 96 96" width="96" height="96" aria-hidden="true" focusable="false" class="picture" xmlns="http://www.w3.org/2000/svg">'
        f"{steps}"
        '<line x1="88" y1="26" x2="88" y2="4" stroke="#1a1a1a" stroke-width="2"/>'
        f'<path d="M88 4 L74 9 L88 14 Z" fill="{"#1a1a1a" if n == 5 else "#ffffff"}" stroke="#1a1a1a" stroke-width="2"/>'
        f'<circle cx="{x}" cy="{y - 20}" r="5" fill="#1a1a1a"/>'
        f'<line x1="{x}" y1="{y - 15}" x2="{x}" y2="{y - 6}" stroke="#1a1a1a" stroke-width="3"/>'
        f'<line x1="{x}" y1="{y - 6}" x2="{x - 4}" y2="{y}" stroke="#1a1a1a" stroke-width="3"/>'
        f'<line x1="{x}" y1="{y - 6}" x2="{x + 4}" y2="{y}" stroke="#1a1a1a" stroke-width="3"/>'
        f"{arms}</svg>"
    )
