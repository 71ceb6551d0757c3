"""MLflow tracking against the real library and a local file store (no server)."""

import pandas as pd
import pytest

from bizsum.config import build_config
from bizsum.report.build import Report
from bizsum.report.data import ReportData
from bizsum.tracking import flatten, headline_metrics, log_run, tracking_uri

mlflow = pytest.importorskip("mlflow")


def _config(root, **extra):
    config = build_config(
        {
            "name": "t",
            "documents": ["D"],
            "prompts": ["seed"],
            "models": [{"id": "m", "provider": "fake"}],
            "mlflow": True,
            **extra,
        },
        "test",
    )
    return config.with_root(root)


def test_flatten_turns_nested_config_into_params():
    assert flatten({"a": {"b": [1, 2]}, "models": [{"id": "m", "params": {"t": 0.2}}], "x": None}) == {
        "a.b": "1, 2",
        "models.0.id": "m",
        "models.0.params.t": "0.2",
        "x": "",
    }


def test_a_run_is_logged_with_params_metrics_and_artifacts(tmp_path):
    config = _config(tmp_path)
    rundir = config.rundir.ensure()
    rundir.report.write_text("<html>report</html>", encoding="utf-8")
    rundir.config.write_text("name: t\n", encoding="utf-8")
    rundir.scores.write_text("", encoding="utf-8")
    headline = pd.DataFrame(
        [{"prompt": "seed", "model": "m", "kind": "llm", "coverage": 0.25, "source_only": float("nan")}]
    )
    headline.to_csv(rundir.export("headline.csv"), index=False)
    report = Report(ReportData(config, pd.DataFrame(), {}), [], {"headline.csv": headline}, gate_passed=False)

    assert tracking_uri(config) == (tmp_path / "mlruns").resolve().as_uri()
    run_id = log_run(config, report)

    client = mlflow.tracking.MlflowClient(tracking_uri=tracking_uri(config))
    run = client.get_run(run_id)
    assert run.data.params["name"] == "t" and run.data.params["models.0.provider"] == "fake"
    assert run.data.metrics == {"coverage.seed.m": 0.25}  # NaN is not logged
    assert run.data.tags["bizsum.gate_passed"] == "False"
    artifacts = {a.path for a in client.list_artifacts(run_id)}
    assert {"report.html", "config.yaml", "scores.jsonl", "headline.csv"} <= artifacts
    assert (tmp_path / "mlruns").is_dir()
    assert headline_metrics(headline) == {"coverage.seed.m": 0.25}
