"""`county: all` in hyte.yml: the cards of every municipality of the country, each within its county."""

from __future__ import annotations

import pytest

from hyte.book.files import write_generated
from hyte.config import load_config
from hyte.errors import HyteError
from hyte.run.batch import select_municipalities


@pytest.fixture
def all_config(tmp_path, root):
    path = tmp_path / "hyte.yml"
    path.write_text("county: all\n", encoding="utf-8")
    return load_config(path, root=root)  # checked against the project's reference data


def test_config_accepts_all(all_config):
    assert all_config.county == "all"


def test_all_selects_every_municipality_by_county(all_config, regions, fixtures_dir):
    import csv

    chosen = select_municipalities(all_config)
    with open(fixtures_dir / "municipalities_2026.csv", encoding="utf-8-sig") as handle:
        official = list(csv.DictReader(handle))
    assert len(chosen) == len(official) == 308
    assert len({m.code for m in chosen}) == 308
    county_codes = [m.county_code for m in chosen]
    assert county_codes == sorted(county_codes)  # grouped by county
    assert {m.code for m in regions.selection("20")} == {
        m.code for m in chosen if m.county_code == "20"
    }
    # named municipalities from different counties are fine with county: all
    assert [m.code for m in select_municipalities(all_config, ["205", "179"])] == ["205", "179"]


def test_a_named_municipality_outside_the_county_is_refused(root):
    config = load_config(root / "hyte.yml", root=root)
    with pytest.raises(HyteError, match=r"205 Kajaani is not in county 15"):
        select_municipalities(config, ["205"])


def test_the_book_needs_one_county(all_config, tmp_path):
    with pytest.raises(HyteError, match=r"county: all.*book is one county's report"):
        write_generated(all_config, into=tmp_path)


def test_the_county_plan_does_not_stop_the_whole_country_cards(all_config, root):
    """`hyte cards` checks that the plan is the configured county's; with `county: all` each card
    shows the plan only for its own county, so Keski-Suomi's plan is no error for the run."""
    from hyte.plan.consistency import check_plan_county, plan_county_problem

    assert all_config.plan_path.is_file()  # the project's plan is Keski-Suomi's
    assert plan_county_problem(all_config) is None
    check_plan_county(all_config)
    other = load_config(root=root).model_copy(update={"county": "18"})
    assert "Keski-Suomen" in (plan_county_problem(other) or "")  # one county: still checked
