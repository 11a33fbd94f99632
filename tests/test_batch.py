"""`hyte cards`: validation, failure isolation, atomic outputs, incremental reruns, the card list, and
warm kernels that make the same cards as fresh ones.

Most tests run the small card tests/data/batch_card.ipynb (real Sotkanet population data from
../shared/fixtures) in a temporary project; one runs the real notebooks/municipal_card.ipynb.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from hyte.cli import app
from hyte.config import load_config
from hyte.data.regions import load_regions
from hyte.data.snapshot import SnapshotBuilder
from hyte.data.tidy import tidy_from_rows
from hyte.errors import HyteError
from hyte.run.batch import (
    MANIFEST_NAME,
    card_key,
    card_slug,
    card_stem,
    hyte_source_sha,
    run_cards,
    template_parameters,
)
from hyte.run.kernels import WarmKernel, notebook_imports, register_engine

ROOT = Path(__file__).resolve().parents[1]
TEST_CARD = ROOT / "tests" / "data" / "batch_card.ipynb"
REAL_CARD = ROOT / "notebooks" / "municipal_card.ipynb"
POPULATION = "sotkanet_127_population_municipalities_2000_2022.csv"


# --- a temporary project --------------------------------------------------------------------------


def _write_snapshot(
    root: Path, fixtures_dir: Path, name: str = "pop", first_year: int = 2000
) -> None:
    """A real snapshot: Sotkanet indicator 127 (population) of Keski-Suomi's municipalities."""
    regions = load_regions(root / "data" / "reference")
    population = pd.read_csv(fixtures_dir / POPULATION)
    rows = []
    for code, value, year in population.itertuples(index=False):
        municipality = regions.municipalities.get(str(code).zfill(3))
        if municipality and municipality.county_code == "15" and year >= first_year:
            rows.append(
                {
                    "indicator": 127,
                    "region": municipality.sotkanet_id,
                    "year": int(year),
                    "gender": "total",
                    "value": float(value),
                }
            )
    builder = SnapshotBuilder(root / "data" / "snapshots" / name, source="test")
    builder.set_table(tidy_from_rows(rows, regions)[0])
    builder.finish()


@pytest.fixture
def project(tmp_path, fixtures_dir, monkeypatch):
    root = tmp_path / "project"
    shutil.copytree(ROOT / "data" / "reference", root / "data" / "reference")
    (root / "hyte.yml").write_text("county: '15'\nsnapshot: pop\n", encoding="utf-8")
    _write_snapshot(root, fixtures_dir)
    monkeypatch.setenv("HYTE_ROOT", str(root))
    # Other work on hyte's sources must not rerun the cards during a test (tested on its own below).
    monkeypatch.setattr("hyte.run.batch.hyte_source_sha", lambda package=None: "fixed")
    return root


def _params(fixtures_dir: Path, **extra) -> dict:
    return {"population_csv": str(fixtures_dir / POPULATION), **extra}


def _listed_cards(root: Path) -> list[str]:
    """Every .ipynb path in the generated Quarto card list, in order (whatever its layout)."""
    found: list[str] = []

    def walk(node):
        if isinstance(node, str) and node.endswith(".ipynb"):
            found.append(node)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    from hyte.book.files import CARD_LIST

    walk(yaml.safe_load((root / CARD_LIST).read_text(encoding="utf-8")))
    return found


def _leftovers(cards_dir: Path) -> list[str]:
    """Partial files: staging folders, temporary files."""
    return sorted(
        p.name
        for p in cards_dir.rglob("*")
        if p.name.startswith(".staging-") or p.name.endswith(".tmp")
    )


# --- names, parameters, keys (no kernels) ---------------------------------------------------------


def test_card_names_are_ascii_slugs(regions):
    assert card_slug("Äänekoski") == "aanekoski"
    assert card_slug("Jyväskylä") == "jyvaskyla"
    assert card_slug("Pedersören kunta") == "pedersoren-kunta"
    assert card_stem(regions.municipality("992")) == "992-aanekoski"
    assert card_stem(regions.municipality("077")) == "077-hankasalmi"


def test_template_parameters_and_imports_are_read_from_the_notebook():
    assert template_parameters(TEST_CARD) == [
        "municipality",
        "snapshot",
        "county",
        "config_path",
        "output_dir",
        "population_csv",
        "fail_for",
        "kill_for",
    ]
    assert notebook_imports(TEST_CARD) == [
        "os",
        "warnings",
        "pathlib",
        "pathlib.Path",
        "matplotlib.pyplot",
        "pandas",
        "hyte.data.regions",
        "hyte.data.regions.load_regions",
    ]


