"""Typed run configuration: the one source of truth for a run.

A run is loaded from a YAML file (``bizsum run CONFIG``) and/or from papermill parameters: every
top-level field of :class:`RunConfig` is a notebook parameter of the same name, ``config_path``
names a YAML file to start from, and any other name is an error (papermill itself only warns).
API keys are never part of a config: a model names the *environment variable* that holds its key.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from bizsum.errors import ConfigError
from bizsum.nlp.focus_areas import FOCUS_AREAS
from bizsum.records import stable_hash
from bizsum.resources import builtin_data_dir
from bizsum.rundir import RunDir

#: the ``corpus`` entry that names the corpus shipped with bizsum
BUILTIN_CORPUS = "builtin"

_SECRET_WORDS = ("api_key", "apikey", "secret", "password")

#: the most samples per document × prompt × model a config may ask for
MAX_SAMPLES = 1000
_UNSAFE_NAME = re.compile(r"[/\\\x00-\x1f\x7f]")


def check_folder_name(value: str, what: str) -> str:
    """A run name or model id: one plain folder/file name, so nothing it names leaves the run folder."""
    if not value.strip() or value.strip(".") == "" or _UNSAFE_NAME.search(value):
        raise ValueError(
            f"{what} {value!r} must be a plain name (no '/', '\\', control characters, '.' or '..'): "
            "it names files inside the output folder"
        )
    return value


def check_base_url(value: str | None) -> str | None:
    """An OpenAI-compatible endpoint must be an http(s) URL with a host (checked before any request)."""
    if value is None:
        return value
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(value)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in value):
        raise ValueError(f"base_url {value!r} is not an http(s) URL with a host, e.g. http://127.0.0.1:8080/v1")
    return value


def _reject_secrets(mapping: Mapping[str, Any], where: str) -> None:
    for key in mapping:
        lowered = str(key).lower()
        if any(word in lowered for word in _SECRET_WORDS) and lowered != "api_key_env":
            raise ConfigError(
                f"{where}: '{key}' looks like a secret. Keys are never stored in a config or notebook "
                "parameter: put the key in an environment variable and name that variable in "
                "'api_key_env' (default OPENAI_API_KEY)."
            )


class RetrySettings(BaseModel):
    """How one HTTP request is retried (bizsum.providers.retry); not part of the cache key."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_attempts: int = Field(
        6, ge=1, description="Attempts per request (1 = no retry) on 429, 5xx, timeouts, connection errors."
    )
    initial_delay: float = Field(
        1.0, ge=0, description="Back-off before the 2nd attempt, in seconds; doubles each attempt (with jitter)."
    )
    max_delay: float = Field(
        60.0,
        ge=0,
        description="Largest back-off between attempts, in seconds (a longer Retry-After is still respected).",
    )
    timeout: float = Field(180.0, gt=0, description="Per-request timeout in seconds; a timed-out request is retried.")


class BatchSettings(BaseModel):
    """OpenAI Batch API mode (bizsum.generation.batch); ``batch: true`` is short for ``batch: {enabled: true}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(
        False, description="Send this model's cells through the Batch API (batch prices, results within 24 h)."
    )
    poll_interval: float = Field(30.0, gt=0, description="Seconds between status checks of a submitted batch.")
    wait: float | None = Field(
        None,
        ge=0,
        description="Seconds generate() waits for a batch to end: None = until it ends, 0 = submit or collect, "
        "then return (a rerun picks the batch up again).",
    )


class ExecutorSettings(BaseModel):
    """Where scoring, local-model generation and ingestion run (``bizsum.execution``).

    ``executor: local`` (the default) runs in this process; ``executor: ray`` (or a mapping with
    ``kind: ray``) runs on a Ray cluster. The results files are the same either way, so this field is
    not part of the config's hash: switching executor never invalidates a row.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["local", "ray"] = Field("local", description="'local' (this process) or 'ray' (a Ray cluster).")
    address: str = Field(
        "local",
        description="Ray cluster: 'local' starts a private Ray instance on this machine, 'auto' joins the cluster "
        "this machine belongs to (`ray start`), 'ray://host:10001' connects through Ray Client.",
    )
    num_actors: int | None = Field(
        None, ge=1, description="Scoring actors (each loads the metric models once); None = the cluster's CPUs."
    )
    cpus_per_actor: float = Field(1.0, gt=0, description="CPUs Ray reserves for each scoring actor.")
    generation_actors: bool = Field(
        True,
        description="Run in-process models (llama.cpp) as Ray actors, one per node with its own model copy; API "
        "models always stay on the driver.",
    )
    runtime_env: dict[str, Any] | None = Field(
        None, description="Ray runtime_env for the workers (pip, working_dir, env_vars), e.g. on a remote cluster."
    )

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"kind": data}
        if isinstance(data, Mapping) and isinstance(data.get("runtime_env"), Mapping):
            env_vars = data["runtime_env"].get("env_vars")
            if isinstance(env_vars, Mapping):
                _reject_secrets(env_vars, "executor.runtime_env.env_vars")
        return data


