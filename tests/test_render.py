"""A real render of the book with Quarto (HTML and typst PDF), where the quarto command is on PATH.

Skipped otherwise (CI machines and this project's development machine have no Quarto; install it with
`pip install -e ".[quarto]"` or conda, see README). Slow: makes the cards, then renders both profiles.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from hyte.book import files as book
from hyte.book.render import render

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
def built(laaja_render):
    return laaja_render


def test_html_site_and_pdf_exist(built):
    _, result = built
    assert result.rendered
    assert (result.output_dir / "index.html").is_file()
    assert (result.output_dir / "hyvinvointikertomus.pdf").is_file()
    assert (result.output_dir / "hyvinvointikertomus.pdf").stat().st_size > 50_000


def test_no_render_warnings(built):
    _, result = built
    assert result.warnings == []


def test_every_card_is_in_the_site(built):
    config, result = built
    cards = book.read_card_list(ROOT)
    from hyte.data.regions import load_regions

    assert len(cards) == len(
        load_regions(ROOT / "data" / "reference").county_municipalities(config.county)
    )
    for card in cards:
        page = result.output_dir / Path(card).with_suffix(".html")
        assert page.is_file(), card


class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.missing: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "img" and not (attributes.get("alt") or "").strip():
            self.missing.append(attributes.get("src", "?"))


def test_every_figure_in_the_site_has_alt_text(built):
    _, result = built
    for page in result.output_dir.rglob("*.html"):
        parser = _Images()
        parser.feed(page.read_text(encoding="utf-8"))
        assert parser.missing == [], page


def test_html_is_finnish_and_marks_demo_data(built):
    _, result = built
    index = (result.output_dir / "index.html").read_text(encoding="utf-8")
    assert re.search(r'<html[^>]* lang="fi"', index)
    assert "ESIMERKKIAINEISTO" in index  # the demo snapshot
    chapter = next(result.output_dir.rglob("alueelliset-erot.html")).read_text(encoding="utf-8")
    assert "Taulukko" in chapter and "ESIMERKKIAINEISTO" in chapter


@pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed"
)
def test_pdf_labels_are_finnish(built):
    _, result = built
    text = subprocess.run(
        ["pdftotext", str(result.output_dir / "hyvinvointikertomus.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Chapter" not in text and "Figure" not in text and "Appendix" not in text
    assert "Luku" in text and "Kuvio" in text and "Liitteet" in text
    assert "ESIMERKKIAINEISTO" in text


def test_annual_report_profile_renders(built):
    config, _ = built
    result = render(config, "vuosiraportti", echo=lambda line: None, chapters=True)
    assert result.rendered and result.warnings == []
    assert (result.output_dir / "index.html").is_file()
    assert (result.output_dir / "vuosiraportti.pdf").is_file()
