"""The indicator catalog data/indicators.yml: it loads, covers every group and theme, and its ids and
titles are Sotkanet's own (checked against the real Sotkanet indicator lists in the fixtures)."""

from __future__ import annotations

import csv
import json

import pytest
import yaml

from hyte.data.catalog import CIMethod, ValueType, load_catalog
from hyte.errors import HyteError

# DOMAIN.md §4: ids known to exist.
DOMAIN_IDS = [
    127,
    186,
    181,
    189,
    3562,
    5,
    234,
    1275,
    3219,
    191,
    4,
    2422,
    306,
    699,
    1570,
    237,
    243,
    683,
    714,
    3106,
    1514,
    3906,
]
HYTE_OUTCOMES = {699, 3219, 234, 2422}


def _normalise(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def catalog_path(root):
    return root / "data" / "indicators.yml"


@pytest.fixture(scope="module")
def catalog(catalog_path):
    return load_catalog(catalog_path)


@pytest.fixture(scope="module")
def sotkanet_titles(fixtures_dir) -> dict[int, tuple[str, str]]:
    """id -> (title_fi, title_sv): the 2015 /indicators index, overridden by the 2025 metadata."""
    titles = {}
    with (fixtures_dir / "sotkanet_indicators_2015_index.csv").open(
        encoding="utf-8", newline=""
    ) as handle:
        for row in csv.DictReader(handle):
            titles[int(row["id"])] = (row["title_fi"], row["title_sv"])
    for item in json.loads(
        (fixtures_dir / "sotkanet_indicator_metadata_2025.json").read_text("utf-8")
    ):
        titles[int(item["id"])] = (item["title"]["fi"], item["title"]["sv"])
    return titles


def test_catalog_loads_with_enough_entries(catalog):
    assert len(catalog) >= 40
    assert len(set(catalog.ids)) == len(catalog)


def test_every_group_and_theme_is_used_and_labelled(catalog):
    assert set(catalog.groups) == {"lapset_nuoret", "tyoikaiset", "ikaantyneet", "koko_vaesto"}
    assert len(catalog.themes) == 8
    assert catalog.group_label("lapset_nuoret") == "Lapset ja nuoret"
    assert catalog.group_label("ikaantyneet", "sv") == "Äldre"
    assert catalog.ordered_groups()[0] == "lapset_nuoret"
    for group in catalog.groups:
        assert catalog.in_group(group), f"group {group} has no indicators"
        assert any(i.headline for i in catalog.in_group(group)), (
            f"group {group} has no headline indicator"
        )
    for theme in catalog.themes:
        assert catalog.in_theme(theme), f"theme {theme} has no indicators"


def test_ids_and_titles_are_sotkanets(catalog, sotkanet_titles):
    unknown = [i.id for i in catalog if i.id not in sotkanet_titles]
    assert unknown == [], f"ids not in the Sotkanet fixtures: {unknown}"
    for indicator in catalog:
        title_fi, title_sv = sotkanet_titles[indicator.id]
        assert _normalise(indicator.title_fi) == _normalise(title_fi), indicator.id
        assert _normalise(indicator.title_sv) == _normalise(title_sv), indicator.id


def test_known_titles_spot_check(catalog):
    assert catalog.get(127).title_fi == "Väestö 31.12."
    assert (
        catalog.get(699).title_fi
        == "Lonkkamurtumat 65 vuotta täyttäneillä, % vastaavanikäisestä väestöstä"
    )


def test_domain_ids_present(catalog):
    missing = [i for i in DOMAIN_IDS if i not in catalog]
    assert missing == []


def test_fields_are_consistent(catalog):
    for indicator in catalog:
        if indicator.ci_method is CIMethod.wilson:
            assert indicator.value_type is ValueType.PROS, indicator.id
        if indicator.value_type is ValueType.PROS:
            assert indicator.unit_fi == "%" and indicator.ci_method is CIMethod.wilson, indicator.id
        if indicator.value_type in (ValueType.PER1000, ValueType.PER10000, ValueType.PER100000):
            assert indicator.ci_method is CIMethod.byar, indicator.id
        assert len(indicator.short_fi) <= 60 and len(indicator.short_sv) <= 60
    assert catalog.get(127).value_type is ValueType.COUNT
    assert catalog.get(243).value_type is ValueType.INDEX
    assert catalog.get(186).value_type is ValueType.PER100000
    assert catalog.get(3106).small_number_threshold >= 10
    assert catalog.get(191).small_number_threshold >= 10


def test_hyte_kerroin_outcomes(catalog):
    outcomes = {i.id for i in catalog if i.hyte_kerroin.value == "outcome"}
    assert outcomes == HYTE_OUTCOMES


def test_polarity_of_plain_cases(catalog):
    assert catalog.get(699).polarity.value == "lower_is_better"
    assert catalog.get(1570).polarity.value == "higher_is_better"
    assert catalog.get(127).polarity.value == "none"


# --- bad input: one line naming the file, the entry and the field ----------------------------------


def _write_with(tmp_path, catalog_path, mutate):
    raw = yaml.safe_load(catalog_path.read_text(encoding="utf-8"))
    mutate(raw["indicators"])
    path = tmp_path / "bad_indicators.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _error(path) -> str:
    with pytest.raises(HyteError) as info:
        load_catalog(path)
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message
    return message


def test_unknown_polarity_names_entry_and_field(tmp_path, catalog_path):
    def mutate(entries):
        entries[2]["polarity"] = "better_when_high"

    message = _error(_write_with(tmp_path, catalog_path, mutate))
    first_three = yaml.safe_load(catalog_path.read_text(encoding="utf-8"))["indicators"][:3]
    assert f"indicator #3 (id {first_three[2]['id']})" in message
    assert "'polarity'" in message and "better_when_high" in message


def test_missing_field_names_entry_and_field(tmp_path, catalog_path):
    def mutate(entries):
        del entries[0]["unit_fi"]

    message = _error(_write_with(tmp_path, catalog_path, mutate))
    assert "indicator #1 (id " in message and "'unit_fi'" in message


def test_wilson_on_a_rate_is_rejected(tmp_path, catalog_path):
    def mutate(entries):
        rate = next(e for e in entries if e["value_type"] == "PER100000")
        rate["ci_method"] = "wilson"

    message = _error(_write_with(tmp_path, catalog_path, mutate))
    assert "wilson" in message and "PROS" in message


def test_duplicate_id_names_the_id(tmp_path, catalog_path):
    def mutate(entries):
        entries.append(dict(entries[0]))

    message = _error(_write_with(tmp_path, catalog_path, mutate))
    first_id = yaml.safe_load(catalog_path.read_text(encoding="utf-8"))["indicators"][0]["id"]
    assert f"id {first_id}" in message and "duplicate id" in message


def test_unknown_group_names_entry_and_field(tmp_path, catalog_path):
    def mutate(entries):
        entries[4]["group"] = "vauvat"

    message = _error(_write_with(tmp_path, catalog_path, mutate))
    fifth_id = yaml.safe_load(catalog_path.read_text(encoding="utf-8"))["indicators"][4]["id"]
    assert f"id {fifth_id}" in message and "'group'" in message and "vauvat" in message
