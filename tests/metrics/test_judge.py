"""LLM judge metrics: scripted answers (fake provider), an OpenAI mock transport with token
probabilities (the G-Eval arithmetic checked by hand), the cache, the cost and the cap."""

from __future__ import annotations

import json
import math

import httpx2
import pytest

from bizsum.config import JudgeSettings, ModelSpec, build_config
from bizsum.corpus.documents import Document
from bizsum.errors import ConfigError
from bizsum.metrics.base import ScoringItem
from bizsum.metrics.judge import JudgeClaimsMetric, JudgeRubricMetric, JudgeSetup
from bizsum.metrics.judge.prompts import claim_prompt, parse_verdict, sampled_score, weighted_score, yes_probability
from bizsum.nlp.claims import split_claims
from bizsum.providers.fake import FakeProvider
from bizsum.providers.openai_chat import OpenAIChatProvider

SOURCE = """Item 1. Business
Acme Analytics, Inc. sells a cloud-based analytics platform called Acme Insight to retailers and banks.
Revenue in 2017 was $1,200 million, of which subscription fees were 80 percent.
We sell through a direct sales force and through resellers in Europe and Asia.
The company funds its operations from cash flow and a revolving credit facility.
"""
SUMMARY = (
    "Acme sells an analytics platform to retailers and banks. "
    "It sells through a direct sales force and resellers. "
    "It is funded mainly by venture capital."
)
DOC = Document(id="acme", text=SOURCE)
ITEM = ScoringItem(summary=SUMMARY, document=DOC)


def fake_setup(tmp_path, match, **settings):
    spec = ModelSpec(id="judge", provider="fake", options={"match": match})
    return JudgeSetup(JudgeSettings(model=spec, **settings), cache_dir=tmp_path / "cache", data_dir=tmp_path)


CLAIM_SCRIPT = [
    {
        "contains": 'Claim: "It is funded mainly by venture capital."',
        "reply": "No\nThe passages name a credit facility.",
    },
    {"contains": "Claim:", "reply": "Yes\nThe passages say so."},
]


def test_claims_share_reasons_and_evidence_from_scripted_answers(tmp_path):
    assert split_claims(SUMMARY) == [
        "Acme sells an analytics platform to retailers and banks.",
        "It sells through a direct sales force and resellers.",
        "It is funded mainly by venture capital.",
    ]
    result = JudgeClaimsMetric(fake_setup(tmp_path, CLAIM_SCRIPT)).score(ITEM)
    assert result.values["judge_claims"] == pytest.approx(2 / 3)
    assert result.values["judge_claims_judged"] == 3
    assert result.values["judge_claims_cost_usd"] == 0.0  # the fake provider is free
    claims = result.details["claims"]
    assert [c["verdict"] for c in claims] == ["supported", "supported", "unsupported"]
    assert claims[2]["reason"] == "The passages name a credit facility."
    assert claims[2]["score"] == 0.0 and claims[2]["score_from"] == "sampled answer"
    # the retrieved evidence of the financing claim is the financing sentence, and passages do not overlap
    assert "revolving credit facility" in claims[2]["evidence"][0]
    assert len(claims[2]["evidence"]) == 3
    assert result.details["judge"] == "judge" and result.details["requests"] == 3


def test_max_claims_leaves_the_rest_not_judged(tmp_path):
    result = JudgeClaimsMetric(fake_setup(tmp_path, CLAIM_SCRIPT, max_claims=2)).score(ITEM)
    assert result.values["judge_claims"] == 1.0 and result.values["judge_claims_judged"] == 2
    assert result.details["claims"][2]["verdict"] == "not_judged" and result.details["not_judged"] == 1


