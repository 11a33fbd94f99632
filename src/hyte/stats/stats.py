"""Statistics of the municipal cards, as pure functions: confidence intervals, benchmark
comparison, trend tests, small-number suppression, ranks and quartiles.

Modelled on PHEindicatormethods (Office for Health Improvement and Disparities, UK) and the
Fingertips public-health profiles. This module knows nothing of files, notebooks or plotting: it
takes plain numbers (or numpy arrays, where natural) and returns plain numbers. Where the inputs do
not allow a result the answer is NaN (or the label ``not_compared`` / ``cannot_calculate``), never
an exception.

Sotkanet publishes a value (a percentage or a rate) and, for many indicators, the count behind it
(``absValue``) but not the denominator. The denominator is derived as
``count × multiplier / value``. Because Sotkanet rounds the value (typically to one decimal), the
derived denominator is approximate; the effect on the interval is small where the value has two or
more significant digits and grows for values such as 0.3 %. That is a documented limitation, not
something these functions can repair.

References:
- Wilson EB (1927); Newcombe RG (1998) Two-sided confidence intervals for the single proportion,
  Stat Med 17:857–872 (method 3, without continuity correction).
- Breslow NE, Day NE (1987) Statistical methods in cancer research II, p. 69 (Byar's
  approximation); exact Poisson limits from the chi-square distribution (Ulm 1990).
- Armitage P (1955), Cochran WG (1954): chi-square test for trend in proportions; the same score
  test for a log-linear trend in Poisson rates (Breslow & Day 1987, section 3.6).
- Fingertips: "Confidence intervals" and "Technical guidance: trend" (PHE/OHID), benchmarking by
  comparing the area's 95 % confidence interval with the benchmark value.
"""

from __future__ import annotations

import bisect
import functools
import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
from scipy import stats as _sps

__all__ = [
    "BETTER",
    "CANNOT_CALCULATE",
    "DECREASING",
    "EXACT_POISSON_BELOW",
    "HIGHER",
    "IMPROVING",
    "INCREASING",
    "LOWER",
    "NOT_COMPARED",
    "NO_CHANGE",
    "SIMILAR",
    "WORSE",
    "WORSENING",
    "TrendResult",
    "byar_interval",
    "compare",
    "confidence_interval",
    "exact_poisson_interval",
    "proportion_interval",
    "quartiles",
    "rank",
    "rate_interval",
    "suppress",
    "trend",
    "wilson_interval",
]

# Comparison labels (keys of data/labels.yml).
BETTER, SIMILAR, WORSE = "better", "similar", "worse"
HIGHER, LOWER = "higher", "lower"
NOT_COMPARED = "not_compared"
# Trend labels.
IMPROVING, WORSENING = "improving", "worsening"
INCREASING, DECREASING = "increasing", "decreasing"
NO_CHANGE, CANNOT_CALCULATE = "no_change", "cannot_calculate"

#: Rates: exact Poisson limits for counts below this, Byar's approximation from it up (Fingertips).
EXACT_POISSON_BELOW = 10
#: Trend: the largest gap in years between successive points still treated as one series
#: (2 lets the biennial school health survey through).
MAX_TREND_GAP = 2
#: Trend: fewest points a test is run on.
MIN_TREND_POINTS = 3

_POLARITIES = ("higher_is_better", "lower_is_better", "none")


class TrendResult(NamedTuple):
    """The outcome of :func:`trend`.

    label           improving / worsening (with polarity), increasing / decreasing (polarity none),
                    no_change (p ≥ alpha) or cannot_calculate
    p_value         two-sided p of the chi-square test for trend (NaN when not calculated)
    slope_per_year  weighted least-squares slope in the indicator's own unit per year
                    (percentage points per year for proportions; NaN when not calculated)
    first_year, last_year  the years of the points tested (None when there were none)
    n               number of points tested
    """

    label: str
    p_value: float
    slope_per_year: float
    first_year: int | None
    last_year: int | None
    n: int


# ----------------------------------------------------------------------------------------- helpers


def _z(confidence: float) -> float:
    """Two-sided standard normal quantile: 0.95 -> 1.959964."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence!r}")
    return _normal_quantile(1 - (1 - confidence) / 2)


@functools.lru_cache(maxsize=64)
def _normal_quantile(probability: float) -> float:
    """scipy's normal quantile, remembered (every interval asks for the same one or two)."""
    return float(_sps.norm.ppf(probability))


