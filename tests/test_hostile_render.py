"""Issue 10 items 5 and 6: an interrupted render keeps the published site and the source tree clean
(a fake `quarto` on PATH that is killed mid-way), and stale cards are marked, never published silently
as current."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest
from test_batch import POPULATION, TEST_CARD, _write_snapshot

from hyte.book import render
from hyte.book.freshness import check_and_mark_cards, check_cards
from hyte.config import load_config
from hyte.errors import HyteError
from hyte.run.batch import MANIFEST_NAME, run_cards

ROOT = Path(__file__).resolve().parents[1]

FAKE_QUARTO = '''#!{python}
"""A stand-in for quarto: leaves files beside the sources as Quarto does, writes the site into
--output-dir, and (FAKE_QUARTO_HANG) hangs mid-way until it is killed."""
import os, pathlib, sys, time
if "--version" in sys.argv:
    print("1.9.18")
    sys.exit(0)
out = pathlib.Path(sys.argv[sys.argv.index("--output-dir") + 1])
root = pathlib.Path.cwd()
(root / "index.html").write_text("partial")
(root / "report" / "muutokset.html").write_text("partial")
(root / "report" / "muutokset_files").mkdir(exist_ok=True)
out.mkdir(parents=True, exist_ok=True)
(out / "index.html").write_text("new site")
(root / ".fake-quarto.pid").write_text(str(os.getpid()))
print("[1/14] index.qmd", flush=True)
if os.environ.get("FAKE_QUARTO_HANG"):
    time.sleep(120)
for leftover in (root / "index.html", root / "report" / "muutokset.html"):
    leftover.unlink()
(root / "report" / "muutokset_files").rmdir()
print("Output created: " + str(out / "index.html"), flush=True)
'''


@pytest.fixture
def book_project(tmp_path, monkeypatch) -> Path:
    """A copy of the project (book sources, data) with a published site and a fake quarto on PATH."""
    project = tmp_path / "project"
    shutil.copytree(
        ROOT,
        project,
        ignore=shutil.ignore_patterns(
            ".venv",
            ".git",
            "_book*",
            "__pycache__",
            "benchmarks",
            ".quarto",
            "tests",
            ".hyte-cache",
        ),
    )
    (project / "_book").mkdir()
    (project / "_book" / "index.html").write_text("old site")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    quarto = bin_dir / "quarto"
    quarto.write_text(FAKE_QUARTO.replace("{python}", sys.executable))
    quarto.chmod(quarto.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("HYTE_ROOT", str(project))
    return project


def _source_tree(project: Path) -> set[str]:
    return {
        p.relative_to(project).as_posix()
        for folder in (project, project / "report")
        for p in folder.iterdir()
    }


def test_killed_quarto_keeps_the_previous_site_and_a_clean_source_tree(book_project, monkeypatch):
    monkeypatch.setenv("FAKE_QUARTO_HANG", "1")
    config = load_config(root=book_project)
    render.prepare(config, "laaja")  # the generated files exist before we take the listing
    before = _source_tree(book_project)
    caught: list[BaseException] = []

    def run() -> None:
        try:
            render.render(config, "laaja", "html", echo=lambda line: None)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            caught.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    pid_file = book_project / ".fake-quarto.pid"
    deadline = time.monotonic() + 30
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    assert (book_project / "_book.rendering" / "index.html").exists()  # it was mid-way
    os.kill(int(pid_file.read_text()), signal.SIGKILL)
    thread.join(30)
    pid_file.unlink()
    assert len(caught) == 1 and isinstance(caught[0], HyteError), caught
    assert "quarto render failed (exit -9)" in str(caught[0])
    assert "the previous site in _book is unchanged" in str(caught[0])
    assert (book_project / "_book" / "index.html").read_text() == "old site"
    assert not (book_project / "_book.rendering").exists()
    # no index.html, muutokset.html, *_files left (only the render log, in the ignored .hyte-cache)
    assert _source_tree(book_project) - {".hyte-cache"} == before


def test_ctrl_c_during_the_render_says_the_site_is_unchanged(book_project):
    config = load_config(root=book_project)

    def interrupted(command, cwd, env, echo):
        (Path(cwd) / "index.html").write_text("partial")
        (Path(cwd) / command[-1]).mkdir()
        raise KeyboardInterrupt

    with pytest.raises(render.RenderInterrupted) as exc:
        render.render(config, "laaja", "html", runner=interrupted)
    assert str(exc.value) == (
        f"the render was stopped; the previous site in {book_project / '_book'} is unchanged."
    )
    assert (book_project / "_book" / "index.html").read_text() == "old site"
    assert not (book_project / "index.html").exists()
    assert not (book_project / "_book.rendering").exists()


def test_a_successful_render_swaps_the_new_site_in(book_project):
    result = render.render(load_config(root=book_project), "laaja", "html", echo=lambda line: None)
    assert result.rendered
    assert (book_project / "_book" / "index.html").read_text() == "new site"
    assert (
        not (book_project / "_book.rendering").exists()
        and not (book_project / "_book.old").exists()
    )
    assert not (book_project / "index.html").exists()


def test_gitignore_has_the_lines_quarto_appends():
    lines = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "/.quarto/" in lines and "**/*.quarto_ipynb" in lines  # else every render edits it


# --- item 6: stale cards ---------------------------------------------------------------------------


@pytest.fixture
def cards_project(tmp_path, fixtures_dir, monkeypatch):
    root = tmp_path / "project"
    shutil.copytree(ROOT / "data" / "reference", root / "data" / "reference")
    (root / "hyte.yml").write_text("county: '15'\nsnapshot: pop\n", encoding="utf-8")
    _write_snapshot(root, fixtures_dir)
    monkeypatch.setenv("HYTE_ROOT", str(root))
    monkeypatch.setattr("hyte.run.batch.hyte_source_sha", lambda package=None: "fixed")
    return root


def _warning(notebook: Path) -> str | None:
    nb = nbformat.read(notebook, as_version=4)
    found = [c.source for c in nb.cells if (c.metadata.get("hyte") or {}).get("stale")]
    assert len(found) <= 1
    if found:
        assert nb.cells[0].cell_type == "raw" and nb.cells[1].source == found[0]  # after the title
    return found[0] if found else None


def test_stale_and_failed_cards_are_marked_and_current_ones_unmarked(cards_project, fixtures_dir):
    params = {"population_csv": str(fixtures_dir / POPULATION)}
    config = load_config(root=cards_project)
    run_cards(
        config, ["179", "435"], notebook=TEST_CARD, workers=1, progress=False, parameters=params
    )
    cards = cards_project / "municipal_cards"
    assert [c.reason for c in check_cards(config)] == [None, None]

    # another snapshot in hyte.yml: both cards are stale
    _write_snapshot(cards_project, fixtures_dir, name="pop2010", first_year=2010)
    (cards_project / "hyte.yml").write_text("county: '15'\nsnapshot: pop2010\n", encoding="utf-8")
    config = load_config(root=cards_project)
    stale = check_and_mark_cards(config)
    assert [s.code for s in stale] == ["179", "435"]
    assert "config" in stale[0].reason and "snapshot_manifest" in stale[0].reason
    text = _warning(cards / "179-jyvaskyla.ipynb")
    assert text.startswith("::: {.callout-warning}\n## Kortti ei ole ajan tasalla")
    assert "aineistosta pop" in text and "asetukset (hyte.yml), aineisto" in text

    # remade: current again, the warning is gone; a failed card keeps its old page, marked
    run_cards(
        config,
        ["179", "435"],
        notebook=TEST_CARD,
        workers=1,
        progress=False,
        parameters={**params, "fail_for": "435"},
    )
    stale = check_and_mark_cards(config)
    assert [s.code for s in stale] == ["435"]
    assert stale[0].reason.startswith("its last run failed (ValueError: card 435 fails on purpose)")
    assert _warning(cards / "179-jyvaskyla.ipynb") is None
    assert "viimeisin ajo epäonnistui" in _warning(cards / "435-luhanka.ipynb")


def test_a_card_without_a_manifest_entry_is_marked(cards_project, fixtures_dir):
    config = load_config(root=cards_project)
    run_cards(
        config,
        ["179"],
        notebook=TEST_CARD,
        workers=1,
        progress=False,
        parameters={"population_csv": str(fixtures_dir / POPULATION)},
    )
    manifest_path = cards_project / "municipal_cards" / MANIFEST_NAME
    manifest = json.loads(manifest_path.read_text())
    manifest["cards"] = {}
    manifest_path.write_text(json.dumps(manifest))
    stale = check_and_mark_cards(config)
    assert [s.reason for s in stale] == [
        "no record in the cards manifest (left by an interrupted run?)"
    ]
