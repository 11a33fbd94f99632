"""The Sotkanet REST 1.1 client against a replay server of real responses, and its parsers."""

import csv
import json
import math

import pytest
from sotkanet_replay import SotkanetReplay

from hyte.data.sotkanet import (
    DEFAULT_USER_AGENT,
    MAX_RETRY_AFTER,
    SotkanetClient,
    _retry_after,
    parse_csv_rows,
    parse_json_rows,
    region_categories,
)
from hyte.data.tidy import tidy_from_rows
from hyte.errors import HyteError


@pytest.fixture
def replay(httpserver, fixtures_dir):
    return SotkanetReplay(httpserver, fixtures_dir)


def _client(replay, **options):
    settings = {"timeout": (2.0, 5.0), "max_attempts": 3, "backoff": 0.001, **options}
    return SotkanetClient(replay.base_url, **settings)


def test_data_request_repeats_years_and_genders_and_sends_a_user_agent(replay):
    response = _client(replay).data(683, [2023, 2021, 2022], genders=("total", "male"))
    path, args, headers = replay.log[-1]
    assert path == "json"
    assert args == {
        "indicator": ["683"],
        "years": ["2021", "2022", "2023"],
        "genders": ["total", "male"],
    }
    assert headers["User-Agent"] == DEFAULT_USER_AGENT and DEFAULT_USER_AGENT.startswith("hyte/")
    assert response.url.endswith(
        "/json?indicator=683&years=2021&years=2022&years=2023&genders=total&genders=male"
    )
    # 16 Kainuu-file regions + 22 other counties per year (962 is in both files) = 38 × 3 years
    assert len(response.data) == 38 * 3
    assert json.loads(response.raw) == [
        {k: r[k] for k in ("indicator", "region", "year", "gender", "value", "absValue")}
        for r in response.data
    ]


def test_kajaani_2023_row_arrives_as_published(replay, fixtures_dir):
    with (fixtures_dir / "sotkanet_683_kainuu_2015_2023.csv").open(encoding="utf-8") as handle:
        published = next(
            r for r in csv.DictReader(handle) if r["region"] == "94" and r["year"] == "2023"
        )
    rows = _client(replay).data(683, [2023], genders=("total",)).data
    kajaani = next(r for r in rows if r["region"] == 94)
    assert kajaani["value"] == float(published["value"]) == 12.1
    assert kajaani["absValue"] == int(published["absValue"]) == 2386


def test_metadata_and_regions_endpoints(replay):
    client = _client(replay)
    listing = client.indicators().data
    assert len(listing) == 62 and {4, 127, 683} <= {i["id"] for i in listing}
    mortality = client.indicator(186).data
    assert mortality["id"] == 186 and mortality["decimals"] == 1
    assert mortality["range"] == {"start": 1990, "end": 2024} and "indicator_id" not in mortality
    assert mortality["primaryValueType"]["code"] == "PER100000"
    regions = client.regions().data
    assert len(regions) == 511
    assert next(r for r in regions if r["id"] == 658)["category"] == "MAA"


def test_429_with_retry_after_then_success(replay):
    replay.failures["json:683"].extend([429])
    replay.retry_after = "0"
    response = _client(replay, backoff=30.0).data(683, [2023])  # Retry-After wins over the backoff
    assert replay.requests("json") == ["json:683", "json:683"]
    assert len(response.data) > 0


def test_retry_after_header_forms():
    assert _retry_after("0") == 0 and _retry_after("7") == 7
    assert _retry_after("86400") == MAX_RETRY_AFTER  # never hang for a day
    assert _retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0  # a date in the past
    assert _retry_after("soon") is None and _retry_after(None) is None


def test_contact_goes_into_the_user_agent(replay):
    _client(replay, contact="hyte@hyvaks.fi").regions()
    assert replay.log[-1][2]["User-Agent"] == f"{DEFAULT_USER_AGENT} contact: hyte@hyvaks.fi"


def test_two_server_errors_then_success(replay):
    replay.failures["regions"].extend([500, 500])
    response = _client(replay).regions()
    assert replay.requests() == ["regions"] * 3
    assert len(response.data) == 511


def test_persistent_503_is_one_clear_error_naming_the_url(replay):
    replay.always_fail["indicators/683"] = 503
    client = _client(replay)
    with pytest.raises(HyteError) as caught:
        client.indicator(683)
    message = str(caught.value)
    assert f"{replay.base_url}/indicators/683" in message and "HTTP 503" in message
    assert "3 attempt" in message and "\n" not in message
    assert replay.requests() == ["indicators/683"] * 3


