"""Running at scale: concurrency, retries, malformed answers, cost, Batch API, kill and resume.

No network: OpenAI requests go to an httpx2 MockTransport or to a stub HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import signal
import threading
import time
from collections import Counter, defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx2
import pytest

from bizsum.analysis.tables import sample_spread
from bizsum.config import build_config
from bizsum.errors import ProviderError
from bizsum.generation.runner import GenerationIncomplete, agenerate, check_complete, generate
from bizsum.jsonl import read_jsonl
from bizsum.nlp.tokens import count_tokens
from bizsum.providers.pricing import PriceTable, load_prices, summarize
from bizsum.providers.retry import AdaptiveLimiter, RetryPolicy, TransientError, call_with_retries, parse_retry_after
from tests.helpers import (
    FAST_RETRY,
    InFlight,
    base_config,
    chat_completion,
    generation_rows,
    openai_compatible,
    spawn_generate,
    wait_for_rows,
)

pytestmark = pytest.mark.timeout(60)

DOCS = ["ZIONS_COOPERATIVE_MERCANTILE_1995", "AMZN_2024"]


def cell_of(body):
    """(document, prompt, seed) of a request body: the document from its text, the prompt from its wording."""
    text = body["messages"][0]["content"]
    doc = "AMZN_2024" if "Amazon" in text else "ZIONS_COOPERATIVE_MERCANTILE_1995"
    return doc, hashlib.sha1(text.encode()).hexdigest()[:8], body.get("seed")


def gpt(**extra):
    return {"id": "gpt", "provider": "openai", "model": "gpt-4o-mini", "retry": FAST_RETRY, **extra}


def rows_of(config):
    return read_jsonl(config.rundir.generations)


# --------------------------------------------------------------------------- retries and errors


def test_retry_policy_units():
    policy = RetryPolicy(max_attempts=3, initial_delay=1.0, max_delay=3.0)
    assert [policy.delay(n, rng=lambda: 1.0) for n in (1, 2, 3, 4)] == [1.0, 2.0, 3.0, 3.0]
    assert policy.delay(1, rng=lambda: 0.0) == 0.5  # jitter keeps at least half
    assert policy.delay(1, retry_after=7.0, rng=lambda: 0.0) == 7.0  # Retry-After wins, even > max_delay
    assert parse_retry_after({"retry-after": "2"}) == 2.0
    assert parse_retry_after({"retry-after-ms": "250"}) == 0.25
    assert parse_retry_after({"retry-after": "soon"}) is None
    sleeps, attempts = [], iter([TransientError("503", kind="server"), TransientError("503", kind="server"), "ok"])

    def flaky():
        item = next(attempts)
        if isinstance(item, Exception):
            raise item
        return item

    assert call_with_retries(flaky, policy, sleep=sleeps.append, rng=lambda: 1.0) == "ok"
    assert sleeps == [1.0, 2.0]
    with pytest.raises(ProviderError, match=r"gave up after 3 attempt\(s\); last error: down"):
        call_with_retries(lambda: (_ for _ in ()).throw(TransientError("down")), policy, sleep=lambda s: None)
    limiter = AdaptiveLimiter(8)
    epochs = [limiter.acquire() for _ in range(3)]  # three requests in flight, then all get a 429
    for epoch in epochs:
        limiter.release()
        limiter.throttle(0.0, epoch)
    assert limiter.limit == 4 and limiter.rate_limited == 3  # one burst, one cut
    limiter.throttle(0.0, limiter.acquire())
    assert limiter.limit == 2  # a request sent after the cut cuts again
    limiter.release()
    for _ in range(2):
        limiter.success()
    assert limiter.limit == 3  # additive increase back towards 8


def test_429_with_retry_after_then_success_throttles_the_model(project, mock_openai):
    seen = defaultdict(list)
    lock = threading.Lock()

    def handler(request):
        body = json.loads(request.content)
        with lock:
            key = cell_of(body)
            seen[key].append(time.monotonic())
            first = len(seen[key]) == 1
        if first:
            return httpx2.Response(
                429, headers={"retry-after": "0.3"}, json={"error": {"message": "Rate limit reached"}}
            )
        return httpx2.Response(200, json=chat_completion("Zions sells goods."))

    mock_openai["handler"] = handler
    config = build_config(base_config(models=[gpt(concurrency=4)]), "test")
    stats = generate(config, progress=False)
    assert (stats.called, stats.failed, stats.rate_limited, stats.retries) == (4, 0, 4, 4)
    assert all(len(times) == 2 and times[1] - times[0] >= 0.3 for times in seen.values()), seen
    rows = rows_of(config)
    assert len(rows) == 4 and all(r["error"] is None and r["text"] == "Zions sells goods." for r in rows)


def test_5xx_timeouts_and_connection_errors_are_retried_then_a_clear_final_error(project, mock_openai):
    attempts = Counter()
    lock = threading.Lock()

    def handler(request):
        body = json.loads(request.content)
        doc, prompt, _ = cell_of(body)
        with lock:
            attempts[(doc, prompt)] += 1
            n = attempts[(doc, prompt)]
        if (
            doc == "AMZN_2024" and "Now write the summary of the text above" in body["messages"][0]["content"]
        ):  # focused
            return httpx2.Response(500, json={"error": {"message": "upstream exploded"}})  # always
        if n == 1:
            return httpx2.Response(503, json={"error": {"message": "overloaded"}})
        if n == 2:
            raise httpx2.ReadTimeout("timed out", request=request)
        if n == 3:
            raise httpx2.ConnectError("connection refused", request=request)
        return httpx2.Response(200, json=chat_completion("fine"))

    mock_openai["handler"] = handler
    config = build_config(base_config(models=[gpt(concurrency=2)]), "test")
    stats = generate(config, progress=False)
    assert stats.called == 3 and stats.failed == 1 and stats.retries == 3 * 3 + 3
    failed = [r for r in generation_rows(config.rundir.generations) if r["error"]]
    assert len(failed) == 1
    message = failed[0]["error"]
    assert "model 'gpt'" in message and "AMZN_2024" in message and "gave up after 4 attempt(s)" in message
    assert "HTTP 500" in message and "upstream exploded" in message


@pytest.mark.parametrize(
    "reply, expected",
    [
        (
            lambda: httpx2.Response(
                200, json={"id": "x", "object": "chat.completion", "created": 0, "model": "m", "choices": []}
            ),
            "the response has no choices",
        ),
        (
            lambda: httpx2.Response(200, content=b"{not json", headers={"content-type": "application/json"}),
            "the response is not valid JSON",
        ),
        (
            lambda: httpx2.Response(200, content=b"<html>bad gateway</html>", headers={"content-type": "text/html"}),
            "the response is not JSON",
        ),
        (
            lambda: httpx2.Response(
                200,
                json={
                    "id": "x",
                    "object": "chat.completion",
                    "created": 0,
                    "model": "m",
                    "choices": [{"index": 0, "finish_reason": "stop"}],
                },
            ),
            "first choice has no message",
        ),
    ],
)
def test_malformed_responses_are_per_cell_errors(project, mock_openai, reply, expected):
    calls = Counter()

    def handler(request):
        doc, _prompt, _ = cell_of(json.loads(request.content))
        calls[doc] += 1
        return reply() if doc == "AMZN_2024" else httpx2.Response(200, json=chat_completion("ok"))

    mock_openai["handler"] = handler
    config = build_config(base_config(models=[gpt()]), "test")
    stats = generate(config, progress=False)
    assert stats.failed == 2 and stats.called == 2
    assert calls["AMZN_2024"] == 2  # malformed answers are not retried
    errors = [r["error"] for r in rows_of(config) if r["error"]]
    assert len(errors) == 2 and all(expected in e and "model 'gpt'" in e for e in errors), errors


# --------------------------------------------------------------------------- concurrency, samples


def test_concurrency_is_bounded_and_lines_never_interleave(project, mock_openai):
    in_flight = InFlight()

    def handler(request):
        with in_flight:
            time.sleep(0.05)
        return httpx2.Response(200, json=chat_completion("x" * 20000))  # long lines: several buffer sizes

    mock_openai["handler"] = handler
    config = build_config(base_config(models=[gpt(concurrency=3)], samples=4), "test")
    stats = generate(config, progress=False)
    assert stats.called == 16 and in_flight.peak == 3
    lines = (config.rundir.generations).read_text().splitlines()
    assert len(lines) == 16 and all(json.loads(line)["text"] == "x" * 20000 for line in lines)


def test_samples_send_seed_and_temperature_and_spread_is_measurable(project, mock_openai):
    seen = []

    def handler(request):
        body = json.loads(request.content)
        seen.append((cell_of(body), body.get("temperature"), body.get("top_k")))
        words = ["revenue", "customers", "products", "channels", "financing", "stores", "credit"]
        seed = body["seed"]
        return httpx2.Response(200, json=chat_completion(" ".join(words[seed : seed + 4])))

    mock_openai["handler"] = handler
    # top_k is not an OpenAI parameter, but OpenAI-compatible servers (vLLM, llama.cpp) take it.
    config = build_config(
        base_config(models=[gpt(params={"temperature": 0.9, "top_k": 40})], samples=3, seed=0), "test"
    )
    stats = generate(config, progress=False)
    assert stats.failed == 0
    assert sorted(seed for (_, _, seed), _, _ in seen) == [0] * 4 + [1] * 4 + [2] * 4
    assert {(temperature, top_k) for _, temperature, top_k in seen} == {(0.9, 40)}
    spread = sample_spread(rows_of(config))["gpt"]
    assert spread["cells"] == 4 and spread["distinct"] == 1.0 and spread["jaccard_distance"] > 0.3


# --------------------------------------------------------------------------- cost


def test_cost_per_cell_per_model_and_unknown_price(project, mock_openai, caplog):
    mock_openai["handler"] = lambda request: httpx2.Response(200, json=chat_completion("ok", 10_000, 500, cached=2_000))
    models = [
        gpt(),
        {"id": "mystery", "provider": "openai", "model": "brand-new-model", "retry": FAST_RETRY},
        {"id": "fake", "provider": "fake"},
    ]
    config = build_config(base_config(models=models), "test")
    with caplog.at_level(logging.WARNING, logger="bizsum.providers.pricing"):
        stats = generate(config, progress=False)
    # gpt-4o-mini example prices: input 0.15, cached 0.075, output 0.60 per 1M tokens.
    expected = (8_000 * 0.15 + 2_000 * 0.075 + 500 * 0.60) / 1e6
    rows = rows_of(config)
    assert [r["cost_usd"] for r in rows if r["model_id"] == "gpt"] == [pytest.approx(expected)] * 4
    assert {r["cost_usd"] for r in rows if r["model_id"] == "mystery"} == {None}
    assert {r["cost_usd"] for r in rows if r["model_id"] == "fake"} == {0.0}
    assert sum("no price for model 'mystery'" in m for m in caplog.messages) == 1  # warned once
    assert stats.cost_usd == pytest.approx(4 * expected)
    summary = summarize(rows)
    assert summary["models"]["gpt"]["cost_usd"] == pytest.approx(4 * expected)
    assert summary["models"]["mystery"]["unknown"] == 4 and summary["cost_usd"] == pytest.approx(4 * expected)
    table = load_prices("data")
    assert table.as_of and table.source and table.lookup("gpt-4o-mini-2024-07-18") == table.lookup("gpt-4o-mini")
    assert table.lookup("gpt-4o-mini-tts") is None  # a different model, not a snapshot


def test_max_cost_sends_nothing_that_could_pass_the_cap(project, mock_openai):
    requests = []
    mock_openai["handler"] = lambda request: (
        requests.append(request) or httpx2.Response(200, json=chat_completion("ok"))
    )
    model = {"id": "big", "provider": "openai", "model": "gpt-4o"}
    config = build_config(base_config(models=[model, {"id": "fake", "provider": "fake"}], max_cost=0.001), "test")
    stats = generate(config, progress=False)
    # One gpt-4o request's worst case (prompt + max_completion_tokens 1024 at 10.00/1M) is above $0.001.
    assert requests == [] and stats.called == 4 and stats.not_requested == 4  # the fake model still ran
    assert stats.not_requested_by_model == {"big": 4}
    with pytest.raises(GenerationIncomplete, match="big: 4 not requested"):
        check_complete(stats, config)
    # The worst-case estimate: every prompt counted with o200k_base, output = max_completion_tokens (2 x limit).
    from bizsum.generation.plan import RunPlan

    plan = RunPlan.from_config(config)
    prompt_tokens = sum(count_tokens(t.render(d.text), "o200k_base") for d in plan.documents for t in plan.templates)
    expected = (prompt_tokens * 2.50 + 4 * 1024 * 10.00) / 1e6
    assert stats.estimated_cost_usd == pytest.approx(expected, rel=1e-4)
    # Enough budget: the run goes ahead (a higher cap continues), and a rerun has nothing left to pay for.
    ok = build_config(base_config(models=[model], max_cost=1.0), "test")
    stats = generate(ok, progress=False)
    assert stats.called == 4 and stats.estimated_cost_usd == pytest.approx(expected, rel=1e-4)
    assert generate(ok, progress=False).estimated_cost_usd == 0


# --------------------------------------------------------------------------- cancel / kill and resume


def test_cancel_mid_run_resumes_without_repeating_or_duplicating(project, mock_openai):
    answered = []
    lock = threading.Lock()

    def handler(request):
        time.sleep(0.1)
        body = json.loads(request.content)
        with lock:
            answered.append(cell_of(body))
        return httpx2.Response(200, json=chat_completion(f"answer {cell_of(body)}"))

    mock_openai["handler"] = handler
    config = build_config(base_config(models=[gpt(concurrency=2)], samples=4, cache_dir="cache-cancel"), "test")

    async def cancel_after_rows(n):
        task = asyncio.ensure_future(agenerate(config, progress=False))
        while len(read_jsonl(config.rundir.generations)) < n:
            await asyncio.sleep(0.02)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(cancel_after_rows(4))
    time.sleep(0.3)  # requests in flight at the cancel end in their threads (and reach the cache)
    finished = {(r["doc_id"], r["prompt_id"], r["sample"]) for r in rows_of(config)}
    assert 4 <= len(finished) < 16
    answered.clear()

    async def inside_a_running_loop():  # like a Jupyter cell: generate() must still work
        return generate(config, progress=False)

    stats = asyncio.run(inside_a_running_loop())
    assert stats.skipped == len(finished) and stats.skipped + stats.cached + stats.called == 16
    assert len(answered) == stats.called
    rows = rows_of(config)
    keys = [(r["doc_id"], r["prompt_id"], r["sample"]) for r in rows]
    assert len(keys) == len(set(keys)) == 16 and all(r["error"] is None for r in rows)


class StubHandler(BaseHTTPRequestHandler):
    """POST /v1/chat/completions after ``server.delay(body, n)`` seconds; records finished answers."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep the test output clean
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        cell = cell_of(body)
        with self.server.lock:
            self.server.received[cell] += 1
            n = self.server.received[cell]
        time.sleep(self.server.delay(body, n))
        payload = json.dumps(chat_completion(f"summary {cell[0]} {cell[1]} seed {cell[2]}")).encode()
        try:
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:  # the client hung up (killed or timed out)
            return
        with self.server.lock:
            self.server.answered.append(cell)


