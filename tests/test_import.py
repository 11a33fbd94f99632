"""``hyte import``: real Sotkanet files saved by hand become verified snapshots; problems told."""

import csv
import gzip
import hashlib
import json
import shutil

import pytest
from sotkanet_replay import json_body, rows_683
from typer.testing import CliRunner

from hyte.cli import app
from hyte.data.importer import import_files
from hyte.errors import HyteError

KAINUU = "sotkanet_683_kainuu_2015_2023.csv"
COUNTIES = "sotkanet_683_hyvinvointialueet_2005_2023.csv"
POPULATION = "sotkanet_127_population_municipalities_2000_2022.csv"
REST_CSV = "sotkanet_rest_csv_127_2009_all_regions.csv"
REGIONS = "sotkanet_regions_2015.json"


@pytest.fixture
def project(tmp_path, root):
    shutil.copytree(root / "data" / "reference", tmp_path / "data" / "reference")
    return tmp_path


def _rows(path, delimiter=","):
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


def _value(table, region_id, year, indicator=None):
    mask = (table.region_id == region_id) & (table.year == year)
    if indicator is not None:
        mask &= table.indicator == indicator
    return table[mask].iloc[0]


def test_kainuu_683(project, fixtures_dir):
    snapshot, report = import_files([fixtures_dir / KAINUU], snapshot_id="k", root=project)
    assert snapshot.verify() == [] and snapshot.source == "import"
    table = snapshot.table()
    municipalities = set(table[table.region_level == "municipality"].region_name)
    assert municipalities == {
        "Hyrynsalmi",
        "Kajaani",
        "Kuhmo",
        "Paltamo",
        "Puolanka",
        "Ristijärvi",
        "Sotkamo",
        "Suomussalmi",
        "Vaala",
    }
    assert set(table[table.region_level == "county"].region_id) == {962}
    assert set(table[table.region_level == "country"].region_id) == {658}
    kept = 0
    for row in _rows(fixtures_dir / KAINUU):
        if row["region_category"] in ("KUNTA", "HYVINVOINTIALUE", "MAA"):
            got = _value(table, int(row["region"]), int(row["year"]))
            assert (got.value, got["count"]) == (float(row["value"]), float(row["absValue"]))
            kept += 1
    assert kept == len(table) == 11 * 9
    # seutukunnat, maakunta, hospital district and Manner-Suomi named by the file's region_category
    assert dict(report.other_levels) == {
        "SEUTUKUNTA": 18,
        "MAAKUNTA": 9,
        "SAIRAANHOITOPIIRI": 9,
        "NUTS1": 9,
    }
    assert not report.unknown_regions and report.rows_in == 144


def test_all_counties_683(project, fixtures_dir):
    snapshot, report = import_files([fixtures_dir / COUNTIES], snapshot_id="c", root=project)
    table = snapshot.table()
    assert set(table.region_level) == {"county"} and table.region_id.nunique() == 23
    assert 956 in set(table.region_id)  # Åland appears as a county in Sotkanet
    assert len(table) == 437 == report.rows_out
    for row in _rows(fixtures_dir / COUNTIES):
        got = _value(table, int(row["region"]), int(row["year"]))
        assert got.value == float(row["value"]) and got["count"] == float(row["absValue"])
        assert got.region_code == row["region_code"].zfill(2)


def test_population_table_without_indicator_column(project, fixtures_dir):
    with pytest.raises(
        HyteError,
        match=f"{POPULATION}: the file has municipality codes but no "
        "indicator column; give the Sotkanet id with --indicator",
    ):
        import_files([fixtures_dir / POPULATION], snapshot_id="p", root=project)
    snapshot, report = import_files(
        [fixtures_dir / POPULATION], snapshot_id="p", root=project, indicator=127
    )
    table = snapshot.table()
    assert set(table.indicator) == {127} and table.region_id.nunique() == 308
    assert dict(report.unknown_municipality_codes) == {"588": 23}  # Pertunmaa, merged in 2025
    assert any("588" in line and "not in the 2026 division" in line for line in report.lines())
    assert report.rows_in == 7107 and report.rows_out == 7084
    published = next(
        r
        for r in _rows(fixtures_dir / POPULATION)
        if r["municipality_code"] == "179" and r["year"] == "2022"
    )
    jyvaskyla = _value(table, 85, 2022)
    assert jyvaskyla.region_name == "Jyväskylä"
    assert jyvaskyla.value == float(published["primary.value"]) == 145887
    alajarvi = _value(table, 2, 2000)  # code 5 without its zeros
    assert alajarvi.region_code == "005" and alajarvi.value == 11503
    assert snapshot.manifest["load_report"]["unknown_municipality_codes"] == {"588": 23}


def test_rest_csv_2009_with_the_regions_response(project, fixtures_dir):
    snapshot, report = import_files(
        [fixtures_dir / REST_CSV, fixtures_dir / REGIONS], snapshot_id="r", root=project
    )
    table = snapshot.table()
    assert dict(report.unknown_regions) == {730: 1, 455: 1, 456: 1}
    assert report.other_levels["KUNTA not in the 2026 division"] == 9
    assert report.other_levels["SEUTUKUNTA"] == 70 and report.other_levels["MAAKUNTA"] == 19
    assert report.rows_in == 466
    country = _value(table, 658, 2009).value
    assert country == 5351427
    # the 317 municipalities of 2009 add up to the country; the 9 since merged away are left out
    source = _rows(fixtures_dir / REST_CSV, delimiter=";")
    listing = json.loads((fixtures_dir / REGIONS).read_text(encoding="utf-8"))
    municipal_ids = {r["id"] for r in listing if r["category"] == "KUNTA"}
    kept_ids = set(table[table.region_level == "municipality"].region_id)
    left_out = sum(
        float(r["primary value"])
        for r in source
        if int(r["region"]) in municipal_ids and int(r["region"]) not in kept_ids
    )
    municipal = table[table.region_level == "municipality"].value.sum()
    assert len(kept_ids) == 308 and left_out == 43262
    assert municipal == country - left_out == 5308165
    assert table["count"].isna().all()  # 'absolute value' is empty in every row