class ModelSpec(BaseModel):
    """One model in the matrix: which provider serves it and with what settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="Label used in results and reports, unique within a run.")
    provider: str = Field(description="Provider registry name: openai, local, extractive, fake.")
    model: str | None = Field(None, description="The provider's model name; defaults to `id`.")
    base_url: str | None = Field(None, description="OpenAI-compatible endpoint (vLLM, Ollama, llama.cpp).")
    api_key_env: str | None = Field(None, description="Name of the environment variable holding the key.")
    params: dict[str, Any] = Field(default_factory=dict, description="Generation parameters sent with each request.")
    options: dict[str, Any] = Field(
        default_factory=dict, description="Provider settings that are not sent (paths, k, ...)."
    )
    count_encoding: str | None = Field(
        None, description="Tokenizer used to count summary tokens: o200k_base, cl100k_base or gguf."
    )
    context_window: int | None = Field(
        None, description="Prompt + completion tokens the model accepts; default from data/context_windows.yaml."
    )
    strategy: Literal["whole", "truncate", "map-reduce"] = Field(
        "whole",
        description="When the prompt does not fit the context window: 'whole' stops with an error, "
        "'truncate' cuts the document (reported), 'map-reduce' summarizes sections then combines them.",
    )
    concurrency: int | None = Field(
        None,
        ge=1,
        description="Requests in flight at once for this model; None = the provider's default (openai 8, others 1).",
    )
    retry: RetrySettings = Field(
        default_factory=RetrySettings, description="Retries, back-off and per-request timeout."
    )
    batch: BatchSettings = Field(
        default_factory=BatchSettings, description="OpenAI Batch API mode (provider 'openai' only)."
    )

    @field_validator("id")
    @classmethod
    def _plain_id(cls, value: str) -> str:
        return check_folder_name(value, "model id")

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        return check_base_url(value)

    @field_validator("batch", mode="before")
    @classmethod
    def _batch_shorthand(cls, value: Any) -> Any:
        return {"enabled": value} if isinstance(value, bool) else value

    @model_validator(mode="before")
    @classmethod
    def _no_secrets(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            _reject_secrets(data, f"model {data.get('id', '?')!r}")
            for sub in ("params", "options"):
                if isinstance(data.get(sub), Mapping):
                    _reject_secrets(data[sub], f"model {data.get('id', '?')!r} {sub}")
        return data

    @property
    def model_name(self) -> str:
        return self.model or self.id


JudgeMetric = Literal["judge_claims", "judge_rubric"]
JUDGE_METRICS: tuple[JudgeMetric, ...] = ("judge_claims", "judge_rubric")


class JudgeSettings(BaseModel):
    """An LLM judge (optional): which model judges, and what the judge metrics do.

    ``model`` is a model entry (any provider: openai, an OpenAI-compatible server, local, fake) or
    the id of a model in ``models``. The judge's answers go through the response cache and are
    priced like generations; its values are columns of their own ("LLM judge: ..."), never mixed
    into the offline metrics.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: ModelSpec | str = Field(description="The judge model: a model entry, or the id of a model in `models`.")
    metrics: list[JudgeMetric] = Field(
        default_factory=lambda: list(JUDGE_METRICS),
        description="Judge metrics to compute: judge_claims (claim by claim), judge_rubric (G-Eval 1-5 scores).",
    )
    max_claims: int = Field(
        20, ge=1, description="Claims judged per summary (the first ones); the rest are counted as not judged."
    )
    passages: int = Field(3, ge=1, le=10, description="Source passages retrieved per claim for judge_claims.")
    max_source_tokens: int = Field(
        3000,
        ge=200,
        description="judge_rubric: a source up to this many tokens is shown whole, a longer one as the passages "
        "most related to the summary and to each focus area.",
    )
    logprobs: bool = Field(
        True,
        description="Ask for token probabilities (probability-weighted G-Eval scores) where the provider returns them.",
    )
    max_cost: float | None = Field(
        None, ge=0, description="Cap in USD on what the judge may spend in one scoring; None = no limit."
    )

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"model": data} if isinstance(data, str) else data


