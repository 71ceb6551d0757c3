"""Every statistic bizsum reports: paired comparisons over a scores table, multiple-comparison
adjustment (statsmodels), and the agreement statistics (balanced accuracy, Cohen's κ, Kendall τ-b,
weighted so that all bootstrap resamples are computed at once) with their cluster bootstrap.

One bootstrap, :func:`bootstrap_ci` (a percentile interval with ``ci`` and ``seed``): of the mean
of per-document values, or of any weighted statistic resampling units such as summaries. scipy
supplies the Wilcoxon test and ranks, statsmodels the corrections.

A scores table has one row per summary with the key columns ``doc_id``, ``prompt_id``,
``model_id`` and ``sample`` plus numeric metric columns. A *configuration* is a
``(prompt_id, model_id)`` pair.

Conventions used everywhere in this module:

* **The document is the unit of analysis.** Several samples of one configuration on one document
  are not independent observations, so every analysis first averages a configuration's samples per
  document (NaN values are skipped; a document whose values are all NaN is dropped for that
  configuration). Bootstrap resampling, the Wilcoxon test, win/tie/loss counts and effect sizes
  are all computed over documents.
* **Paired comparisons use shared documents only**: a document enters a comparison of ``a`` and
  ``b`` only when both configurations have a value for it. ``mean_a``/``mean_b`` are the means over
  those shared documents, so they can differ from a configuration's overall mean.
* **Differences are ``b - a``**: a positive ``mean_diff`` means ``b`` scores higher; ``wins`` counts
  documents where ``b`` beats ``a``.
* **Bool metric columns** (``token_compliant``, ``format_compliant``) are read as 0/1, so their
  means are rates.
* **Bootstrap** intervals are percentile intervals over documents, resampled with
  ``numpy.random.default_rng(seed)``: the same inputs and seed always give the same interval.
* **Wilcoxon signed-rank test** (``scipy.stats.wilcoxon``, two-sided, ``method="auto"``) with
  ``zero_method="wilcox"``: documents whose difference is zero are dropped before ranking (the
  classic Wilcoxon treatment). It asks "among documents where the configurations differ, does one
  tend to be higher?"; unchanged documents are reported as ``ties`` (exactly those documents with
  the default ``tie_tol=0``). The matched-pairs rank-biserial correlation uses the same non-zero
  differences, so effect size and test agree.
* **Rounding**: before the test, the win/tie/loss counts and the effect sizes, per-document
  differences are rounded to ``ROUND_DECIMALS`` (12) decimal places, so floating-point noise
  (0.7 averaged from two samples vs from three) neither turns a tie into a tiny non-zero
  difference nor breaks ties between equal magnitudes (``0.4 - 0.2`` vs ``0.5 - 0.7``). Means and
  confidence intervals use the unrounded values.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from bizsum.errors import ConfigError, InputError

log = logging.getLogger(__name__)

KEY_COLUMNS: tuple[str, ...] = ("doc_id", "prompt_id", "model_id", "sample")
CONFIG_COLUMNS: tuple[str, str] = ("prompt_id", "model_id")
ZERO_METHOD = "wilcox"
CORRECTIONS: tuple[str, ...] = ("holm", "bh", "bonferroni", "none")
_CORRECTION_ALIASES = {
    "fdr_bh": "bh",
    "benjamini-hochberg": "bh",
    "bh": "bh",
    "holm": "holm",
    "bonferroni": "bonferroni",
    "none": "none",
}
ROUND_DECIMALS = 12  # differences are rounded to this many decimals for tests and counts
_BOOT_CHUNK_ELEMENTS = 2_000_000  # resampled values held in memory at once

Configuration = tuple[str, str]


def config_label(config: Sequence[str]) -> str:
    """Human-readable name of a configuration, used in tables and plots: ``"prompt / model"``."""
    prompt_id, model_id = config
    return f"{prompt_id} / {model_id}"


@dataclass(frozen=True)
class PairedComparison:
    """Paired comparison of configuration ``b`` against ``a`` on one metric (differences ``b - a``).

    ``n`` is the number of shared documents; ``wins``/``ties``/``losses`` count documents where
    ``b`` is higher than / within ``tie_tol`` of / lower than ``a``. ``rank_biserial`` is the
    matched-pairs rank-biserial correlation (+1: every non-zero difference favours ``b``) and
    ``cohens_dz`` is ``mean(d) / sd(d)``. ``note`` explains any NaN or degenerate value.
    """

    metric: str
    a: Configuration
    b: Configuration
    n: int
    mean_a: float
    mean_b: float
    mean_diff: float
    ci_low: float
    ci_high: float
    ci_level: float
    p_value: float
    wins: int
    ties: int
    losses: int
    rank_biserial: float
    cohens_dz: float
    n_boot: int
    seed: int
    tie_tol: float
    zero_method: str = ZERO_METHOD
    note: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


# --------------------------------------------------------------------------------------------
# Input handling


def _as_config(config: Sequence[str], what: str) -> Configuration:
    if isinstance(config, str) or len(config) != 2:
        raise ConfigError(f"{what} must be a (prompt_id, model_id) pair, got {config!r}")
    return (str(config[0]), str(config[1]))


def check_scores(scores: pd.DataFrame, metrics: Iterable[str] = (), *, where: str = "scores") -> None:
    """Raise :class:`InputError`/:class:`ConfigError` when key or metric columns are missing."""
    if not isinstance(scores, pd.DataFrame):
        raise InputError(f"{where}: expected a pandas DataFrame, got {type(scores).__name__}")
    missing = [c for c in KEY_COLUMNS if c not in scores.columns]
    if missing:
        raise InputError(f"{where}: missing key column(s) {missing}; found columns {list(scores.columns)}")
    unknown = [m for m in metrics if m not in scores.columns]
    if unknown:
        available = [c for c in scores.columns if c not in KEY_COLUMNS]
        raise ConfigError(f"{where}: unknown metric column(s) {unknown}; available: {available}")


def metric_values(scores: pd.DataFrame, metric: str, *, where: str = "scores") -> pd.Series:
    """The metric column as floats: bools become 0/1, None becomes NaN, text is an error."""
    column = scores[metric]
    if is_bool_dtype(column.dtype):
        return column.astype("float64")
    if is_numeric_dtype(column.dtype):
        return column.astype("float64")
    converted = column.map(lambda v: float(v) if isinstance(v, (bool, np.bool_)) else v)
    try:
        return pd.to_numeric(converted, errors="raise").astype("float64")
    except (TypeError, ValueError) as error:
        raise InputError(f"{where}: metric column {metric!r} is not numeric ({error})") from None


def document_means(scores: pd.DataFrame, metric: str, *, where: str = "scores") -> pd.DataFrame:
    """Per-document mean of ``metric`` for every configuration.

    Returns a frame indexed by ``doc_id`` with one column per configuration (a
    ``(prompt_id, model_id)`` MultiIndex); samples are averaged, NaN values skipped, and a cell is
    NaN when the configuration has no value for that document.
    """
    check_scores(scores, [metric], where=where)
    frame = scores[list(CONFIG_COLUMNS) + ["doc_id"]].astype(str)
    frame = frame.assign(_value=metric_values(scores, metric, where=where).to_numpy())
    means = frame.groupby(list(CONFIG_COLUMNS) + ["doc_id"], sort=True)["_value"].mean()
    table = means.unstack(list(CONFIG_COLUMNS))
    if not isinstance(table.columns, pd.MultiIndex):  # pragma: no cover - defensive
        table.columns = pd.MultiIndex.from_tuples(table.columns, names=list(CONFIG_COLUMNS))
    return table


def configurations(scores: pd.DataFrame) -> list[Configuration]:
    """Sorted list of the ``(prompt_id, model_id)`` pairs present in ``scores``."""
    check_scores(scores)
    pairs = scores[list(CONFIG_COLUMNS)].astype(str).drop_duplicates()
    return sorted((str(p), str(m)) for p, m in pairs.itertuples(index=False))


# --------------------------------------------------------------------------------------------
# Core statistics on aligned arrays


def _check_boot(n_boot: int, ci: float) -> None:
    if int(n_boot) < 1:
        raise ConfigError(f"n_boot must be at least 1, got {n_boot!r}")
    if not 0.0 < float(ci) < 1.0:
        raise ConfigError(f"ci must be between 0 and 1 (e.g. 0.95), got {ci!r}")


def rank_biserial(differences: Sequence[float]) -> float:
    """Matched-pairs rank-biserial correlation ``(R+ - R-) / (R+ + R-)``.

    Ranks are those of ``|d|`` over the non-zero differences (average ranks for ties), matching
    the Wilcoxon test with ``zero_method="wilcox"``. Returns 0.0 when every difference is zero and
    NaN for empty input.
    """
    from scipy.stats import rankdata

    d = np.asarray(differences, dtype="float64")
    if d.size == 0:
        return math.nan
    nonzero = d[d != 0]
    if nonzero.size == 0:
        return 0.0
    ranks = rankdata(np.abs(nonzero))
    r_plus = ranks[nonzero > 0].sum()
    r_minus = ranks[nonzero < 0].sum()
    return float((r_plus - r_minus) / (r_plus + r_minus))


def _paired_stats(
    values_a: np.ndarray, values_b: np.ndarray, *, n_boot: int, seed: int, ci: float, tie_tol: float
) -> dict:
    """Every statistic of :class:`PairedComparison` for aligned per-document values."""
    from scipy.stats import wilcoxon

    notes: list[str] = []
    n = int(values_a.size)
    d = values_b - values_a
    d_clean = np.round(d, ROUND_DECIMALS) + 0.0  # + 0.0 turns -0.0 into 0.0

    result: dict[str, Any] = {
        "n": n,
        "mean_a": float(values_a.mean()) if n else math.nan,
        "mean_b": float(values_b.mean()) if n else math.nan,
        "mean_diff": float(d.mean()) if n else math.nan,
        "ci_low": math.nan,
        "ci_high": math.nan,
        "p_value": math.nan,
        "wins": int((d_clean > tie_tol).sum()),
        "losses": int((d_clean < -tie_tol).sum()),
        "rank_biserial": rank_biserial(d_clean),
        "cohens_dz": math.nan,
    }
    result["ties"] = n - result["wins"] - result["losses"]

    if n == 0:
        notes.append("no shared documents")
    elif n < 2:
        notes.append(f"only {n} shared document: no confidence interval, test or d_z")
    else:
        result["ci_low"], result["ci_high"] = bootstrap_ci(d, n_boot=n_boot, seed=seed, ci=ci)
        if not np.any(d_clean):
            result["p_value"] = 1.0
            result["cohens_dz"] = 0.0
            notes.append("all paired differences are zero: p=1.0")
        else:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                test = wilcoxon(d_clean, zero_method=ZERO_METHOD, alternative="two-sided")
            for warning in caught:
                log.debug("scipy.stats.wilcoxon: %s", warning.message)
            result["p_value"] = float(test.pvalue)
            sd = float(np.std(d_clean, ddof=1))
            if sd > 0:
                result["cohens_dz"] = float(d_clean.mean() / sd)
            else:
                notes.append("every paired difference is the same non-zero value: d_z undefined")
    result["note"] = "; ".join(notes)
    return result


def _aligned(table: pd.DataFrame, a: Hashable, b: Hashable) -> tuple[np.ndarray, np.ndarray]:
    pair = table[[a, b]].dropna()
    return pair[a].to_numpy(dtype="float64"), pair[b].to_numpy(dtype="float64")


def _require_configs(table: pd.DataFrame, configs: Iterable[Configuration], metric: str) -> None:
    present = set(table.columns)
    for config in configs:
        if config not in present:
            raise ConfigError(
                f"configuration {config_label(config)!r} has no {metric!r} values in the scores; "
                f"available: {[config_label(c) for c in sorted(present)]}"
            )


def paired_difference(
    scores: pd.DataFrame,
    metric: str,
    a: Sequence[str],
    b: Sequence[str],
    *,
    n_boot: int = 2000,
    seed: int = 0,
    ci: float = 0.95,
    tie_tol: float = 0.0,
) -> PairedComparison:
    """Compare configuration ``b`` with ``a`` on ``metric``, paired by document.

    The document is the unit: each configuration's samples are averaged per ``doc_id`` first, then
    only documents both configurations have are used (pairing on ``(doc_id, sample)`` after
    averaging over ``sample``). Returns the mean difference ``b - a``, its percentile bootstrap
    CI over documents (``n_boot`` resamples, ``numpy.random.default_rng(seed)``), the two-sided
    Wilcoxon signed-rank p-value (``scipy.stats.wilcoxon``, ``zero_method="wilcox"``: zero
    differences are dropped), win/tie/loss counts (a tie is ``|b - a| <= tie_tol``), the
    matched-pairs rank-biserial correlation and Cohen's d_z.

    Degenerate cases do not raise: with no shared documents everything is NaN; with one, the CI,
    p-value and d_z are NaN; when every difference is zero, p is 1.0 and both effect sizes 0.0.
    ``note`` says which case applied.
    """
    a, b = _as_config(a, "a"), _as_config(b, "b")
    _check_boot(n_boot, ci)
    if tie_tol < 0:
        raise ConfigError(f"tie_tol must be >= 0, got {tie_tol!r}")
    table = document_means(scores, metric)
    _require_configs(table, (a, b), metric)
    values_a, values_b = _aligned(table, a, b)
    stats = _paired_stats(values_a, values_b, n_boot=int(n_boot), seed=seed, ci=ci, tie_tol=tie_tol)
    if stats["note"]:
        log.info("%s: %s vs %s: %s", metric, config_label(a), config_label(b), stats["note"])
    return PairedComparison(
        metric=metric, a=a, b=b, ci_level=float(ci), n_boot=int(n_boot), seed=seed, tie_tol=float(tie_tol), **stats
    )


# --------------------------------------------------------------------------------------------
# Agreement statistics, weighted so that every bootstrap resample is computed at once
# (checked against hand-worked examples, scipy and sklearn in tests/analysis/test_agreement.py)
#
# Each statistic is computed for a matrix of observation weights ``W`` (one row per resample, one
# column per observation): the bootstrap draws summaries, and an observation's weight is how often
# its summary was drawn, so all resamples are computed at once as matrix products. A row of ones
# is the plain statistic.


def _rows(weights: np.ndarray | None, n: int) -> np.ndarray:
    return np.ones((1, n)) if weights is None else np.atleast_2d(np.asarray(weights, dtype=float))


def balanced_accuracy_w(labels: Any, predictions: Any, weights: np.ndarray | None = None) -> np.ndarray:
    """Mean of the recall of each class per weight row (NaN where a class has no weight)."""
    y, p = np.asarray(labels, dtype=float), np.asarray(predictions, dtype=float)
    w = _rows(weights, len(y))
    with np.errstate(invalid="ignore", divide="ignore"):
        recall_1 = (w @ (y * p)) / (w @ y)
        recall_0 = (w @ ((1 - y) * (1 - p))) / (w @ (1 - y))
    return (recall_1 + recall_0) / 2


def cohen_kappa_w(labels: Any, predictions: Any, weights: np.ndarray | None = None) -> np.ndarray:
    """(p_o − p_e) / (1 − p_e) for binary ratings per weight row (NaN where p_e = 1)."""
    y, p = np.asarray(labels, dtype=float), np.asarray(predictions, dtype=float)
    w = _rows(weights, len(y))
    total = w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        observed = (w @ (y == p).astype(float)) / total
        share_y, share_p = (w @ y) / total, (w @ p) / total
        expected = share_y * share_p + (1 - share_y) * (1 - share_p)
        kappa = (observed - expected) / (1 - expected)
    return np.where(expected >= 1 - 1e-12, np.nan, kappa)


def kendall_tau_w(x: Any, y: Any, weights: np.ndarray | None = None) -> np.ndarray:
    """Kendall's τ-b per weight row, an observation of weight k counting as k tied copies.

    τ-b = (C − D) / sqrt((n0 − n1)(n0 − n2)) with n0 = N(N−1)/2 pairs, n1 / n2 the pairs tied in
    x / y. With sign matrices S_x, S_y and tie matrices T_x, T_y (diagonal included):
    C − D = ½ wᵀ(S_x∘S_y)w, n1 = ½(wᵀT_x w − N), n2 = ½(wᵀT_y w − N).
    """
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    w = _rows(weights, len(a))
    sign_x = np.sign(a[:, None] - a[None, :])
    sign_y = np.sign(b[:, None] - b[None, :])
    total = w.sum(axis=1)
    pairs = total * (total - 1) / 2
    concordance = 0.5 * np.einsum("bi,bi->b", w @ (sign_x * sign_y), w)
    ties_x = 0.5 * (np.einsum("bi,bi->b", w @ (sign_x == 0).astype(float), w) - total)
    ties_y = 0.5 * (np.einsum("bi,bi->b", w @ (sign_y == 0).astype(float), w) - total)
    with np.errstate(invalid="ignore", divide="ignore"):
        denominator = np.sqrt((pairs - ties_x) * (pairs - ties_y))
        tau = concordance / denominator
    return np.where(denominator > 0, tau, np.nan)


def balanced_accuracy(labels: Any, predictions: Any) -> float:
    """Mean of the recall of each class (both classes must occur among the labels, else NaN)."""
    return float(balanced_accuracy_w(labels, predictions)[0]) if len(labels) else math.nan


def cohen_kappa(labels: Any, predictions: Any) -> float:
    """Cohen's κ of two binary raters (NaN when chance agreement is 1)."""
    return float(cohen_kappa_w(labels, predictions)[0]) if len(labels) else math.nan