@pytest.fixture
def stub_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), StubHandler)
    server.daemon_threads = True
    server.lock = threading.Lock()
    server.received, server.answered = Counter(), []
    server.delay = lambda body, n: 0.0
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    yield server
    server.shutdown()
    server.server_close()


def test_per_request_timeout_is_retried(project, stub_server):
    stub_server.delay = lambda body, n: 3.0 if n == 1 else 0.0  # first attempt of every cell hangs
    model = openai_compatible(stub_server.url, retry={**FAST_RETRY, "timeout": 0.3}, concurrency=4)
    config = build_config(base_config(models=[model]), "test")
    started = time.monotonic()
    stats = generate(config, progress=False)
    assert stats.called == 4 and stats.failed == 0 and stats.retries == 4
    assert time.monotonic() - started < 2.5  # nobody waited for the hanging answers


def test_a_torn_last_line_is_cut_before_new_rows_are_appended(project, mock_openai):
    mock_openai["handler"] = lambda request: httpx2.Response(200, json=chat_completion("ok"))
    config = build_config(base_config(models=[gpt()], cache_dir="cache-torn"), "test")
    generate(config, progress=False)
    path = config.rundir.generations
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][:40])  # killed in the middle of a line
    (project / "cache-torn").rename(project / "cache-gone")  # the cell must really be requested again
    stats = generate(config, progress=False)
    assert stats.skipped == 3 and stats.called == 1
    rows = read_jsonl(path)  # every line parses: the new row did not land on the torn one
    assert len(rows) == 4 and len({(r["doc_id"], r["prompt_id"]) for r in rows}) == 4