def test_same_request_is_answered_by_the_cache(tmp_path):
    setup = fake_setup(tmp_path, CLAIM_SCRIPT)
    first = FakeProvider(setup.spec)
    JudgeClaimsMetric(JudgeSetup(setup.settings, setup.cache_dir, setup.data_dir, provider=first)).score(ITEM)
    assert first.calls == 3
    second = FakeProvider(setup.spec)
    result = JudgeClaimsMetric(JudgeSetup(setup.settings, setup.cache_dir, setup.data_dir, provider=second)).score(ITEM)
    assert second.calls == 0 and result.details["cached"] == 3
    assert result.values["judge_claims"] == pytest.approx(2 / 3)


def test_unreadable_answer_and_failed_request_are_left_out(tmp_path):
    script = [
        {"contains": "venture capital", "reply": {"error": "server down"}},
        {"contains": "resellers.", "reply": "I cannot tell."},
        {"contains": "Claim:", "reply": "Yes"},
    ]
    result = JudgeClaimsMetric(fake_setup(tmp_path, script)).score(ITEM)
    verdicts = [c["verdict"] for c in result.details["claims"]]
    assert verdicts == ["supported", "unparsed", "error"]
    assert result.values["judge_claims"] == 1.0 and result.values["judge_claims_judged"] == 1
    assert result.details["errors"] == 1 and result.details["unparsed"] == 1


def test_rubric_sampled_scores_from_scripted_answers(tmp_path):
    script = [
        {"contains": "- Consistency (1-5):", "reply": "4"},
        {"contains": "- Focus coverage (1-5):", "reply": "Score: 2"},
    ]
    result = JudgeRubricMetric(fake_setup(tmp_path, script)).score(ITEM)
    assert result.values["judge_consistency"] == 4.0 and result.values["judge_focus"] == 2.0
    assert result.details["consistency"]["score_from"] == "sampled answer"
    assert result.details["consistency"]["whole_source"] is True  # a short source is shown whole
    empty = JudgeRubricMetric(fake_setup(tmp_path, script)).score(ScoringItem(summary="  ", document=DOC))
    assert empty.values["judge_consistency"] is None and empty.details["requests"] == 0


def test_long_source_is_shown_as_excerpts_within_the_budget(tmp_path):
    filler = " ".join(f"The company also operates facility number {i} in a separate state." for i in range(120))
    doc = Document(id="long", text=SOURCE + "\n" + filler)
    seen = []

    class Recording(FakeProvider):
        def generate(self, request):
            seen.append(request.prompt)
            return super().generate(request)

    setup = fake_setup(tmp_path, [{"contains": "(1-5):", "reply": "3"}], max_source_tokens=300)
    setup = JudgeSetup(setup.settings, setup.cache_dir, setup.data_dir, provider=Recording(setup.spec))
    result = JudgeRubricMetric(setup).score(ScoringItem(summary=SUMMARY, document=doc))
    assert result.details["consistency"]["whole_source"] is False
    assert result.details["consistency"]["source_tokens"] <= 300
    consistency_prompt = seen[0]
    assert "revolving credit facility" in consistency_prompt  # the passage of the financing claim
    assert consistency_prompt.count("facility number") < 20


# -- token probabilities: the G-Eval arithmetic by hand, through a mock OpenAI transport ------------


def _lp(p):
    return math.log(p)


def openai_answer(content, top, prompt_tokens=1000, completion_tokens=10):
    first = max(top, key=top.get)
    return {
        "id": "x",
        "object": "chat.completion",
        "created": 0,
        "model": "judge-model",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": content},
                "logprobs": {
                    "content": [
                        {
                            "token": first,
                            "logprob": _lp(top[first]),
                            "bytes": None,
                            "top_logprobs": [{"token": t, "logprob": _lp(p), "bytes": None} for t, p in top.items()],
                        }
                    ]
                },
            }
        ],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens, "total_tokens": 1010},
    }


