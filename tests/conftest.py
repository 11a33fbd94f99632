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
