"""Issue 11's layout targets on a real render (HTML + typst PDF) where Quarto is on PATH; skipped
otherwise. Without Quarto the same layouts are checked piecewise in test_print_layout.py and
test_maps.py (typst snippets, HTML fragments)."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.quarto,
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("quarto") is None,
        reason='quarto is not on PATH (pip install -e ".[quarto]" to run the render test)',
    ),
]


@pytest.fixture(scope="module")
def rendered(laaja_render):
    return laaja_render[1]


def test_pdf_length_and_table_of_contents(rendered):
    import pypdf

    reader = pypdf.PdfReader(str(rendered.output_dir / "hyvinvointikertomus.pdf"))
    assert len(reader.pages) <= 180
    texts = [page.extract_text() or "" for page in reader.pages]
    toc = [n for n, t in enumerate(texts[:15]) if re.search(r"\. \. \. \.", t)]
    assert len(toc) <= 3, toc
    assert not any(t.strip().startswith("Liitteet") and len(t.strip()) < 120 for t in texts)


class _Site(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.tables = self.unwrapped = self.uncaptioned = 0
        self.alts: list[int] = []
        self.headings: list[int] = []
        self._table_caption = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "table":
            self.tables += 1
            self._table_caption = False
            if not any("hyte-table-scroll" in c or "cell-output-display" in c for c in self.stack):
                self.unwrapped += 1
        if tag == "caption":
            self._table_caption = True
        if tag == "img" and "kuvat/" in (attributes.get("src") or ""):
            self.alts.append(len(attributes.get("alt") or ""))
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        self.stack.append(attributes.get("class") or "")

    def handle_endtag(self, tag):
        if tag == "table" and not self._table_caption:
            self.uncaptioned += 1
        if self.stack:
            self.stack.pop()


def test_site_tables_figures_and_headings(rendered):
    for page in rendered.output_dir.rglob("*.html"):
        site = _Site()
        site.feed(page.read_text(encoding="utf-8"))
        assert site.unwrapped == 0, page
        assert all(n <= 250 for n in site.alts), (page, max(site.alts, default=0))
    images = sum(
        p.stat().st_size
        for p in rendered.output_dir.rglob("*-kuvat/*")
        if p.suffix in (".png", ".svg")
    )
    assert images <= 15_000_000