def _arrays(*values: Any) -> tuple[bool, list[np.ndarray]]:
    """Inputs as float arrays broadcast together, and whether they were all scalars."""
    scalar = all(np.ndim(v) == 0 for v in values)
    arrays = np.broadcast_arrays(*[np.asarray(v, dtype=float) for v in values])
    return scalar, [np.array(a, dtype=float) for a in arrays]


def _result(scalar: bool, *arrays: np.ndarray) -> tuple:
    if scalar:
        return tuple(float(a) for a in arrays)
    return tuple(arrays)


def _polarity(polarity: Any) -> str:
    text = getattr(polarity, "value", polarity)
    text = "none" if text is None else str(text)
    if text not in _POLARITIES:
        raise ValueError(f"polarity must be one of {', '.join(_POLARITIES)}, got {polarity!r}")
    return text


def _method(method: Any) -> str:
    text = getattr(method, "value", method)
    text = "none" if text is None else str(text)
    if text not in ("wilson", "byar", "none"):
        raise ValueError(f"CI method must be 'wilson', 'byar' or 'none', got {method!r}")
    return text


def _is_nan(value: Any) -> bool:
    try:
        return value is None or math.isnan(float(value))
    except (TypeError, ValueError):
        return True


# ---------------------------------------------------------------------------- confidence intervals


def wilson_interval(count: Any, denominator: Any, confidence: float = 0.95) -> tuple:
    """Wilson score interval (no continuity correction) for ``count / denominator``, as proportions.

    ``(lower, upper)``; count 0 gives lower 0, count == denominator gives upper 1. NaN when
    the denominator is not positive or the count is negative or larger than the denominator.
    Scalars give floats, arrays give arrays. Same formula as
    PHEindicatormethods::wilson_lower/upper.
    """
    scalar, (x, n) = _arrays(count, denominator)
    z = _z(confidence)
    ok = (n > 0) & (x >= 0) & (x <= n)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / n
        centre = 2 * x + z * z
        half = z * np.sqrt(np.clip(z * z + 4 * x * (1 - p), 0, None))
        denom = 2 * (n + z * z)
        lower = np.where(ok, (centre - half) / denom, np.nan)
        upper = np.where(ok, (centre + half) / denom, np.nan)
    lower = np.where(ok & (x == 0), 0.0, lower)
    upper = np.where(ok & (x == n), 1.0, upper)
    return _result(scalar, lower, upper)