def test_cache_key_follows_parameters_but_not_the_staging_folder():
    inputs = {"files": {"template": "a"}, "hyte_version": "0", "hyte_source": "b"}
    key = card_key(inputs, {"municipality": "179"})
    assert card_key(inputs, {"municipality": "179", "output_dir": "x/.staging-179"}) == key
    assert card_key(inputs, {"municipality": "992"}) != key
    assert card_key({**inputs, "hyte_source": "c"}, {"municipality": "179"}) != key


def test_a_change_in_hyte_source_changes_the_key(tmp_path):
    package = tmp_path / "hyte"
    shutil.copytree(ROOT / "src" / "hyte", package, ignore=shutil.ignore_patterns("__pycache__"))
    before = hyte_source_sha(package)
    assert hyte_source_sha(package) == before
    stats = package / "fmt.py"
    stats.write_text(stats.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    assert hyte_source_sha(package) != before


def test_unknown_municipality_is_one_line_and_nothing_runs(project, fixtures_dir):
    config = load_config(root=project)
    with pytest.raises(HyteError) as error:
        run_cards(config, ["179", "999"], notebook=TEST_CARD, parameters=_params(fixtures_dir))
    assert "Unknown municipality code '999'" in str(error.value)
    assert "\n" not in str(error.value)
    assert not config.cards_dir.exists()

    result = CliRunner().invoke(app, ["cards", "999"])
    assert result.exit_code == 2
    expected = (
        f"error: Unknown municipality code '999': it is not in the 2026 division "
        f"({project / 'data' / 'reference' / 'municipalities.csv'}). Use a 3-digit code "
        "such as 179 (Jyväskylä)."
    )
    assert result.output.strip().splitlines() == [expected]
    assert not config.cards_dir.exists()


def test_other_validation_errors_come_before_any_run(project, fixtures_dir):
    config = load_config(root=project)
    with pytest.raises(HyteError, match="091 Helsinki is not in county 15"):
        run_cards(config, ["091"], notebook=TEST_CARD)
    with pytest.raises(HyteError, match="no parameter 'colour'"):
        run_cards(config, ["179"], notebook=TEST_CARD, parameters={"colour": "red"})
    with pytest.raises(HyteError, match="Card notebook not found"):
        run_cards(config, ["179"])
    with pytest.raises(HyteError, match="Unknown engine 'hot'"):
        run_cards(config, ["179"], notebook=TEST_CARD, engine="hot")
    assert not config.cards_dir.exists()


# --- runs -------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_failing_card_stops_nothing_and_keeps_its_previous_output(project, fixtures_dir):
    config = load_config(root=project)
    cards = config.cards_dir
    first = run_cards(
        config,
        ["179", "435", "992"],
        notebook=TEST_CARD,
        workers=2,
        progress=False,
        parameters=_params(fixtures_dir),
    )
    assert [c.failure_line() for c in first.failed] == []
    assert sorted(c.code for c in first.ok) == ["179", "435", "992"]
    assert first.exit_code == 0
    # the CSV the card wrote holds the real published population (Sotkanet 127, Jyväskylä 2022)
    published = pd.read_csv(fixtures_dir / POPULATION)
    expected = published[(published.municipality_code == 179) & (published.year == 2022)][
        "primary.value"
    ]
    written = pd.read_csv(cards / "179.csv")
    assert written.loc[written.year == 2022, "population"].item() == float(expected.item())
    assert written["name"].unique().tolist() == ["Jyväskylä"]
    luhanka_nb = (cards / "435-luhanka.ipynb").read_bytes()
    luhanka_csv = (cards / "435.csv").read_bytes()
    luhanka_png = (cards / "435-kuvat" / "vakiluku.png").read_bytes()  # a folder of the card's own

    # 435 had a good card and now fails; 077 fails and never had one
    second = run_cards(
        config,
        ["179", "435", "992", "077"],
        notebook=TEST_CARD,
        workers=2,
        force=True,
        progress=False,
        parameters=_params(fixtures_dir, fail_for="435,077"),
    )
    assert sorted(c.code for c in second.ok) == ["179", "992"], second.summary_lines()
    assert second.exit_code == 1
    failed = {c.code: c for c in second.failed}
    assert sorted(failed) == ["077", "435"]
    luhanka = failed["435"]
    assert (luhanka.name, luhanka.cell, luhanka.execution_count) == ("Luhanka", 6, 5)
    assert luhanka.error == "ValueError: card 435 fails on purpose"
    assert luhanka.failure_line().startswith(
        "435 Luhanka: cell 6 (In [5]): ValueError: card 435 fails on purpose"
    )
    assert any(line.startswith("FAILED 077 Hankasalmi: cell 6") for line in second.summary_lines())
    # the failed card's earlier good output is untouched; the failure is kept for inspection
    assert (cards / "435-luhanka.ipynb").read_bytes() == luhanka_nb
    assert (cards / "435.csv").read_bytes() == luhanka_csv
    assert (cards / "435-kuvat" / "vakiluku.png").read_bytes() == luhanka_png
    assert not (cards / "077-hankasalmi.ipynb").exists() and not (cards / "077.csv").exists()
    assert not (cards / "077-kuvat").exists()
    assert (cards / "179-kuvat" / "vakiluku.png").is_file()  # a folder replaced by a rerun
    failed_nb = nbformat.read(cards / "_failed" / "435.ipynb", as_version=4)
    assert any(
        o.get("ename") == "ValueError" for c in failed_nb.cells for o in c.get("outputs", [])
    )
    manifest = json.loads((cards / MANIFEST_NAME).read_text(encoding="utf-8"))
    entry = manifest["cards"]["435"]
    assert (entry["status"], entry["cell"], entry["error"]) == (
        "failed",
        6,
        "ValueError: card 435 fails on purpose",
    )
    assert entry["previous_good"]["status"] == "ok"
    assert entry["previous_good"]["notebook"] == "municipal_cards/435-luhanka.ipynb"
    assert "previous_good" not in manifest["cards"]["077"]
    assert manifest["cards"]["179"]["parameters"]["municipality"] == "179"
    assert manifest["snapshot"]["id"] == "pop"
    # nothing half-written; the book lists exactly the good cards, by Finnish name
    assert _leftovers(cards) == []
    assert _listed_cards(project) == [
        "municipal_cards/179-jyvaskyla.ipynb",
        "municipal_cards/435-luhanka.ipynb",
        "municipal_cards/992-aanekoski.ipynb",
    ]


@pytest.mark.slow
def test_reruns_only_what_changed(project, fixtures_dir):
    config = load_config(root=project)
    template = project / "notebooks" / "card.ipynb"
    template.parent.mkdir()
    shutil.copy(TEST_CARD, template)
    params = _params(fixtures_dir)
    run = {"notebook": template, "workers": 1, "progress": False, "parameters": params}
    first = run_cards(config, ["435", "992"], **run)
    assert sorted(c.code for c in first.ok) == ["435", "992"]
    card = config.cards_dir / "435-luhanka.ipynb"
    made = card.stat().st_mtime_ns

    again = run_cards(config, ["435", "992"], **run)
    assert (again.ok, again.failed, sorted(c.code for c in again.skipped)) == (
        [],
        [],
        ["435", "992"],
    )
    assert again.workers == 0 and card.stat().st_mtime_ns == made

    nb = nbformat.read(template, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("Lähde: THL, Sotkanet."))
    nbformat.write(nb, template)
    edited = run_cards(config, ["435"], **run)
    assert [c.code for c in edited.ok] == ["435"]
    assert "Lähde: THL, Sotkanet." in card.read_text(encoding="utf-8")

    _write_snapshot(project, fixtures_dir, first_year=2010)  # new data in the same snapshot
    new_data = run_cards(config, ["435"], **run)
    assert [c.code for c in new_data.ok] == ["435"]
    assert [c.code for c in run_cards(config, ["435"], **run).skipped] == ["435"]


@pytest.mark.slow
def test_a_dead_kernel_fails_its_card_only_and_is_restarted(project, fixtures_dir):
    config = load_config(root=project)
    result = run_cards(
        config,
        ["435", "179"],
        notebook=TEST_CARD,
        workers=1,
        progress=False,
        parameters=_params(fixtures_dir, kill_for="435"),
    )
    assert [c.code for c in result.ok] == ["179"]  # same worker, a new kernel
    (dead,) = result.failed
    assert dead.code == "435" and dead.cell == 6
    assert "DeadKernelError" in dead.error
    assert _leftovers(config.cards_dir) == []


@pytest.mark.slow
def test_cli_exits_1_naming_the_failed_card(project, fixtures_dir):
    nb = nbformat.read(TEST_CARD, as_version=4)
    nb.cells[1].source = (
        nb.cells[1]
        .source.replace(
            "population_csv = None", f"population_csv = {str(fixtures_dir / POPULATION)!r}"
        )
        .replace('fail_for = ""', 'fail_for = "435"')
    )
    (project / "notebooks").mkdir()
    nbformat.write(nb, project / "notebooks" / "municipal_card.ipynb")
    result = CliRunner().invoke(app, ["cards", "435", "992", "--workers", "2"])
    assert result.exit_code == 1, result.output
    assert "2 card(s): 1 made, 0 unchanged, 1 failed" in result.output, result.output
    assert (
        "FAILED 435 Luhanka: cell 6 (In [5]): ValueError: card 435 fails on purpose"
        in result.output
    )


# --- warm kernels make the same cards as fresh ones -----------------------------------------------


def _comparable(nb) -> dict:
    """The notebook without what differs between any two runs, fresh or warm: timings, cell ids,
    papermill metadata, and the kernel's process id in the names of its temporary code files."""
    data = json.loads(re.sub(r"ipykernel_\d+", "ipykernel_PID", json.dumps(nb)))
    data["metadata"].pop("papermill", None)
    for cell in data["cells"]:
        cell.pop("id", None)
        cell["metadata"].pop("papermill", None)
        cell["metadata"].pop("execution", None)
    return data


def _warm_and_fresh(
    template: Path, root: Path, warm_codes: list[str], fresh_codes: list[str], extra: dict
) -> tuple[list, list]:
    """Run ``warm_codes`` one after another on one warm kernel, and each of ``fresh_codes`` on a
    fresh kernel."""
    import papermill

    engine = register_engine()
    kernel = WarmKernel(cwd=root, warm_modules=notebook_imports(template))
    warm, fresh = [], []
    try:
        kernel.start()
        for code in warm_codes:
            warm.append(
                papermill.execute_notebook(
                    str(template),
                    None,
                    parameters={"municipality": code, **extra},
                    engine_name=engine,
                    warm_kernel=kernel,
                    progress_bar=False,
                    cwd=str(root),
                    kernel_name="python3",
                )
            )
    finally:
        kernel.shutdown()
    for code in fresh_codes:
        fresh.append(
            papermill.execute_notebook(
                str(template),
                None,
                parameters={"municipality": code, **extra},
                progress_bar=False,
                cwd=str(root),
                kernel_name="python3",
            )
        )
    assert kernel.starts == 1  # all warm cards ran in the one kernel
    return warm, fresh


def _first_difference(a: dict, b: dict) -> str:
    for index, (left, right) in enumerate(zip(a["cells"], b["cells"])):
        if left != right:
            return f"cell {index + 1}:\nwarm:  {json.dumps(left)[:1500]}\nfresh: {json.dumps(right)[:1500]}"
    return "cell count or notebook metadata"


@pytest.mark.slow
def test_warm_kernel_cards_equal_fresh_kernel_cards(project, fixtures_dir):
    codes = ["992", "179", "435"]
    warm, fresh = _warm_and_fresh(TEST_CARD, project, codes, codes, _params(fixtures_dir))
    for warm_nb, fresh_nb in zip(warm, fresh):
        warm_nb, fresh_nb = _comparable(warm_nb), _comparable(fresh_nb)
        assert warm_nb == fresh_nb, _first_difference(warm_nb, fresh_nb)
    outputs = [o for c in warm[2].cells for o in c.get("outputs", [])]
    assert any("image/png" in o.get("data", {}) for o in outputs)  # the figure is compared too
    assert any(
        "must appear in every card" in o.get("text", "") for o in outputs
    )  # warnings re-shown
    assert warm[2].cells[-1].execution_count == 8  # the counter starts again at 1


@pytest.mark.slow
def test_without_the_reset_state_would_leak(project, fixtures_dir):
    """The control: the test card notices a kernel that was not reset (so the test above can fail)."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    engine = register_engine()
    kernel = WarmKernel(cwd=project, warm_modules=notebook_imports(TEST_CARD))
    try:
        kernel.start()
        run = {
            "parameters": _params(fixtures_dir),
            "engine_name": engine,
            "warm_kernel": kernel,
            "progress_bar": False,
            "cwd": str(project),
            "kernel_name": "python3",
        }
        papermill.execute_notebook(str(TEST_CARD), None, **run)
        kernel.prepare = lambda: None  # skip the reset
        with pytest.raises(PapermillExecutionError, match="leaked from an earlier card"):
            papermill.execute_notebook(str(TEST_CARD), None, **run)
    finally:
        kernel.shutdown()


@pytest.mark.slow
def test_real_card_notebook_warm_equals_fresh(tmp_path, monkeypatch):
    if not REAL_CARD.is_file():
        pytest.skip(f"{REAL_CARD} is not written yet")
    root = tmp_path / "project"
    shutil.copytree(ROOT / "data", root / "data", ignore=shutil.ignore_patterns("snapshots"))
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    shutil.copy(ROOT / "hyte.yml", root / "hyte.yml")
    monkeypatch.setenv("HYTE_ROOT", str(root))
    template = root / "notebooks" / "municipal_card.ipynb"
    extra = {}
    if "output_dir" in template_parameters(template):
        (root / "out").mkdir()
        extra["output_dir"] = "out"
    # Jyväskylä first, then Luhanka on the same kernel: the card a warm kernel makes second must
    # equal Luhanka's card from a fresh kernel.
    warm, fresh = _warm_and_fresh(template, root, ["179", "435"], ["435"], extra)
    warm_nb, fresh_nb = _comparable(warm[1]), _comparable(fresh[0])
    assert warm_nb == fresh_nb, _first_difference(warm_nb, fresh_nb)
    assert "Luhanka" in json.dumps([c.get("outputs") for c in warm_nb["cells"]], ensure_ascii=False)