def test_sigkill_mid_run_then_resume_requests_no_finished_cell_again(project, stub_server):
    stub_server.delay = lambda body, n: 0.15
    model = openai_compatible(stub_server.url, concurrency=2)
    data = base_config(models=[model], samples=4, cache_dir="cache-kill")
    child = spawn_generate(project, data)
    path = project / "out" / "t" / "generations.jsonl"
    try:
        wait_for_rows(child, path, 5, timeout=30)
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait(10)
    first = read_jsonl(path)
    finished = {(r["doc_id"], r["prompt_id"], r["sample"]) for r in first}
    assert 5 <= len(finished) < 16 and len(first) == len(finished)
    answered_before = list(stub_server.answered)
    finished_cells = {(r["doc_id"], r["text"].split()[2], r["seed"]) for r in first}
    assert finished_cells <= set(answered_before)  # every row is an answer the server gave

    config = build_config(data, "test")
    stats = generate(config, progress=False)
    again = stub_server.answered[len(answered_before) :]
    assert not finished_cells & set(again), "a finished cell was requested again"
    assert stats.skipped == len(finished) and stats.called == len(again) == 16 - len(finished) - stats.cached
    rows = read_jsonl(path)
    keys = [(r["doc_id"], r["prompt_id"], r["sample"]) for r in rows]
    assert len(keys) == len(set(keys)) == 16 and all(r["error"] is None for r in rows)