class RunConfig(BaseModel):
    """Everything that defines a run: documents × prompts × models × samples, and how to score."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field("run", description="Run name; results go to <output_dir>/<name>/.")
    documents: list[str] = Field(description="Document ids from data/documents/manifest.csv.")
    prompts: list[str] = Field(description="Prompt template ids from data/prompts/ (file stem).")
    models: list[ModelSpec] = Field(description="Models to compare.")
    samples: int = Field(1, ge=1, le=MAX_SAMPLES, description="Samples per document × prompt × model.")
    seed: int = Field(0, description="Base seed; sample i uses seed + i.")
    token_limit: int = Field(512, ge=1, description="Maximum summary length in tokens.")
    focus_areas: list[str] = Field(default_factory=lambda: list(FOCUS_AREAS))
    strategies: list[Literal["whole", "truncate", "map-reduce"]] | None = Field(
        None,
        description="Long-document strategies as a matrix dimension: each model runs once per strategy, "
        "as model id '<id>@<strategy>'. None = each model's own 'strategy'.",
    )
    metrics: list[str] | None = Field(
        None,
        description="Metric names to compute; None = every offline metric (plus the judge's, when `judge` is set).",
    )
    judge: JudgeSettings | None = Field(
        None,
        description="LLM judge (optional): {model: <model entry or id in models>, metrics: [...], max_claims: ...}.",
    )
    data_dir: str = Field("data", description="Folder with documents/, prompts/, references/.")
    corpus: list[str] = Field(
        default_factory=list,
        description="More data folders beneath data_dir, in order: a document, prompt or reference id that data_dir "
        "does not have is looked up in them. 'builtin' is the corpus shipped with bizsum (a study made by "
        "`bizsum init` lists it, so the built-in documents and prompts stay usable by id).",
    )
    output_dir: str = Field("reports", description="Folder that receives <name>/ with results and report.")
    cache_dir: str = Field(".cache/bizsum", description="Response cache; identical requests are served from it.")
    baseline: str | None = Field(None, description="Scores file of an earlier run to gate regressions against.")
    baseline_run: str | None = Field(
        None,
        description="Run folder of an earlier run: the report shows what changed per summary and metric (text diffs "
        "included), and the gate compares against its rows.",
    )
    mlflow: bool | str = Field(
        False,
        description="Log the run to MLflow tracking: true = a local ./mlruns file store (no server), or a tracking "
        "URI; needs the 'tracking' extra (pip install 'bizsum[tracking]').",
    )
    thresholds: dict[str, float] = Field(
        default_factory=dict,
        description="Largest tolerated drop per metric before the gate fails, e.g. {source_only: 0.05}.",
    )
    max_cost: float | None = Field(
        None,
        ge=0,
        description="Running cap in USD on what the run folder spends: no request is sent when the money spent plus the "
        "worst case of the requests in flight would pass it; None = no limit.",
    )
    allow_unpriced: bool = Field(
        False, description="Allow models without a price in prices.yaml under max_cost (their cost is not counted)."
    )
    allow_failures: int | float = Field(
        0,
        ge=0,
        description="Failed cells tolerated before a run exits non-zero: a count (2) or a share below 1 (0.1 = 10%).",
    )
    executor: ExecutorSettings = Field(
        default_factory=ExecutorSettings,
        description="Where the heavy steps run: 'local' (default) or 'ray' / {kind: ray, address, num_actors, ...}; "
        "the results are the same.",
    )
    max_document_tokens: int = Field(
        500_000,
        ge=1,
        description="Documents longer than this (o200k tokens) are refused before any request; the largest real Item 1 "
        "is about 200k tokens.",
    )

    _root: Path = PrivateAttr(default_factory=Path.cwd)
    _source: Path | None = PrivateAttr(default=None)

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        return check_folder_name(value, "run name")

    @field_validator("documents", "prompts", "models")
    @classmethod
    def _not_empty(cls, value: list[Any], info: Any) -> list[Any]:
        if not value:
            raise ValueError(f"'{info.field_name}' must list at least one entry")
        return value

    @field_validator("focus_areas")
    @classmethod
    def _known_areas(cls, value: list[str]) -> list[str]:
        unknown = [a for a in value if a not in FOCUS_AREAS]
        if unknown:
            raise ValueError(f"unknown focus area(s) {unknown}; known: {list(FOCUS_AREAS)}")
        return value

    @model_validator(mode="after")
    def _expand_strategies(self) -> RunConfig:
        if self.strategies:
            expanded = []
            for spec in self.models:
                if "@" in spec.id:  # already expanded (config snapshot read back)
                    expanded.append(spec)
                    continue
                for strategy in dict.fromkeys(self.strategies):
                    expanded.append(
                        spec.model_copy(
                            update={"id": f"{spec.id}@{strategy}", "strategy": strategy, "model": spec.model_name}
                        )
                    )
            self.models = expanded
        return self

    @model_validator(mode="after")
    def _unique_model_ids(self) -> RunConfig:
        ids = [m.id for m in self.models]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"model ids must be unique; repeated: {dupes}")
        return self

    @model_validator(mode="after")
    def _resolve_judge(self) -> RunConfig:
        if self.judge is not None and isinstance(self.judge.model, str):
            ids = [m.id for m in self.models]
            if self.judge.model not in ids:
                raise ValueError(f"judge.model {self.judge.model!r} is not the id of a model in 'models' ({ids})")
            spec = next(m for m in self.models if m.id == self.judge.model)
            self.judge = self.judge.model_copy(update={"model": spec})
        named = [m for m in self.metrics or [] if m in JUDGE_METRICS]
        if named and self.judge is None:
            raise ValueError(f"metrics {named} need a judge model: set 'judge: {{model: ...}}'")
        return self

    @property
    def judge_model(self) -> ModelSpec | None:
        """The judge's model entry (resolved), or None without a judge."""
        if self.judge is None:
            return None
        assert isinstance(self.judge.model, ModelSpec)
        return self.judge.model

    def metric_names(self, available: list[str]) -> list[str]:
        """The metrics a scoring runs: ``metrics`` (default ``available``: every offline metric),
        plus the judge's metrics when a judge is set."""
        names = list(self.metrics or available)
        return names + [m for m in (self.judge.metrics if self.judge else []) if m not in names]

    @property
    def root(self) -> Path:
        """The folder relative paths of this config are resolved against (see :func:`load_config`)."""
        return self._root

    def with_root(self, root: str | os.PathLike[str]) -> RunConfig:
        self._root = Path(root).resolve()
        return self

    def resolve(self, path: str | os.PathLike[str]) -> Path:
        """A path of this config (data_dir, output_dir, cache_dir, baseline) as an absolute path."""
        candidate = Path(path).expanduser()
        return candidate if candidate.is_absolute() else self._root / candidate

    @property
    def data_path(self) -> Path:
        return self.resolve(self.data_dir)

    @property
    def data_paths(self) -> list[Path]:
        """Every data folder of the run, the first one wins on an id: data_dir, then each ``corpus`` entry
        ('builtin' is the shipped corpus; skipped when this install has none)."""
        paths = [self.data_path]
        for entry in self.corpus:
            path = builtin_data_dir() if entry == BUILTIN_CORPUS else self.resolve(entry)
            if path is not None and path.resolve() not in {p.resolve() for p in paths}:
                paths.append(path)
        return paths

    @property
    def cache_path(self) -> Path:
        return self.resolve(self.cache_dir)

    @property
    def run_dir(self) -> Path:
        return self.resolve(self.output_dir) / self.name

    @property
    def rundir(self) -> RunDir:
        return RunDir(self.run_dir)

    def provenance(self) -> dict[str, Any]:
        """Where this config's paths point, absolute (``<run>/provenance.json``): a run folder that is
        copied or moved still finds its data through it (:func:`load_run_config`)."""
        return {
            "config_file": str(self._source) if self._source else None,
            "root": str(self._root),
            "data_dirs": [str(path.resolve()) for path in self.data_paths],
            "output_dir": str(self.resolve(self.output_dir).resolve()),
            "cache_dir": str(self.cache_path.resolve()),
        }

    def failures_allowed(self, cells: int) -> int:
        """How many failed cells out of ``cells`` the run tolerates before it exits non-zero."""
        value = self.allow_failures
        if isinstance(value, float) and value < 1:
            return int(value * cells)
        return int(value)

    def snapshot(self) -> dict[str, Any]:
        """The config as plain data (what configs/<hash>.yaml holds). The executor is left out: where
        a run executes does not change a result, so switching it leaves the hash as it was."""
        # an empty ``corpus`` is left out, so configs from before the field keep their hash
        return self.model_dump(mode="json", exclude={"executor"} | (set() if self.corpus else {"corpus"}))

    def hash(self) -> str:
        return stable_hash(self.snapshot(), 12)

    def model(self, model_id: str) -> ModelSpec:
        for spec in self.models:
            if spec.id == model_id:
                return spec
        raise ConfigError(f"no model with id {model_id!r} in run {self.name!r}")


