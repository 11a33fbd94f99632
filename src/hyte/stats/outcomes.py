"""'Not compared' as its own outcome: which comparisons and trend tests were made, and why the rest
were not, as Finnish sentences shared by the card (:mod:`hyte.card.card`) and the book (:mod:`hyte.book.report`).

Works on :func:`hyte.stats.summary.indicator_summary` rows (columns ``vs_county``, ``vs_country``,
``trend`` and their ``*_reason``). A sentence here never says "no difference" unless a comparison
was made, and a comparison that was not made is named with its reason.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from hyte.fmt import join_names
from hyte.stats import stats

#: The trend rule, as the card's methods, the book's appendix and hyte.stats.stats.trend(step=...) apply it.
TREND_RULE_FI = (
    "Kehitys testataan viiden viimeisen mittauskerran arvoista: vuosittain mitatuilla viideltä vuodelta, "
    "joka toinen vuosi mitatuilla (esim. kouluterveyskysely) yhdeksältä ja joka neljäs vuosi "
    "mitatuilla (esim. kuntavaalit) 17 vuodelta; mittausväli on indikaattoriluettelon kentässä "
    "frequency. Puuttuvaa tai salattua mittausta ei korvata vanhemmalla. Testi vaatii vähintään kolme "
    "arvoa ja jokaiselle lukumäärän; osuuksille käytetään khiin neliön trenditestiä, suhdeluvuille "
    "Poisson-trenditestiä, ja muutos on merkitsevä, kun p < 0,05."
)
#: When a value counts as old (hyte.stats.summary: stale).
STALE_RULE_FI = (
    "Arvo on vanha, kun se on yli yhden mittausvälin vanhempi kuin indikaattorin tuorein arvo alueen "
    "muissa kunnissa tai vertailualueilla tai yli mittausvälin ja kaksi vuotta vanhempi kuin aineiston "
    "tuorein vuosi. Vanhaa arvoa ei verrata eikä sijoiteta järjestykseen; se on merkitty tähdellä (*)."
)

__all__ = [
    "COMPARED",
    "STALE_RULE_FI",
    "TESTED",
    "TREND_RULE_FI",
    "NOTHING_COMPARED_FI",
    "compared",
    "made_sentence",
    "not_compared_sentence",
    "not_compared_sentences",
    "not_tested_sentence",
    "nothing_compared",
    "reason_text",
    "reasons_in",
    "tested",
]

COMPARED = (stats.BETTER, stats.SIMILAR, stats.WORSE, stats.HIGHER, stats.LOWER)
TESTED = (stats.IMPROVING, stats.WORSENING, stats.INCREASING, stats.DECREASING, stats.NO_CHANGE)
_BENCHMARK = {"vs_county": "hyvinvointialueeseen", "vs_country": "koko maahan"}


#: The card's (HTML and print) strengths and concerns when no comparison or trend test could be made.
NOTHING_COMPARED_FI = (
    "Vahvuuksia ja haasteita ei voi tässä aineistossa arvioida: yhtään vertailua "
    "hyvinvointialueeseen tai koko maahan eikä yhtään trenditestiä voitu tehdä."
)


def compared(rows: pd.DataFrame, column: str) -> pd.DataFrame:
    """The rows whose comparison ``column`` (vs_county / vs_country) was made."""
    return rows[rows[column].isin(COMPARED)] if len(rows) else rows


def tested(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows whose trend was tested."""
    return rows[rows["trend"].isin(TESTED)] if len(rows) else rows


def nothing_compared(rows: pd.DataFrame) -> bool:
    """True when no comparison and no trend test could be made for any of the rows."""
    return not (
        len(compared(rows, "vs_county")) or len(compared(rows, "vs_country")) or len(tested(rows))
    )


def reason_text(code: str, language: str = "fi") -> str:
    """The reader's text of a reason code (``data/labels.yml``, key ``reason_<code>``)."""
    from hyte.stats.summary import label

    code = str(code or "").strip()
    if not code or code == "nan":
        code = "no_ci"
    return label(f"reason_{code}", language)


def _by_reason(rows: pd.DataFrame, reason_column: str, limit: int | None) -> list[str]:
    parts = []
    reasons = (
        rows[reason_column].fillna("").astype(str)
        if reason_column in rows
        else pd.Series([""] * len(rows), index=rows.index)
    )
    for code in dict.fromkeys(reasons):  # in order of first appearance
        names = list(rows.loc[reasons == code, "short"])
        count = "1 indikaattorissa" if len(names) == 1 else f"{len(names)} indikaattorissa"
        parts.append(f"{count} ({join_names(names, limit)}), koska {reason_text(code)}")
    return parts


