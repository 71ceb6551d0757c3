"""Analysis of a run's records: tables, paired statistics and the regression gate."""