def test_client_error_is_not_retried(replay):
    with pytest.raises(HyteError, match=r"indicators/999999: HTTP 404"):
        _client(replay).indicator(999999)
    assert len(replay.log) == 1


def test_read_timeout_is_retried_then_reported(replay):
    replay.delay = 0.3
    client = _client(replay, timeout=(1.0, 0.05), max_attempts=2)
    calls = []
    original = client.session.get
    client.session.get = lambda *a, **k: calls.append(a) or original(*a, **k)
    with pytest.raises(HyteError, match=r"/regions: timed out .* after 2 attempt"):
        client.regions()
    assert len(calls) == 2


def test_truncated_json_is_a_clear_error(replay):
    replay.truncate = True
    with pytest.raises(HyteError) as caught:
        _client(replay).data(683, [2015, 2016])
    message = str(caught.value)
    assert "/json?indicator=683" in message and "not valid JSON at line 1" in message
    assert "cut short" in message


def test_json_that_is_not_a_list_of_rows():
    with pytest.raises(HyteError, match="saved.json: expected a JSON list of data rows, got dict"):
        parse_json_rows(b'{"indicator": 683}', "saved.json")
    with pytest.raises(HyteError, match="saved.json: row 2 is int"):
        parse_json_rows(b'[{"indicator": 683, "region": 94, "year": 2023}, 5]', "saved.json")


def test_rows_without_value_are_kept_empty_and_counted(replay, regions):
    kajaani_2015 = next(r for r in replay.data[683] if r["region"] == 94 and r["year"] == 2015)
    del kajaani_2015["value"]  # how /json shows a suppressed value
    rows = _client(replay).data(683, [2015], genders=("total",)).data
    table, report = tidy_from_rows(rows, regions)
    kajaani = table[(table.region_id == 94) & (table.year == 2015)].iloc[0]
    assert math.isnan(kajaani.value) and kajaani["count"] == 2128
    assert report.missing_value == 1
    assert "1 rows without a value (suppressed or missing) kept as empty" in report.lines()


def test_rest_csv_response_parses(replay):
    response = _client(replay).data(127, [2009], genders=("total",), fmt="csv")
    assert response.url.split("?")[0].endswith("/csv")
    assert response.raw.startswith(b"indicator;region;year;gender;primary value;absolute value")
    rows = response.data
    assert len(rows) == 466
    country = next(r for r in rows if r["region"] == "658")
    assert country == {
        "indicator": "127",
        "region": "658",
        "year": "2009",
        "gender": "total",
        "value": "5351427",
        "absValue": None,
    }


def test_csv_header_variants_and_extra_columns(fixtures_dir, regions):
    payload = (fixtures_dir / "sotkanet_683_kainuu_2015_2023.csv").read_bytes()
    kainuu = parse_csv_rows(payload, "k.csv")
    assert len(kainuu) == 144
    assert set(kainuu[0]) == {"indicator", "region", "year", "gender", "value", "absValue"}
    dotted = (
        b"indicator,region,year,gender,primary.value,absolute.value,region.title.fi\n"
        b"683,94,2023,total,12.1,2386,Kajaani\n683,54,2023,total,,,Hyrynsalmi\n"
    )
    rows = parse_csv_rows(dotted, "dotted.csv")
    assert rows[0]["value"] == "12.1" and rows[0]["absValue"] == "2386"
    assert rows[1]["value"] is None and rows[1]["absValue"] is None
    table, _ = tidy_from_rows(rows, regions)
    assert table.set_index("region_id").loc[94, "count"] == 2386
    with pytest.raises(HyteError, match=r"bad.csv: no column for value in the header \(region, "):
        parse_csv_rows(b"region,year\n94,2023\n", "bad.csv")


def test_region_categories_from_regions_response(fixtures_dir, regions):
    listing = json.loads((fixtures_dir / "sotkanet_regions_2015.json").read_text(encoding="utf-8"))
    categories = region_categories(listing, regions)
    assert categories[587] == "SEUTUKUNTA" and categories[727] == "NUTS1"
    assert categories[278] == "KUNTA not in the 2026 division"  # Pertunmaa, merged 2025
    assert 94 not in categories and 658 not in categories  # reported on, not "other"