def not_compared_sentence(rows: pd.DataFrame, column: str, *, limit: int | None = 6) -> str:
    """'Hyvinvointialueeseen ei voitu verrata 3 indikaattorissa (A, B ja C), koska ...' ('' when every
    row was compared). ``column`` is vs_county or vs_country."""
    if not len(rows):
        return ""
    missing = rows[rows[column] == stats.NOT_COMPARED]
    if missing.empty:
        return ""
    parts = _by_reason(missing, f"{column}_reason", limit)
    where = _BENCHMARK[column]
    return f"{where[:1].upper()}{where[1:]} ei verrattu {'; '.join(parts)}."


def not_compared_sentences(rows: pd.DataFrame, *, limit: int | None = 6) -> list[str]:
    """The county's and the country's :func:`not_compared_sentence`, as one sentence when the same
    indicators were left out for the same reasons ('Hyvinvointialueeseen ja koko maahan ei verrattu…')."""
    county = not_compared_sentence(rows, "vs_county", limit=limit)
    country = not_compared_sentence(rows, "vs_country", limit=limit)
    if (
        county
        and country
        and county.split(" ei verrattu ", 1)[1] == country.split(" ei verrattu ", 1)[1]
    ):
        return [
            "Hyvinvointialueeseen ja koko maahan ei verrattu " + county.split(" ei verrattu ", 1)[1]
        ]
    return [x for x in (county, country) if x]


def not_tested_sentence(rows: pd.DataFrame, *, limit: int | None = 6) -> str:
    """'Kehitystä ei testattu 2 indikaattorissa (A ja B), koska ...' ('' when every trend was tested)."""
    if not len(rows):
        return ""
    missing = rows[rows["trend"] == stats.CANNOT_CALCULATE]
    if missing.empty:
        return ""
    return f"Kehitystä ei testattu {'; '.join(_by_reason(missing, 'trend_reason', limit))}."


def made_sentence(rows: pd.DataFrame, *, differences_found: bool, trends_found: bool) -> str:
    """How many comparisons and trend tests were made and — only for what was made and found
    nothing — that none was significant. '' when nothing was made."""
    county, country, trends = (
        len(compared(rows, "vs_county")),
        len(compared(rows, "vs_country")),
        len(tested(rows)),
    )
    done = []
    if county:
        done.append(f"hyvinvointialueeseen {county}")
    if country:
        done.append(f"koko maahan {country}")
    sentences = []
    if done:
        text = f"Verrattuja indikaattoreita oli {join_names(done, None)}"
        sentences.append(
            text
            + (
                "."
                if differences_found
                else "; yhdessäkään niistä ero ei ollut tilastollisesti merkitsevä."
            )
        )
    if trends:
        text = f"Kehitys testattiin {trends} indikaattorissa"
        sentences.append(
            text
            + ("." if trends_found else "; yhdessäkään muutos ei ollut tilastollisesti merkitsevä.")
        )
    return " ".join(sentences)


def reasons_in(
    rows: pd.DataFrame, columns: Sequence[str] = ("vs_county", "vs_country")
) -> set[str]:
    """The reason codes of the rows' comparisons that were not made."""
    found: set[str] = set()
    for column in columns:
        if f"{column}_reason" in rows:
            found |= {
                str(r)
                for r in rows.loc[rows[column] == stats.NOT_COMPARED, f"{column}_reason"]
                if str(r) and str(r) != "nan"
            }
    return found


def name_with_unit(name: str, unit: str) -> str:
    """'Kuolleisuus (/100 000 as.)', but 'Työttömät, % työvoimasta' stays as it is: a name that
    already holds its unit does not get it twice."""
    unit = str(unit or "").strip()
    if not unit or unit in str(name):
        return str(name)
    return f"{name} ({unit})"


_DOUBLE_STOP = __import__("re").compile(r"(?<![.])\.\.(?![.])")
_EMPTY_STOP = __import__("re").compile(r"([.:;])\s+\.(?=\s|$)")


def tidy_stops(text: str) -> str:
    """A sentence that ends in an abbreviation ('alkoholia/as.') gets no second full stop, and an
    empty description leaves no '. .' behind."""
    return _EMPTY_STOP.sub(r"\1", _DOUBLE_STOP.sub(".", text))
