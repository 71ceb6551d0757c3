"""plot_ranking lives with the report's charts (bizsum.report.charts), not in the statistics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bizsum.analysis import stats
from bizsum.errors import InputError
from bizsum.report import charts


def _ranking() -> pd.DataFrame:
    table = pd.DataFrame(
        {
            "config": ["a / m", "b / m", "c / m"],
            "mean": [0.8, 0.5, 0.2],
            "ci_low": [0.7, 0.4, np.nan],
            "ci_high": [0.9, 0.65, np.nan],
        }
    )
    table.attrs["ci_level"] = 0.95
    return table


def test_plot_ranking_draws_each_mean_and_interval_first_row_on_top():
    ax = charts.plot_ranking(_ranking(), "coverage")
    try:
        at = {t.get_text(): y for t, y in zip(ax.get_yticklabels(), ax.get_yticks(), strict=True)}
        assert at == {"a / m": 2, "b / m": 1, "c / m": 0}  # the first row is on top
        line = ax.lines[0]
        assert list(line.get_xdata()) == [0.8, 0.5, 0.2]
        assert list(line.get_ydata()) == [2, 1, 0]
        # the error bars span ci_low..ci_high (a missing interval is drawn as none)
        segments = ax.collections[0].get_segments()
        spans = [(float(s[0][0]), float(s[1][0])) for s in segments]
        assert spans == [pytest.approx((0.7, 0.9)), pytest.approx((0.4, 0.65)), pytest.approx((0.2, 0.2))]
        assert ax.get_xlabel() == "coverage (mean, 95% bootstrap CI over documents)"
    finally:
        charts.close(ax.figure)


def test_plot_ranking_names_the_missing_columns():
    with pytest.raises(InputError, match=r"plot_ranking: the table lacks column\(s\) \['ci_low', 'ci_high'\]"):
        charts.plot_ranking(_ranking()[["config", "mean"]], "coverage")


def test_plot_ranking_left_the_statistics_module():
    assert not hasattr(stats, "plot_ranking")
