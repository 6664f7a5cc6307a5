import pytest

from analysis.domain import indicators, scale


def test_order_worst_to_best():
    assert scale.GRADES == ("Unsatisfactory", "Weak", "Adequate", "Good", "Very good", "Excellent")
    assert scale.GOOD_OR_BETTER == ("Good", "Very good", "Excellent")
    assert scale.grade_values()["Excellent"] == 6 and scale.grade_values()["Unsatisfactory"] == 1


@pytest.mark.parametrize("text", ["Very good", "very good", "VERY GOOD", "VG", "vg", "5", " Very  good "])
def test_very_good_spellings(text):
    assert scale.parse_grade(text) == "Very good"


@pytest.mark.parametrize("text", ["V. good", "7", "0", "", "good-ish", "Very"])
def test_rejected_spellings(text):
    assert scale.parse_grade(text) is None


def test_ordered_categorical_compares():
    import pandas as pd

    s = pd.Series(["Good", "Weak", "Excellent"], dtype=scale.grade_dtype())
    assert list(s >= "Good") == [True, False, True]


def test_nine_indicators_with_titles():
    assert indicators.INDICATORS == ("1.1", "2.1", "2.2", "5.1", "5.2", "5.3", "6.2", "6.3", "9.4")
    # Appendix 3 of the review.
    assert indicators.title("5.2") == "Assessing and responding to risks and needs"
    assert indicators.parse_indicator("QI 6.3") == "6.3"
    assert indicators.parse_indicator("7.1") is None