# --------------------------------------------------------------------------- OpenAI Batch API


class BatchStub:
    """/files, /batches, /batches/{id}, /files/{id}/content of the OpenAI API, in memory."""

    def __init__(self, polls_to_complete=2, outcome=None, fail_first_create=False):
        self.files: dict[str, bytes] = {}
        self.batches: dict[str, dict] = {}
        self.calls = Counter()
        self.inputs: list[list[dict]] = []
        self.polls = Counter()
        self.polls_to_complete = polls_to_complete
        self.outcome = outcome or (lambda custom_id: "ok")
        self.fail_first_create = fail_first_create

    def __call__(self, request):
        method, path = request.method, request.url.path.removeprefix("/v1")
        if method == "POST" and path == "/files":
            self.calls["upload"] += 1
            lines = [
                json.loads(line.strip(b"\r"))
                for line in request.content.split(b"\n")
                if line.strip(b"\r").startswith(b'{"custom_id"')
            ]
            self.inputs.append(lines)
            file_id = f"file-in-{len(self.files) + 1}"
            self.files[file_id] = b"\n".join(json.dumps(line).encode() for line in lines)
            return httpx2.Response(
                200,
                json={
                    "id": file_id,
                    "object": "file",
                    "bytes": len(self.files[file_id]),
                    "created_at": 0,
                    "filename": "in.jsonl",
                    "purpose": "batch",
                    "status": "processed",
                },
            )
        if method == "POST" and path == "/batches":
            self.calls["create"] += 1
            body = json.loads(request.content)
            batch_id = f"batch_{len(self.batches) + 1}"
            self.batches[batch_id] = {
                "id": batch_id,
                "object": "batch",
                "endpoint": body["endpoint"],
                "input_file_id": body["input_file_id"],
                "completion_window": "24h",
                "status": "validating",
                "created_at": 0,
                "metadata": body.get("metadata"),
            }
            if self.fail_first_create and self.calls["create"] == 1:  # created, but the answer is lost
                return httpx2.Response(502, json={"error": {"message": "bad gateway"}})
            return httpx2.Response(200, json=self.batches[batch_id])
        if method == "GET" and path == "/batches":
            self.calls["list"] += 1
            data = list(self.batches.values())[::-1]
            return httpx2.Response(200, json={"object": "list", "data": data, "has_more": False})
        if method == "GET" and path.startswith("/batches/"):
            batch = self.batches[path.split("/")[2]]
            self.polls[batch["id"]] += 1
            if batch["status"] != "completed":
                batch["status"] = "in_progress"
                if self.polls[batch["id"]] >= self.polls_to_complete:
                    self._finish(batch)
            return httpx2.Response(200, json=batch)
        if method == "GET" and path.startswith("/files/") and path.endswith("/content"):
            self.calls["download"] += 1
            return httpx2.Response(200, content=self.files[path.split("/")[2]])
        return httpx2.Response(404, json={"error": {"message": f"no route {method} {path}"}})

    def _finish(self, batch):
        requests = [json.loads(line) for line in self.files[batch["input_file_id"]].split(b"\n")]
        out, err = [], []
        for number, line in enumerate(requests):
            cid, outcome = line["custom_id"], self.outcome(line["custom_id"])
            if outcome == "ok":
                body = chat_completion(f"batch answer seed {line['body']['seed']}", 2_000, 200)
                out.append(
                    {
                        "id": f"r{number}",
                        "custom_id": cid,
                        "error": None,
                        "response": {"status_code": 200, "request_id": f"req{number}", "body": body},
                    }
                )
            elif outcome == "malformed":
                out.append(
                    {
                        "id": f"r{number}",
                        "custom_id": cid,
                        "error": None,
                        "response": {"status_code": 200, "request_id": "x", "body": {"object": "chat.completion"}},
                    }
                )
            elif outcome == "error":
                err.append(
                    {
                        "id": f"r{number}",
                        "custom_id": cid,
                        "error": None,
                        "response": {
                            "status_code": 400,
                            "request_id": "y",
                            "body": {"error": {"message": "Invalid 'messages'", "type": "invalid_request_error"}},
                        },
                    }
                )
            # "missing": in neither file
        for kind, lines in (("output", out), ("error", err)):
            if lines:
                file_id = f"file-{kind}-{batch['id']}"
                self.files[file_id] = b"\n".join(json.dumps(line).encode() for line in lines)
                batch[f"{kind}_file_id"] = file_id
        batch["status"] = "completed"
        batch["request_counts"] = {"total": len(requests), "completed": len(out), "failed": len(err)}


