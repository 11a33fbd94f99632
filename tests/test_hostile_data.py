"""Issue 10 items 4, 7 and 8: files exported from Excel, bad values and existing snapshots.

Real rows: the Kainuu 683 export in ../shared/fixtures (Kajaani 2015: 10.7, count 2128).
"""

from __future__ import annotations

import json
import shutil

import pytest
from sotkanet_replay import SotkanetReplay, json_body
from typer.testing import CliRunner

from hyte.cli import app
from hyte.data.fetch import fetch_snapshot
from hyte.data.importer import import_files
from hyte.data.snapshot import open_snapshot
from hyte.data.sotkanet import SotkanetClient
from hyte.errors import HyteError

KAINUU = "sotkanet_683_kainuu_2015_2023.csv"
KAJAANI = 94


@pytest.fixture
def project(tmp_path, root):
    shutil.copytree(root / "data" / "reference", tmp_path / "data" / "reference")
    return tmp_path


def _kajaani_2015(snapshot):
    table = snapshot.table()
    row = table[(table.region_id == KAJAANI) & (table.year == 2015)].iloc[0]
    return row.value, row["count"]


# --- item 7: encodings and binary files -----------------------------------------------------------


@pytest.mark.parametrize(
    "encoding, newline",
    [
        ("utf-8", "\n"),
        ("utf-8-sig", "\r\n"),
        ("utf-16", "\r\n"),
        ("utf-16-le", "\n"),
        ("latin-1", "\r"),
        ("utf-8", "\r"),
    ],
)
def test_import_reads_excel_encodings_and_any_line_ends(
    project, fixtures_dir, tmp_path, encoding, newline
):
    text = (fixtures_dir / KAINUU).read_text(encoding="utf-8")
    path = tmp_path / "export.csv"
    path.write_bytes(newline.join(text.splitlines()).encode(encoding))
    snapshot, report = import_files([path], snapshot_id="e", root=project)
    assert _kajaani_2015(snapshot) == (10.7, 2128.0)
    assert report.rows_in == 144 and not report.bad_rows
    assert "Ristijärvi" in set(snapshot.table().region_name)


def test_excel_unicode_text_export_tab_separated_utf16(project, fixtures_dir, tmp_path):
    text = (fixtures_dir / KAINUU).read_text(encoding="utf-8").replace(",", "\t")
    path = tmp_path / "unicode.txt"
    path.write_bytes(text.replace("\n", "\r\n").encode("utf-16"))
    snapshot, _ = import_files([path], snapshot_id="u", root=project)
    assert _kajaani_2015(snapshot) == (10.7, 2128.0)


