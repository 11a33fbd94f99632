"""``hyte fetch``: replayed Sotkanet into a snapshot; an interrupted fetch harms nothing."""

import csv
import gzip
import json
import shutil

import pytest
from sotkanet_replay import SotkanetReplay, json_body
from typer.testing import CliRunner

from hyte.cli import app
from hyte.data.catalog import Catalog, Indicator, Label
from hyte.data.fetch import default_snapshot_id, fetch_snapshot, parse_years
from hyte.data.sotkanet import SotkanetClient
from hyte.errors import HyteError

YEARS = range(2005, 2024)


@pytest.fixture
def project(tmp_path, root):
    """A project folder with a copy of the real reference data and nothing else."""
    shutil.copytree(root / "data" / "reference", tmp_path / "data" / "reference")
    return tmp_path


@pytest.fixture
def replay(httpserver, fixtures_dir):
    return SotkanetReplay(httpserver, fixtures_dir)


def _client(replay, attempts=2):
    return SotkanetClient(replay.base_url, timeout=(2.0, 5.0), max_attempts=attempts, backoff=0.001)


def _fetch(replay, project, ids, snapshot_id="s1", **options):
    return fetch_snapshot(
        _client(replay),
        None,
        years=YEARS,
        snapshot_id=snapshot_id,
        root=project,
        indicators=ids,
        progress=False,
        **options,
    )


def _folder_bytes(folder):
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_full_fetch_builds_a_verified_snapshot_with_the_published_values(
    replay, project, fixtures_dir
):
    snapshot, report = _fetch(replay, project, [683, 127])
    assert snapshot.path == project / "data" / "snapshots" / "s1"
    assert snapshot.verify() == [] and snapshot.source == "sotkanet" and not snapshot.synthetic
    manifest = snapshot.manifest
    files = {f["path"]: f for f in manifest["files"]}
    assert set(files) == {
        "raw/regions.json.gz",
        "raw/indicator_683.json.gz",
        "raw/data_683.json.gz",
        "raw/indicator_127.json.gz",
        "raw/data_127.json.gz",
        "data.parquet",
    }
    data_683 = files["raw/data_683.json.gz"]
    assert data_683["url"].startswith(f"{replay.base_url}/json?indicator=683&years=2005&years=2006")
    assert data_683["fetched_at"].startswith("20")
    assert manifest["api_base_url"] == replay.base_url
    assert manifest["requested_years"] == list(YEARS) and manifest["genders"] == [
        "total",
        "male",
        "female",
    ]
    assert manifest["load_report"] == report.to_dict()
    title = manifest["indicators"]["683"]["title"]["fi"]
    assert title.startswith("Erityiskorvattaviin lääkkeisiin")
    assert manifest["indicators"]["127"]["organization"]["title"]["fi"] == "Tilastokeskus"
    # the raw file is the response as the server sent it
    raw = gzip.decompress((snapshot.path / "raw" / "data_683.json.gz").read_bytes())
    assert raw == json_body([r for r in replay.data[683] if r["year"] in YEARS])

    table = snapshot.table()
    with (fixtures_dir / "sotkanet_683_kainuu_2015_2023.csv").open(encoding="utf-8") as handle:
        kainuu = list(csv.DictReader(handle))
    for row in kainuu:
        if row["region_category"] in ("KUNTA", "HYVINVOINTIALUE", "MAA"):
            got = table[
                (table.indicator == 683)
                & (table.region_id == int(row["region"]))
                & (table.year == int(row["year"]))
            ]
            assert got.value.item() == float(row["value"]), row
            assert got["count"].item() == float(row["absValue"]), row
    kajaani = table[(table.indicator == 683) & (table.region_id == 94) & (table.year == 2023)].iloc[
        0
    ]
    assert (kajaani.region_code, kajaani.value, kajaani["count"]) == ("205", 12.1, 2386.0)
    assert len(table[(table.indicator == 683) & (table.region_level == "county")]) == 23 * 19
    country_2009 = table[(table.indicator == 127) & (table.region_id == 658)].value.item()
    assert country_2009 == 5351427
    # the /regions response names every region id except the three the 2009 /csv has and it lacks
    assert dict(report.unknown_regions) == {455: 1, 456: 1, 730: 1}
    assert report.other_levels["SEUTUKUNTA"] == 2 * 9 + 70 and report.other_levels["NUTS1"] == 9 + 2
    assert report.other_levels["KUNTA not in the 2026 division"] == 9
    assert report.rows_out == len(table)


def test_fetch_takes_the_catalog_indicators_by_default(replay, project):
    entry = dict(
        title_fi="Diabeteslääkkeisiin oikeutetut",
        title_sv="Rätt till diabetesläkemedel",
        short_fi="Diabetes",
        short_sv="Diabetes",
        value_type="PROS",
        unit_fi="%",
        unit_sv="%",
        decimals=1,
        polarity="lower_is_better",
        group="all",
        theme="health",
        ci_method="wilson",
        producer="Kela",
    )
    catalog = Catalog(
        groups={"all": Label(fi="Koko väestö", sv="Hela befolkningen")},
        themes={"health": Label(fi="Terveys", sv="Hälsa")},
        indicators=[Indicator(id=683, **entry)],
    )
    snapshot, _ = fetch_snapshot(
        _client(replay), catalog, years=[2023], snapshot_id="cat", root=project, progress=False
    )
    assert replay.requests() == ["regions", "indicators/683", "json:683"]
    assert snapshot.manifest["requested_indicators"] == [683]


