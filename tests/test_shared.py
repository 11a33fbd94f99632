"""The county-wide results computed once and shared (hyte.card.shared): cached equals computed, exactly
(dtypes included), on the demo and on snapshots of real shapes; a changed input recomputes; a damaged
file is recomputed with one line; cards read the same numbers with and without the cache; and
``hyte cards`` computes them once, in the parent."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from shapes import LINKED, make_project

from hyte.card import card as card_module
from hyte.card import shared
from hyte.config import load_config
from hyte.context import load_context
from hyte.data.fitness import assess
from hyte.stats.summary import indicator_summary

ROOT = Path(__file__).resolve().parents[1]


def _demo_project(tmp: Path, *, county: str = "15", copy_catalog: bool = False) -> Path:
    """A project on the full demo snapshot (its catalog copied when the test edits it)."""
    root = Path(tmp) / "demo-project"
    root.mkdir(parents=True)
    for relative in [*LINKED, "data/demo"]:
        if copy_catalog and relative == "data/indicators.yml":
            (root / "data").mkdir(exist_ok=True)
            shutil.copy(ROOT / relative, root / relative)
            continue
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(ROOT / relative)
    (root / "hyte.yml").write_text(f'county: "{county}"\nsnapshot: demo\n', encoding="utf-8")
    return root


def _context(root: Path, county: str | None = None):
    return load_context(load_config(root=root), county=county)


def _fresh(ctx):
    """Every shared part computed directly, as the cards and chapters did before the cache."""
    peers = [m.sotkanet_id for m in ctx.municipalities]

    def summary(region_id, sex="total"):
        return indicator_summary(
            ctx.table,
            ctx.catalog,
            region_id,
            county_id=ctx.county.sotkanet_id,
            country_id=ctx.country_id,
            peer_ids=peers,
            sex=sex,
        )

    return {
        "municipalities": {m.code: summary(m.sotkanet_id) for m in ctx.municipalities},
        "county": {s: summary(ctx.county.sotkanet_id, s) for s in ("total", "male", "female")},
        "sex": {
            m.sotkanet_id: card_module.sex_differences(ctx.table, ctx.catalog, m.sotkanet_id)
            for m in ctx.municipalities
        },
        "fitness": assess(ctx.table, ctx.catalog, ctx.county, ctx.regions),
    }


def _assert_equal(results: shared.SharedResults, fresh: dict, ctx) -> None:
    for code, expected in fresh["municipalities"].items():
        assert_frame_equal(results.municipality_summary(code), expected)
    for sex, expected in fresh["county"].items():
        assert_frame_equal(results.county_summary(sex), expected)
    for region_id, expected in fresh["sex"].items():
        assert_frame_equal(results.sex_data(region_id), expected)
    assert results.fitness == fresh["fitness"]
    # the chapters' long table: every municipality in order, with code, name and order
    frames = []
    for order, m in enumerate(ctx.municipalities):
        frame = fresh["municipalities"][m.code].copy()
        frame.insert(0, "order", order)
        frame.insert(0, "name", m.name_fi)
        frame.insert(0, "code", m.code)
        frames.append(frame)
    assert_frame_equal(results.municipal, pd.concat(frames, ignore_index=True))


def _read_back(ctx) -> shared.SharedResults:
    """The shared results of ``ctx`` read from disk by a new object (as another process would)."""
    shared._CACHE.clear()
    return shared.for_context(ctx)


@pytest.mark.parametrize("shape", ["demo", "gappy", "no_sex", "kainuu"])
def test_cached_equals_computed_exactly(tmp_path, shape):
    root = _demo_project(tmp_path) if shape == "demo" else make_project(tmp_path, shape)
    ctx = _context(root)
    fresh = _fresh(ctx)
    before = dict(shared.COMPUTED)
    computed = shared.ensure(ctx)
    assert {k: shared.COMPUTED[k] - before[k] for k in before} == dict.fromkeys(before, 1)
    assert computed.folder.is_relative_to(root / ".hyte-cache" / "shared")
    _assert_equal(computed, fresh, ctx)
    read = _read_back(ctx).ensure()
    assert read is not computed
    assert {k: shared.COMPUTED[k] - before[k] for k in before} == dict.fromkeys(before, 1)
    _assert_equal(read, fresh, ctx)
    if shape == "demo":  # real values, not only matching shapes
        jkl = read.municipality_summary("179").set_index("indicator")
        assert (
            jkl.loc[127, "value"]
            == fresh["municipalities"]["179"].set_index("indicator").loc[127, "value"]
        )
        assert read.municipal["code"].nunique() == len(ctx.municipalities) == 22
        assert read.municipal["rank"].dtype == "Int64" and read.municipal["rank"].isna().any()
        assert any(len(read.sex_data(m.sotkanet_id)) for m in ctx.municipalities)


def test_the_chapter_reads_the_shared_results(tmp_path, monkeypatch):
    from hyte.book.report import Chapter

    ctx = _context(_demo_project(tmp_path))
    fresh = _fresh(ctx)
    chapter = Chapter(ctx)
    before = dict(shared.COMPUTED)
    municipal = chapter.municipal
    assert shared.COMPUTED["municipal"] == before["municipal"] + 1
    assert_frame_equal(chapter.county_summary, fresh["county"]["total"])
    assert_frame_equal(
        chapter.summary(ctx.county.sotkanet_id, sex="female"), fresh["county"]["female"]
    )
    assert_frame_equal(
        chapter.summary(ctx.municipalities[0].sotkanet_id),
        fresh["municipalities"][ctx.municipalities[0].code],
    )
    # a year or the country is not shared: computed as before
    year = chapter.summary(ctx.country_id)
    assert not year.empty and year.loc[0, "vs_county"] in (
        "better",
        "worse",
        "similar",
        "higher",
        "lower",
        "not_compared",
    )
    assert len(municipal) == sum(len(f) for f in fresh["municipalities"].values())
    # another chapter (another process) reads them: nothing is computed again
    shared._CACHE.clear()
    assert_frame_equal(Chapter(ctx).municipal, municipal)
    assert shared.COMPUTED["municipal"] == before["municipal"] + 1


def _key_and_count(ctx):
    shared._CACHE.clear()
    before = shared.COMPUTED["municipal"]
    results = shared.for_context(ctx)
    results.part("municipal")
    return results.key, shared.COMPUTED["municipal"] - before


def test_a_changed_input_gives_a_new_key_and_recomputes(tmp_path):
    import hyte.context

    root = _demo_project(tmp_path, copy_catalog=True)
    ctx = _context(root)
    first, computed = _key_and_count(ctx)
    assert computed == 1
    assert _key_and_count(ctx) == (first, 0)  # same inputs: read

    # another county of the same project and snapshot
    other = _context(root, county="20")
    key20, computed = _key_and_count(other)
    assert key20 != first and computed == 1
    assert shared.for_context(other).folder.name.startswith("20-")

    # a catalog edit (a decimal of one indicator)
    catalog = root / "data" / "indicators.yml"
    text = catalog.read_text(encoding="utf-8")
    catalog.write_text(text.replace("decimals: 1", "decimals: 2", 1), encoding="utf-8")
    hyte.context._CACHE.clear()
    edited = _context(root)
    key, computed = _key_and_count(edited)
    assert key != first and computed == 1

    # another snapshot (a transformed copy of the demo)
    from shapes import demo_table, write_snapshot

    write_snapshot(root, "other", demo_table(trim=True))
    hyte.context._CACHE.clear()
    ctx_other = load_context(load_config(root=root), snapshot="other")
    key_other, computed = _key_and_count(ctx_other)
    assert key_other not in (first, key) and computed == 1

    # local values are an input too
    local = root / "data" / "local"
    local.mkdir(parents=True, exist_ok=True)
    before = shared.key_inputs(edited)
    (local / "notes.txt").write_text("x", encoding="utf-8")
    assert shared.key_inputs(edited)["files"]["local"] != before["files"]["local"]


@pytest.mark.parametrize("damage", [b"", b"not parquet at all", b"PAR1\x00\x01garbage PAR1"])
def test_a_damaged_cache_file_is_recomputed_with_one_line(tmp_path, capsys, damage):
    ctx = _context(make_project(tmp_path, "gappy"))
    fresh = _fresh(ctx)
    results = shared.ensure(ctx)
    (results.folder / "municipal.parquet").write_bytes(damage)
    (results.folder / "fitness.json").write_bytes(damage[:5])
    capsys.readouterr()
    before = dict(shared.COMPUTED)
    read = _read_back(ctx).ensure()
    err = capsys.readouterr().err
    notes = [line for line in err.splitlines() if line]
    assert len(notes) == 2 and all(line.startswith("note: shared results cache") for line in notes)
    assert "Traceback" not in err
    assert shared.COMPUTED["municipal"] == before["municipal"] + 1
    assert shared.COMPUTED["fitness"] == before["fitness"] + 1
    assert shared.COMPUTED["sex"] == before["sex"]  # intact parts are read
    _assert_equal(read, fresh, ctx)
    # and written again, readable
    shared._CACHE.clear()
    pd.read_parquet(read.folder / "municipal.parquet")
    json.loads((read.folder / "fitness.json").read_text(encoding="utf-8"))


def test_two_writers_race_safely(tmp_path):
    ctx = _context(make_project(tmp_path, "gappy"))
    one = shared.SharedResults(ctx).ensure()
    files = {p.name: p.read_bytes() for p in one.folder.iterdir()}
    two = shared.SharedResults(ctx)
    for kind in shared._KINDS:  # a second process computing the same part writes the same bytes
        two._write(kind, shared._compute(ctx, kind, "fi"))
    assert {p.name: p.read_bytes() for p in one.folder.iterdir()} == files
    assert not [p for p in one.folder.iterdir() if p.name.endswith(".tmp")]


def test_sex_frames_equal_the_single_region_function(tmp_path):
    ctx = _context(make_project(tmp_path, "gappy"))
    ids = [m.sotkanet_id for m in ctx.municipalities] + [ctx.county.sotkanet_id]
    frames = shared.sex_frames(ctx.table, ctx.catalog, ids)
    for region_id in ids:
        expected = card_module.sex_differences(ctx.table, ctx.catalog, region_id)
        assert_frame_equal(frames[region_id], expected)
    assert shared.SEX_MAX_AGE_YEARS == card_module.SEX_MAX_AGE_YEARS
    assert sum(len(f) for f in frames.values()) > 0


def _card_outputs(card) -> dict[str, str]:
    out = {}
    for method in ("strengths", "indicator_table", "hyte_kerroin", "sources", "write_data"):
        out[method] = getattr(card, method)().data
    out["csv"] = (card.output_dir / f"{card.stem}.csv").read_text(encoding="utf-8")
    out["front_matter"] = json.dumps(card.front_matter(), ensure_ascii=False, sort_keys=True)
    out["fitness"] = repr(card.fitness)
    out["sex"] = card.sex_data.to_csv()
    return out


@pytest.mark.parametrize("shape", ["demo", "kainuu"])
def test_card_output_is_the_same_with_and_without_the_cache(tmp_path, monkeypatch, shape):
    root = _demo_project(tmp_path) if shape == "demo" else make_project(tmp_path, shape)
    code = "179" if shape == "demo" else "205"
    with_cache = card_module.open_card(
        code, config_path=root / "hyte.yml", output_dir=tmp_path / "with"
    )
    assert with_cache.shared is not None
    cached = _card_outputs(with_cache)
    monkeypatch.setattr(card_module.Card, "shared", property(lambda self: None))
    without = card_module.open_card(
        code, config_path=root / "hyte.yml", output_dir=tmp_path / "without"
    )
    assert without.shared is None
    assert _card_outputs(without) == cached
    assert "Kajaani" in cached["csv"] or "Jyväskylä" in cached["csv"]


# --- hyte cards -----------------------------------------------------------------------------------

_SHARED_CARD = [
    'municipality = "179"\nsnapshot = None\ncounty = None\noutput_dir = None',
    "from hyte.card import card, shared\n"
    "kortti = card.open_card(municipality, snapshot=snapshot, county=county, "
    "output_dir=output_dir)\n"
    "print(len(kortti.summary), len(kortti.sex_data), kortti.fitness.county_code)\n"
    "print('computed in kernel:', sum(shared.COMPUTED.values()))",
]


def _shared_card(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    cells = [nbformat.v4.new_code_cell(source) for source in _SHARED_CARD]
    cells[0].metadata["tags"] = ["parameters"]
    nb.cells = cells
    nbformat.write(nb, path)
    return path


@pytest.mark.parametrize("county", ["15", "all"])
def test_hyte_cards_computes_the_shared_results_once_in_the_parent(tmp_path, monkeypatch, county):
    from hyte.run import batch

    root = _demo_project(tmp_path, county=county)
    monkeypatch.setenv("HYTE_ROOT", str(root))
    notebook = _shared_card(root / "shared_card.ipynb")
    calls: list[tuple[str, str]] = []
    real = shared._compute

    def counting(ctx, kind, language):
        calls.append((ctx.config.county, kind))
        return real(ctx, kind, language)

    monkeypatch.setattr(shared, "_compute", counting)
    codes = ["179", "992", "435"]
    result = batch.run_cards(
        load_config(root=root), codes, notebook=notebook, progress=False, workers=1
    )
    assert not result.failed, [c.failure_line() for c in result.failed]
    assert sorted(calls) == sorted(("15", kind) for kind in shared._KINDS)  # once, each part
    for card in result.ok:
        nb = nbformat.read(card.notebook, as_version=4)
        text = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
        assert "computed in kernel: 0" in text, text  # the kernels only read
        assert " 15\n" in text
    folders = list((root / ".hyte-cache" / "shared").iterdir())
    assert [f.name[:3] for f in folders] == ["15-"]
    # nothing changed: no card runs and nothing is computed
    calls.clear()
    again = batch.run_cards(load_config(root=root), codes, notebook=notebook, progress=False)
    assert len(again.skipped) == 3 and calls == []


def test_prepare_shared_per_county_for_the_whole_country(tmp_path):
    from hyte.run.batch import prepare_shared

    root = _demo_project(tmp_path, county="all")
    config = load_config(root=root)
    before = dict(shared.COMPUTED)
    assert prepare_shared(config, ["15", "20", "15"]) == []
    assert shared.COMPUTED["municipal"] == before["municipal"] + 2
    names = sorted(f.name[:3] for f in (root / ".hyte-cache" / "shared").iterdir())
    assert names == ["15-", "20-"]
    # a Kainuu card (no demo rows there) reads its own county's, empty, results
    kajaani = card_module.open_card("205", config_path=root / "hyte.yml", output_dir=tmp_path / "o")
    shared._CACHE.clear()
    assert kajaani.summary.empty and list(kajaani.summary.columns) == list(
        indicator_summary(
            kajaani.ctx.table.iloc[0:0], kajaani.ctx.catalog, 0, county_id=0, peer_ids=[]
        ).columns
    )
    assert kajaani.fitness.county_code == "20"
    assert shared.COMPUTED["municipal"] == before["municipal"] + 2
    # a county that fails is one note, not a stop
    notes = prepare_shared(config, ["77"])
    assert len(notes) == 1 and "county 77" in notes[0] and "each card computes its own" in notes[0]


@pytest.mark.parametrize("shape", ["demo", "no_kerroin_score"])
def test_the_hyte_kerroin_read_back_equals_the_computed_one(tmp_path, shape):
    from dataclasses import fields

    from hyte.kerroin import report as kr
    from hyte.kerroin.model import for_context

    root = _demo_project(tmp_path) if shape == "demo" else make_project(tmp_path, shape)
    ctx = _context(root)
    fresh = for_context(ctx)
    shared.for_context(ctx).part("kerroin")
    run = _read_back(ctx).kerroin
    assert shared.for_context(ctx).folder.joinpath("kerroin.json").is_file()
    for frame_of in (
        lambda r: r.inputs.counties,
        lambda r: r.inputs.current,
        lambda r: r.inputs.start,
        lambda r: r.result.table,
        lambda r: r.result.measure,
        lambda r: r.result.subscores,
        lambda r: r.result.weights,
        lambda r: r.result.contributions,
        lambda r: r.sensitivity,
        lambda r: r.drivers,
    ):
        assert_frame_equal(frame_of(run), frame_of(fresh))
    for name in ("county", "years", "residents_year", "missing", "notes"):
        assert getattr(run.inputs, name) == getattr(fresh.inputs, name), name
    assert run.result.missing == fresh.result.missing and run.result.notes == fresh.result.notes
    assert run.config == fresh.config and run.catalog_notes == fresh.catalog_notes
    assert [f.name for f in fields(run)] == [f.name for f in fields(fresh)]
    for text in (
        kr.summary_markdown,
        kr.sensitivity_markdown,
        kr.notes_markdown,
        kr.what_if_table,
        kr.drivers_markdown,
    ):
        assert text(run) == text(fresh)
    for text in (kr.missing_markdown, kr.ranking_table, kr.decomposition_table):
        assert text(run.result) == text(fresh.result)
    if shape == "demo":
        assert run.result.row()["score"] == fresh.result.row()["score"] > 0
