"""Reference data against Statistics Finland's published classification (real fixture)."""

import csv

import pytest

from hyte.data.regions import COUNTY, MUNICIPALITY, normalise_municipality_code
from hyte.errors import HyteError


def _published(fixtures_dir, name):
    with (fixtures_dir / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_municipalities_match_the_2026_classification(regions, fixtures_dir):
    published = _published(fixtures_dir, "municipalities_2026.csv")
    assert len(regions.municipalities) == len(published) == 308
    for row in published:
        m = regions.municipality(row["municipality_code"])
        assert m.name_fi == row["name_fi"].strip()
        assert m.name_sv == row["name_sv"].strip()
        assert m.county_code == row["hyvinvointialue_code"]
        assert m.language_code == row["kielisuhde_code"]
        assert m.sotkanet_id == int(row["sotkanet_region_id"])


def test_counties_match_sotkanet_ids(regions, fixtures_dir):
    published = _published(fixtures_dir, "sotkanet_hyvinvointialue_region_ids.csv")
    assert len(regions.counties) == 23
    for row in published:
        county = regions.county(row["uusi_code"])
        assert county.sotkanet_id == int(row["uusi_id"])
        assert county.sotkanet_id_old == (int(row["vanha_id"]) if row["vanha_id"] else None)
    assert len(regions.wellbeing_counties()) == 22


def test_keski_suomi_has_its_22_municipalities(regions):
    members = regions.county_municipalities("15")
    assert len(members) == 22
    assert members[0].name_fi == "Hankasalmi" and members[-1].name_fi == "Äänekoski"
    assert {m.code: m.sotkanet_id for m in members}["179"] == 85
    assert regions.county("15").sotkanet_id == 965


def test_lookup_by_sotkanet_id(regions):
    assert regions.by_sotkanet_id(85).level == MUNICIPALITY
    assert regions.by_sotkanet_id(965).level == COUNTY
    assert regions.by_sotkanet_id(658).code == "SSS"
    assert regions.by_sotkanet_id(504) is None  # maakunta Kainuu: not a reporting level


def test_swedish_speaking_municipalities(regions, fixtures_dir):
    published = _published(fixtures_dir, "municipalities_2026.csv")
    swedish = {r["municipality_code"] for r in published if r["kielisuhde_code"] in {"2", "3"}}
    assert {c for c, m in regions.municipalities.items() if m.language == "sv"} == swedish
    assert len(swedish) == 31  # 16 on Åland + 15 bilingual with a Swedish majority


@pytest.mark.parametrize(
    "given, expected", [("5", "005"), (5, "005"), ("005", "005"), ("179.0", "179")]
)
def test_codes_without_leading_zeros(given, expected):
    assert normalise_municipality_code(given) == expected


def test_unknown_municipality_is_one_clear_line(regions):
    with pytest.raises(HyteError) as info:
        regions.municipality("999")
    message = str(info.value)
    assert "999" in message and "municipalities.csv" in message and "\n" not in message
    with pytest.raises(HyteError, match="Pertunmaa|588"):
        regions.municipality("588")  # merged into Mäntyharju on 1.1.2025
    with pytest.raises(HyteError, match="county code"):
        regions.county("x1")