def kendall_tau(x: Any, y: Any) -> float:
    """Kendall's τ-b (ties in either variable accounted for); NaN for constant input."""
    return float(kendall_tau_w(x, y)[0]) if len(x) > 1 else math.nan


WeightedStatistic = Callable[[np.ndarray], np.ndarray]


def _draws(n_units: int, n_boot: int, rng: np.random.Generator, width: int) -> Iterator[np.ndarray]:
    """``n_boot`` resamples of ``n_units`` units (drawn with replacement, as many as there are) as
    index rows, in chunks of at most ``_BOOT_CHUNK_ELEMENTS`` values of a ``width``-wide matrix."""
    chunk = max(1, _BOOT_CHUNK_ELEMENTS // max(width, 1))
    for start in range(0, n_boot, chunk):
        yield rng.integers(0, n_units, size=(min(n_boot, start + chunk) - start, n_units))


def _counts(picked: np.ndarray, n_units: int) -> np.ndarray:
    """How often each unit occurs in each row of ``picked`` (resamples × draws)."""
    counts = np.zeros((picked.shape[0], n_units))
    np.add.at(counts, (np.repeat(np.arange(picked.shape[0]), picked.shape[1]), picked.ravel()), 1)
    return counts


def resample_weights(units: Sequence[Any], n_boot: int, seed: int) -> np.ndarray:
    """(n_boot × observations) weights: how often each observation's unit was drawn in each
    resample of the units (the draws :func:`bootstrap_ci` makes with this seed)."""
    codes, _ = pd.factorize(pd.Series(list(units)))
    n_units = int(codes.max()) + 1 if len(codes) else 0
    rng = np.random.default_rng(seed)
    parts = [_counts(picked, n_units)[:, codes] for picked in _draws(n_units, n_boot, rng, max(n_units, len(codes)))]
    return np.concatenate(parts) if parts else np.zeros((0, len(codes)))


def bootstrap_ci(
    values: Sequence[Any],
    statistic: WeightedStatistic | None = None,
    *,
    n_boot: int = 2000,
    seed: int = 0,
    ci: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap interval, the one bootstrap of bizsum (``numpy.random.default_rng(seed)``).

    * ``bootstrap_ci(values)``: the mean of ``values`` (NaN values left out), each value a unit
      (the per-document differences of a paired comparison, a configuration's document means).
    * ``bootstrap_ci(units, statistic)``: any statistic of weighted observations; ``units`` names
      each observation's unit (its summary, its document) and whole units are drawn.
      ``statistic`` maps a weight matrix (resamples × observations: how often each observation
      was drawn) to one value per resample (``balanced_accuracy_w``, ``kendall_tau_w`` ...).

    Each resample draws as many units as there are, with replacement. Resamples where the
    statistic is undefined (NaN) are left out; the interval is NaN with fewer than two units or
    when fewer than a tenth of the resamples (and fewer than 10) are defined.
    """
    _check_boot(n_boot, ci)
    rng = np.random.default_rng(seed)
    if statistic is None:
        arr = np.asarray(values, dtype="float64")
        arr = arr[~np.isnan(arr)]
        if arr.size < 2:
            return (math.nan, math.nan)
        boot = np.concatenate([arr[picked].mean(axis=1) for picked in _draws(arr.size, int(n_boot), rng, arr.size)])
    else:
        codes, _ = pd.factorize(pd.Series(list(values)))
        n_units = int(codes.max()) + 1 if len(codes) else 0
        if n_units < 2:
            return (math.nan, math.nan)
        width = max(n_units, len(codes))
        boot = np.concatenate(
            [
                np.asarray(statistic(_counts(picked, n_units)[:, codes]))
                for picked in _draws(n_units, int(n_boot), rng, width)
            ]
        )
    boot = boot[~np.isnan(boot)]
    if boot.size < min(int(n_boot), max(10, int(n_boot) // 10)):
        return (math.nan, math.nan)
    tail = (1.0 - ci) / 2.0
    low, high = np.quantile(boot, [tail, 1.0 - tail])
    return (float(low), float(high))


# --------------------------------------------------------------------------------------------
# Multiple comparisons


def adjust_pvalues(pvalues: Sequence[float], method: str = "holm") -> np.ndarray:
    """Adjust p-values for multiple comparisons: ``holm``, ``bh`` (Benjamini–Hochberg), ``bonferroni``, ``none``.

    NaN p-values stay NaN and are not counted in the family size
    (``statsmodels.stats.multitest.multipletests``).
    """
    from statsmodels.stats.multitest import multipletests

    key = _CORRECTION_ALIASES.get(str(method).lower())
    if key is None:
        raise ConfigError(f"unknown correction {method!r}; choose one of {list(CORRECTIONS)}")
    p = np.asarray(pvalues, dtype="float64")
    out = np.full(p.shape, np.nan)
    finite = ~np.isnan(p)
    if not finite.any():
        return out
    values = p[finite]
    if key == "none":
        out[finite] = values
        return out
    sm_method = {"holm": "holm", "bh": "fdr_bh", "bonferroni": "bonferroni"}[key]
    out[finite] = multipletests(values, method=sm_method)[1]
    return out


# --------------------------------------------------------------------------------------------
# Tables


#: the columns of :func:`compare_all`, in order
COMPARE_COLUMNS: tuple[str, ...] = (
    "metric",
    "a",
    "b",
    "a_prompt_id",
    "a_model_id",
    "b_prompt_id",
    "b_model_id",
    "n",
    "mean_a",
    "mean_b",
    "mean_diff",
    "ci_low",
    "ci_high",
    "p_value",
    "p_adjusted",
    "significant",
    "wins",
    "ties",
    "losses",
    "rank_biserial",
    "cohens_dz",
    "note",
)


def _pairs(configs: list[tuple[str, str]], baseline: Sequence[str] | None) -> list[tuple[Any, Any]]:
    """Every pair of configurations, or each one against ``baseline``."""
    if baseline is None:
        return list(combinations(configs, 2))
    base = _as_config(baseline, "baseline")
    if base not in configs:
        raise ConfigError(
            f"baseline configuration {config_label(base)!r} is not in the scores; "
            f"available: {[config_label(c) for c in configs]}"
        )
    return [(base, c) for c in configs if c != base]


def _adjusted(result: pd.DataFrame, correction: str, family: str) -> np.ndarray:
    """p-values adjusted over the whole table (``family="all"``) or per metric."""
    if family == "all":
        return adjust_pvalues(result["p_value"].to_numpy(), correction)
    adjusted = np.full(len(result), np.nan)
    for _, index in result.groupby("metric", sort=False).groups.items():
        positions = result.index.get_indexer(index)
        adjusted[positions] = adjust_pvalues(result.loc[index, "p_value"].to_numpy(), correction)
    return adjusted


def compare_all(
    scores: pd.DataFrame,
    metrics: str | Sequence[str],
    baseline: Sequence[str] | None = None,
    correction: str = "holm",
    *,
    family: str = "all",
    alpha: float = 0.05,
    n_boot: int = 2000,
    seed: int = 0,
    ci: float = 0.95,
    tie_tol: float = 0.0,
) -> pd.DataFrame:
    """Paired comparisons of configurations on several metrics, with adjusted p-values.

    Without ``baseline`` every pair of configurations is compared (``a`` sorts before ``b``);
    with ``baseline=(prompt_id, model_id)`` each other configuration ``b`` is compared with it.
    Each row is one :func:`paired_difference` (same seed for every row). ``p_adjusted`` applies
    ``correction`` (``holm``, ``bh``, ``bonferroni`` or ``none``) over ``family``: ``"all"`` (every
    row of the table is one family, the default) or ``"metric"`` (one family per metric).
    ``significant`` is ``p_adjusted < alpha``.
    """
    metric_list = [metrics] if isinstance(metrics, str) else list(metrics)
    if not metric_list:
        raise ConfigError("compare_all needs at least one metric")
    if family not in ("all", "metric"):
        raise ConfigError(f"family must be 'all' or 'metric', got {family!r}")
    _check_boot(n_boot, ci)
    check_scores(scores, metric_list)
    pairs = _pairs(configurations(scores), baseline)
    rows = []
    for metric in metric_list:
        table = document_means(scores, metric)
        for a, b in pairs:
            if a in table.columns and b in table.columns:
                values_a, values_b = _aligned(table, a, b)
            else:
                values_a = values_b = np.empty(0)
            stats = _paired_stats(values_a, values_b, n_boot=int(n_boot), seed=seed, ci=ci, tie_tol=tie_tol)
            rows.append(
                {
                    "metric": metric,
                    "a": config_label(a),
                    "b": config_label(b),
                    "a_prompt_id": a[0],
                    "a_model_id": a[1],
                    "b_prompt_id": b[0],
                    "b_model_id": b[1],
                    **stats,
                }
            )
    columns = list(COMPARE_COLUMNS)
    result = pd.DataFrame(rows, columns=[c for c in columns if c not in ("p_adjusted", "significant")])
    if result.empty:
        log.warning("compare_all: fewer than two configurations, nothing to compare")
        result["p_adjusted"] = pd.Series(dtype="float64")
        result["significant"] = pd.Series(dtype="bool")
        return result[columns]
    result["p_adjusted"] = _adjusted(result, correction, family)
    result["significant"] = result["p_adjusted"].lt(alpha)
    result.attrs.update(correction=correction, family=family, alpha=alpha, ci_level=ci, n_boot=n_boot, seed=seed)
    return result[columns]


def rank_configurations(
    scores: pd.DataFrame,
    metric: str,
    n_boot: int = 2000,
    seed: int = 0,
    *,
    ci: float = 0.95,
    common_documents: bool = True,
    ascending: bool = False,
) -> pd.DataFrame:
    """Mean of ``metric`` per configuration with a percentile bootstrap CI over documents, sorted.

    Samples are averaged per document first. With ``common_documents`` (default) only documents
    every configuration has are used, so the means are comparable; otherwise each configuration
    uses all of its documents. Sorted best first (descending; ``ascending=True`` for metrics where
    lower is better). Columns: ``rank``, ``config``, ``prompt_id``, ``model_id``, ``mean``,
    ``ci_low``, ``ci_high``, ``n_docs``, ``n_summaries``.
    """
    _check_boot(n_boot, ci)
    table = document_means(scores, metric)
    if common_documents and table.shape[1] > 1:
        complete = table.dropna()
        dropped = len(table) - len(complete)
        if dropped:
            log.warning(
                "rank_configurations(%s): %d of %d documents are missing for some configuration and are left out",
                metric,
                dropped,
                len(table),
            )
        table = complete
    values = metric_values(scores, metric)
    counts = (
        scores.assign(_value=values.to_numpy())
        .dropna(subset=["_value"])
        .astype({"prompt_id": str, "model_id": str, "doc_id": str})
    )
    counts = counts[counts["doc_id"].isin(table.index)].groupby(list(CONFIG_COLUMNS)).size()

    rows = []
    for config in table.columns:
        docs = table[config].dropna().to_numpy(dtype="float64")
        low, high = bootstrap_ci(docs, n_boot=n_boot, seed=seed, ci=ci)
        rows.append(
            {
                "config": config_label(config),
                "prompt_id": config[0],
                "model_id": config[1],
                "mean": float(docs.mean()) if docs.size else math.nan,
                "ci_low": low,
                "ci_high": high,
                "n_docs": int(docs.size),
                "n_summaries": int(counts.get(config, 0)),
            }
        )
    result = pd.DataFrame(
        rows, columns=["config", "prompt_id", "model_id", "mean", "ci_low", "ci_high", "n_docs", "n_summaries"]
    )
    result = result.sort_values(
        ["mean", "config"], ascending=[ascending, True], na_position="last", kind="stable"
    ).reset_index(drop=True)
    result.insert(0, "rank", np.arange(1, len(result) + 1))
    result.attrs.update(metric=metric, ci_level=ci, n_boot=n_boot, seed=seed)
    return result


__all__ = [
    "CONFIG_COLUMNS",
    "CORRECTIONS",
    "KEY_COLUMNS",
    "ROUND_DECIMALS",
    "ZERO_METHOD",
    "Configuration",
    "PairedComparison",
    "adjust_pvalues",
    "bootstrap_ci",
    "check_scores",
    "compare_all",
    "config_label",
    "configurations",
    "document_means",
    "metric_values",
    "paired_difference",
    "rank_biserial",
    "rank_configurations",
    "resample_weights",
]
