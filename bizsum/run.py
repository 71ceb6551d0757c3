"""One run, read once: its folder, its config, its latest generation and score rows, joined.

:meth:`Run.load` parses ``config.yaml``, ``generations.jsonl`` and ``scores.jsonl`` of a run folder
once each; everything that reads a run (``load_run``, ``config_history``, the agreement with human
labels, the report) takes the :class:`Run` rather than a path, so no file is parsed twice per build
and "which score row belongs to which summary" is decided in one place
(:func:`bizsum.records.score_belongs`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from bizsum.config import RunConfig, load_config, project_root
from bizsum.errors import BizsumError
from bizsum.records import CellKey, GenerationRecord, ScoreRecord, load_latest, score_belongs
from bizsum.rundir import RunDir

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Run:
    """A run folder's config and rows, read once.

    ``generations`` and ``scores`` are the latest row per cell (``bizsum.records.load_latest``);
    :attr:`scored` holds, per cell, the score row of the current generation only (a summary
    regenerated since its last scoring has none). ``config`` is the run's own ``config.yaml``
    (None when the folder has none or it no longer validates); ``config_text`` is that file's text.
    """

    rundir: RunDir
    config: RunConfig | None
    generations: dict[CellKey, GenerationRecord]
    scores: dict[CellKey, ScoreRecord]
    config_text: str | None = field(default=None, repr=False)

    @classmethod
    def load(cls, source: str | os.PathLike[str] | RunDir | RunConfig) -> Run:
        """Read a run folder (a path, a :class:`RunDir`, or the config whose ``run_dir`` it is).

        Given a config, that config is the run's; given a folder, its ``config.yaml`` is, with the
        folder as its run folder even when the folder was moved or renamed since."""
        config: RunConfig | None
        if isinstance(source, RunConfig):
            rundir, config = RunDir(source.run_dir.resolve()), source
        else:
            rundir = source if isinstance(source, RunDir) else RunDir(Path(source).resolve())
            config = _own_config(rundir)
        text = rundir.config.read_text(encoding="utf-8") if rundir.config.is_file() else None
        generations = load_latest(rundir.generations, GenerationRecord)  # a missing file has no rows
        scores = load_latest(rundir.scores, ScoreRecord)
        return cls(rundir, config, generations, scores, text)

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
    """A run folder's ``config.yaml`` with the folder as its run folder (it may have been moved)."""
    if not rundir.config.is_file():
        return None
    try:
        config = load_config(rundir.config)
        if config.run_dir.resolve() != rundir.path:  # moved or renamed: it is the run folder all the same
            config = load_config(rundir.config, {"output_dir": str(rundir.path.parent), "name": rundir.name})
    except BizsumError as error:
        log.warning("%s: the run's config does not load (%s); reading its rows without it", rundir.config, error)
        return None
    return config


def as_run(source: Run | RunDir | RunConfig | str | os.PathLike[str]) -> Run:
    """``source`` if it is a :class:`Run`, else the run read from it (:meth:`Run.load`)."""
    return source if isinstance(source, Run) else Run.load(source)
