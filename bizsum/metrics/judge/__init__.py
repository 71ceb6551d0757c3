"""LLM judge metrics (optional, any provider): ``judge_claims`` and ``judge_rubric``.

They run only when a judge model is configured (``RunConfig.judge`` or ``bizsum score --judge``);
their values are columns of their own, labelled "LLM judge: ...", never mixed into the offline
metrics. Every request goes through the response cache and is priced (see
:mod:`bizsum.metrics.judge.client`); the prompts and how answers are read are in
:mod:`bizsum.metrics.judge.prompts`.
"""

from bizsum.metrics.judge.claims import JudgeClaimsMetric
from bizsum.metrics.judge.client import JudgeAnswer, JudgeClient, JudgeRequest, JudgeSetup
from bizsum.metrics.judge.rubric import JudgeRubricMetric

__all__ = ["JudgeAnswer", "JudgeClaimsMetric", "JudgeClient", "JudgeRequest", "JudgeRubricMetric", "JudgeSetup"]
