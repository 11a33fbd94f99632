"""Municipalities, wellbeing services counties and the country: codes, names, Sotkanet ids.

Reference data live in ``data/reference/`` (Statistics Finland's classification, THL Sotkanet
region ids; CC BY 4.0). Codes are strings: municipalities 3 digits ("005"), counties 2 ("15").
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from hyte.errors import HyteError
from hyte.paths import reference_dir

COUNTRY_SOTKANET_ID = 658
COUNTRY_CODE = "SSS"
COUNTRY_NAME_FI = "Koko maa"
COUNTRY_NAME_SV = "Hela landet"

MUNICIPALITY = "municipality"
COUNTY = "county"
COUNTRY = "country"
LEVELS = (MUNICIPALITY, COUNTY, COUNTRY)

# Statistics Finland's language status (kielisuhde): 2 Swedish-only, 3 bilingual with Swedish majority.
_SWEDISH_MAJORITY = {"2", "3"}
_BILINGUAL = {"1", "3"}


@dataclass(frozen=True)
class Municipality:
    code: str
    name_fi: str
    name_sv: str
    county_code: str
    language_code: str
    sotkanet_id: int

    @property
    def language(self) -> str:
        """The municipality's majority language for its card: 'sv' or 'fi'."""
        return "sv" if self.language_code in _SWEDISH_MAJORITY else "fi"

    @property
    def bilingual(self) -> bool:
        return self.language_code in _BILINGUAL


@dataclass(frozen=True)
class County:
    code: str
    name_fi: str
    name_sv: str
    name_en: str
    sotkanet_id: int
    sotkanet_id_old: int | None


@dataclass(frozen=True)
class RegionRef:
    """A region as it appears in indicator data."""

    sotkanet_id: int
    level: str
    code: str
    name_fi: str


ALL_COUNTIES = "all"  # hyte.yml county: every municipality of the country


def normalise_municipality_code(code: str | int) -> str:
    """'5', 5 or '005' -> '005' (some sources drop the leading zeros)."""
    text = str(code).strip()
    if text.endswith(".0"):
        text = text[:-2]
    if not text.isdigit() or len(text) > 3:
        raise HyteError(f"'{code}' is not a municipality code: use 3 digits, e.g. 179 (Jyväskylä).")
    return text.zfill(3)


def normalise_county_code(code: str | int) -> str:
    """'1', 1 or '01' -> '01'."""
    text = str(code).strip()
    if not text.isdigit() or len(text) > 2:
        raise HyteError(f"'{code}' is not a county code: use 2 digits, e.g. 15 (Keski-Suomi).")
    return text.zfill(2)


class Regions:
    """Lookup of municipalities and counties by code and by Sotkanet id."""

    def __init__(self, municipalities: list[Municipality], counties: list[County], source: Path):
        self.source = source
        self.municipalities = {m.code: m for m in municipalities}
        self.counties = {c.code: c for c in counties}
        self._by_sotkanet: dict[int, RegionRef] = {
            COUNTRY_SOTKANET_ID: RegionRef(
                COUNTRY_SOTKANET_ID, COUNTRY, COUNTRY_CODE, COUNTRY_NAME_FI
            )
        }
        for m in municipalities:
            self._by_sotkanet[m.sotkanet_id] = RegionRef(
                m.sotkanet_id, MUNICIPALITY, m.code, m.name_fi
            )
        for c in counties:
            self._by_sotkanet[c.sotkanet_id] = RegionRef(c.sotkanet_id, COUNTY, c.code, c.name_fi)
        for c in counties:  # Sotkanet's earlier ids of the counties (877–898) resolve to today's
            if c.sotkanet_id_old and c.sotkanet_id_old not in self._by_sotkanet:
                self._by_sotkanet[c.sotkanet_id_old] = RegionRef(
                    c.sotkanet_id, COUNTY, c.code, c.name_fi
                )

    def municipality(self, code: str | int) -> Municipality:
        key = normalise_municipality_code(code)
        try:
            return self.municipalities[key]
        except KeyError:
            raise HyteError(
                f"Unknown municipality code '{code}': it is not in the 2026 division "
                f"({self.source / 'municipalities.csv'}). Use a 3-digit code such as 179 (Jyväskylä)."
            ) from None

    def county(self, code: str | int) -> County:
        key = normalise_county_code(code)
        try:
            return self.counties[key]
        except KeyError:
            raise HyteError(
                f"Unknown county code '{code}': use 01–21, 90 (Helsinki) or 91 (Åland); "
                f"see {self.source / 'counties.csv'}."
            ) from None

    def county_municipalities(self, county_code: str | int) -> list[Municipality]:
        """The county's municipalities, sorted by Finnish name."""
        county = self.county(county_code)
        members = [m for m in self.municipalities.values() if m.county_code == county.code]
        return sorted(members, key=lambda m: _finnish_sort_key(m.name_fi))

    def selection(self, county_code: str | int) -> list[Municipality]:
        """The county's municipalities, or with ``"all"`` every municipality of the country (sorted
        by county code, then Finnish name)."""
        if str(county_code).strip().lower() == ALL_COUNTIES:
            return [m for code in sorted(self.counties) for m in self.county_municipalities(code)]
        return self.county_municipalities(county_code)

    def county_of(self, municipality_code: str | int) -> County:
        return self.county(self.municipality(municipality_code).county_code)

    def by_sotkanet_id(self, sotkanet_id: int) -> RegionRef | None:
        """The region with this Sotkanet id, or None when it is not a municipality, county or country.
        A county's old id (``sotkanet_id_old``) gives the county with its current id."""
        return self._by_sotkanet.get(int(sotkanet_id))

    def wellbeing_counties(self) -> list[County]:
        """The 21 counties and Helsinki (Åland, 91, is outside the reform)."""
        return [c for code, c in sorted(self.counties.items()) if code != "91"]


def _finnish_sort_key(name: str) -> str:
    # Finnish alphabet: ... x y z å ä ö
    return name.lower().translate(str.maketrans({"å": "{", "ä": "|", "ö": "}"}))


def finnish_sort_key(name: str) -> str:
    """Sort key that puts å, ä, ö after z, as in Finnish."""
    return _finnish_sort_key(name)


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise HyteError(
            f"Reference file missing: {path}. Restore it from the repository (git checkout)."
        )
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@lru_cache(maxsize=4)
def load_regions(folder: Path | None = None) -> Regions:
    """Read ``data/reference/municipalities.csv`` and ``counties.csv``."""
    folder = Path(folder) if folder else reference_dir()
    municipalities = [
        Municipality(
            code=r["code"],
            name_fi=r["name_fi"],
            name_sv=r["name_sv"],
            county_code=r["county_code"],
            language_code=r["language_code"],
            sotkanet_id=int(r["sotkanet_id"]),
        )
        for r in _read_csv(folder / "municipalities.csv")
    ]
    counties = [
        County(
            code=r["code"],
            name_fi=r["name_fi"],
            name_sv=r["name_sv"],
            name_en=r["name_en"],
            sotkanet_id=int(r["sotkanet_id"]),
            sotkanet_id_old=int(r["sotkanet_id_old"]) if r["sotkanet_id_old"] else None,
        )
        for r in _read_csv(folder / "counties.csv")
    ]
    return Regions(municipalities, counties, folder)
