"""A fake Sotkanet REST 1.1 server for pytest-httpserver, answering from the real fixtures.

    /regions             sotkanet_regions_2015.json (verbatim)
    /indicators          sotkanet_indicators_2015_subset.json (verbatim)
    /indicators/{id}     the 2025 metadata object (sotkanet_indicator_metadata_2025.json,
                         without the 'indicator_id' key that project added), else the 2015 object
    /json                data rows of 683 (Kainuu file + county file) and 127 (the 2009 /csv),
                         filtered by the request's repeated 'years' and 'genders' like the service
    /csv                 the same as ';'-separated text; 127 for 2009 is the verbatim /csv fixture

``failures`` makes chosen requests fail (status codes in order, then success) and ``log`` tells
which requests arrived.
"""

from __future__ import annotations

import csv
import json
import re
import time
from collections import defaultdict, deque
from pathlib import Path
from typing import Any

from werkzeug import Request, Response

PREFIX = "/rest/1.1"
KAINUU_683 = "sotkanet_683_kainuu_2015_2023.csv"
COUNTIES_683 = "sotkanet_683_hyvinvointialueet_2005_2023.csv"
REST_CSV_127 = "sotkanet_rest_csv_127_2009_all_regions.csv"


def read_csv(path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    with Path(path).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


def _number(text: str | None) -> int | float | None:
    if text is None or text.strip() == "":
        return None
    value = float(text)
    return int(value) if value.is_integer() and "." not in text else value


def sotkanet_row(indicator, region, year, gender, value, abs_value) -> dict[str, Any]:
    """A row as /json writes it: 'value' and 'absValue' are absent when there is none."""
    row: dict[str, Any] = {
        "indicator": int(indicator),
        "region": int(region),
        "year": int(year),
        "gender": gender,
    }
    if _number(value) is not None:
        row["value"] = _number(value)
    if _number(abs_value) is not None:
        row["absValue"] = _number(abs_value)
    return row


def rows_683(fixtures: Path) -> list[dict[str, Any]]:
    """Indicator 683: Kainuu regions 2015–2023 and the 23 counties 2005–2023 (962 once)."""
    seen = set()
    out = []
    for name in (KAINUU_683, COUNTIES_683):
        for r in read_csv(fixtures / name):
            key = (r["region"], r["year"], r["gender"])
            if key in seen:
                continue
            seen.add(key)
            out.append(
                sotkanet_row(
                    r["indicator"], r["region"], r["year"], r["gender"], r["value"], r["absValue"]
                )
            )
    return out


def rows_127_2009(fixtures: Path) -> list[dict[str, Any]]:
    """Indicator 127 (population) in 2009, every region, from the verbatim /csv response."""
    return [
        sotkanet_row(
            r["indicator"],
            r["region"],
            r["year"],
            r["gender"],
            r["primary value"],
            r["absolute value"],
        )
        for r in read_csv(fixtures / REST_CSV_127, delimiter=";")
    ]


def metadata_2025(fixtures: Path) -> dict[int, dict[str, Any]]:
    items = json.loads((fixtures / "sotkanet_indicator_metadata_2025.json").read_text("utf-8"))
    return {int(i["id"]): {k: v for k, v in i.items() if k != "indicator_id"} for i in items}


def metadata_2015(fixtures: Path) -> dict[int, dict[str, Any]]:
    items = json.loads((fixtures / "sotkanet_indicators_2015_subset.json").read_text("utf-8"))
    return {int(i["id"]): i for i in items}


def json_body(rows: list[dict[str, Any]]) -> bytes:
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def csv_body(rows: list[dict[str, Any]]) -> bytes:
    lines = ["indicator;region;year;gender;primary value;absolute value"]
    for r in rows:
        cells = [
            r["indicator"],
            r["region"],
            r["year"],
            r["gender"],
            r.get("value", ""),
            r.get("absValue", ""),
        ]
        lines.append(";".join("" if c is None else str(c) for c in cells))
    return ("\n".join(lines) + "\n").encode("utf-8")


class SotkanetReplay:
    """Install on a pytest-httpserver; point SotkanetClient(base_url=replay.base_url) at it."""

    def __init__(self, httpserver, fixtures: Path):
        self.server = httpserver
        self.fixtures = Path(fixtures)
        self.data: dict[int, list[dict[str, Any]]] = {
            683: rows_683(self.fixtures),
            127: rows_127_2009(self.fixtures),
            186: [],
        }
        self.meta = {**metadata_2015(self.fixtures), **metadata_2025(self.fixtures)}
        # path or 'json:<indicator>' -> statuses to answer before succeeding (429, 500, ...)
        self.failures: dict[str, deque[int]] = defaultdict(deque)
        self.always_fail: dict[str, int] = {}
        self.retry_after: str | None = None
        self.delay = 0.0
        self.truncate = False
        self.log: list[tuple[str, dict[str, list[str]], dict[str, str]]] = []
        httpserver.expect_request(re.compile(rf"^{PREFIX}/.*")).respond_with_handler(self.handle)

    @property
    def base_url(self) -> str:
        return self.server.url_for(PREFIX)

    def requests(self, kind: str | None = None) -> list[str]:
        """The request keys that arrived, e.g. ['regions', 'indicators/683', 'json:683']."""
        keys = [self._key(path, args) for path, args, _ in self.log]
        return [k for k in keys if kind is None or k.startswith(kind)]

    @staticmethod
    def _key(path: str, args: dict[str, list[str]]) -> str:
        if path in ("json", "csv"):
            return f"{path}:{(args.get('indicator') or ['?'])[0]}"
        return path

    def handle(self, request: Request) -> Response:
        path = request.path[len(PREFIX) :].strip("/")
        args = {k: request.args.getlist(k) for k in request.args}
        self.log.append((path, args, dict(request.headers)))
        key = self._key(path, args)
        if self.delay:
            time.sleep(self.delay)
        status = self.always_fail.get(key)
        if status is None and self.failures[key]:
            status = self.failures[key].popleft()
        if status is not None:
            headers = {"Retry-After": self.retry_after} if self.retry_after is not None else {}
            return Response("busy", status=status, headers=headers)
        body, mimetype = self._answer(path, args)
        if body is None:
            return Response("not found", status=404)
        if self.truncate:
            body = body[: len(body) // 2]
        return Response(body, status=200, mimetype=mimetype)

    def _answer(self, path: str, args: dict[str, list[str]]) -> tuple[bytes | None, str]:
        if path == "regions":
            return (self.fixtures / "sotkanet_regions_2015.json").read_bytes(), "application/json"
        if path == "indicators":
            return (
                (self.fixtures / "sotkanet_indicators_2015_subset.json").read_bytes(),
                "application/json",
            )
        match = re.fullmatch(r"indicators/(\d+)", path)
        if match:
            item = self.meta.get(int(match[1]))
            return (None if item is None else json_body(item)), "application/json"
        if path in ("json", "csv"):
            indicator = int(args["indicator"][0])
            years = {int(y) for y in args.get("years", [])}
            genders = set(args.get("genders", []))
            rows = [
                r
                for r in self.data.get(indicator, [])
                if r["year"] in years and r["gender"] in genders
            ]
            if path == "json":
                return json_body(rows), "application/json"
            if indicator == 127 and 2009 in years and "total" in genders:
                return (self.fixtures / REST_CSV_127).read_bytes(), "text/csv"
            return csv_body(rows), "text/csv"
        return None, "text/plain"
