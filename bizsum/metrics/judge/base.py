"""What both LLM-judge metrics share: the judge setup, one client per metric, the version."""

from __future__ import annotations

from typing import ClassVar

from bizsum.errors import ConfigError
from bizsum.metrics.base import Metric
from bizsum.metrics.judge.client import JudgeClient, JudgeSetup
from bizsum.metrics.judge.prompts import prompts_version


def require_setup(setup: JudgeSetup | None, name: str) -> JudgeSetup:
    if setup is None:
        raise ConfigError(
            f"metric {name!r} needs an LLM judge: set 'judge: {{model: ...}}' in the config, or pass "
            "--judge to bizsum score"
        )
    return setup


class JudgeMetric(Metric):
    """A metric answered by the configured judge model. Without a setup it reports its version but
    refuses to score (so a run without a judge can still name the metric)."""

    #: bumped when the metric's prompts or parsing change what it returns
    revision: ClassVar[str] = "1"

    def __init__(self, setup: JudgeSetup | None = None):
        self.setup = setup
        self._client: JudgeClient | None = None

    @property
    def client(self) -> JudgeClient:
        if self._client is None:
            self._client = JudgeClient(require_setup(self.setup, self.name))
        return self._client

    def version(self) -> dict[str, str]:
        base = {self.name: self.revision, "judge_prompts": prompts_version()}
        if self.setup is None:
            return base
        from bizsum.nlp.encoders import encoder_versions

        return {**encoder_versions(), **base, **self.setup.fingerprint()}