@pytest.fixture
def openai_judge(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    (tmp_path / "prices.yaml").write_text("models:\n  judge-model: {input: 1.0, output: 2.0}\n", encoding="utf-8")
    bodies = []

    def handler(request):
        body = json.loads(request.content)
        bodies.append(body)
        prompt = body["messages"][0]["content"]
        if "Consistency (1-5):" in prompt:
            return httpx2.Response(200, json=openai_answer("4", {"4": 0.5, "3": 0.3, "5": 0.2}))
        if "Focus coverage (1-5):" in prompt:
            # 10% of the mass on a non-score token: G-Eval normalizes over the score tokens
            return httpx2.Response(200, json=openai_answer("2", {"2": 0.6, "1": 0.3, "Score": 0.1}))
        return httpx2.Response(200, json=openai_answer("Yes\nStated.", {"Yes": 0.7, "No": 0.2, " yes": 0.05}))

    def make(**settings):
        spec = ModelSpec(
            id="judge", provider="openai", model="judge-model", base_url="http://stub.local/v1", concurrency=1
        )
        settings = JudgeSettings(model=spec, **settings)
        provider = OpenAIChatProvider(spec, http_client=httpx2.Client(transport=httpx2.MockTransport(handler)))
        return JudgeSetup(settings, cache_dir=tmp_path / "cache", data_dir=tmp_path, provider=provider)

    return make, bodies


def test_rubric_probability_weighted_score_and_cost_by_hand(openai_judge):
    make, bodies = openai_judge
    result = JudgeRubricMetric(make()).score(ITEM)
    # consistency: 4·0.5 + 3·0.3 + 5·0.2 = 3.9
    assert result.values["judge_consistency"] == pytest.approx(3.9)
    # focus: (2·0.6 + 1·0.3) / 0.9 = 1.6667
    assert result.values["judge_focus"] == pytest.approx(1.5 / 0.9, abs=1e-4)
    assert result.details["focus"]["score_token_mass"] == pytest.approx(0.9)
    assert result.details["focus"]["sampled"] == 2.0
    # cost per answer: 1000 × $1/1M + 10 × $2/1M = $0.00102; two answers
    assert result.values["judge_rubric_cost_usd"] == pytest.approx(2 * 0.00102)
    assert result.details["spent_usd"] == pytest.approx(2 * 0.00102)
    body = bodies[0]
    assert body["logprobs"] is True and body["top_logprobs"] == 5 and body["temperature"] == 0
    # the same requests again: from the cache, nothing sent, nothing spent, the same cost reported
    again = JudgeRubricMetric(make()).score(ITEM)
    assert len(bodies) == 2 and again.details["cached"] == 2 and again.details["spent_usd"] == 0.0
    assert again.values["judge_rubric_cost_usd"] == pytest.approx(2 * 0.00102)
    assert again.values["judge_consistency"] == pytest.approx(3.9)


def test_claims_probability_of_yes_by_hand(openai_judge):
    make, _ = openai_judge
    result = JudgeClaimsMetric(make()).score(ITEM)
    claim = result.details["claims"][0]
    # P(yes) = (0.7 + 0.05) / (0.7 + 0.05 + 0.2)
    assert claim["score"] == pytest.approx(0.75 / 0.95, abs=1e-4)
    assert claim["score_from"] == "token probabilities" and claim["verdict"] == "supported"
    assert result.values["judge_claims_cost_usd"] == pytest.approx(3 * 0.00102)


def test_no_logprobs_requested_when_switched_off(openai_judge):
    make, bodies = openai_judge
    JudgeRubricMetric(make(logprobs=False)).score(ITEM)
    assert "logprobs" not in bodies[0]


def test_max_cost_stops_the_judge_before_the_cap(openai_judge):
    make, bodies = openai_judge
    # a server that is not OpenAI may bill up to the prompt's UTF-8 bytes: the first request's worst case
    # (~1,500 bytes + 16 + 80 answer tokens ≈ $0.0017) fits the cap; it then reports 1000 + 10 tokens
    # ($0.00102), and the second request's worst case would pass $0.002, so it is not sent
    result = JudgeClaimsMetric(make(max_cost=0.002)).score(ITEM)
    verdicts = [c["verdict"] for c in result.details["claims"]]
    assert verdicts[0] == "supported" and set(verdicts[1:]) == {"error"}
    assert "max_cost" in result.details["claims"][1]["reason"]
    assert len(bodies) == 1


def test_claim_prompt_guidance_is_one_prefix_shared_by_every_claim():
    """What counts as supported (restated numbers, merged facts) and what does not comes before the
    passages, so two claims' prompts share it whole: a local model re-evaluates only the passages
    and the claim (llama.cpp keeps the common prefix), an API's prompt cache sees one prefix."""
    a = claim_prompt("It sells chips.", ["We sell chips to carmakers."])
    b = claim_prompt("It leases aircraft to airlines.", ["Aircraft are leased.", "Airlines are our customers."])
    shared = a[: a.index("Passages:\n[1] ")]
    assert b.startswith(shared) and a.count("[1] ") == 1
    for phrase in ("about a third", "joins facts", "roles swapped", "presented as fact", "financing or customers"):
        assert phrase in shared
    assert a.endswith("On the second line give the reason in one short sentence.")
    assert 'Claim: "It leases aircraft to airlines."' in b


# -- reading answers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        ("Yes\nIt is stated.", "supported"),
        ("**No** - the source names franchisees.", "unsupported"),
        ("The claim is not supported.", "unsupported"),
        ("Supported.", "supported"),
        ("Hmm.", "unparsed"),
    ],
)
def test_parse_verdict(text, verdict):
    assert parse_verdict(text)[0] == verdict


