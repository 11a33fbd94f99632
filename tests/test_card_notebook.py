"""The card notebook run with papermill: a small demo municipality (Luhanka 435) and real Sotkanet data
(indicator 683, Kainuu, imported from ../shared/fixtures) for Kajaani (205) in county 20.

Checks: no error outputs; Quarto-ready figures (unique fig-<code>-... ids, Finnish captions, alt
texts, files present); the front matter; and that the card's CSV holds the source rows' numbers.
"""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from hyte.card import card

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "municipal_card.ipynb"
KAINUU = "sotkanet_683_kainuu_2015_2023.csv"
FINNISH = re.compile(r"[a-zåäö]{3,}", re.IGNORECASE)


def run_card(out: Path, **parameters):
    import papermill

    return papermill.execute_notebook(
        str(NOTEBOOK),
        str(out / "card.ipynb"),
        parameters={**parameters, "output_dir": str(out)},
        kernel_name="python3",
        cwd=str(ROOT),
        progress_bar=False,
    )


def errors(nb) -> list[str]:
    return [
        f"{o.get('ename')}: {o.get('evalue')}"
        for c in nb.cells
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
        or (o.get("output_type") == "stream" and o.get("name") == "stderr")
    ]


def check_figures(nb, code: str, out: Path) -> list[dict]:
    texts = card.markdown_outputs(nb)
    found = [f for text in texts for f in card.figures_in(text)]
    ids = [f["id"] for f in found]
    assert ids and len(ids) == len(set(ids)), ids
    for figure in found:
        assert figure["id"].startswith(f"fig-{code}-")
        assert len(FINNISH.findall(figure["caption"])) >= 3, figure
        assert len(figure["alt"]) > 40 and FINNISH.search(figure["alt"]), figure
        assert (out / figure["path"]).is_file()
    return found