# Notebook parameters that are not RunConfig fields.
EXTRA_PARAMETERS = ("config_path",)


def parameter_names() -> list[str]:
    """Names a notebook's `parameters` cell may set: every RunConfig field plus ``config_path``."""
    return [*EXTRA_PARAMETERS, *RunConfig.model_fields]


def _format_validation_error(error: ValidationError, source: str, overridden: Mapping[str, str]) -> str:
    lines = [f"invalid run configuration in {source}:"]
    for item in error.errors():
        location = ".".join(str(part) for part in item["loc"]) or "(top level)"
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown field (not a RunConfig/ModelSpec field)"
        by = overridden.get(str(item["loc"][0])) if item["loc"] else None
        lines.append(f"  - {location}{f' (set by {by})' if by else ''}: {message}")
    return "\n".join(lines)


def _takes_strings(annotation: Any) -> bool:
    """Whether a field's type is a list of strings (or of string literals), possibly optional."""
    origin = get_origin(annotation)
    if origin is list:
        (item,) = get_args(annotation) or (Any,)
        return item is str or get_origin(item) is Literal
    if origin in (Union, UnionType):
        return any(_takes_strings(arg) for arg in get_args(annotation))
    return False


#: RunConfig fields that take a list of strings: a plain string is accepted as a comma-separated list
STRING_LIST_FIELDS = tuple(name for name, field in RunConfig.model_fields.items() if _takes_strings(field.annotation))