def test_sampled_score_ignores_the_scale():
    assert sampled_score("Consistency (1-5): 3") == 3.0
    assert [sampled_score(t) for t in ("4", "4/5", "4.5", "10", "none")] == [4.0, 4.0, 4.5, None, None]


def test_score_position_is_the_first_about_the_scores():
    # a first token that is not a score and holds little score mass is skipped
    entries = [
        {"token": "Score", "logprob": _lp(0.9), "top": {"Score": _lp(0.9), "4": _lp(0.05)}},
        {"token": "5", "logprob": _lp(0.8), "top": {"5": _lp(0.8), "4": _lp(0.2)}},
    ]
    score, probabilities, mass = weighted_score(entries)
    assert score == pytest.approx(4.8) and probabilities[5] == pytest.approx(0.8) and mass == pytest.approx(1.0)
    assert weighted_score(None) is None and yes_probability([{"token": "Maybe", "logprob": 0.0, "top": {}}]) is None


# -- configuration ------------------------------------------------------------------------------


def test_config_judge_by_model_id_and_errors():
    models = [{"id": "m", "provider": "fake"}, {"id": "big", "provider": "fake", "params": {"temperature": 0.3}}]
    config = build_config({"documents": ["d"], "prompts": ["p"], "models": models, "judge": "big"}, "test")
    assert config.judge_model is not None and config.judge_model.params == {"temperature": 0.3}
    assert config.metric_names(["rouge"]) == ["rouge", "judge_claims", "judge_rubric"]
    with pytest.raises(ConfigError, match=r"judge.model 'nope' is not the id of a model"):
        build_config({"documents": ["d"], "prompts": ["p"], "models": models, "judge": {"model": "nope"}}, "test")
    with pytest.raises(ConfigError, match="need a judge model"):
        build_config({"documents": ["d"], "prompts": ["p"], "models": models, "metrics": ["judge_claims"]}, "test")


def test_judge_metric_without_a_judge_is_a_clear_error():
    with pytest.raises(ConfigError, match="needs an LLM judge"):
        JudgeClaimsMetric().score(ITEM)


# -- through a run and the command line ------------------------------------------------------------