def proportion_interval(value_pct: Any, count: Any, confidence: float = 0.95) -> tuple:
    """Wilson interval of a published percentage, ``(lower_pct, upper_pct)``.

    The denominator is derived as ``count × 100 / value``. NaN when it cannot be: value or count
    missing, value ≤ 0 (a zero value hides the denominator, whether the count is 0 or,
    inconsistently, positive), value > 100, or a negative count.
    """
    scalar, (value, x) = _arrays(value_pct, count)
    ok = (value > 0) & (value <= 100) & (x >= 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        n = np.where(ok, x * 100.0 / value, np.nan)
    lower, upper = wilson_interval(x, n, confidence)
    return _result(scalar, np.asarray(lower) * 100.0, np.asarray(upper) * 100.0)


def byar_interval(count: Any, confidence: float = 0.95) -> tuple:
    """Byar's approximation to the Poisson confidence limits of a count, ``(lower, upper)``.

    lower = x (1 − 1/(9x) − z/(3√x))³, upper = (x+1) (1 − 1/(9(x+1)) + z/(3√(x+1)))³;
    count 0 gives lower 0. NaN for a negative or missing count.
    (PHEindicatormethods::byars_lower/upper.)
    """
    scalar, (x,) = _arrays(count)
    z = _z(confidence)
    ok = x >= 0
    with np.errstate(invalid="ignore", divide="ignore"):
        lower = x * (1 - 1 / (9 * x) - z / (3 * np.sqrt(x))) ** 3
        upper = (x + 1) * (1 - 1 / (9 * (x + 1)) + z / (3 * np.sqrt(x + 1))) ** 3
    lower = np.where(ok, np.where(x == 0, 0.0, lower), np.nan)
    upper = np.where(ok, upper, np.nan)
    return _result(scalar, lower, upper)


def exact_poisson_interval(count: Any, confidence: float = 0.95) -> tuple:
    """Exact Poisson confidence limits of a count from the chi-square distribution,
    ``(lower, upper)``.

    lower = χ²(α/2; 2x)/2 (0 when x = 0), upper = χ²(1−α/2; 2x+2)/2. NaN for a negative or
    missing count. Non-integer counts are accepted (the formula is continuous in x).
    """
    scalar, (x,) = _arrays(count)
    alpha = 1 - confidence
    _z(confidence)  # validates confidence
    ok = x >= 0
    with np.errstate(invalid="ignore"):
        lower = np.where(ok & (x > 0), _sps.chi2.ppf(alpha / 2, np.where(x > 0, 2 * x, 1)) / 2, 0.0)
        upper = _sps.chi2.ppf(1 - alpha / 2, 2 * np.where(ok, x, 0) + 2) / 2
    lower = np.where(ok, lower, np.nan)
    upper = np.where(ok, upper, np.nan)
    return _result(scalar, lower, upper)


def rate_interval(value: Any, count: Any, multiplier: float, confidence: float = 0.95) -> tuple:
    """Confidence limits of a crude rate ``value = count / denominator × multiplier``,
    ``(lower, upper)``.

    Exact Poisson limits when count < 10, Byar's approximation otherwise (as Fingertips). The
    denominator is derived as ``count × multiplier / value``, so the limits are the count's limits
    × value / count. NaN when the count is 0 (the denominator is then unknown), when value or count
    is missing, or value ≤ 0 while count > 0.
    """
    if multiplier is None or not multiplier > 0:
        raise ValueError(f"multiplier must be positive, got {multiplier!r}")
    scalar, (rate, x) = _arrays(value, count)
    ok = (x > 0) & (rate > 0)
    exact_low, exact_high = exact_poisson_interval(np.where(ok, x, 0), confidence)
    byar_low, byar_high = byar_interval(np.where(ok, x, 0), confidence)
    small = x < EXACT_POISSON_BELOW
    low_count = np.where(small, exact_low, byar_low)
    high_count = np.where(small, exact_high, byar_high)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_count = np.where(ok, rate / x, np.nan)
    return _result(scalar, low_count * per_count, high_count * per_count)


def confidence_interval(
    value: Any, count: Any, method: Any, multiplier: float | None = None, confidence: float = 0.95
) -> tuple:
    """Dispatch on the catalog's CI method: 'wilson' -> :func:`proportion_interval` (value in %),
    'byar' -> :func:`rate_interval` (needs ``multiplier``), 'none' -> ``(NaN, NaN)``."""
    method = _method(method)
    if method == "wilson":
        return proportion_interval(value, count, confidence)
    if method == "byar":
        if multiplier is None:
            raise ValueError(
                "CI method 'byar' needs the rate multiplier (1 000, 10 000 or 100 000)"
            )
        return rate_interval(value, count, multiplier, confidence)
    scalar, (v, _c) = _arrays(value, count)
    nan = np.full(v.shape, np.nan)
    return _result(scalar, nan, nan.copy())


# ----------------------------------------------------------------------------------------- compare


def compare(value: float, lower: float, upper: float, benchmark: float, polarity: Any) -> str:
    """Compare an area's 95 % CI with a benchmark VALUE (Fingertips): the CI wholly above it is
    'higher', wholly below 'lower', touching or containing it 'similar'; then by polarity
    higher/lower become better/worse (higher_is_better), worse/better (lower_is_better) or stay
    higher/lower (none). 'not_compared' when the value, a limit or the benchmark is missing."""
    polarity = _polarity(polarity)
    if any(_is_nan(v) for v in (value, lower, upper, benchmark)):
        return NOT_COMPARED
    if float(lower) > float(benchmark):
        side = HIGHER
    elif float(upper) < float(benchmark):
        side = LOWER
    else:
        return SIMILAR
    if polarity == "higher_is_better":
        return BETTER if side == HIGHER else WORSE
    if polarity == "lower_is_better":
        return BETTER if side == LOWER else WORSE
    return side


# ------------------------------------------------------------------------------------------- trend


def _trend_window(years: np.ndarray, points: int, max_gap: float) -> np.ndarray:
    """Indices (into sorted years) of the last ``points`` points, cut at the last gap larger
    than ``max_gap``."""
    chosen = np.arange(len(years))[-points:]
    gaps = np.diff(years[chosen])
    breaks = np.nonzero(gaps > max_gap)[0]
    if len(breaks):
        chosen = chosen[breaks[-1] + 1 :]
    return chosen


def trend_window(years: np.ndarray, points: int, step: float) -> np.ndarray:
    """Indices (into sorted years) of the values of the last ``points`` measurement occasions of a
    series measured every ``step`` years: years from ``last − (points − 1) × step`` to ``last``."""
    years = np.asarray(years, dtype=float)
    if not len(years):
        return np.arange(0)
    start = years[-1] - (points - 1) * float(step)
    return np.nonzero(years >= start)[0][-points:]


def _chi2_trend_proportions(
    scores: Sequence[float], counts: Sequence[float], denominators: Sequence[float]
) -> tuple[float, float, float]:
    """Chi-square test for trend in proportions (Cochran–Armitage, Armitage 1955, without the
    N/(N−1) factor). Returns (chi-square with 1 df, p-value, WLS slope of the proportion per
    score)."""
    t = np.asarray(scores, dtype=float)
    x = np.asarray(counts, dtype=float)
    n = np.asarray(denominators, dtype=float)
    total_n, total_x = n.sum(), x.sum()
    p_bar = total_x / total_n
    t_bar = (n * t).sum() / total_n
    sxx = (n * (t - t_bar) ** 2).sum()
    statistic = (x * (t - t_bar)).sum()
    variance = p_bar * (1 - p_bar) * sxx
    if not (variance > 0 and sxx > 0):
        return math.nan, math.nan, math.nan
    chi2 = statistic**2 / variance
    return float(chi2), float(_sps.chi2.sf(chi2, 1)), float(statistic / sxx)


def _chi2_trend_rates(
    scores: Sequence[float], counts: Sequence[float], person_years: Sequence[float]
) -> tuple[float, float, float]:
    """Score test for a log-linear trend in Poisson rates (chi-square test for trend on counts
    with person-years; Breslow & Day 1987, 3.6). Returns (chi-square with 1 df, p-value, WLS
    slope of the rate per score, the rate taken as count/person-years)."""
    t = np.asarray(scores, dtype=float)
    x = np.asarray(counts, dtype=float)
    e = np.asarray(person_years, dtype=float)
    total_x = x.sum()
    if not total_x > 0:
        return math.nan, math.nan, math.nan
    expected = total_x * e / e.sum()
    t_bar = (expected * t).sum() / total_x
    score = (t * (x - expected)).sum()
    variance = (expected * (t - t_bar) ** 2).sum()
    if not variance > 0:
        return math.nan, math.nan, math.nan
    chi2 = score**2 / variance
    sxx = (e * (t - (e * t).sum() / e.sum()) ** 2).sum()
    return float(chi2), float(_sps.chi2.sf(chi2, 1)), float(score / sxx)


def trend(
    years: Iterable[Any],
    values: Iterable[Any],
    counts: Iterable[Any] | None = None,
    *,
    method: Any,
    multiplier: float | None = None,
    polarity: Any,
    points: int = 5,
    alpha: float = 0.05,
    max_gap: float = MAX_TREND_GAP,
    step: float | None = None,
) -> TrendResult:
    """Test for a trend over the last ``points`` values (years with a value, sorted).

    With ``step`` (the indicator's measurement interval in years: 1 annual, 2 biennial, 4 every
    fourth year) the window is the last ``points`` measurement occasions: the values from the years
    ``last − (points − 1) × step`` … ``last`` (a missing or suppressed occasion is left out, not
    replaced by an older one). Without ``step`` (older callers) it is the last ``points`` years with
    a value, cut after any gap longer than ``max_gap`` years. Either way it needs at least
    ``MIN_TREND_POINTS`` points, and a count for every one.
    method 'wilson' (percentages): chi-square test for trend (Cochran–Armitage) on counts and
    denominators count×100/value; 'byar' (rates): score test for a log-linear Poisson trend on
    counts and person-years count×multiplier/value; 'none' or counts missing: cannot_calculate
    (a trend test without counts would be invented). p < alpha -> improving/worsening by polarity
    and the slope's sign (increasing/decreasing for polarity none); otherwise no_change.

    Like Fingertips, the test assumes binomial/Poisson variation only: with the denominators of a
    large town or a county, even a change of a few tenths of a percentage point is significant, and
    year-to-year variation beyond chance (overdispersion) is not allowed for.
    """
    polarity = _polarity(polarity)
    method = _method(method)
    y = np.asarray(list(years), dtype=float)
    v = np.asarray(list(values), dtype=float)
    c = np.full(len(y), np.nan) if counts is None else np.asarray(list(counts), dtype=float)
    if not (len(y) == len(v) == len(c)):
        raise ValueError("years, values and counts must have the same length")
    keep = ~np.isnan(y) & ~np.isnan(v)
    order = np.argsort(y[keep], kind="stable")
    y, v, c = y[keep][order], v[keep][order], c[keep][order]
    if step is not None and len(y):
        chosen = trend_window(y, points, step)
    else:
        chosen = _trend_window(y, points, max_gap) if len(y) else np.arange(0)
    y, v, c = y[chosen], v[chosen], c[chosen]
    first = int(y[0]) if len(y) else None
    last = int(y[-1]) if len(y) else None

    def cannot() -> TrendResult:
        return TrendResult(CANNOT_CALCULATE, math.nan, math.nan, first, last, len(y))

    if len(y) < MIN_TREND_POINTS or method == "none" or np.isnan(c).any() or (c < 0).any():
        return cannot()
    if (v <= 0).any():  # the denominator cannot be derived from a zero value
        return cannot()
    if method == "wilson":
        if (v > 100).any():
            return cannot()
        denominators = c * 100.0 / v
        _chi2, p_value, slope = _chi2_trend_proportions(y, c, denominators)
        slope *= 100.0
    else:
        if multiplier is None or not multiplier > 0:
            raise ValueError("trend with method 'byar' needs the rate multiplier")
        person_years = c * multiplier / v
        _chi2, p_value, slope = _chi2_trend_rates(y, c, person_years)
        slope *= multiplier
    if _is_nan(p_value):
        return cannot()
    if p_value >= alpha or slope == 0:
        label = NO_CHANGE
    elif polarity == "none":
        label = INCREASING if slope > 0 else DECREASING
    elif (slope > 0) == (polarity == "higher_is_better"):
        label = IMPROVING
    else:
        label = WORSENING
    return TrendResult(label, p_value, slope, first, last, len(y))


# --------------------------------------------------------------------------- suppression and ranks


def suppress(value: Any, count: Any, threshold: Any) -> Any:
    """Whether to hide a value: the count is known and 0 < count < threshold.

    A zero count is NOT hidden: it reveals no individual (THL's and Statistics Finland's practice
    is to protect small positive counts), and a true zero is information the reader needs. A
    missing count cannot be checked and is not hidden. ``value`` is not used for the decision (kept
    for a uniform call with the other functions). Vectorised: arrays give a boolean array.
    """
    scalar, (_v, x, limit) = _arrays(value, count, threshold)
    with np.errstate(invalid="ignore"):
        hidden = ~np.isnan(x) & (x > 0) & (x < limit)
    return bool(hidden) if scalar else hidden


def rank(values: Mapping[Hashable, Any], polarity: Any) -> dict[Hashable, tuple[int, int]]:
    """Rank areas, 1 = best: highest value first for higher_is_better and none, lowest first for
    lower_is_better. Ties share the better position (1, 2, 2, 4). Missing (NaN) values are left out
    of the result and of ``n``. Returns ``{key: (position, n)}``."""
    polarity = _polarity(polarity)
    present = {k: float(v) for k, v in values.items() if not _is_nan(v)}
    sign = 1.0 if polarity == "lower_is_better" else -1.0
    ordered = sorted(sign * v for v in present.values())
    n = len(ordered)
    return {k: (bisect.bisect_left(ordered, sign * v) + 1, n) for k, v in present.items()}


def quartiles(values: Iterable[Any]) -> tuple[float, float, float, float]:
    """``(min, 25th percentile, 75th percentile, max)`` of the non-missing values (numpy's default
    linear interpolation, R type 7), for spine charts. All NaN when there are no values."""
    data = np.asarray([float(v) for v in values if not _is_nan(v)], dtype=float)
    if data.size == 0:
        return (math.nan, math.nan, math.nan, math.nan)
    q25, q75 = np.percentile(data, [25, 75])
    return (float(data.min()), float(q25), float(q75), float(data.max()))
