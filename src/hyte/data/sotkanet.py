"""THL Sotkanet REST API 1.1: a polite HTTP client and the parsers of its responses.

    GET /indicators              all indicators (about 2.5 MB)
    GET /indicators/{id}         one indicator's metadata
    GET /regions                 all regions: id, code, category, title{fi,sv,en}, memberOf
    GET /json?indicator=ID&years=2022&years=2023&genders=total     data rows
    GET /csv?...                 the same rows, ';'-separated

``years`` and ``genders`` are repeated parameters, one indicator per request, and a response covers
every region. Data rows become dicts ``{indicator, region, year, gender, value, absValue}`` for
``hyte.data.tidy.tidy_from_rows``. Every method returns the parsed data together with the raw bytes, so a
snapshot can keep the responses as received. Data licence CC BY 4.0: "Lähde: THL, Sotkanet".
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from functools import partial
from typing import Any

import pandas as pd
import requests
import urllib3
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from hyte import __version__
from hyte.data.regions import Regions
from hyte.data.snapshot import now_iso
from hyte.data.tidy import KEY, SEXES, LoadReport, tidy_from_rows
from hyte.errors import HyteError

DEFAULT_BASE_URL = "https://sotkanet.fi/rest/1.1"
DEFAULT_USER_AGENT = (
    f"hyte/{__version__} (wellbeing reporting of a Finnish wellbeing services "
    f"county; python-requests/{requests.__version__})"
)
ATTRIBUTION_FI = "Lähde: THL, Sotkanet"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 120.0  # seconds: never sleep longer than this on a server's Retry-After
TOTAL_TIMEOUT = 150.0  # seconds: the longest one request may take, however slowly bytes arrive
MAX_RESPONSE_BYTES = 200 * 1024 * 1024  # one indicator's /json for every region is a few MB
ROW_FIELDS = ("indicator", "region", "year", "gender", "value", "absValue")

# Column names seen in Sotkanet /csv responses, R sotkanet output and hand-made dumps.
_COLUMN_ALIASES = {
    "indicator": "indicator",
    "indicator id": "indicator",
    "indicator.id": "indicator",
    "indicator_id": "indicator",
    "region": "region",
    "region id": "region",
    "region.id": "region",
    "region_id": "region",
    "year": "year",
    "gender": "gender",
    "sex": "gender",
    "primary value": "value",
    "primary.value": "value",
    "primary_value": "value",
    "value": "value",
    "absolute value": "absValue",
    "absolute.value": "absValue",
    "absolute_value": "absValue",
    "absvalue": "absValue",
    "abs value": "absValue",
}


@dataclass(frozen=True)
class Response:
    """One successful API response: the parsed data and the bytes as received."""

    url: str
    raw: bytes
    data: Any
    fetched_at: str


class _Transient(Exception):
    """A failure worth retrying: 429/5xx, a dropped connection, a timeout."""

    def __init__(self, url: str, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.url = url
        self.reason = reason
        self.retry_after = retry_after


class SotkanetClient:
    """Sotkanet REST 1.1 over one ``requests.Session``, retrying politely.

    429, 500, 502, 503, 504, connection errors and timeouts are retried up to ``max_attempts`` times
    with exponential backoff (``backoff`` × 2^(attempt-1) seconds, at most 60 s), or after the
    server's ``Retry-After`` when it sends one. After the last attempt a HyteError names the URL and
    the last status; other HTTP errors (404, 403, ...) fail at once.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        user_agent: str = DEFAULT_USER_AGENT,
        timeout: tuple[float, float] = (10.0, 120.0),
        max_attempts: int = 5,
        backoff: float = 1.0,
        session: requests.Session | None = None,
        contact: str | None = None,
        total_timeout: float = TOTAL_TIMEOUT,
        max_bytes: int = MAX_RESPONSE_BYTES,
        on_wait=None,
    ):
        """``contact`` (an e-mail or URL) is added to the User-Agent so THL can reach the user.
        ``timeout`` is (connect, between bytes); ``total_timeout`` bounds a whole request and
        ``max_bytes`` the size of a response. ``on_wait(message)`` is told of every wait before a
        retry (default: a line on stderr)."""
        if contact:
            user_agent = f"{user_agent} contact: {contact.strip()}"
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_attempts = max(1, int(max_attempts))
        self.backoff = float(backoff)
        self.total_timeout = float(total_timeout)
        self.max_bytes = int(max_bytes)
        self.on_wait = on_wait or _say_on_stderr
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = user_agent

    # --- URLs -----------------------------------------------------------------------------------

    def url(self, path: str, params: Sequence[tuple[str, Any]] = ()) -> str:
        """The full URL of ``path`` with (repeatable) query parameters, as it will be requested."""
        address = f"{self.base_url}/{path.lstrip('/')}"
        request = requests.Request("GET", address, params=list(params))
        try:
            return str(request.prepare().url)
        except (requests.RequestException, ValueError) as exc:
            raise HyteError(
                f"--base-url '{self.base_url}' is not a usable URL ({_short(exc)}): "
                f"use e.g. {DEFAULT_BASE_URL}."
            ) from None

    def data_url(
        self,
        indicator: int,
        years: Iterable[int],
        genders: Iterable[str] = SEXES,
        fmt: str = "json",
    ) -> str:
        """The /json or /csv URL of one indicator's data (years and genders repeated)."""
        if fmt not in ("json", "csv"):
            raise HyteError(f"Sotkanet data format '{fmt}' is not supported: use json or csv.")
        years = sorted({int(y) for y in years})
        if not years:
            raise HyteError(
                f"No years given for indicator {indicator}: give e.g. --years 2010-2025."
            )
        params = [
            ("indicator", int(indicator)),
            *(("years", y) for y in years),
            *(("genders", g) for g in genders),
        ]
        return self.url(fmt, params)

    # --- endpoints --------------------------------------------------------------------------------

    def indicators(self) -> Response:
        """GET /indicators: the list of all indicators."""
        url = self.url("indicators")
        raw = self.get(url)
        data = parse_json(raw, url)
        if not isinstance(data, list):
            raise HyteError(
                f"{url}: expected a JSON list of indicators, got {type(data).__name__}."
            )
        return Response(url, raw, data, now_iso())

    def indicator(self, indicator_id: int) -> Response:
        """GET /indicators/{id}: one indicator's metadata (a JSON object)."""
        url = self.url(f"indicators/{int(indicator_id)}")
        raw = self.get(url)
        return Response(url, raw, parse_indicator_metadata(raw, url), now_iso())

    def regions(self) -> Response:
        """GET /regions: every region with id, code, category and titles."""
        url = self.url("regions")
        raw = self.get(url)
        return Response(url, raw, parse_regions(raw, url), now_iso())

    def data(
        self,
        indicator: int,
        years: Iterable[int],
        genders: Iterable[str] = SEXES,
        fmt: str = "json",
    ) -> Response:
        """GET /json (or /csv): one indicator's rows for the years and genders, all regions."""
        url = self.data_url(indicator, years, genders, fmt)
        raw = self.get(url)
        rows = parse_json_rows(raw, url) if fmt == "json" else parse_csv_rows(raw, url)
        return Response(url, raw, rows, now_iso())

    # --- HTTP -------------------------------------------------------------------------------------

    def get(self, url: str) -> bytes:
        """The body of a successful GET, retried on transient failures."""
        retrying = Retrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=self._wait,
            retry=retry_if_exception_type(_Transient),
            reraise=True,
            sleep=time.sleep,
            before_sleep=self._tell_wait,
        )
        try:
            return retrying(self._get_once, url)
        except _Transient as failure:
            raise HyteError(
                f"Sotkanet did not answer {short_url(url)}: {failure.reason} after "
                f"{self.max_attempts} attempt(s). The service may be busy or down: try again later."
            ) from None

    def _get_once(self, url: str) -> bytes:
        started = time.monotonic()
        try:
            response = self.session.get(url, timeout=self.timeout, stream=True)
        except requests.Timeout as exc:
            raise _Transient(url, f"timed out ({type(exc).__name__})") from None
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            raise _Transient(url, _connection_problem(exc)) from None
        except requests.RequestException as exc:
            raise HyteError(f"Cannot request {short_url(url)}: {_short(exc)}.") from None
        with response:
            if response.status_code in RETRY_STATUSES:
                header = response.headers.get("Retry-After")
                asked = _retry_after_seconds(header)
                if asked is not None and asked > MAX_RETRY_AFTER:
                    raise HyteError(
                        f"Sotkanet is busy (HTTP {response.status_code}) and asked to wait "
                        f"{asked:.0f} s before asking again (Retry-After: {header}); hyte waits at "
                        f"most {MAX_RETRY_AFTER:.0f} s: try again later."
                    )
                raise _Transient(
                    url,
                    f"HTTP {response.status_code} {response.reason or ''}".strip(),
                    _retry_after(header),
                )
            if response.status_code != 200:
                hint = (
                    " Check the indicator id and --base-url." if response.status_code == 404 else ""
                )
                raise HyteError(
                    f"Sotkanet refused {short_url(url)}: HTTP {response.status_code} "
                    f"{response.reason or ''}.{hint}".replace(" .", ".")
                )
            return self._body(response, url, started)

    def _body(self, response: requests.Response, url: str, started: float) -> bytes:
        """The body, read as it arrives, within the total time limit and the size cap."""
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            raise HyteError(
                f"Sotkanet's answer to {short_url(url)} would be {_size(int(declared))}, "
                f"more than hyte accepts ({_size(self.max_bytes)}): ask for fewer years."
            )
        chunks, size = [], 0
        read1 = getattr(response.raw, "read1", None)  # returns as soon as some bytes arrived
        reader = partial(read1 or response.raw.read, decode_content=True)
        try:
            while True:
                chunk = reader(64 * 1024)
                if not chunk:
                    break
                size += len(chunk)
                if size > self.max_bytes:
                    raise HyteError(
                        f"Sotkanet's answer to {short_url(url)} is larger than hyte "
                        f"accepts ({_size(self.max_bytes)}): ask for fewer years."
                    )
                chunks.append(chunk)
                if time.monotonic() - started > self.total_timeout:
                    raise HyteError(
                        f"Sotkanet's answer to {short_url(url)} took longer than "
                        f"{self.total_timeout:.0f} s (only {_size(size)} arrived): the "
                        "service is slow; try again later."
                    )
        except (requests.Timeout, urllib3.exceptions.TimeoutError) as exc:
            raise _Transient(url, f"timed out ({type(exc).__name__})") from None
        except (requests.ConnectionError, urllib3.exceptions.HTTPError, OSError) as exc:
            raise _Transient(url, _connection_problem(exc)) from None
        return b"".join(chunks)

    def _tell_wait(self, state: RetryCallState) -> None:
        failure = state.outcome.exception() if state.outcome else None
        seconds = state.next_action.sleep if state.next_action else 0
        reason = failure.reason if isinstance(failure, _Transient) else "failed"
        if seconds >= 1:
            self.on_wait(
                f"Sotkanet: {reason}; waiting {seconds:.0f} s before attempt "
                f"{state.attempt_number + 1}/{self.max_attempts}."
            )

    def _wait(self, state: RetryCallState) -> float:
        failure = state.outcome.exception() if state.outcome else None
        if isinstance(failure, _Transient) and failure.retry_after is not None:
            return failure.retry_after
        return min(60.0, self.backoff * 2 ** (state.attempt_number - 1))