def _string_lists(data: Mapping[str, Any]) -> dict[str, Any]:
    """``prompts: analyst`` (a papermill ``-p``, a ``--set``) as ``prompts: [analyst]``."""
    return {
        key: [part.strip() for part in value.split(",") if part.strip()]
        if key in STRING_LIST_FIELDS and isinstance(value, str)
        else value
        for key, value in data.items()
    }


def build_config(data: Mapping[str, Any], source: str, overridden: Mapping[str, str] | None = None) -> RunConfig:
    """Validate a mapping into a RunConfig; errors name the field and the source (``overridden``:
    fields set elsewhere than ``source``, by what, e.g. ``{"prompts": "notebook parameter 'prompts'"}``)."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: expected a mapping of config fields, got {type(data).__name__}")
    _reject_secrets(data, source)
    try:
        return RunConfig.model_validate(_string_lists(data))
    except ValidationError as error:
        raise ConfigError(_format_validation_error(error, source, overridden or {})) from None


def read_yaml(path: str | os.PathLike[str]) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: not valid YAML ({error})") from None
    if data is None:
        raise ConfigError(f"{path}: the file is empty")
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return data


def find_config(path: str | os.PathLike[str]) -> Path:
    """The config file: as given, else (a relative path) under the nearest folder above the working
    directory that has it, so ``configs/demo.yaml`` also works from ``notebooks/``."""
    given = Path(path).expanduser()
    if given.is_file() or given.is_absolute():
        return given
    for folder in Path.cwd().resolve().parents:
        if (folder / given).is_file():
            return folder / given
    return given


def project_root(start: str | os.PathLike[str], data_dir: str = "data") -> Path:
    """The folder relative paths resolve against: the nearest folder at or above ``start`` that
    holds ``data_dir`` (the project root), else ``start`` itself."""
    start = Path(start).resolve()
    if Path(data_dir).is_absolute():
        return start
    for folder in (start, *start.parents):
        if (folder / data_dir).is_dir():
            return folder
    return start


def load_config(
    path: str | os.PathLike[str], overrides: Mapping[str, Any] | None = None, overrides_from: str = "an override"
) -> RunConfig:
    """Load a YAML config, apply overrides (None values mean 'keep'), validate.

    Relative paths in the config (``data_dir``, ``output_dir``, ``cache_dir``, ``baseline``) are
    resolved against the project root found from the config file's folder (:func:`project_root`),
    never against the working directory, so the same config means the same files from anywhere.
    """
    path = find_config(path)
    data = read_yaml(path)
    overridden = {}
    for key, value in (overrides or {}).items():
        if value is not None:
            data[key] = value
            overridden[key] = f"{overrides_from} {key!r}"
    config = build_config(data, str(path), overridden)
    config._source = path.resolve()
    return config.with_root(project_root(path.resolve().parent, config.data_dir))


def _recorded_root(rundir: RunDir) -> Path | None:
    """The root recorded in ``provenance.json``, when it is still there."""
    import json

    try:
        root = json.loads(rundir.provenance.read_text(encoding="utf-8")).get("root")
    except (OSError, ValueError, AttributeError):
        return None
    return Path(root) if isinstance(root, str) and Path(root).is_dir() else None


def load_run_config(run_dir: str | os.PathLike[str], overrides: Mapping[str, Any] | None = None) -> RunConfig:
    """The config a run folder was made with (its ``config.yaml``), for the folder where it is now.

    Relative paths (data_dir, corpus, cache_dir, baseline) resolve against the root recorded in
    ``provenance.json`` (absolute), so a copied or moved run folder still finds its data; a run
    without one (or whose root is gone) resolves them against the project root above the folder.
    ``output_dir`` and ``name`` are the folder's own location, whatever the config says.
    """
    rundir = RunDir(Path(run_dir).expanduser().resolve())
    if not rundir.path.is_dir():
        raise ConfigError(f"not a run folder: {rundir.path} does not exist")
    if not rundir.config.is_file():
        raise ConfigError(f"not a run folder: {rundir.path} has no config.yaml (make one with `bizsum run CONFIG`)")
    data = read_yaml(rundir.config)
    data.update({k: v for k, v in (overrides or {}).items() if v is not None})
    config = build_config(data, str(rundir.config))
    config = config.with_root(_recorded_root(rundir) or project_root(rundir.path, config.data_dir))
    if config.run_dir.resolve() == rundir.path:
        return config
    # The folder was moved, copied or renamed: it is the run folder, whatever its config says.
    data.update(output_dir=str(rundir.path.parent), name=rundir.name)
    return build_config(data, str(rundir.config)).with_root(config.root)


def config_from_parameters(parameters: Mapping[str, Any]) -> RunConfig:
    """Map papermill parameters 1:1 onto a RunConfig.

    ``parameters`` holds every name the parameters cell (and papermill's injected cell) defined.
    Unknown names are an error naming them; ``None`` means "not set, keep the YAML value".
    """
    _reject_secrets(parameters, "notebook parameters")
    allowed = set(parameter_names())
    unknown = sorted(name for name in parameters if name not in allowed)
    if unknown:
        raise ConfigError(f"unknown notebook parameter(s) {unknown}; allowed: {sorted(allowed)}")
    config_path = parameters.get("config_path")
    overrides = {k: v for k, v in parameters.items() if k != "config_path" and v is not None}
    if config_path:
        return load_config(config_path, overrides, "notebook parameter")
    config = build_config(overrides, "notebook parameters", {key: f"notebook parameter {key!r}" for key in overrides})
    return config.with_root(project_root(Path.cwd(), config.data_dir))
