"""The book's chapters executed by hyte (hyte.book.chapters, hyte.book.qmd): the same content as a
fresh kernel per chapter (the way Quarto ran them), nothing executed when nothing changed, one changed
chapter rerun alone, a failing chapter keeping its previous good output, and a converter that loses
nothing.

The engine runs on the real chapters and the demo data in a temporary copy of the project."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import nbformat
import pytest
from chapter_runner import python_cells

from hyte.book import files as book
from hyte.book import prerender, render
from hyte.book.chapters import (
    STALE_CELL_ID,
    profile_chapters,
    run_chapters,
)
from hyte.book.qmd import cell_options, notebook_to_qmd, qmd_to_notebook, split_qmd
from hyte.config import load_config

ROOT = Path(__file__).resolve().parents[1]
DATA = ["reference", "demo", "plan", "indicators.yml", "labels.yml", "hyte_kerroin.yml"]
SOURCES = sorted(
    ["index.qmd", *(p.relative_to(ROOT).as_posix() for p in ROOT.glob("report/*.qmd"))]
)


def _project(tmp_path: Path, chapters: list[str], monkeypatch) -> Path:
    """A copy of the project (data linked, chapters copied) whose laaja profile lists ``chapters``
    (sources) and the two appendices of _quarto.yml."""
    root = tmp_path / "project"
    (root / "data" / "snapshots").mkdir(parents=True)
    for name in DATA:
        (root / "data" / name).symlink_to(ROOT / "data" / name)
    (root / "report").mkdir()
    (root / "styles").symlink_to(ROOT / "styles")  # the summary chapter prints the typst rules
    for name in ["hyte.yml", "_quarto.yml", "_brand.yml", "index.qmd"]:
        shutil.copy(ROOT / name, root / name)
    for path in ROOT.glob("report/*.qmd"):
        shutil.copy(path, root / "report" / path.name)
    listed = "\n".join(f"    - {c[: -len('.qmd')]}.ipynb" for c in chapters)
    (root / "_quarto-laaja.yml").write_text(f"book:\n  chapters:\n{listed}\n", encoding="utf-8")
    monkeypatch.setenv("HYTE_ROOT", str(root))
    monkeypatch.delenv("QUARTO_PROFILE", raising=False)
    # Other work on hyte's sources must not change the keys during a test.
    monkeypatch.setattr("hyte.run.batch.hyte_source_sha", lambda package=None: "fixed")
    return root


def _outputs(nb) -> list[list[tuple]]:
    """Every code cell's outputs as comparable values: stream text, and each displayed MIME type's data
    (figures as their decoded PNG bytes)."""
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        values = []
        for output in cell.outputs:
            if output.output_type == "stream":
                values.append(("stream", output.name, output.text))
            elif output.output_type in ("display_data", "execute_result"):
                for mime, data in sorted(output.data.items()):
                    if mime.startswith("image/"):
                        data = base64.b64decode(data)
                    values.append((output.output_type, mime, data))
            else:
                values.append((output.output_type, output.get("ename"), output.get("evalue")))
        cells.append(values)
    return cells


def _figure_files(root: Path) -> dict[str, bytes]:
    folder = root / "report" / "_kuvat"
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*"))} if folder.is_dir() else {}


# --- (1) the same content as before --------------------------------------------------------------


def test_engine_makes_what_a_fresh_kernel_per_chapter_made(tmp_path, monkeypatch):
    """Each chapter run the old way (its notebook in a fresh kernel, in order, from the project
    root, as Quarto's Jupyter engine ran it) and by the warm engine: the same text and figure data."""
    from nbclient import NotebookClient

    chosen = [
        "report/lahtokohdat.qmd",
        "report/vaestoryhmat.qmd",  # figures displayed in the notebook
        "report/alueelliset-erot.qmd",  # figure files (heat map, maps) under report/_kuvat
        "report/hyvinvointisuunnitelma.qmd",
    ]
    root = _project(tmp_path, chosen, monkeypatch)
    monkeypatch.setenv("QUARTO_PROFILE", "laaja")  # as Quarto sets it for the kernel
    before = {}
    for source in chosen:
        nb = qmd_to_notebook((root / source).read_text(encoding="utf-8"), source=source)
        NotebookClient(
            nb, kernel_name="python3", timeout=600, resources={"metadata": {"path": str(root)}}
        ).execute()
        before[source] = nb
    old_files = _figure_files(root)
    assert len(old_files) >= 5  # the heat map and the maps
    shutil.rmtree(root / "report" / "_kuvat")
    monkeypatch.delenv("QUARTO_PROFILE")

    result = run_chapters(load_config(root=root), "laaja", progress=False, workers=2)

    assert result.failed == [] and len(result.ok) == len(chosen) + 2  # + the two appendices
    import json

    manifest = json.loads(result.manifest_path.read_text(encoding="utf-8"))
    for source in chosen:
        cached = manifest["chapters"][f"laaja:{source}"]["cached"]
        made = nbformat.read(root / cached, as_version=4)
        assert _outputs(made) == _outputs(before[source]), source
        assert [c.source for c in made.cells] == [c.source for c in before[source].cells]
        assert notebook_to_qmd(made) == (root / source).read_text(encoding="utf-8")
        # the page Quarto renders: the same outputs, and every code cell hidden, warnings off
        shown = nbformat.read(root / (source[: -len(".qmd")] + ".ipynb"), as_version=4)
        assert _outputs(shown) == _outputs(made)
        for cell in shown.cells:
            if cell.cell_type == "code":
                options = cell_options(cell.source)
                assert options["echo"] == "false" and options["warning"] == "false", cell.source
    assert _figure_files(root) == old_files
    figures = [
        v
        for cell in _outputs(before["report/vaestoryhmat.qmd"])
        for v in cell
        if v[1] == "image/png"
    ]
    assert len(figures) >= 3 and all(data[:8] == b"\x89PNG\r\n\x1a\n" for *_, data in figures)
    # the figure files the regional chapter shows are recorded, so a skip checks they still exist
    files = manifest["chapters"]["laaja:report/alueelliset-erot.qmd"]["files"]
    assert sorted(Path(f).name for f in files) == sorted(old_files)


# --- (2), (3) incremental runs and failures --------------------------------------------------------


def test_nothing_changed_executes_nothing_and_a_failure_keeps_the_old_output(tmp_path, monkeypatch):
    chosen = ["report/lahtokohdat.qmd", "report/hyvinvointisuunnitelma.qmd"]
    root = _project(tmp_path, chosen, monkeypatch)
    config = load_config(root=root)
    first = run_chapters(config, "laaja", progress=False)
    expected = [c.notebook for c in profile_chapters(root, "laaja")]
    assert first.failed == [] and first.executed == 4 and first.written == expected

    # (2) nothing changed: nothing runs, no worker or kernel is started
    def no_execution(*args, **kwargs):
        raise AssertionError("a chapter was executed although nothing changed")

    with monkeypatch.context() as patched:
        patched.setattr("hyte.run.batch._execute", no_execution)
        again = run_chapters(config, "laaja", progress=False)
    assert again.executed == 0 and not again.kernels_started and again.workers == 0
    assert len(again.skipped) == 4 and again.written == []

    # one chapter's text changes: only it reruns
    source = root / "report" / "lahtokohdat.qmd"
    source.write_text(
        source.read_text(encoding="utf-8") + "\nUusi kappale analyytikolta.\n", encoding="utf-8"
    )
    changed = run_chapters(config, "laaja", progress=False)
    assert [c.code for c in changed.ok] == ["report/lahtokohdat.qmd"]
    assert len(changed.skipped) == 3 and changed.written == ["report/lahtokohdat.ipynb"]
    assert "Uusi kappale analyytikolta." in (root / "report" / "lahtokohdat.ipynb").read_text(
        encoding="utf-8"
    )

    # (3) a chapter that fails keeps its previous good output (marked), the others are made
    plan = root / "report" / "hyvinvointisuunnitelma.qmd"
    good = nbformat.read(root / "report" / "hyvinvointisuunnitelma.ipynb", as_version=4)
    plan.write_text(
        plan.read_text(encoding="utf-8") + '\n```{python}\nraise ValueError("rikki")\n```\n',
        encoding="utf-8",
    )
    source.write_text(source.read_text(encoding="utf-8") + "\nToinen kappale.\n", encoding="utf-8")
    failed = run_chapters(config, "laaja", progress=False)
    assert [c.code for c in failed.failed] == ["report/hyvinvointisuunnitelma.qmd"]
    assert [c.code for c in failed.ok] == ["report/lahtokohdat.qmd"]
    assert failed.exit_code == 1
    line = failed.summary_lines()[-1]
    assert line.startswith("FAILED report/hyvinvointisuunnitelma.qmd: cell ")
    assert "ValueError: rikki" in line and "previous good output" in line
    shown = nbformat.read(root / "report" / "hyvinvointisuunnitelma.ipynb", as_version=4)
    warning = [c for c in shown.cells if c.get("id") == STALE_CELL_ID]
    assert len(warning) == 1 and "Luku ei ole ajan tasalla" in warning[0].source
    assert "ValueError: rikki" in warning[0].source
    assert _outputs(
        nbformat.from_dict({"cells": [c for c in shown.cells if c.get("id") != STALE_CELL_ID]})
    ) == _outputs(good)
    assert (root / failed.failed[0].failed_notebook).is_file()
    # ... and it stays failed (and marked) until fixed, without rerunning the others
    still = run_chapters(config, "laaja", progress=False)
    assert [c.code for c in still.failed] == ["report/hyvinvointisuunnitelma.qmd"]
    assert len(still.skipped) == 3


def test_a_chapter_that_never_ran_is_a_page_saying_so(tmp_path, monkeypatch):
    root = _project(tmp_path, ["report/uusi.qmd"], monkeypatch)
    (root / "report" / "uusi.qmd").write_text(
        "# Uusi luku {#sec-uusi}\n\n```{python}\n#| output: asis\nprint(1 / 0)\n```\n",
        encoding="utf-8",
    )
    result = run_chapters(load_config(root=root), "laaja", progress=False)
    assert [c.code for c in result.failed] == ["report/uusi.qmd"]
    assert "ZeroDivisionError" in result.failed[0].error and result.failed[0].cell == 2
    page = nbformat.read(root / "report" / "uusi.ipynb", as_version=4)
    text = "\n".join(c.source for c in page.cells)
    assert text.startswith("# Uusi luku {#sec-uusi}") and "Lukua ei voitu tehdä" in text
    assert all(c.cell_type == "markdown" for c in page.cells)


def test_a_listed_chapter_without_source_is_one_line(tmp_path, monkeypatch):
    from hyte.errors import HyteError

    root = _project(tmp_path, ["report/puuttuu.qmd"], monkeypatch)
    with pytest.raises(HyteError, match=r"report/puuttuu\.qmd\. Restore them"):
        run_chapters(load_config(root=root), "laaja", progress=False)


# --- (4) the converter ------------------------------------------------------------------------------

HOSTILE = (
    "---\ntitle: \"Otsikko: 'x'\"\n---\n\n"
    "# Luku {#sec-x}\r\n\r\nTeksti ```{python} keskellä riviä.\n\n"
    '```{python}\n#| label: fig-a\n#| fig-cap: "Kuvio: a, b & <c> – ä"\n#| output: asis\n'
    "print('```')\n\n\n```\n"
    "```{python}\n```\n"
    "```{python}\n\n```\n"
    "````markdown\n```{python}\nliteral()\n```\n````\n\n"
    "~~~\n```{python}\nalso_literal()\n~~~\n"
    '```{=typst}\n#set text(lang: "fi")\n```\n\n'
    '::: {.content-visible when-profile="vuosiraportti"}\nVain vuosiraportissa.\n:::\n'
    "```{python echo=false}\nx = 1\n```\n"
    '`````{python}\n#| include: false\ns = "```"\n`````\n'
    "Loppu ilman rivinvaihtoa\u00a0\u200b\x00"
)


def test_converter_keeps_every_character():
    nb = qmd_to_notebook(HOSTILE, source="x.qmd")
    assert notebook_to_qmd(nb) == HOSTILE
    nb = nbformat.reads(nbformat.writes(nb), as_version=4)  # through the file format too
    nbformat.validate(nb)
    assert notebook_to_qmd(nb) == HOSTILE
    kinds = [(c.cell_type, c.source) for c in nb.cells]
    assert kinds[0] == ("raw", "---\ntitle: \"Otsikko: 'x'\"\n---")
    code = [s for t, s in kinds if t == "code"]
    assert code == [
        "#| label: fig-a\n#| fig-cap: \"Kuvio: a, b & <c> – ä\"\n#| output: asis\nprint('```')\n\n",
        "",
        "",
        "x = 1",
        '#| include: false\ns = "```"',
    ]
    assert cell_options(code[0]) == {
        "label": "fig-a",
        "fig-cap": '"Kuvio: a, b & <c> – ä"',
        "output": "asis",
    }
    markdown = "".join(s for t, s in kinds if t == "markdown")
    for literal in (
        "literal()",
        "also_literal()",
        '#set text(lang: "fi")',
        "Vain vuosiraportissa.",
    ):
        assert literal in markdown
    assert all(not c.metadata for c in nb.cells)  # Quarto would forward cell metadata as attributes


def test_an_unclosed_cell_and_plain_text_round_trip():
    for text in [
        "",
        "\n",
        "vain tekstiä",
        "```{python}\nx = 1",
        "# A\n```{python}\n",
        "---\nx: 1\n",
    ]:
        assert notebook_to_qmd(qmd_to_notebook(text)) == text, repr(text)
    assert [p["type"] for p in split_qmd("---\nx: 1\n")] == ["markdown"]  # not closed: text


@pytest.mark.parametrize("source", SOURCES)
def test_every_real_chapter_converts_losslessly(source):
    text = (ROOT / source).read_text(encoding="utf-8")
    nb = qmd_to_notebook(text, source=source)
    assert notebook_to_qmd(nb) == text
    assert [c.source for c in nb.cells if c.cell_type == "code"] == [
        cell.rstrip("\n") for cell in python_cells(ROOT / source)
    ]


# --- (5) the chapter lists -----------------------------------------------------------------------------


@pytest.mark.parametrize("profile", book.PROFILES)
def test_the_chapters_made_are_the_profiles_chapter_list(profile):
    listed = book.listed_chapters(ROOT, profile)
    chapters = profile_chapters(ROOT, profile)
    assert [c.notebook for c in chapters] == listed  # every listed chapter, none twice, in order
    assert [c.source for c in chapters] == book.book_chapters(ROOT, profile)
    for chapter in chapters:
        assert chapter.notebook.endswith(".ipynb") and (ROOT / chapter.source).is_file()
        assert Path(chapter.notebook).parent == Path(chapter.source).parent  # figure paths resolve
    assert listed[0] == "index.ipynb"  # a Quarto book's index stays at the project root
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "/index.ipynb" in ignored and "/report/*.ipynb" in ignored


def test_render_and_the_hook_execute_the_chapters_unless_told(monkeypatch, tmp_path):
    calls = []

    def fake_run(config, profile, **kwargs):
        calls.append(profile)
        from hyte.book.chapters import ChaptersResult

        return ChaptersResult(profile=profile)

    monkeypatch.setattr("hyte.book.chapters.run_chapters", fake_run)
    monkeypatch.setattr(book, "write_generated", lambda cfg, profile: None)
    monkeypatch.setattr(book, "sync_card_list", lambda cfg: None)
    monkeypatch.setattr(book, "missing_files", lambda root, profile: [])
    monkeypatch.setattr("hyte.plan.consistency.check_plan_county", lambda cfg: None)
    config = load_config(root=ROOT)
    monkeypatch.delenv("HYTE_SKIP_CHAPTERS")
    assert prerender.run({"QUARTO_PROFILE": "vuosiraportti"}, config=config, echo=lambda _: 0) == 0
    profile, made = render.prepare(config, "laaja")
    assert calls == ["vuosiraportti", "laaja"] and made.profile == "laaja"
    # Quarto's own pre-render hook then skips them: hyte has just made them
    assert render.quarto_environment({})["HYTE_SKIP_CHAPTERS"] == "1"
    assert prerender.run({"HYTE_SKIP_CHAPTERS": "1"}, config=config, echo=lambda _: 0) == 0
    assert calls == ["vuosiraportti", "laaja"]


def test_the_whole_country_has_no_chapters(tmp_path, monkeypatch):
    from hyte.errors import HyteError

    root = _project(tmp_path, ["report/lahtokohdat.qmd"], monkeypatch)
    (root / "hyte.yml").write_text("county: all\nsnapshot: demo\n", encoding="utf-8")
    with pytest.raises(HyteError, match="county: all makes the cards"):
        run_chapters(load_config(root=root), "laaja", progress=False)
