from hyte import fmt


def test_number_uses_decimal_comma_and_grouping():
    assert fmt.number(1234.56, 1) == "1\u00a0234,6"
    assert fmt.number(0.04, 1) == "0,0"
    assert fmt.number(-0.04, 1) == "0,0"  # no negative zero
    assert fmt.number(-3.25, 1) == "\u22123,2"  # banker's rounding of binary 3.25 → 3,2
    assert fmt.number(2.5, 1, signed=True) == "+2,5"
    assert fmt.number(float("nan")) == "–"


def test_percent_interval_and_date():
    assert fmt.percent(12.345) == "12,3\u00a0%"
    assert fmt.interval(12.06, 14.54, 1) == "12,1–14,5"
    assert fmt.date_fi("2026-11-28T01:02:03+00:00") == "28.11.2026"
    assert fmt.euros(1234567) == "1\u00a0234\u00a0567\u00a0€"
    assert fmt.with_unit(4.06, 1, "/1 000 as.") == "4,1\u00a0/1 000 as."
