"""One run, read once: its folder, its config, its latest generation and score rows, joined.

:class:`Run` parses ``config.yaml``, ``generations.jsonl`` and ``scores.jsonl`` of a run folder
at most once each (when first asked for). Everything that reads a run (``load_run``,
``config_history``, the agreement with human labels, the review, the report) takes the
:class:`Run` rather than a path, so no file is parsed twice per build, and "which score row
belongs to which summary" is decided in one place (:func:`bizsum.records.score_belongs`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from bizsum.config import RunConfig, build_config, load_run_config, project_root, read_yaml
from bizsum.errors import BizsumError, InputError
from bizsum.records import CellKey, GenerationRecord, ScoreRecord, load_latest, score_belongs
from bizsum.rundir import RunDir, find_run_dir

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Run:
    """A run folder's config and rows, each read at most once (on first use) and then shared.

    ``generations`` and ``scores`` are the latest row per cell (``bizsum.records.load_latest``);
    :attr:`scored` holds, per cell, the score row of the current generation only (a summary
    regenerated since its last scoring has none). ``config`` is the config given to
    :meth:`load`, else the run's own ``config.yaml`` (None when the folder has none or it no
    longer validates); ``config_text`` is that file's text. A reader that needs only the
    generations (``config_history``) parses nothing else.
    """

    rundir: RunDir
    given_config: RunConfig | None = field(default=None, repr=False)

    @classmethod
    def load(cls, source: str | os.PathLike[str] | RunDir | RunConfig) -> Run:
        """The run of a folder (a path, a :class:`RunDir`) or of a config (its ``run_dir``).

        Given a config, that config is the run's; given a folder, its ``config.yaml`` is, with the
        folder as its run folder even when the folder was moved or renamed since."""
        if isinstance(source, RunConfig):
            return cls(RunDir(source.run_dir.resolve()), source)
        return cls(source if isinstance(source, RunDir) else RunDir(Path(source).resolve()))

    @cached_property
    def config(self) -> RunConfig | None:
        return self.given_config if self.given_config is not None else _own_config(self.rundir)

    @cached_property
    def config_text(self) -> str | None:
        return self.rundir.config.read_text(encoding="utf-8") if self.rundir.config.is_file() else None

    @cached_property
    def generations(self) -> dict[CellKey, GenerationRecord]:
        return load_latest(self.rundir.generations, GenerationRecord)  # a missing file has no rows

    @cached_property
    def scores(self) -> dict[CellKey, ScoreRecord]:
        return load_latest(self.rundir.scores, ScoreRecord)

    @property
    def path(self) -> Path:
        return self.rundir.path

    @property
    def name(self) -> str:
        return self.rundir.name

    @property
    def data_path(self) -> Path:
        """The data folder of the run's config (``data`` under the project root without one)."""
        if self.config is not None:
            return self.config.data_path
        return project_root(self.path) / "data"

    @cached_property
    def data_paths(self) -> list[Path]:
        """The data folders of the run's config (the layered corpus), through the paths recorded in
        ``provenance.json`` when the run was made, so a moved or copied run folder still finds them."""
        if self.given_config is not None:
            return list(self.given_config.data_paths)
        try:
            return list(load_run_config(self.path).data_paths)
        except BizsumError:
            return [self.data_path]

    @cached_property
    def scored(self) -> dict[CellKey, ScoreRecord]:
        """Per cell, the score row of its current generation (cells without one are left out)."""
        out: dict[CellKey, ScoreRecord] = {}
        for key, generation in self.generations.items():
            score = self.scores.get(key)
            if score is not None and score_belongs(score, generation):
                out[key] = score
        return out

    def pairs(self) -> Iterator[tuple[GenerationRecord, ScoreRecord | None]]:
        """Every current generation with its score row (None when it has none), in file order."""
        for key, generation in self.generations.items():
            yield generation, self.scored.get(key)


def _own_config(rundir: RunDir) -> RunConfig | None:
    """A run folder's ``config.yaml`` (parsed once) with the folder as its run folder (it may have
    been moved or renamed since), its paths resolved as :func:`bizsum.config.load_config` does."""
    if not rundir.config.is_file():
        return None
    folder = rundir.path.resolve()
    try:
        data = read_yaml(rundir.config)
        config = build_config(data, str(rundir.config))
        if config.with_root(project_root(folder, config.data_dir)).run_dir.resolve() != folder:
            config = build_config({**data, "output_dir": str(folder.parent), "name": folder.name}, str(rundir.config))
    except BizsumError as error:
        log.warning("%s: the run's config does not load (%s); reading its rows without it", rundir.config, error)
        return None
    return config.with_root(project_root(folder, config.data_dir))


def as_run(source: Run | RunDir | RunConfig | str | os.PathLike[str]) -> Run:
    """``source`` if it is a :class:`Run`, else the run read from it (:meth:`Run.load`)."""
    return source if isinstance(source, Run) else Run.load(source)


def check_run_folder(run_dir: str | os.PathLike[str] | RunDir) -> RunDir:
    """The run folder at ``run_dir`` (a relative one is also looked up from the folders above the
    working directory); a one-line error naming the path when it is not one."""
    rundir = run_dir if isinstance(run_dir, RunDir) else RunDir(find_run_dir(run_dir).resolve())
    if not rundir.path.is_dir():
        raise InputError(f"not a run folder: {rundir.path} does not exist")
    if not rundir.generations.is_file():
        raise InputError(
            f"not a run folder: {rundir.path} has no generations.jsonl (a run folder is <output_dir>/<name>/ of a "
            "config, made by `bizsum run CONFIG`)"
        )
    return rundir


def open_run(source: Run | RunDir | RunConfig | str | os.PathLike[str]) -> Run:
    """Like :func:`as_run`, for readers of finished runs: a path that is not a run folder is an
    error naming it, instead of a run with no rows."""
    if isinstance(source, (Run, RunConfig)):
        return as_run(source)
    return Run.load(check_run_folder(source))