def test_score_run_with_a_judge_reuses_rows_and_the_report_shows_them_apart(tmp_path):
    from bizsum.analysis.tables import headline_columns, load_run
    from bizsum.config import RunConfig
    from bizsum.records import ScoreRecord, load_latest
    from bizsum.report.data import ReportData
    from bizsum.report.sections import judge as judge_section
    from bizsum.scoring import score_run

    data = tmp_path / "data"
    (data / "documents").mkdir(parents=True)
    (data / "documents" / "manifest.csv").write_text("id,company\nacme,Acme\n", encoding="utf-8")
    (data / "documents" / "acme.txt").write_text(SOURCE, encoding="utf-8")
    judge = {
        "id": "judge",
        "provider": "fake",
        "options": {"match": CLAIM_SCRIPT + [{"contains": "(1-5):", "reply": "3"}]},
    }
    config = RunConfig(
        name="r",
        documents=["acme"],
        prompts=["p"],
        models=[ModelSpec(id="m", provider="fake")],
        metrics=["format"],
        judge={"model": judge, "max_claims": 2},
        data_dir=str(data),
        output_dir=str(tmp_path),
        cache_dir=str(tmp_path / "cache"),
    )
    config.run_dir.mkdir(parents=True)
    row = {
        "doc_id": "acme",
        "prompt_id": "p",
        "model_id": "m",
        "sample": 0,
        "provider": "fake",
        "model": "m",
        "text": SUMMARY,
    }
    (config.run_dir / "generations.jsonl").write_text(json.dumps(row) + "\n", encoding="utf-8")
    path = score_run(config, progress=False)
    record = next(iter(load_latest(path, ScoreRecord).values()))
    assert record.metrics == ["format", "judge_claims", "judge_rubric"]
    assert record.values["judge_claims"] == 1.0 and record.values["judge_consistency"] == 3.0
    assert record.details["judge_claims"]["not_judged"] == 1
    before = path.read_bytes()
    score_run(config, progress=False)
    assert path.read_bytes() == before  # the judge's version is unchanged: the row is reused
    # the judge never enters the headline; its own section names the judge model
    assert not any(c.name.startswith("judge") for c in headline_columns())
    html = judge_section.render(ReportData(config, load_run(config.run_dir, data), {}))
    assert "LLM judge: judge" in html and "LLM judge: consistency (1-5)" in html
    # another judge model: a new version, so the row is rescored
    other = config.model_copy(update={"judge": config.judge.model_copy(update={"max_claims": 3})})
    score_run(other, progress=False)
    assert next(iter(load_latest(path, ScoreRecord).values())).values["judge_claims"] == pytest.approx(2 / 3)


def test_cli_score_with_a_judge(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from bizsum.cli import app

    monkeypatch.chdir(tmp_path)
    (tmp_path / "doc.txt").write_text(SOURCE, encoding="utf-8")
    (tmp_path / "sum.txt").write_text(SUMMARY, encoding="utf-8")
    config = tmp_path / "judge.yaml"
    config.write_text(
        json.dumps(
            {
                "documents": ["x"],
                "prompts": ["seed"],
                "models": [{"id": "j", "provider": "fake", "options": {"match": CLAIM_SCRIPT}}],
                "cache_dir": str(tmp_path / "cache"),
            }
        ),
        encoding="utf-8",
    )
    args = ["score", "--document", "doc.txt", "--summary", "sum.txt", "--metric", "format", "--json"]
    result = CliRunner().invoke(app, [*args, "--judge", "j", "--config", str(config), "--judge-max-claims", "3"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)["scores"]
    assert scores["judge_claims"] == pytest.approx(2 / 3) and "judge_consistency" in scores
    bad = CliRunner().invoke(app, [*args, "--judge", "gpt-4o-mini"])
    assert bad.exit_code == 2 and "PROVIDER:MODEL" in bad.output
    shorthand = CliRunner().invoke(app, [*args, "--judge", "fake:any"])
    assert shorthand.exit_code == 0, shorthand.output