def batch_model(wait):
    return gpt(batch={"enabled": True, "poll_interval": 0.01, "wait": wait})


def test_batch_round_trip_resume_and_resubmission_of_failures(project, mock_openai):
    outcomes = {
        "AMZN_2024|seed|gpt|1": "error",
        "AMZN_2024|focused|gpt|0": "malformed",
        "ZIONS_COOPERATIVE_MERCANTILE_1995|seed|gpt|1": "missing",
    }
    stub = BatchStub(polls_to_complete=3, outcome=lambda cid: outcomes.get(cid, "ok"))
    mock_openai["handler"] = stub
    data = base_config(samples=2, cache_dir="cache-batch")
    # 1) Submit and return at once (wait: 0): nothing finished yet, the batch id is on disk.
    first = generate(build_config({**data, "models": [batch_model(0)]}, "test"), progress=False)
    assert (first.pending, first.called, stub.calls["upload"], stub.calls["create"]) == (8, 0, 1, 1)
    state = json.loads((project / "out" / "t" / "batches" / "gpt.json").read_text())
    assert state["jobs"][0]["batch_id"] == "batch_1" and len(state["jobs"][0]["cells"]) == 8
    lines = stub.inputs[0]
    assert {line["custom_id"] for line in lines} == {
        f"{d}|{p}|gpt|{s}" for d in DOCS for p in ("seed", "focused") for s in (0, 1)
    }
    assert {line["body"]["seed"] for line in lines} == {0, 1} and all(
        line["url"] == "/v1/chat/completions" for line in lines
    )
    assert lines[0]["body"]["max_completion_tokens"] == 1024 and lines[0]["body"]["model"] == "gpt-4o-mini"
    # 2) A rerun picks the same batch up (no new upload or batch), waits for it and collects it.
    config = build_config({**data, "models": [batch_model(None)]}, "test")
    second = generate(config, progress=False)
    assert (stub.calls["upload"], stub.calls["create"]) == (1, 1)
    assert (second.called, second.failed, second.pending) == (5, 3, 0)
    rows = {(r["doc_id"], r["prompt_id"], r["sample"]): r for r in rows_of(config)}
    ok = rows[("ZIONS_COOPERATIVE_MERCANTILE_1995", "seed", 0)]
    assert ok["text"] == "batch answer seed 0" and ok["batch_id"] == "batch_1" and ok["error"] is None
    assert ok["cost_usd"] == pytest.approx((2_000 * 0.075 + 200 * 0.30) / 1e6)  # batch prices
    assert (
        ok["prompt_tokens"] == 2_000
        and ok["finish_reason"] == "stop"
        and ok["model_returned"].startswith("gpt-4o-mini")
    )
    assert "HTTP 400: Invalid 'messages'" in rows[("AMZN_2024", "seed", 1)]["error"]
    assert "no choices" in rows[("AMZN_2024", "focused", 0)]["error"]
    assert "without a result" in rows[("ZIONS_COOPERATIVE_MERCANTILE_1995", "seed", 1)]["error"]
    # 3) The next rerun submits only the three failed cells, in a new batch; nothing is duplicated.
    outcomes.clear()
    third = generate(config, progress=False)
    assert (stub.calls["upload"], stub.calls["create"], third.called, third.skipped) == (2, 2, 3, 5)
    assert {line["custom_id"] for line in stub.inputs[1]} == {
        "AMZN_2024|seed|gpt|1",
        "AMZN_2024|focused|gpt|0",
        "ZIONS_COOPERATIVE_MERCANTILE_1995|seed|gpt|1",
    }
    latest = generation_rows(config.rundir.generations)
    successes = [(r["doc_id"], r["prompt_id"], r["sample"]) for r in rows_of(config) if not r["error"]]
    assert len(latest) == 8 and all(not r["error"] for r in latest) and len(successes) == len(set(successes)) == 8
    # 4) Finished: a rerun makes no request at all.
    before = sum(stub.calls.values()) + sum(stub.polls.values())
    assert generate(config, progress=False).skipped == 8
    assert sum(stub.calls.values()) + sum(stub.polls.values()) == before


def test_batch_created_but_answer_lost_is_adopted_not_resubmitted(project, mock_openai):
    stub = BatchStub(polls_to_complete=1, fail_first_create=True)
    mock_openai["handler"] = stub
    config = build_config(base_config(models=[batch_model(None)], cache_dir="cache-batch2"), "test")
    stats = generate(config, progress=False)
    assert stats.called == 4 and len(stub.batches) == 1 and stub.calls["create"] == 1 and stub.calls["list"] == 1


def test_price_table_errors_name_the_model(tmp_path):
    bad = tmp_path / "prices.yaml"
    bad.write_text("models:\n  gpt-x: {input: 1, outptu: 2}\n")
    with pytest.raises(Exception, match=r"model 'gpt-x': unknown price field\(s\) \['outptu'\]"):
        PriceTable.from_file(bad)