def test_interrupted_fetch_keeps_the_old_snapshot_and_a_rerun_resumes(replay, project):
    old, _ = _fetch(replay, project, [683], snapshot_id="s")
    before = _folder_bytes(old.path)

    replay.always_fail["json:127"] = 500  # the 2nd indicator's data never comes
    replay.log.clear()
    with pytest.raises(HyteError) as caught:
        _fetch(replay, project, [683, 127, 186], snapshot_id="s", replace=True)
    message = str(caught.value)
    assert message.startswith("Indicator 127 (2/3) could not be fetched: Sotkanet did not answer")
    assert "HTTP 500" in message and "--snapshot-id s" in message and "resume" in message
    assert replay.requests("json") == ["json:683", "json:127", "json:127"]
    assert _folder_bytes(old.path) == before
    assert (project / "data" / "snapshots" / ".partial-s" / "raw" / "data_683.json.gz").is_file()

    del replay.always_fail["json:127"]
    replay.log.clear()
    snapshot, _ = _fetch(replay, project, [683, 127, 186], snapshot_id="s", replace=True)
    assert replay.requests() == ["json:127", "indicators/186", "json:186"]
    assert snapshot.verify() == [] and snapshot.manifest["resumed_files"] == 4
    assert set(snapshot.table().indicator) == {683, 127}
    assert set(snapshot.manifest["indicators"]) == {"683", "127", "186"}
    assert not (project / "data" / "snapshots" / ".partial-s").exists()


def test_ctrl_c_leaves_the_work_and_a_changed_request_is_fetched_again(replay, project):
    client = _client(replay)
    original = client.data

    def interrupted(indicator, *args, **kwargs):
        if indicator == 127:
            raise KeyboardInterrupt
        return original(indicator, *args, **kwargs)

    client.data = interrupted
    with pytest.raises(KeyboardInterrupt):
        fetch_snapshot(
            client,
            None,
            years=YEARS,
            snapshot_id="c",
            root=project,
            indicators=[683, 127],
            progress=False,
        )
    assert not (project / "data" / "snapshots" / "c").exists()
    replay.log.clear()
    # other years: the saved data of 683 no longer matches the request; the metadata of both does
    snapshot, _ = fetch_snapshot(
        _client(replay),
        None,
        years=[2023],
        snapshot_id="c",
        root=project,
        indicators=[683, 127],
        progress=False,
    )
    assert replay.requests() == ["json:683", "json:127"]
    assert set(snapshot.table().year) == {2023}

    # a resumed run that no longer asks for 127 does not carry its saved responses along
    client.data = interrupted
    with pytest.raises(KeyboardInterrupt):
        fetch_snapshot(
            client,
            None,
            years=YEARS,
            snapshot_id="d",
            root=project,
            indicators=[683, 127],
            progress=False,
        )
    snapshot, _ = fetch_snapshot(
        _client(replay),
        None,
        years=YEARS,
        snapshot_id="d",
        root=project,
        indicators=[683],
        progress=False,
    )
    assert sorted(p.name for p in (snapshot.path / "raw").iterdir()) == [
        "data_683.json.gz",
        "indicator_683.json.gz",
        "regions.json.gz",
    ]
    assert snapshot.verify() == [] and set(snapshot.manifest["indicators"]) == {"683"}


def test_restart_fetches_everything_again(replay, project):
    replay.always_fail["json:127"] = 503
    with pytest.raises(HyteError):
        _fetch(replay, project, [683, 127], snapshot_id="r")
    del replay.always_fail["json:127"]
    replay.log.clear()
    _fetch(replay, project, [683, 127], snapshot_id="r", resume=False)
    assert replay.requests() == [
        "regions",
        "indicators/683",
        "json:683",
        "indicators/127",
        "json:127",
    ]


def test_years_and_ids():
    assert parse_years("2010-2013") == [2010, 2011, 2012, 2013]
    assert parse_years("2019, 2015,2019") == [2015, 2019]
    with pytest.raises(HyteError, match="--years '2013-2010'"):
        parse_years("2013-2010")
    with pytest.raises(HyteError, match="write a range like 2010-2025"):
        parse_years("viime vuosi")
    assert default_snapshot_id().startswith("sotkanet-20")


def test_bad_snapshot_id_and_no_indicators(replay, project):
    with pytest.raises(HyteError, match="Snapshot id '../x' is not usable"):
        _fetch(replay, project, [683], snapshot_id="../x")
    with pytest.raises(HyteError, match="No indicators to fetch"):
        _fetch(replay, project, [], snapshot_id="x")
    assert replay.log == []


def test_cli_fetch_prints_the_report_and_how_to_use_the_snapshot(replay, project, monkeypatch):
    monkeypatch.setenv("HYTE_ROOT", str(project))
    result = CliRunner().invoke(
        app,
        [
            "fetch",
            "--years",
            "2022-2023",
            "-i",
            "683",
            "--snapshot-id",
            "cli",
            "--base-url",
            replay.base_url,
        ],
    )
    assert result.exit_code == 0, result.output
    assert "rows read" in result.output and "set `snapshot: cli` in hyte.yml" in result.output
    manifest_path = project / "data" / "snapshots" / "cli" / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    assert manifest["requested_years"] == [2022, 2023]

    result = CliRunner().invoke(
        app, ["fetch", "-i", "999999", "--snapshot-id", "bad", "--base-url", replay.base_url]
    )
    assert result.exit_code == 2
    assert "Indicator 999999 (1/1) could not be fetched" in result.output
    assert "Traceback" not in result.output
