"""Analysis of a run: tables (``load_run``), the explanations as flat tables (``claims_table``,
``areas_table``), run-to-run changes (``compare_runs``, ``summary_diffs``), paired statistics, the
verdict and the regression gate. See docs/api.md."""

from bizsum.analysis.details import areas_table, claims_table
from bizsum.analysis.diff import compare_runs, summary_diffs
from bizsum.analysis.tables import load_run
from bizsum.analysis.verdict import verdict_table

__all__ = ["areas_table", "claims_table", "compare_runs", "load_run", "summary_diffs", "verdict_table"]