def test_rest_csv_alone_reports_ids_it_cannot_name(project, fixtures_dir):
    _, report = import_files([fixtures_dir / REST_CSV], snapshot_id="r", root=project)
    # 278 Pertunmaa, 587 a seutukunta: without /regions hyte cannot tell what they are
    assert {730, 455, 456, 587, 278} <= set(report.unknown_regions)
    assert report.rows_out == 309


def test_inputs_are_copied_into_raw(project, fixtures_dir):
    paths = [fixtures_dir / KAINUU, fixtures_dir / REGIONS]
    snapshot, _ = import_files(paths, snapshot_id="raw", root=project)
    files = {f["path"]: f for f in snapshot.manifest["files"]}
    for path in paths:
        entry = files[f"raw/{path.name}.gz"]
        stored = gzip.decompress((snapshot.path / entry["path"]).read_bytes())
        assert stored == path.read_bytes()
        assert entry["original_sha256"] == hashlib.sha256(stored).hexdigest()
    assert [i["format"] for i in snapshot.manifest["inputs"]] == ["rows", "regions"]


def test_saved_json_response_gives_the_same_table_as_the_csv(project, fixtures_dir, tmp_path):
    saved = tmp_path / "data_683.json"
    saved.write_bytes(json_body([r for r in rows_683(fixtures_dir) if r["year"] >= 2015]))
    gz = tmp_path / "data_683.json.gz"
    gz.write_bytes(gzip.compress(saved.read_bytes()))
    from_json = import_files([saved], snapshot_id="j", root=project)[0].table()
    from_gz = import_files([gz], snapshot_id="g", root=project)[0].table()
    from_csv = import_files([fixtures_dir / KAINUU], snapshot_id="k", root=project)[0].table()
    kainuu_ids = set(from_csv.region_id)
    assert from_json.equals(from_gz)
    assert from_json[from_json.region_id.isin(kainuu_ids)].reset_index(drop=True).equals(from_csv)


def test_bad_rows_are_reported_with_file_and_row(project, tmp_path):
    path = tmp_path / "hand.csv"
    path.write_text(
        "indicator;region;year;gender;primary value;absolute value\n"
        "683;94;2023;total;12,1;2386\n"
        "683;54;20x3;total;14.0;250\n"
        "683;156;2023;total;11.4\n",
        encoding="utf-8",
    )
    snapshot, report = import_files([path], snapshot_id="h", root=project)
    assert report.bad_rows[0].startswith(
        "hand.csv row 2: invalid literal for int() with base 10: '20x3'"
    )
    assert report.bad_rows[1] == "hand.csv row 3: 5 cells for 6 columns"
    assert any(line.startswith("bad row: hand.csv row 2") for line in report.lines())
    table = snapshot.table()
    assert len(table) == 1 and table.value.item() == 12.1  # decimal comma read as 12.1
    assert snapshot.manifest["load_report"]["bad_rows"] == report.bad_rows

    codes = tmp_path / "codes.csv"  # a left-out code before a bad row does not shift its number
    codes.write_text(
        "municipality_code,primary.value,year\n588,1983,2009\n179,x,2009\n5,9,2009\n",
        encoding="utf-8",
    )
    snapshot, report = import_files(
        [codes], snapshot_id="h", root=project, indicator=127, replace=True
    )
    assert [b.split(":")[0] for b in report.bad_rows] == ["codes.csv row 2"]
    assert report.rows_in == 3 and report.rows_out == 1
    assert snapshot.table().region_code.tolist() == ["005"]


def test_files_that_cannot_be_used_are_clear_errors(project, tmp_path, fixtures_dir):
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("region,year,value\nKajaani,2023,12.1\nKuhmo,2023,11.0\n", encoding="utf-8")
    with pytest.raises(HyteError, match="wrong.csv: no usable row"):
        import_files([wrong], snapshot_id="w", root=project, indicator=683)
    cut = tmp_path / "cut.json"
    cut.write_bytes(json_body(rows_683(fixtures_dir))[:500])
    with pytest.raises(HyteError, match=r"cut.json: not valid JSON at line 1 .*cut short"):
        import_files([cut], snapshot_id="w", root=project)
    with pytest.raises(HyteError, match="missing.csv: no such file"):
        import_files([tmp_path / "missing.csv"], snapshot_id="w", root=project)
    with pytest.raises(HyteError, match="None of the files holds data rows"):
        import_files([fixtures_dir / REGIONS], snapshot_id="w", root=project)
    assert not (project / "data" / "snapshots" / "w").exists()
    assert not (project / "data" / "snapshots" / ".partial-w").exists()


def test_cli_import(project, fixtures_dir, monkeypatch):
    monkeypatch.setenv("HYTE_ROOT", str(project))
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["import", str(fixtures_dir / POPULATION), "--indicator", "127", "--snapshot-id", "vaesto"],
    )
    assert result.exit_code == 0, result.output
    assert "7107 rows read, 7084 kept" in result.output and "(588)" in result.output
    assert "set `snapshot: vaesto` in hyte.yml" in result.output
    result = runner.invoke(app, ["import", str(fixtures_dir / POPULATION), "--snapshot-id", "x"])
    assert result.exit_code == 2 and "--indicator" in result.output
    assert "Traceback" not in result.output