@pytest.mark.parametrize(
    "head, kind",
    [
        (b"PK\x03\x04\x14\x00\x06\x00", "an Excel workbook (.xlsx)"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel workbook (.xls)"),
        (b"\x00\x01\x02\x03garbage\x00\x00\xff", "a binary file, not text"),
    ],
)
def test_xlsx_and_binary_files_are_refused_clearly(project, tmp_path, head, kind):
    path = tmp_path / "data.csv"
    path.write_bytes(head + b"\x00" * 64)
    with pytest.raises(HyteError) as exc:
        import_files([path], snapshot_id="x", root=project)
    message = str(exc.value)
    assert message.startswith(f"{path}: ") and kind in message and "\n" not in message
    assert not (project / "data" / "snapshots" / "x").exists()


def test_decimal_commas_in_a_comma_separated_file_get_a_hint(project, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_text(
        "indicator,region,year,gender,value,absValue\n"
        "683,94,2015,total,10,7,2128\n683,156,2015,total,11.0,669\n",
        encoding="utf-8",
    )
    _, report = import_files([path], snapshot_id="d", root=project)
    assert report.bad_rows == [
        (
            "excel.csv row 1: 7 cells for 6 columns (decimal commas in a "
            "comma-separated file? Use ';' as the separator, or decimal points)"
        )
    ]
    assert report.rows_out == 1


def test_damaged_manifest_is_one_line(tmp_path):
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "manifest.json").write_bytes(
        '{"snapshot_id": "s", "note": "Väestö"}'.encode("latin-1")
    )
    with pytest.raises(HyteError, match=r"manifest.json: not UTF-8 text: the snapshot is damaged"):
        open_snapshot(folder)
    (folder / "manifest.json").write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(
        HyteError, match=r"manifest.json: a manifest is a JSON object, this is a list"
    ):
        open_snapshot(folder)


def test_malformed_base_url_is_one_line(project):
    client = SotkanetClient("sotkanet.fi rest")
    with pytest.raises(HyteError, match=r"--base-url 'sotkanet.fi rest' is not a usable URL"):
        fetch_snapshot(
            client,
            None,
            years=[2015],
            snapshot_id="b",
            root=project,
            indicators=[683],
            progress=False,
        )


# --- item 8: bad values ------------------------------------------------------------------------------


def test_import_keeps_good_rows_and_reports_bad_values_by_file_and_row(project, tmp_path):
    path = tmp_path / "hand.csv"
    path.write_text(
        "indicator;region;year;gender;primary value;absolute value\n"
        "683;94;2015;total;10.7;2128\n"
        "683;156;2015;total;11.0;-669\n"
        "683;54;1066;total;15.2;272\n"
        "683;266;2015;total;inf;353\n"
        "683;54;2015;total;Infinity;272\n"
        "683;94;2016;total;1e400;2000\n"
        "683;94;2017;total;10.9;1e400\n",
        encoding="utf-8",
    )
    snapshot, report = import_files([path], snapshot_id="v", root=project)
    assert report.bad_rows == [
        "hand.csv row 2: absValue '-669' is negative (a count is 0 or more)",
        "hand.csv row 3: year 1066 is outside 1900–2100",
        "hand.csv row 4: value 'inf' is not a finite number",
        "hand.csv row 5: value 'Infinity' is not a finite number",
        "hand.csv row 6: value '1e400' is not a finite number",
        "hand.csv row 7: absValue '1e400' is not a finite number",
    ]
    assert _kajaani_2015(snapshot) == (10.7, 2128.0) and len(snapshot.table()) == 1
    assert report.lines()[:2] == [
        "7 rows read, 1 kept",
        ("6 bad rows left out (listed below and in the snapshot's manifest, load_report)"),
    ]


def test_import_refuses_rows_of_another_indicator_than_given(project, tmp_path):
    path = tmp_path / "two.csv"
    path.write_text(
        "indicator;region;year;gender;primary value;absolute value\n"
        "683;94;2015;total;10.7;2128\n127;94;2015;total;37000;37000\n",
        encoding="utf-8",
    )
    snapshot, report = import_files([path], snapshot_id="i", root=project, indicator=683)
    assert report.bad_rows == ["two.csv row 2: indicator '127', not the 683 given with --indicator"]
    assert snapshot.table().indicator.unique().tolist() == [683]


@pytest.fixture
def replay(httpserver, fixtures_dir):
    return SotkanetReplay(httpserver, fixtures_dir)


def test_fetch_keeps_good_rows_and_names_the_response_file_and_row(replay, project):
    good = replay.data[683]
    replay.data[683] = [
        *good[:2],
        {
            "indicator": 683,
            "region": KAJAANI,
            "year": 2016,
            "gender": "total",
            "value": 10.0,
            "absValue": -5,
        },
        {
            "indicator": 999,
            "region": KAJAANI,
            "year": 2017,
            "gender": "total",
            "value": 10.0,
            "absValue": 5,
        },
        *good[2:],
    ]
    answer = replay._answer
    sent = []

    def with_1066(path, args):  # Sotkanet filters by year; a broken server may not
        body, mimetype = answer(path, args)
        if path == "json":
            rows = json.loads(body) + [
                {"indicator": 683, "region": KAJAANI, "year": 1066, "gender": "total", "value": 1.0}
            ]
            body = json_body(rows)
            sent.append(len(rows))
        return body, mimetype

    replay._answer = with_1066
    client = SotkanetClient(replay.base_url, timeout=(2.0, 5.0), max_attempts=1)
    snapshot, report = fetch_snapshot(
        client,
        None,
        years=range(2015, 2024),
        snapshot_id="f",
        root=project,
        indicators=[683],
        progress=False,
    )
    assert report.bad_rows == [
        "data_683.json.gz row 3: absValue -5 is negative (a count is 0 or more)",
        "data_683.json.gz row 4: indicator 999, not the 683 requested",
        f"data_683.json.gz row {sent[0]}: year 1066 is outside 1900–2100",
    ]
    assert _kajaani_2015(snapshot) == (10.7, 2128.0)
    assert snapshot.manifest["load_report"]["bad_rows"] == report.bad_rows


# --- item 4: an existing snapshot is not replaced silently ------------------------------------------


def test_existing_snapshot_id_is_refused_unless_replace(project, fixtures_dir, tmp_path):
    first, _ = import_files([fixtures_dir / KAINUU], snapshot_id="same", root=project)
    rows = len(first.table())
    small = tmp_path / "small.csv"
    small.write_text(
        "indicator;region;year;gender;primary value;absolute value\n"
        "683;94;2015;total;10.7;2128\n683;156;2015;total;11.0;669\n",
        encoding="utf-8",
    )
    with pytest.raises(HyteError) as exc:
        import_files([small], snapshot_id="same", root=project)
    assert str(exc.value).startswith("Snapshot 'same' already exists (")
    assert "--replace" in str(exc.value)
    assert len(open_snapshot(project / "data" / "snapshots" / "same").table()) == rows == 99

    # --replace: while the new one is built the old one stays; a failing build leaves it intact
    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"PK\x03\x04" + b"\x00" * 20)
    with pytest.raises(HyteError):
        import_files([small, broken], snapshot_id="same", root=project, replace=True)
    assert len(open_snapshot(project / "data" / "snapshots" / "same").table()) == 99
    replaced, _ = import_files([small], snapshot_id="same", root=project, replace=True)
    assert len(replaced.table()) == 2


def test_cli_refuses_a_second_import_the_same_day(project, fixtures_dir, monkeypatch):
    monkeypatch.setenv("HYTE_ROOT", str(project))
    runner = CliRunner()
    assert runner.invoke(app, ["import", str(fixtures_dir / KAINUU)]).exit_code == 0
    second = runner.invoke(app, ["import", str(fixtures_dir / KAINUU)])
    assert second.exit_code != 0 and "already exists" in second.output
    assert "Traceback" not in second.output
    third = runner.invoke(app, ["import", str(fixtures_dir / KAINUU), "--replace"])
    assert third.exit_code == 0, third.output


def test_fetch_refuses_an_existing_snapshot_before_asking_the_server(replay, project):
    client = SotkanetClient(replay.base_url, timeout=(2.0, 5.0), max_attempts=1)
    fetch_snapshot(
        client,
        None,
        years=[2015],
        snapshot_id="day",
        root=project,
        indicators=[683],
        progress=False,
    )
    asked = len(replay.log)
    with pytest.raises(HyteError, match="Snapshot 'day' already exists"):
        fetch_snapshot(
            client,
            None,
            years=[2015],
            snapshot_id="day",
            root=project,
            indicators=[683],
            progress=False,
        )
    assert len(replay.log) == asked
