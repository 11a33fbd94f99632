"""Shared test fixtures: the project root, the real public data in ../shared/fixtures, and a config."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT.parent / "shared" / "fixtures"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """Real THL Sotkanet and Statistics Finland data (see PROVENANCE.md there); read, never copied."""
    if not FIXTURES.is_dir():
        pytest.fail(f"real-data fixtures not found at {FIXTURES}: clone beside shared/")
    return FIXTURES


@pytest.fixture(scope="session")
def regions():
    from hyte.data.regions import load_regions

    return load_regions(ROOT / "data" / "reference")


@pytest.fixture(autouse=True)
def _render_does_not_execute_chapters(monkeypatch):
    """`hyte render`'s preparation executes the book's chapters (hyte.book.chapters, ~1 min on the
    demo); tests of the render flow do not need them, and must not write chapters into the
    repository concurrently. tests/test_chapters.py runs them, and the real renders below ask."""
    monkeypatch.setenv("HYTE_SKIP_CHAPTERS", "1")


@pytest.fixture(scope="session")
def laaja_render():
    """The demo cards and one render of the laaja book, shared by every render test (needs Quarto):
    (config, render result)."""
    from hyte.book.render import render
    from hyte.config import load_config
    from hyte.run.batch import run_cards

    config = load_config(root=ROOT)
    cards = run_cards(config, progress=False)
    assert not cards.failed, [c.failure_line() for c in cards.failed]
    return config, render(config, "laaja", echo=lambda line: None, chapters=True)
