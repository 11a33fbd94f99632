"""Snapshot fitness: what a snapshot holds and which comparisons it allows, before anyone reads a card.

:func:`assess` looks at a tidy table (:mod:`hyte.data.tidy`) against the catalog and the configured county:
which region levels are present (the county's municipalities, the county, the country), whether the
counts behind the values (``absValue``) and women's/men's values are there, the year range, how much
of the catalog it covers, which indicators were dropped on the way in and why, and unknown region ids
with what to do about them. ``hyte import``, ``hyte fetch`` and ``hyte doctor`` print
:meth:`Fitness.lines`; cards and the book print :meth:`Fitness.notice_fi` when comparisons are not
possible.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from hyte.data.regions import COUNTRY_SOTKANET_ID

__all__ = ["Fitness", "assess", "assess_snapshot", "notice_callout"]


@dataclass
class Fitness:
    """The facts about a snapshot that decide what a report made from it can say."""

    county_code: str
    county_name: str
    municipalities: int  # the county's municipalities with at least one value
    municipalities_total: int
    county_rows: bool  # the county itself has values
    country_rows: bool  # the whole country has values
    count_share: float  # share of rows with a value that also have a count (absValue)
    sexes: bool  # women's and men's values are present
    first_year: int | None
    last_year: int | None
    catalog_present: int  # catalog indicators with any value
    catalog_total: int
    missing_indicators: list[int] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # indicators left out on the way in, and why
    unknown_regions: dict[str, int] = field(default_factory=dict)  # id -> rows left out
    other_levels: dict[str, int] = field(default_factory=dict)  # category -> rows left out

    @property
    def counts(self) -> bool:
        return self.count_share > 0

    @property
    def comparisons_possible(self) -> bool:
        """Benchmark comparisons need a benchmark (county or country) and counts (for the CI)."""
        return (self.county_rows or self.country_rows) and self.counts

    def problems(self) -> list[str]:
        """What limits the reports made from this snapshot (English, one line each)."""
        out = []
        if not self.municipalities:
            out.append(
                f"no values for any municipality of county {self.county_code} {self.county_name}: "
                "cards will be empty; import or fetch this county's municipalities"
            )
        if not self.county_rows:
            out.append(
                f"no county rows ({self.county_name}): cards cannot be compared with the county; "
                "add the county level (HYVINVOINTIALUE) to the download"
            )
        if not self.country_rows:
            out.append(
                "no whole-country rows (region 658): nothing can be compared with the country; "
                "add the country level (MAA) to the download"
            )
        if not self.counts:
            out.append(
                "no counts (absValue): no confidence intervals, comparisons or trend tests; "
                "download with the absolute values"
            )
        if not self.sexes:
            out.append(
                "no women's/men's values: the cards' women/men section stays empty; "
                "download with genders=male and genders=female as well"
            )
        if self.catalog_total and self.catalog_present / self.catalog_total < 0.5:
            out.append(
                f"only {self.catalog_present}/{self.catalog_total} catalog indicators present"
            )
        return out

    def lines(self) -> list[str]:
        """The fitness report as lines for the terminal."""
        years = f"{self.first_year}–{self.last_year}" if self.first_year is not None else "none"
        levels = [
            (
                f"municipalities {self.municipalities}/{self.municipalities_total} of county "
                f"{self.county_code}"
            ),
            f"county {'yes' if self.county_rows else 'NO'}",
            f"country {'yes' if self.country_rows else 'NO'}",
        ]
        out = [
            "Snapshot fitness:",
            f"  levels: {', '.join(levels)}",
            f"  counts (absValue): {round(self.count_share * 100)} % of values",
            f"  women/men: {'yes' if self.sexes else 'NO'}",
            f"  years: {years}",
            f"  catalog coverage: {self.catalog_present}/{self.catalog_total} indicators",
        ]
        if self.missing_indicators:
            ids = ", ".join(str(i) for i in self.missing_indicators[:15])
            more = " …" if len(self.missing_indicators) > 15 else ""
            out.append(f"  catalog indicators without data: {ids}{more}")
        out.extend(f"  dropped: {d}" for d in self.dropped)
        if self.other_levels:
            parts = ", ".join(f"{k} {v} rows" for k, v in sorted(self.other_levels.items()))
            out.append(f"  left out as other region levels: {parts}")
        if self.unknown_regions:
            ids = ", ".join(list(self.unknown_regions)[:12])
            more = " …" if len(self.unknown_regions) > 12 else ""
            out.append(
                f"  unknown region ids left out: {ids}{more} – add Sotkanet's /regions response "
                "(https://sotkanet.fi/rest/1.1/regions, saved as JSON) to the files imported so "
                "they can be told apart, or check data/reference/ for a missing municipality"
            )
        out.extend(f"  WARNING: {p}" for p in self.problems())
        return out

    def notice_fi(self) -> str:
        """A short Finnish notice for cards and the book when comparisons are not possible ('' when
        they are)."""
        missing = []
        if not self.county_rows:
            missing.append("hyvinvointialueen arvoja")
        if not self.country_rows:
            missing.append("koko maan arvoja")
        if not self.counts:
            missing.append("lukumääriä, joista luottamusväli lasketaan")
        if not missing:
            return ""
        listed = missing[0] if len(missing) == 1 else ", ".join(missing[:-1]) + " ja " + missing[-1]
        what = (
            "vertailuja ja trenditestejä ei voi tehdä"
            if not self.comparisons_possible
            else "osa vertailuista jää tekemättä"
        )
        return (
            f"Aineistossa ei ole {listed}, joten {what}. "
            f"Aineisto kattaa {self.catalog_present}/{self.catalog_total} luettelon indikaattoria"
            + (
                f" vuosilta {self.first_year}–{self.last_year}."
                if self.first_year is not None
                else "."
            )
        )


def assess(
    table: pd.DataFrame, catalog, county, regions, *, load_report: Mapping[str, Any] | None = None
) -> Fitness:
    """The fitness of ``table`` for reporting on ``county`` (a :class:`hyte.data.regions.County`)."""
    valued = table[table["value"].notna()]
    members = {m.sotkanet_id for m in regions.county_municipalities(county.code)}
    present_ids = set(valued["indicator"].astype(int))
    catalog_ids = list(catalog.ids)
    dropped = []
    report = dict(load_report or {})
    for indicator in catalog_ids:
        if indicator not in present_ids and indicator in set(table["indicator"].astype(int)):
            dropped.append(f"{indicator}: rows exist but none has a value (suppressed or missing)")
    years = valued["year"]
    return Fitness(
        county_code=county.code,
        county_name=county.name_fi,
        municipalities=int(valued.loc[valued["region_id"].isin(members), "region_id"].nunique()),
        municipalities_total=len(members),
        county_rows=bool((valued["region_id"] == county.sotkanet_id).any()),
        country_rows=bool((valued["region_id"] == COUNTRY_SOTKANET_ID).any()),
        count_share=float(valued["count"].notna().mean()) if len(valued) else 0.0,
        sexes=bool(valued["sex"].isin(["male", "female"]).any()),
        first_year=int(years.min()) if len(years) else None,
        last_year=int(years.max()) if len(years) else None,
        catalog_present=sum(1 for i in catalog_ids if i in present_ids),
        catalog_total=len(catalog_ids),
        missing_indicators=[i for i in catalog_ids if i not in present_ids],
        dropped=dropped + [str(d) for d in report.get("dropped_indicators", [])],
        unknown_regions={str(k): int(v) for k, v in (report.get("unknown_regions") or {}).items()},
        other_levels={str(k): int(v) for k, v in (report.get("other_levels") or {}).items()},
    )


def assess_snapshot(snapshot, catalog, county, regions) -> Fitness:
    """:func:`assess` of a :class:`hyte.data.snapshot.Snapshot`, with its manifest's load report."""
    return assess(
        snapshot.table(), catalog, county, regions, load_report=snapshot.manifest.get("load_report")
    )


def notice_callout(ctx) -> str:
    """The book's short notice (a Quarto callout) when the snapshot in use does not allow the
    comparisons ('' when it does). ``ctx`` is a :class:`hyte.context.Context`."""
    from hyte.markup import escape_markdown

    text = assess(ctx.table, ctx.catalog, ctx.county, ctx.regions).notice_fi()
    if not text:
        return ""
    return (
        "::: {.callout-note}\n## Vertailut eivät ole mahdollisia\n\n"
        f"{escape_markdown(text, inline=True)}\n:::\n"
    )
