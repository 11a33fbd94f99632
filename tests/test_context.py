"""hyte.context: the rows of a few regions from one grouping, and a context kept across the cards of a
warm kernel only while its input files are unchanged."""

from __future__ import annotations

import os
import shutil

import pandas as pd

from hyte.config import load_config
from hyte.context import input_stamp, load_context
from hyte.run.kernels import clear_hyte_caches


def test_region_rows_equal_a_filter_of_the_table():
    ctx = load_context()
    table = ctx.table
    jyvaskyla = next(m for m in ctx.municipalities if m.code == "179")
    ids = [jyvaskyla.sotkanet_id, ctx.county.sotkanet_id, ctx.country_id]
    expected = pd.concat([table[table["region_id"] == r] for r in ids])
    pd.testing.assert_frame_equal(ctx.region_rows(ids), expected)
    assert len(ctx.region_rows(ids)) > 1000
    assert ctx.region_rows([999_999]).empty and list(ctx.region_rows([999_999])) == list(table)
    latest = table.groupby("indicator")["year"].max()
    pd.testing.assert_series_equal(ctx.latest_years, latest)


def _project(tmp_path, root):
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(root / "hyte.yml", project / "hyte.yml")
    shutil.copytree(root / "data", project / "data")
    return project


def test_a_kept_context_is_reused_only_while_its_files_are_unchanged(tmp_path, root):
    project = _project(tmp_path, root)
    config = load_config(root=project)
    first = load_context(config)
    clear_hyte_caches()  # what a warm kernel does between two cards
    assert load_context(load_config(root=project)) is first  # nothing changed: kept
    catalog = config.catalog_path
    stamp = input_stamp(config)
    stat = catalog.stat()
    os.utime(catalog, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # an edit
    assert input_stamp(config) != stamp
    clear_hyte_caches()
    second = load_context(load_config(root=project))
    assert second is not first  # reloaded from the changed files
    (project / "data" / "local").mkdir(exist_ok=True)
    (project / "data" / "local" / "note.txt").write_text("x", encoding="utf-8")  # a new input file
    clear_hyte_caches()
    assert load_context(load_config(root=project)) is not second


def test_another_county_of_the_same_inputs_shares_the_table():
    """`county: all`: a kernel goes from one county's cards to the next; the table is read once."""
    first = load_context()
    first.region_rows([first.country_id])
    clear_hyte_caches()
    other = load_context(county="18")
    assert other.county.code == "18" and other.config.county == "18"
    assert other.table is first.table
    assert [m.county_code for m in other.municipalities] == ["18"] * len(other.municipalities)
    clear_hyte_caches()
    assert load_context(county="18") is other  # kept in its turn
