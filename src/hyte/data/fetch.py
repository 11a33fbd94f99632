"""``hyte fetch``: download a Sotkanet snapshot into ``data/snapshots/<id>/``.

For each indicator the snapshot keeps, gzip-compressed and as received, its metadata
(``raw/indicator_<id>.json.gz``) and its data (``raw/data_<id>.json.gz``); and the region list
(``raw/regions.json.gz``).
The manifest records every file's URL, fetch time and sha256, the years and genders asked for, the
indicator metadata and the load report.

The snapshot is built in a work folder beside the target, so an interrupted fetch (network failure,
Ctrl-C) leaves earlier snapshots as they were; rerunning with the same snapshot id resumes and asks
Sotkanet only for the responses not yet saved.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from hyte.data.catalog import Catalog
from hyte.data.regions import load_regions
from hyte.data.snapshot import Snapshot, SnapshotBuilder, refuse_existing
from hyte.data.sotkanet import (
    ATTRIBUTION_FI,
    SotkanetClient,
    parse_indicator_metadata,
    parse_json_rows,
    parse_regions,
    region_categories,
    tidy_from_sources,
)
from hyte.data.tidy import SEXES, LoadReport
from hyte.errors import HyteError
from hyte.paths import data_dir, reference_dir

REGIONS_FILE = "regions.json.gz"
_SNAPSHOT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}")


def default_snapshot_id(prefix: str = "sotkanet", today: date | None = None) -> str:
    """'sotkanet-YYYY-MM-DD' (today)."""
    return f"{prefix}-{(today or date.today()).isoformat()}"


def check_snapshot_id(snapshot_id: str) -> str:
    """A folder name under data/snapshots/: letters, digits, '.', '_', '-'; not 'demo'."""
    text = str(snapshot_id).strip()
    if not _SNAPSHOT_ID.fullmatch(text) or text == "demo":
        raise HyteError(
            f"Snapshot id '{snapshot_id}' is not usable: use letters, digits, '.', '_' "
            "and '-' (e.g. sotkanet-2026-11-28); 'demo' is reserved."
        )
    return text


def parse_years(text: str) -> list[int]:
    """'2010-2025' -> 2010..2025; '2015,2018' -> [2015, 2018]; '2023' -> [2023]."""
    years: set[int] = set()
    for part in str(text).replace(" ", "").split(","):
        if not part:
            continue
        match = re.fullmatch(r"(\d{4})(?:-(\d{4}))?", part)
        if not match:
            raise HyteError(
                f"--years '{text}': write a range like 2010-2025, or years like 2015,2018."
            )
        start, end = int(match[1]), int(match[2] or match[1])
        if end < start or start < 1900 or end > 2100:
            raise HyteError(f"--years '{text}': the range {part} is empty or outside 1900–2100.")
        years.update(range(start, end + 1))
    if not years:
        raise HyteError("--years is empty: write a range like 2010-2025.")
    return sorted(years)


def fetch_snapshot(
    client: SotkanetClient,
    catalog: Catalog | None,
    *,
    years: Iterable[int],
    snapshot_id: str | None = None,
    root: Path | None = None,
    indicators: Sequence[int] | None = None,
    genders: Sequence[str] = SEXES,
    progress: bool = True,
    resume: bool = True,
    replace: bool = False,
) -> tuple[Snapshot, LoadReport]:
    """Fetch the indicators (default: every catalog indicator) for ``years`` into a new snapshot.

    Raw responses already saved by an interrupted run with the same id and the same request are
    reused (``resume=False`` starts over). An existing snapshot of the same id is refused unless
    ``replace`` (then it stays until the new one is complete). An indicator that still fails after the client's retries
    stops the fetch with a HyteError naming it; nothing incomplete is ever put in place.
    """
    ids = _indicator_ids(catalog, indicators)
    years = sorted({int(y) for y in years})
    if not years:
        raise HyteError("No years to fetch: give e.g. --years 2010-2025.")
    genders = list(genders)
    bad = [g for g in genders if g not in SEXES]
    if bad or not genders:
        raise HyteError(f"Genders {bad or genders}: use total, male and/or female.")
    snapshot_id = check_snapshot_id(snapshot_id or default_snapshot_id())
    reference = load_regions(reference_dir(root))
    target = data_dir(root) / "snapshots" / snapshot_id
    refuse_existing(target, snapshot_id, replace)
    builder = SnapshotBuilder(target, source="sotkanet", resume=resume)
    resumed = builder.resumed

    regions_url = client.url("regions")
    regions_payload = _saved_or_fetched(builder, REGIONS_FILE, regions_url, client.regions)
    other_regions = region_categories(parse_regions(regions_payload, REGIONS_FILE), reference)

    sources: list[tuple[str, list[dict[str, Any]]]] = []
    with _progress_bar(progress) as bar:
        task = bar.add_task("Sotkanet", total=len(ids)) if bar else None
        for number, indicator in enumerate(ids, start=1):
            if bar:
                bar.update(task, description=f"indikaattori {indicator}")
            try:
                meta_name, data_name = f"indicator_{indicator}.json.gz", f"data_{indicator}.json.gz"
                meta = _saved_or_fetched(
                    builder,
                    meta_name,
                    client.url(f"indicators/{indicator}"),
                    partial(client.indicator, indicator),
                )
                data = _saved_or_fetched(
                    builder,
                    data_name,
                    client.data_url(indicator, years, genders),
                    partial(client.data, indicator, years, genders),
                )
            except HyteError as exc:
                raise HyteError(
                    f"Indicator {indicator} ({number}/{len(ids)}) could not be fetched: {exc} "
                    f"The {len(builder.files)} responses saved so far are kept in {builder.work}; "
                    f"rerun the same command (--snapshot-id {snapshot_id}) to resume."
                ) from None
            builder.indicators[str(indicator)] = parse_indicator_metadata(meta, meta_name)
            sources.append((data_name, _as_requested(parse_json_rows(data, data_name), indicator)))
            if bar:
                bar.advance(task)

    _drop_unrequested(
        builder,
        {
            REGIONS_FILE,
            *(f"indicator_{i}.json.gz" for i in ids),
            *(f"data_{i}.json.gz" for i in ids),
        },
    )
    table, report = tidy_from_sources(sources, reference, other_regions=other_regions)
    if table.empty:
        raise HyteError(
            f"Sotkanet returned no rows for municipalities, counties or the country for indicators "
            f"{', '.join(map(str, ids))} in {years[0]}–{years[-1]}; nothing was written. Check the "
            f"indicator ids and --years (the responses are kept in {builder.work})."
        )
    builder.set_table(table)
    builder.notes.append(f"{ATTRIBUTION_FI}. Lisenssi CC BY 4.0.")
    snapshot = builder.finish(
        snapshot_id,
        api_base_url=client.base_url,
        requested_indicators=ids,
        requested_years=years,
        genders=genders,
        resumed_files=resumed,
        load_report=report.to_dict(),
        attribution=ATTRIBUTION_FI,
        licence="CC BY 4.0",
    )
    return snapshot, report


def _indicator_ids(catalog: Catalog | None, indicators: Sequence[int] | None) -> list[int]:
    if indicators:
        ids = [int(i) for i in indicators]
    elif catalog is not None:
        ids = list(catalog.ids)
    else:
        ids = []
    if not ids:
        raise HyteError(
            "No indicators to fetch: add indicators to the catalog "
            "(data/indicators.yml) or give --indicator ID."
        )
    if any(i <= 0 for i in ids):
        raise HyteError(f"Indicator ids must be positive Sotkanet ids, got {ids}.")
    return list(dict.fromkeys(ids))


def _as_requested(rows: list[dict[str, Any]], indicator: int) -> list[dict[str, Any]]:
    """Rows of another indicator than the one requested would mislabel the data: mark them bad."""
    for row in rows:
        given = row.get("indicator")
        if given in (None, ""):
            row["indicator"] = indicator
            continue
        try:
            same = int(given) == indicator
        except (TypeError, ValueError):
            same = False
        if not same:
            row["_problem"] = f"indicator {given!r}, not the {indicator} requested"
    return rows


def _saved_or_fetched(builder: SnapshotBuilder, name: str, url: str, fetch) -> bytes:
    """The saved response for the same URL, else fetch it (parsed before saving) and save it."""
    entry = builder.files.get(f"raw/{name}")
    if builder.has_raw(name) and entry and entry.get("url") == url:
        return builder.read_raw(name)
    response = fetch()
    builder.write_raw(name, response.raw, url=response.url, fetched_at=response.fetched_at)
    return response.raw


def _drop_unrequested(builder: SnapshotBuilder, wanted: set[str]) -> None:
    """Forget raw files an interrupted run with other indicators left behind."""
    for relative in [r for r in builder.files if r.removeprefix("raw/") not in wanted]:
        del builder.files[relative]
        (builder.work / relative).unlink(missing_ok=True)


def _progress_bar(enabled: bool):
    if not enabled:
        return nullcontext(None)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
