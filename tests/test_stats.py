"""hyte.stats.stats against published reference values and independent computations (scipy)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize
from scipy import stats as sps

from hyte.stats import stats
from hyte.stats.stats import (
    TrendResult,
    byar_interval,
    compare,
    confidence_interval,
    exact_poisson_interval,
    proportion_interval,
    quartiles,
    rank,
    rate_interval,
    suppress,
    trend,
    wilson_interval,
)

# ------------------------------------------------------------------------------------------ Wilson

# Newcombe RG (1998), Stat Med 17:857-872, Table I, method 3 (Wilson score, no continuity
# correction).
NEWCOMBE_1998 = [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
    (29, 29, 0.8830, 1.0000),
]


@pytest.mark.parametrize("count, denominator, lower, upper", NEWCOMBE_1998)
def test_wilson_matches_newcombe_1998(count, denominator, lower, upper):
    low, high = wilson_interval(count, denominator)
    assert round(low, 4) == lower
    assert round(high, 4) == upper


@pytest.mark.parametrize(
    "count, denominator", [(0, 10), (10, 10), (3, 7), (65, 100), (2386, 19719)]
)
def test_wilson_matches_scipy(count, denominator):
    reference = sps.binomtest(count, denominator).proportion_ci(
        confidence_level=0.95, method="wilson"
    )
    low, high = wilson_interval(count, denominator)
    assert low == pytest.approx(reference.low, abs=1e-12)
    assert high == pytest.approx(reference.high, abs=1e-12)


def test_wilson_edges_zero_and_all():
    assert wilson_interval(0, 10) == (0.0, pytest.approx(0.2775328, abs=1e-7))
    assert wilson_interval(10, 10) == (pytest.approx(0.7224672, abs=1e-7), 1.0)


def test_wilson_other_confidence_is_wider():
    low95, high95 = wilson_interval(65, 100)
    low998, high998 = wilson_interval(65, 100, confidence=0.998)
    assert low998 < low95 < 0.65 < high95 < high998


@pytest.mark.parametrize(
    "count, denominator", [(5, 0), (-1, 10), (11, 10), (math.nan, 10), (3, math.nan)]
)
def test_wilson_impossible_inputs_are_nan(count, denominator):
    low, high = wilson_interval(count, denominator)
    assert math.isnan(low) and math.isnan(high)


def test_wilson_is_vectorised():
    low, high = wilson_interval(np.array([81, 0, 5]), np.array([263, 10, 0]))
    assert isinstance(low, np.ndarray) and low.shape == (3,)
    assert round(low[0], 4) == 0.2553 and low[1] == 0.0 and math.isnan(low[2])
    assert round(high[0], 4) == 0.3662 and math.isnan(high[2])


def test_proportion_interval_derives_the_denominator():
    value = 81 / 263 * 100
    low, high = proportion_interval(value, 81)
    assert low == pytest.approx(25.52885, abs=1e-4)
    assert high == pytest.approx(36.62096, abs=1e-4)


@pytest.mark.parametrize(
    "value, count",
    [(0.0, 0), (0.0, 5), (101.0, 5), (-2.0, 5), (12.0, math.nan), (math.nan, 12), (12.0, -1)],
)
def test_proportion_interval_without_a_derivable_denominator_is_nan(value, count):
    low, high = proportion_interval(value, count)
    assert math.isnan(low) and math.isnan(high)


def test_proportion_interval_of_100_percent_reaches_100():
    low, high = proportion_interval(100.0, 40)
    assert high == 100.0 and low == pytest.approx(wilson_interval(40, 40)[0] * 100)


# -------------------------------------------------------------------------------- Poisson and Byar


def test_exact_poisson_published_values():
    # Standard table of exact 95 % Poisson limits (e.g. Breslow & Day 1987, Table 4.3; APHO 2008):
    # 0 -> 0–3.689, 1 -> 0.0253–5.572, 10 -> 4.795–18.39.
    assert exact_poisson_interval(0) == (0.0, pytest.approx(3.689, abs=5e-4))
    low, high = exact_poisson_interval(1)
    assert (round(low, 4), round(high, 3)) == (0.0253, 5.572)
    low, high = exact_poisson_interval(10)
    assert (round(low, 3), round(high, 2)) == (4.795, 18.39)


@pytest.mark.parametrize("count", [1, 3, 9, 10, 37])
def test_exact_poisson_limits_satisfy_their_definition(count):
    low, high = exact_poisson_interval(count)
    # The lower limit: P(X >= count | low) = 2.5 %; the upper: P(X <= count | high) = 2.5 %.
    assert sps.poisson.sf(count - 1, low) == pytest.approx(0.025, abs=1e-9)
    assert sps.poisson.cdf(count, high) == pytest.approx(0.025, abs=1e-9)


def test_byar_published_value_and_closeness_to_exact():
    low, high = byar_interval(100)
    assert (round(low, 2), round(high, 2)) == (81.36, 121.63)
    exact_low, exact_high = exact_poisson_interval(100)
    assert abs(low - exact_low) < 0.01 and abs(high - exact_high) < 0.01
    # Byar's approximation stays within 0.2 % of the exact limits from 10 events up.
    counts = np.array([10, 25, 65, 250, 1000, 25_000])
    low, high = byar_interval(counts)
    exact_low, exact_high = exact_poisson_interval(counts)
    assert np.all(np.abs(low / exact_low - 1) < 2e-3) and np.all(
        np.abs(high / exact_high - 1) < 2e-3
    )


def test_byar_zero_and_invalid():
    low, high = byar_interval(0)
    assert low == 0.0 and high == pytest.approx(3.668, abs=1e-3)
    assert all(math.isnan(v) for v in byar_interval(-1))
    assert all(math.isnan(v) for v in byar_interval(math.nan))


def test_rate_interval_round_trip_byar():
    # 82 events in 10 000 person-years = 820 per 100 000 (PHEindicatormethods' phe_rate example).
    low, high = rate_interval(820.0, 82, 1e5)
    byar_low, byar_high = byar_interval(82)
    assert low == pytest.approx(byar_low / 10_000 * 1e5)
    assert high == pytest.approx(byar_high / 10_000 * 1e5)
    assert low < 820.0 < high


def test_rate_interval_uses_exact_limits_under_ten():
    low, high = rate_interval(9.0, 9, 1e3)  # 9 events in 1 000 -> 9 per 1 000
    exact_low, exact_high = exact_poisson_interval(9)
    assert (low, high) == (pytest.approx(exact_low), pytest.approx(exact_high))
    low10, _ = rate_interval(10.0, 10, 1e3)
    assert low10 == pytest.approx(byar_interval(10)[0])


@pytest.mark.parametrize("value, count", [(0.0, 0), (0.0, 4), (5.0, math.nan), (math.nan, 5)])
def test_rate_interval_without_a_denominator_is_nan(value, count):
    assert all(math.isnan(v) for v in rate_interval(value, count, 1e5))


def test_confidence_interval_dispatch():
    assert confidence_interval(81 / 263 * 100, 81, "wilson") == proportion_interval(
        81 / 263 * 100, 81
    )
    assert confidence_interval(820.0, 82, "byar", 1e5) == rate_interval(820.0, 82, 1e5)
    assert all(math.isnan(v) for v in confidence_interval(95.0, 10, "none"))
    with pytest.raises(ValueError):
        confidence_interval(820.0, 82, "byar")
    with pytest.raises(ValueError):
        confidence_interval(820.0, 82, "bootstrap")


# ----------------------------------------------------------------------------------------- compare


@pytest.mark.parametrize(
    "lower, upper, reference, polarity, expected",
    [
        (11.0, 13.0, 10.0, "higher_is_better", "better"),
        (11.0, 13.0, 10.0, "lower_is_better", "worse"),
        (11.0, 13.0, 10.0, "none", "higher"),
        (11.0, 13.0, 14.0, "higher_is_better", "worse"),
        (11.0, 13.0, 14.0, "lower_is_better", "better"),
        (11.0, 13.0, 14.0, "none", "lower"),
        (11.0, 13.0, 12.5, "higher_is_better", "similar"),
        (11.0, 13.0, 12.5, "none", "similar"),
        (
            11.0,
            13.0,
            13.0,
            "lower_is_better",
            "similar",
        ),  # touching the benchmark is not a difference
        (11.0, 13.0, 11.0, "higher_is_better", "similar"),
        (math.nan, math.nan, 10.0, "higher_is_better", "not_compared"),
        (11.0, 13.0, math.nan, "lower_is_better", "not_compared"),
    ],
)
def test_compare(lower, upper, reference, polarity, expected):
    assert compare(12.0, lower, upper, reference, polarity) == expected


def test_compare_accepts_the_catalog_enum_and_rejects_nonsense():
    from hyte.data.catalog import Polarity

    assert compare(12.0, 11.0, 13.0, 10.0, Polarity.lower_is_better) == "worse"
    assert compare(math.nan, 11.0, 13.0, 10.0, "none") == "not_compared"
    with pytest.raises(ValueError):
        compare(12.0, 11.0, 13.0, 10.0, "up")


# ------------------------------------------------------------------------------------------- trend


def test_cochran_armitage_matches_published_example():
    # Agresti (2002) Categorical Data Analysis, 2nd ed., Table 3.7: maternal alcohol consumption
    # and malformation, scores 0, 0.5, 1.5, 4, 7: M² = 6.57, P = 0.0104 (SAS PROC FREQ trend test:
    # Z = 2.5632). Cytel's StatXact example 6: asymptotic two-sided P 0.0078 with scores
    # 0, 0.5, 1.5, 4, 8 and 0.1765 with equally spaced scores.
    present = [48, 38, 5, 1, 1]
    totals = [17114, 14502, 793, 127, 38]
    chi2, p_value, _ = stats._chi2_trend_proportions([0, 0.5, 1.5, 4, 7], present, totals)
    assert round(chi2, 2) == 6.57 and round(math.sqrt(chi2), 3) == 2.563
    assert round(p_value, 4) == 0.0104
    _, p_value, _ = stats._chi2_trend_proportions([0, 0.5, 1.5, 4, 8], present, totals)
    assert round(p_value, 4) == 0.0078
    _, p_value, _ = stats._chi2_trend_proportions([1, 2, 3, 4, 5], present, totals)
    assert p_value == pytest.approx(0.1765, abs=2e-4)


YEARS = [2019, 2020, 2021, 2022, 2023]


def test_trend_strong_rise_in_a_proportion():
    values = [10.0, 11.0, 12.0, 13.0, 14.0]
    counts = [1000, 1100, 1200, 1300, 1400]  # denominators 10 000 each year
    result = trend(YEARS, values, counts, method="wilson", polarity="higher_is_better")
    assert isinstance(result, TrendResult)
    assert result.label == "improving" and result.p_value < 1e-15
    assert result.slope_per_year == pytest.approx(1.0)  # percentage points per year
    assert (result.first_year, result.last_year, result.n) == (2019, 2023, 5)
    assert (
        trend(YEARS, values, counts, method="wilson", polarity="lower_is_better").label
        == "worsening"
    )
    assert trend(YEARS, values, counts, method="wilson", polarity="none").label == "increasing"
    falling = trend(YEARS, values[::-1], counts[::-1], method="wilson", polarity="lower_is_better")
    assert falling.label == "improving" and falling.slope_per_year == pytest.approx(-1.0)
    assert (
        trend(YEARS, values[::-1], counts[::-1], method="wilson", polarity="none").label
        == "decreasing"
    )


def test_trend_p_value_equals_hand_computed_chi_square_for_trend():
    values = [20.0, 19.0, 21.0, 22.0, 23.0]
    counts = [100, 95, 105, 110, 115]  # denominators 500
    result = trend(YEARS, values, counts, method="wilson", polarity="none")
    t, x, n = np.array(YEARS, float), np.array(counts, float), np.full(5, 500.0)
    p = x.sum() / n.sum()
    t_bar = (n * t).sum() / n.sum()
    chi2 = (x * (t - t_bar)).sum() ** 2 / (p * (1 - p) * (n * (t - t_bar) ** 2).sum())
    assert result.p_value == pytest.approx(sps.chi2.sf(chi2, 1), rel=1e-9)
    assert result.label == "no_change"  # chi2 ≈ 1.94, p ≈ 0.16


def test_trend_flat_series_is_no_change():
    result = trend(YEARS, [12.0] * 5, [600] * 5, method="wilson", polarity="higher_is_better")
    assert result.label == "no_change" and result.p_value == pytest.approx(1.0)
    noisy = trend(
        YEARS,
        [12.0, 12.4, 11.8, 12.2, 12.0],
        [600, 620, 590, 610, 600],
        method="wilson",
        polarity="higher_is_better",
    )
    assert noisy.label == "no_change" and noisy.p_value > 0.05


def _poisson_lr_test(t, x, e):
    """Likelihood-ratio test of the slope in log(mu) = log(e) + a + b t, maximised numerically."""
    t = np.asarray(t, float) - np.mean(t)

    def negloglik(params):
        mu = e * np.exp(params[0] + params[1] * t)
        return -(x * np.log(mu) - mu).sum()

    full = optimize.minimize(
        negloglik, [math.log(x.sum() / e.sum()), 0.0], method="BFGS", options={"gtol": 1e-10}
    )
    null = negloglik([math.log(x.sum() / e.sum()), 0.0])
    return 2 * (null - full.fun), full.x[1]


def test_trend_in_rates_agrees_with_poisson_regression():
    # Rates per 100 000: person-years 50 000 each year, counts rising 40 -> 72.
    counts = np.array([40, 48, 55, 61, 72], float)
    person_years = np.full(5, 50_000.0)
    values = counts / person_years * 1e5
    result = trend(YEARS, values, counts, method="byar", multiplier=1e5, polarity="lower_is_better")
    lr, slope = _poisson_lr_test(YEARS, counts, person_years)
    assert result.label == "worsening"
    assert result.p_value == pytest.approx(sps.chi2.sf(lr, 1), rel=0.15)  # score ≈ LR test
    assert result.p_value < 0.002 and slope > 0
    assert result.slope_per_year == pytest.approx(np.polyfit(YEARS, values, 1)[0])  # equal weights


def test_trend_in_small_rates_equals_chi_square_for_trend_on_proportions():
    # The Poisson score statistic is the chi-square for trend without the binomial (1 − p̄).
    counts = [30, 35, 33, 45, 50]
    values = [c / 100_000 * 1e5 for c in counts]
    rates = trend(YEARS, values, counts, method="byar", multiplier=1e5, polarity="none")
    chi2_prop, p_prop, _ = stats._chi2_trend_proportions(YEARS, counts, [100_000] * 5)
    p_bar = sum(counts) / 500_000
    assert sps.chi2.isf(rates.p_value, 1) == pytest.approx(chi2_prop * (1 - p_bar), rel=1e-9)
    assert rates.p_value == pytest.approx(p_prop, rel=5e-3) and rates.label == "increasing"


def test_trend_needs_counts_and_three_points():
    no_counts = trend(YEARS, [10.0, 11, 12, 13, 14], None, method="wilson", polarity="none")
    assert no_counts.label == "cannot_calculate" and math.isnan(no_counts.p_value)
    assert no_counts.n == 5
    two = trend([2022, 2023], [10.0, 14.0], [100, 140], method="wilson", polarity="none")
    assert two.label == "cannot_calculate" and two.n == 2
    index = trend(YEARS, [10.0, 11, 12, 13, 14], [1, 2, 3, 4, 5], method="none", polarity="none")
    assert index.label == "cannot_calculate"
    partly = trend(
        YEARS,
        [10.0, 11, 12, 13, 14],
        [100, 110, math.nan, 130, 140],
        method="wilson",
        polarity="none",
    )
    assert partly.label == "cannot_calculate"
    zero = trend(
        YEARS,
        [0.0, 1.0, 2.0, 3.0, 4.0],
        [0, 1, 2, 3, 4],
        method="byar",
        multiplier=1e3,
        polarity="none",
    )
    assert zero.label == "cannot_calculate"  # a zero value hides that year's denominator


def test_trend_window_takes_last_points_and_cuts_at_gaps():
    years = list(range(2014, 2024))
    values = [10.0 + i for i in range(10)]
    counts = [(10 + i) * 100 for i in range(10)]  # denominators 10 000
    result = trend(years, values, counts, method="wilson", polarity="none")
    assert (result.first_year, result.last_year, result.n) == (2019, 2023, 5)
    biennial = trend(
        [2015, 2017, 2019, 2021, 2023], values[:5], counts[:5], method="wilson", polarity="none"
    )
    assert biennial.n == 5 and biennial.first_year == 2015
    gap = trend(
        [2010, 2011, 2019, 2020, 2021], values[:5], counts[:5], method="wilson", polarity="none"
    )
    assert (gap.first_year, gap.n) == (2019, 3)
    short_after_gap = trend(
        [2010, 2011, 2012, 2020, 2021], values[:5], counts[:5], method="wilson", polarity="none"
    )
    assert short_after_gap.label == "cannot_calculate" and short_after_gap.n == 2
    elections = trend(
        [2008, 2012, 2017, 2021, 2025], values[:5], counts[:5], method="wilson", polarity="none"
    )
    assert elections.label == "cannot_calculate"
    elections = trend(
        [2008, 2012, 2017, 2021, 2025],
        values[:5],
        counts[:5],
        method="wilson",
        polarity="none",
        max_gap=5,
    )
    assert elections.n == 5 and elections.label == "increasing"
    unsorted_with_missing = trend(
        [2023, 2021, 2022, 2020, 2019, 2018],
        [14, 12, math.nan, 11, 10, 9],
        [1400, 1200, 1300, 1100, 1000, 900],
        method="wilson",
        polarity="none",
    )
    assert (unsorted_with_missing.first_year, unsorted_with_missing.n) == (2018, 5)


# --------------------------------------------------------------------------- suppression and ranks


@pytest.mark.parametrize(
    "count, threshold, hidden",
    [
        (3, 5, True),
        (1, 5, True),
        (4.0, 5, True),
        (5, 5, False),
        (12, 5, False),
        (0, 5, False),  # a zero count is shown (documented choice)
        (math.nan, 5, False),
        (3, 0, False),
    ],
)
def test_suppress(count, threshold, hidden):
    assert suppress(10.0, count, threshold) is hidden


def test_suppress_is_vectorised():
    assert suppress(np.ones(3), np.array([3, 7, np.nan]), 5).tolist() == [True, False, False]


def test_rank_polarity_ties_and_missing():
    values = {"a": 10.0, "b": 12.0, "c": 12.0, "d": 8.0, "e": math.nan}
    assert rank(values, "higher_is_better") == {"b": (1, 4), "c": (1, 4), "a": (3, 4), "d": (4, 4)}
    assert rank(values, "none") == rank(values, "higher_is_better")
    assert rank(values, "lower_is_better") == {"d": (1, 4), "a": (2, 4), "b": (3, 4), "c": (3, 4)}
    assert rank({}, "none") == {} and rank({1: math.nan}, "none") == {}


def test_quartiles():
    data = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, math.nan]
    expected = (1.0, *np.percentile([3, 1, 4, 1, 5, 9, 2, 6], [25, 75]), 9.0)
    assert quartiles(data) == pytest.approx(expected)
    assert quartiles([10.0, 15.0, 20.0]) == (10.0, 12.5, 17.5, 20.0)
    assert all(math.isnan(v) for v in quartiles([math.nan]))