def code_cells_are_thin_and_hidden():
    import nbformat

    nb = nbformat.read(NOTEBOOK, as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "code" and {"parameters", "remove-cell"} <= set(first.metadata.tags)
    for cell in nb.cells[1:]:
        if cell.cell_type == "code":
            lines = [line for line in cell.source.splitlines() if line.strip()]
            assert "#| echo: false" in lines and "#| output: asis" in lines
            assert len([line for line in lines if not line.startswith("#|")]) <= 5


def test_notebook_cells():
    code_cells_are_thin_and_hidden()


@pytest.mark.slow
def test_demo_card_for_a_small_municipality(tmp_path):
    nb = run_card(tmp_path, municipality="435")
    assert errors(nb) == []
    texts = card.markdown_outputs(nb)
    assert "callout" not in texts[0]  # the demo warning: page banner (HTML) and footer (PDF)
    names = {f["id"] for f in check_figures(nb, "435", tmp_path)}
    assert {"fig-435-spine", "fig-435-sukupuolet"} <= names
    assert any(name.startswith("fig-435-lapset-nuoret") for name in names)
    joined = "\n".join(texts)
    assert "{#tbl-435-indikaattorit" in joined and "{#tbl-435-hyte-kerroin " in joined
    assert "### Vahvuudet" in joined or "Yhdessäkään indikaattorissa" in joined
    # one notebook, two layouts: the full card for HTML and the print layout for typst
    sources = [c.source for c in nb.cells]
    assert '::: {.content-visible unless-format="typst"}' in "\n".join(sources)
    assert '::: {.content-visible when-format="typst"}' in joined
    assert "{#tbl-435-tiivis" in joined and "{#fig-435-spine-print" in joined

    card.finalize_notebook(nb)
    assert card.load_front_matter(nb) == {
        "title": "Luhanka",
        "subtitle": "Kuntakortti · Keski-Suomen hyvinvointialue · 2026",
        "lang": "fi",
    }
    removed = [c for c in nb.cells if "remove-cell" in c.get("metadata", {}).get("tags", [])]
    assert {t for c in removed for t in c.metadata.tags} >= {"parameters", "injected-parameters"}

    data = pd.read_csv(tmp_path / "435-luhanka.csv")
    assert set(data["municipality"]) == {"Luhanka"} and len(data) >= 40


@pytest.fixture(scope="module")
def kainuu_snapshot(tmp_path_factory, fixtures_dir) -> Path:
    """Real Sotkanet data (683, Kainuu 2015–2023) imported into a snapshot of a scratch project."""
    from hyte.data.importer import import_files

    project = tmp_path_factory.mktemp("kainuu")
    shutil.copytree(ROOT / "data" / "reference", project / "data" / "reference")
    snapshot, _ = import_files([fixtures_dir / KAINUU], snapshot_id="kainuu-683", root=project)
    return snapshot.path


@pytest.mark.slow
def test_real_kainuu_card_for_kajaani(tmp_path, kainuu_snapshot, fixtures_dir):
    nb = run_card(tmp_path, municipality="205", snapshot=str(kainuu_snapshot), county="20")
    assert errors(nb) == []
    texts = card.markdown_outputs(nb)
    joined = "\n".join(texts)
    assert "Esimerkkiaineisto" not in joined  # real data: no demo banner
    assert "ei tietoa tässä aineistossa (Sotkanet-indikaattori 127 puuttuu)" in texts[0]
    assert "Kainuun hyvinvointialue" in texts[0]
    assert "Pääindikaattoreista ei ole kunnan tietoja" in joined
    assert "**Puuttuvat indikaattorit:**" in joined and "kainuu-683" in joined
    check_figures(nb, "205", tmp_path)

    with (fixtures_dir / KAINUU).open(encoding="utf-8") as handle:
        source = {
            (r["region"], r["year"]): r
            for r in csv.DictReader(handle)
            if r["indicator"] == "683" and r["gender"] == "total"
        }
    kajaani, kainuu, finland = (
        source[("94", "2023")],
        source[("962", "2023")],
        source[("658", "2023")],
    )
    data = pd.read_csv(tmp_path / "205-kajaani.csv")
    assert list(data["indicator"]) == [683]
    line = data.iloc[0]
    assert line["municipality_code"] == 205 and line["county_code"] == 20
    assert int(line["year"]) == 2023
    assert line["value"] == float(kajaani["value"]) == 12.1
    assert line["count"] == float(kajaani["absValue"]) == 2386
    assert line["county_value"] == float(kainuu["value"]) == 12.9
    assert line["country_value"] == float(finland["value"]) == 11.8
    assert line["snapshot_id"] == "kainuu-683"
    # the peers are Kainuu's 8 municipalities of 2026 (Vaala, now in North Ostrobothnia, is not)
    peers_2023 = [
        float(r["value"])
        for (region, year), r in source.items()
        if year == "2023" and r["region_category"] == "KUNTA" and r["region_code"] != "785"
    ]
    assert line["peer_n"] == len(peers_2023) == 8
    assert line["peer_min"] == min(peers_2023) and line["peer_max"] == max(peers_2023)
    # the same numbers, Finnish-formatted, in the card's table
    # (the HTML card's full table first, then the print layout's compact table)
    table_line, compact_line = [
        t for t in joined.splitlines() if t.startswith("| Diabeteslääkkeiden")
    ]
    cells = [c.strip() for c in table_line.strip("|").split("|")]
    assert cells[1:3] == ["2023", "12,1"] and cells[4:7] == ["2\u00a0386", "12,9", "11,8"]
    assert re.fullmatch(r"11,\d–12,\d", cells[3])  # the Wilson interval around 12,1
    compact = [c.strip() for c in compact_line.strip("|").split("|")]
    assert compact[1:5] == ["2023", "12,1", "12,9", "11,8"]

    card.finalize_notebook(nb)
    # the data (2023) are much older than the reporting year: the subtitle says so
    assert (
        card.load_front_matter(nb)["subtitle"]
        == "Kuntakortti · Kainuun hyvinvointialue · 2026 · tiedot vuosilta 2023"
    )