def _say_on_stderr(message: str) -> None:
    import sys

    print(message, file=sys.stderr, flush=True)


def _size(count: int) -> str:
    return f"{count / 1024 / 1024:.0f} MB" if count >= 1024 * 1024 else f"{count / 1024:.0f} kB"


def short_url(url: str) -> str:
    """A URL for an error line: repeated parameters once ('years=2005…2023', 'genders=total,male')."""
    from urllib.parse import parse_qsl, urlsplit

    parts = urlsplit(url)
    values: dict[str, list[str]] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        values.setdefault(key, []).append(value)
    if not values:
        return url
    shown = []
    for key, items in values.items():
        if len(items) > 2 and all(v.isdigit() for v in items):
            numbers = sorted(int(v) for v in items)
            shown.append(f"{key}={numbers[0]}…{numbers[-1]}")
        else:
            shown.append(f"{key}={','.join(items)}")
    return f"{parts.scheme}://{parts.netloc}{parts.path}?{'&'.join(shown)}"


def _retry_after(header: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), capped; None if absent."""
    seconds = _retry_after_seconds(header)
    return None if seconds is None else min(MAX_RETRY_AFTER, seconds)


def _retry_after_seconds(header: str | None) -> float | None:
    """Seconds from a Retry-After header, not capped; None if absent or unreadable."""
    if not header:
        return None
    text = header.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    return max(0.0, seconds)


def _connection_problem(exc: BaseException) -> str:
    text = str(exc)
    if "NameResolution" in text or "resolve" in text:
        return "the host name could not be resolved (no network, or a wrong --base-url)"
    if "NewConnectionError" in text or "refused" in text:
        return "could not connect (connection refused or no network)"
    return "the connection broke off"


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


# --- parsers ------------------------------------------------------------------------------------


def _text(payload: bytes, source: str) -> str:
    """Bytes of a response or an exported file -> text with '\n' line ends.

    UTF-8 (with or without a BOM), UTF-16 (Excel's "Unicode text", with a BOM or recognised by its
    zero bytes) and Latin-1/Windows-1252 are read; an Excel workbook or other binary file is a
    HyteError that says what the file is and what to do."""
    return decode_payload(payload, source).replace("\r\n", "\n").replace("\r", "\n")


_BINARY_KINDS = (
    (b"PK\x03\x04", "an Excel workbook (.xlsx) or another zip file"),
    (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls)"),
    (b"%PDF", "a PDF file"),
    (b"PAR1", "a Parquet file"),
)


def decode_payload(payload: bytes, source: str) -> str:
    """See :func:`_text` (without the line-end normalisation)."""
    for magic, kind in _BINARY_KINDS:
        if payload.startswith(magic):
            raise HyteError(
                f"{source}: this is {kind}, not text: in Excel use 'Save as' → "
                "'CSV UTF-8 (comma delimited)' and import that file."
            )
    if payload.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    else:
        head = payload[:4000]
        even, odd = head[0::2].count(0), head[1::2].count(0)
        encoding = (
            "utf-16-le"
            if odd > len(head) // 4 and even == 0
            else "utf-16-be"
            if even > len(head) // 4 and odd == 0
            else None
        )
    if encoding:
        try:
            return payload.decode(encoding).lstrip("\ufeff")
        except UnicodeDecodeError:
            raise HyteError(f"{source}: broken UTF-16 text: save it again as UTF-8.") from None
    if b"\x00" in payload[:4000]:
        raise HyteError(
            f"{source}: a binary file, not text: import Sotkanet /json or /csv "
            "responses (or CSV text exported from Excel)."
        )
    try:
        return payload.decode("utf-8-sig")
    except UnicodeDecodeError:
        return payload.decode("cp1252", errors="replace")


def parse_json(payload: bytes, source: str) -> Any:
    """Decode a JSON response; a truncated or damaged one is a HyteError naming source and place."""
    text = _text(payload, source)
    if text.lstrip()[:1] == "<":
        title = re.search(r"<title[^>]*>(.*?)</title>", text, flags=re.IGNORECASE | re.DOTALL)
        said = f" ('{' '.join(title[1].split())[:80]}')" if title and title[1].strip() else ""
        raise HyteError(
            f"{short_url(source)}: the server sent HTML{said}, not JSON: an error or "
            "login page, or a wrong --base-url. Check the address and try again."
        )
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        reason = exc.msg.replace(" starting at", "").lower()
        cut = exc.pos >= len(text.rstrip()) or reason.startswith("unterminated")
        end = " (the text ends inside it: it was cut short)" if cut else ""
        raise HyteError(
            f"{short_url(source)}: not valid JSON at line {exc.lineno} column {exc.colno} "
            f"(character {exc.pos} of {len(text)}): {reason}{end}. "
            "Fetch or save the response again."
        ) from None


def parse_json_rows(payload: bytes, source: str) -> list[dict[str, Any]]:
    """A /json data response -> rows ``{indicator, region, year, gender, value, absValue}``.

    Keys are matched like CSV headers ('primary value' -> value); rows without ``value`` keep None.
    """
    return rows_from_json(parse_json(payload, source), source)


def rows_from_json(data: Any, source: str) -> list[dict[str, Any]]:
    """Decoded /json data (a list of objects) -> canonical rows; anything else is a HyteError."""
    if not isinstance(data, list):
        raise HyteError(
            f"{source}: expected a JSON list of data rows, got {type(data).__name__}. "
            "Is this a Sotkanet /json data response?"
        )
    rows = []
    for position, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            raise HyteError(
                f"{source}: row {position} is {type(item).__name__}, not an object "
                "{indicator, region, year, gender, value}."
            )
        rows.append(_canonical_row(item))
    return rows


def parse_indicator_metadata(payload: bytes, source: str) -> dict[str, Any]:
    """An /indicators/{id} response: one JSON object with at least ``id``."""
    data = parse_json(payload, source)
    if isinstance(data, list) and len(data) == 1:
        data = data[0]
    if not isinstance(data, dict) or "id" not in data:
        raise HyteError(f"{source}: expected one indicator's metadata (a JSON object with 'id').")
    return data


def parse_regions(payload: bytes, source: str) -> list[dict[str, Any]]:
    """A /regions response: a list of ``{id, code, category, title, ...}``."""
    data = parse_json(payload, source)
    if not isinstance(data, list) or not all(
        isinstance(r, dict) and "id" in r and "category" in r for r in data
    ):
        raise HyteError(f"{source}: expected a JSON list of regions with 'id' and 'category'.")
    return data


def read_delimited(payload: bytes, source: str) -> tuple[list[str], list[dict[str, str | None]]]:
    """A ';'- or ','-separated text file -> (header, rows as dicts with stripped cells or None).

    The separator is the one the header line uses (';' wins when both appear).
    """
    text = _text(payload, source)
    first = text.lstrip().split("\n", 1)[0]
    if not first.strip():
        raise HyteError(
            f"{source}: the file is empty; expected a header line such as "
            "'indicator;region;year;gender;primary value;absolute value'."
        )
    delimiter = ";" if ";" in first else ("\t" if "\t" in first and "," not in first else ",")
    reader = csv.reader(io.StringIO(text.lstrip()), delimiter=delimiter)
    header = [h.strip() for h in next(reader)]
    rows: list[dict[str, str | None]] = []
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue
        row: dict[str, str | None] = {}
        for name, cell in zip(header, cells, strict=False):  # a short/long row is noted below
            cell = cell.strip()
            row[name] = cell if cell else None
        if len(cells) != len(header):
            row["_cells"] = f"{len(cells)} cells for {len(header)} columns"
            if delimiter == "," and len(cells) > len(header):
                row["_cells"] += (
                    " (decimal commas in a comma-separated file? Use ';' as the "
                    "separator, or decimal points)"
                )
        rows.append(row)
    return header, rows


def canonical_column(name: str) -> str | None:
    """'primary value', 'primary.value', 'value' -> 'value'; unknown names -> None."""
    key = " ".join(name.strip().lower().split())
    return _COLUMN_ALIASES.get(key)


def parse_csv_rows(payload: bytes, source: str) -> list[dict[str, Any]]:
    """A /csv response or a CSV dump -> rows ``{indicator, region, year, gender, value, absValue}``.

    Accepts ';' (REST /csv) and ',' separators and the header variants 'primary value' | 'value' |
    'primary.value' and 'absolute value' | 'absValue'; other columns are ignored, empty cells are
    missing (None). A row with the wrong number of cells keeps a ``_problem`` note for the report.
    """
    header, rows = read_delimited(payload, source)
    mapping = {name: canonical_column(name) for name in header}
    found = {target for target in mapping.values() if target}
    missing = [f for f in ("region", "year", "value") if f not in found]
    if missing:
        raise HyteError(
            f"{source}: no column for {', '.join(missing)} in the header ({', '.join(header)}); "
            "expected e.g. 'indicator;region;year;gender;primary value;absolute value'."
        )
    out = []
    for row in rows:
        record: dict[str, Any] = {}
        for name, target in mapping.items():
            if target and target not in record:
                record[target] = row.get(name)
        if "_cells" in row:
            record["_problem"] = row["_cells"]
        out.append(record)
    return out


def _canonical_row(item: Mapping[str, Any]) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for name, value in item.items():
        target = canonical_column(str(name))
        if target and target not in record:
            record[target] = value
    return record


def region_categories(regions: Iterable[Mapping[str, Any]], reference: Regions) -> dict[int, str]:
    """/regions -> {id: category} for the regions hyte does not report on (for ``other_regions``).

    A KUNTA that is not in the 2026 division (merged since) is labelled so, not lumped with others.
    """
    out: dict[int, str] = {}
    for region in regions:
        try:
            region_id = int(region["id"])
        except (KeyError, TypeError, ValueError):
            continue
        if reference.by_sotkanet_id(region_id) is not None:
            continue
        category = str(region.get("category") or "").strip().upper() or "UNKNOWN"
        if category == "KUNTA":
            category = "KUNTA not in the 2026 division"
        out[region_id] = category
    return out


# --- rows of several sources -> one tidy table --------------------------------------------------


def tidy_from_sources(
    sources: Iterable[tuple[str, Iterable[Mapping[str, Any]]]],
    reference: Regions,
    *,
    other_regions: Mapping[int, str] | None = None,
    report: LoadReport | None = None,
) -> tuple[pd.DataFrame, LoadReport]:
    """Tidy the rows of each (name, rows) source and combine them into one table and one report.

    Bad rows are reported as '<name> row N' (N counts data rows: line N+1 of a CSV with a
    header); a row with a ``_problem`` note is such a bad row, one marked ``_skip`` is passed over
    (its caller reports it). A row key repeated in a later source is a duplicate (first kept).
    """
    report = report if report is not None else LoadReport()
    tables = []
    for name, rows in sources:
        clean, positions, problems, skipped = [], [], [], 0
        for position, row in enumerate(rows, start=1):
            if isinstance(row, Mapping) and row.get("_skip"):
                continue  # left out and accounted for by the caller; keeps the row numbering
            problem = row.get("_problem") if isinstance(row, Mapping) else None
            if problem:
                problems.append((position, f"{name} row {position}: {problem}"))
                skipped += 1
            else:
                clean.append(row)
                positions.append(position)
        table, part = tidy_from_rows(clean, reference, other_regions=other_regions, source=name)
        # tidy_from_rows numbers the rows it saw; report the row's place in the source instead
        prefix = re.compile(rf"^{re.escape(name)} row (\d+):")
        for message in part.bad_rows:
            match = prefix.match(message)
            if match:
                position = positions[int(match[1]) - 1]
                message = f"{name} row {position}:{message[match.end() :]}"
            else:
                position = 0
            problems.append((position, message))
        part.bad_rows = [message for _, message in sorted(problems, key=lambda p: p[0])]
        part.rows_in += skipped
        _add_report(report, part)
        tables.append(table)
    if not tables:
        table, _ = tidy_from_rows([], reference)
        return table, report
    combined = pd.concat(tables, ignore_index=True) if len(tables) > 1 else tables[0]
    duplicated = combined.duplicated(KEY, keep="first")
    if duplicated.any():
        first = combined[~duplicated].set_index(KEY)["value"]
        for _, dup in combined[duplicated].iterrows():
            kept = first.loc[tuple(dup[k] for k in KEY)]
            if not (pd.isna(kept) and pd.isna(dup["value"])) and kept != dup["value"]:
                report.conflicting_duplicates.append(
                    f"indicator {dup['indicator']} region {dup['region_id']} year {dup['year']} "
                    f"{dup['sex']}: {dup['value']} vs {kept}"
                )
        report.duplicates += int(duplicated.sum())
        missing_dropped = int(combined.loc[duplicated, "value"].isna().sum())
        report.missing_value -= missing_dropped
        combined = combined[~duplicated]
    combined = combined.sort_values(KEY, kind="stable").reset_index(drop=True)
    report.rows_out = len(combined)
    report.note_dropped(combined["indicator"].unique())
    return combined, report


def _add_report(total: LoadReport, part: LoadReport) -> None:
    total.rows_in += part.rows_in
    total.missing_value += part.missing_value
    total.duplicates += part.duplicates
    total.conflicting_duplicates.extend(part.conflicting_duplicates)
    total.unknown_regions.update(part.unknown_regions)
    total.other_levels.update(part.other_levels)
    total.bad_rows.extend(part.bad_rows)
    total.indicators_seen.update(part.indicators_seen)
    for indicator, why in part.left_out_by_indicator.items():
        total.left_out_by_indicator.setdefault(indicator, type(why)()).update(why)
