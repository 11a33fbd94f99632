"""Indicators from outside Sotkanet: the local catalog, the CSV import, and a HYTE-kerroin computed
with local process-indicator values."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from hyte.cli import app
from hyte.data.catalog import load_catalog
from hyte.data.local import (
    LocalIndicator,
    load_local_catalog,
    local_code,
    local_id,
    read_values,
    shown_id,
    values_path,
    with_local,
)
from hyte.errors import HyteError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "docs" / "examples"


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project using the demo snapshot, with the example local catalog in data/local/."""
    project = tmp_path / "project"
    shutil.copytree(ROOT / "data" / "reference", project / "data" / "reference")
    (project / "data" / "local").mkdir(parents=True)
    shutil.copy(EXAMPLES / "local_indicators.yml", project / "data" / "local" / "indicators.yml")
    kerroin = yaml.safe_load((ROOT / "data" / "hyte_kerroin.yml").read_text(encoding="utf-8"))
    for entry, code in zip(
        [e for e in kerroin["indicators"] if e["role"] == "process"], ["L01", "L02", "L03", "L04"]
    ):
        entry["indicator"] = code
    (project / "data" / "hyte_kerroin.yml").write_text(
        yaml.safe_dump(kerroin, allow_unicode=True), encoding="utf-8"
    )
    (project / "hyte.yml").write_text(
        f"county: '15'\nsnapshot: {ROOT / 'data' / 'demo'}\n"
        f"catalog: {ROOT / 'data' / 'indicators.yml'}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("HYTE_ROOT", str(project))
    monkeypatch.chdir(project)
    return project


def _cli(*args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


def test_local_codes_map_to_fixed_ids_and_back():
    assert local_id("L01") == 900_620_001
    for code in ("L01", "L1", "L0001", "THL12", "A9999", "ZZZ1"):
        assert local_code(local_id(code)) == code
    assert local_id("L01") != local_id("L1")
    assert shown_id(3219) == "3219" and shown_id(local_id("L03")) == "L03"
    with pytest.raises(ValueError, match="1–3 capital letters and 1–4 digits"):
        local_id("l-01")


def test_local_catalog_entries(tmp_path):
    catalog = load_catalog(ROOT / "data" / "indicators.yml")
    local = load_local_catalog(EXAMPLES / "local_indicators.yml", catalog)
    assert [i.code for i in local] == ["L01", "L02", "L03", "L04"]
    first = local[0]
    assert isinstance(first, LocalIndicator)
    assert first.short_sv == first.short_fi and first.ci_method.value == "none"
    assert first.producer == "THL, HYTE-kerroinraportti" and first.hyte_kerroin.value == "process"
    merged = with_local(catalog, local)
    assert local_id("L02") in merged and len(merged) == len(catalog) + 4
    bad = tmp_path / "indicators.yml"
    bad.write_text(
        "indicators:\n  - {code: L01, title_fi: Testi, short_fi: Testi, value_type: PROS,"
        " unit_fi: '%', decimals: 1, polarity: up, group: koko_vaesto, theme: palvelut,"
        " source: X}\n",
        encoding="utf-8",
    )
    with pytest.raises(HyteError, match=r"indicator #1 \(code L01\): field 'polarity'"):
        load_local_catalog(bad, catalog)


GOOD_AND_BAD = """\
indicator;region;year;sex;value;count;source;licence
L01;15;2024;total;23,4;;THL, HYTE-kerroinraportti 2025;CC BY 4.0
L01;77;2024;total;20,0;;THL;CC BY 4.0
L09;15;2024;total;1,0;;THL;CC BY 4.0
L02;15;24;total;12;;THL;CC BY 4.0
L03;15;2024;naiset;noin 95;;THL;CC BY 4.0
L03;15;2024;;195;;THL;CC BY 4.0
3219;179;2024;total;8,7;1210;Jyväskylän kaupunki;
L01;15;2024;yhteensä;23,5;;THL;CC BY 4.0
"""


def test_a_csv_with_good_and_bad_rows_is_refused_whole(project, tmp_path):
    path = tmp_path / "arvot.csv"
    path.write_text(GOOD_AND_BAD, encoding="utf-8")
    code, output = _cli("import", "--local", path)
    assert code == 2
    assert "7 problem(s); nothing was imported:" in output
    expected = [
        (
            f"{path}: row 2 (line 3): field 'region': unknown county code '77'; a municipality code "
            'has 3 digits with leading zeros ("077")'
        ),
        (
            f"{path}: row 3 (line 4): field 'indicator': 'L09' is not in the catalog; add it to "
            "data/local/indicators.yml first"
        ),
        f"{path}: row 4 (line 5): field 'year': '24' is not a year",
        f"{path}: row 5 (line 6): field 'value': 'noin 95' is not a number",
        f"{path}: row 6 (line 7): field 'value': 195 is not a percentage (0–100) although L03 is in %",
        f"{path}: row 7 (line 8): field 'licence': empty",
        f"{path}: row 8 (line 9): the same indicator, region, year and sex as row 1; keep one",
    ]
    flat = " ".join(output.split())
    for line in expected:
        assert " ".join(line.split()) in flat, line
    assert not values_path(project).exists()


def test_a_good_csv_is_merged_with_provenance(project, tmp_path):
    path = tmp_path / "arvot.csv"
    path.write_text(
        "\n".join(GOOD_AND_BAD.splitlines()[:2]) + "\n"
        "3219;179;2024;total;8,7;1210;Jyväskylän kaupunki;CC BY 4.0\n",
        encoding="utf-8",
    )
    code, output = _cli("import", "--local", path)
    assert code == 0, output
    assert "2 rows read; 2 added, 0 changed, 0 unchanged" in output
    values = read_values(project)
    assert list(values["indicator"]) == ["3219", "L01"]
    row = values[values["indicator"] == "L01"].iloc[0]
    assert (
        row["region_code"],
        row["region_level"],
        int(row["year"]),
        row["sex"],
        row["value"],
    ) == ("15", "county", 2024, "total", 23.4)
    assert row["source"] == "THL, HYTE-kerroinraportti 2025" and row["licence"] == "CC BY 4.0"
    assert row["file"] == "arvot.csv"
    code, output = _cli("import", "--local", path)
    assert "0 added, 0 changed, 2 unchanged" in output
    path.write_text(path.read_text(encoding="utf-8").replace("23,4", "24,0"), encoding="utf-8")
    code, output = _cli("import", "--local", path)
    assert (
        "0 added, 1 changed, 1 unchanged" in output and "L01 15 2024 total: 23.4 → 24.0" in output
    )

    from hyte.context import load_context

    ctx = load_context()
    table = ctx.table
    local_rows = table[table["indicator"] == local_id("L01")]
    assert list(local_rows["value"]) == [24.0] and list(local_rows["region_level"]) == ["county"]
    # The snapshot (demo) has 3219 for Jyväskylä 2024: its own value is kept, the local one shadowed.
    snapshot = ctx.snapshot.table()
    own = snapshot[
        (snapshot["indicator"] == 3219)
        & (snapshot["region_code"] == "179")
        & (snapshot["year"] == 2024)
        & (snapshot["sex"] == "total")
    ]["value"]
    kept = table[
        (table["indicator"] == 3219)
        & (table["region_code"] == "179")
        & (table["year"] == 2024)
        & (table["sex"] == "total")
    ]["value"]
    assert list(kept) == list(own) and 8.7 not in list(kept)


def test_hyte_kerroin_with_local_process_indicators(project):
    code, output = _cli("import", "--local", EXAMPLES / "local_values_example.csv")
    assert code == 0, output
    assert "88 rows read; 88 added" in output

    from hyte.context import load_context
    from hyte.kerroin.model import for_context

    run = for_context(load_context())
    result = run.result
    row = result.table.loc["15"]
    assert row["coverage"] == pytest.approx(1.0)
    assert bool(row["complete"])
    assert not [m for m in result.missing if m.code == "15"]
    # Process half by hand: minmax over the 22 counties' values, equal weights, half 0.5.
    csv = pd.read_csv(EXAMPLES / "local_values_example.csv", dtype={"region": str})
    csv["region"] = csv["region"].str.zfill(2)
    subs = []
    for code_ in ["L01", "L02", "L03", "L04"]:
        values = csv[csv["indicator"] == code_].set_index("region")["value"]
        subs.append((values["15"] - values.min()) / (values.max() - values.min()))
    assert row["process"] == pytest.approx(100 * 0.5 * np.mean(subs), abs=1e-9)
    assert row["score"] == pytest.approx(row["process"] + row["outcome"], abs=1e-9)

    sys.path.insert(0, str(Path(__file__).parent))
    from chapter_runner import run_chapter

    printed = "\n".join(
        run_chapter(ROOT / "report" / "hyte-kerroin.qmd", root=project)["__outputs__"]
    )
    provenance = printed[: printed.index(": HYTE-kertoimen arvojen lähteet")]
    line = next(
        x for x in provenance.splitlines()[::-1] if x.startswith("| Elintapaneuvonta tyypin 2")
    )
    assert "| L01 | 2024 | 22 |" in line
    assert "22 arvoa tuotu Sotkanetin ulkopuolelta: ESIMERKKI" in line
    assert "tiedosto local\\_values\\_example.csv" in line


def test_the_card_and_the_appendix_name_the_local_source(project, tmp_path):
    _cli("import", "--local", EXAMPLES / "local_values_example.csv")
    from hyte.card import card

    kortti = card.open_card("179", config_path=project / "hyte.yml", output_dir=tmp_path / "card")
    text = kortti.local_sources().data
    assert text.startswith("**Sotkanetin ulkopuoliset indikaattorit:**")
    assert (
        "**L01 Elintapaneuvonta, T2D-riski:** ESIMERKKI – keksitty arvo ei todellinen "
        "(ei lisenssiä (keksitty)), vuodet 2024."
    ) in text

    sys.path.insert(0, str(Path(__file__).parent))
    from chapter_runner import run_chapter

    printed = "\n".join(
        run_chapter(ROOT / "report" / "liite-indikaattorit.qmd", root=project)["__outputs__"]
    )
    assert "**L03 MPR-rokotuskattavuus:** ESIMERKKI" in printed
    assert "| L03 | MPR-rokotuskattavuus, % |" in printed
