"""How close does `generate` get to ideal concurrency, and does it survive 429/5xx?

Starts a local OpenAI-compatible stub (stdlib threaded HTTP server on 127.0.0.1, a free port)
that answers /v1/chat/completions after a fixed latency (200 ms), then runs bizsum's real
`generate` (provider `openai`, `base_url` = the stub) on a synthetic matrix of N cells:

  0. floor:   the same N requests from a bare threaded httpx2 client (no bizsum): what the
              machine allows right now (a busy machine adds scheduling delay to every request);
  1. clean:   N requests at concurrency C through generate(), each run with a fresh run folder
              and cache; median wall time of --repeat runs vs the ideal latency × ceil(N / C)
              (target ≤ 1.1×);
  2. faults:  a fresh run where FAULT_RATE of the answers are injected 429 (Retry-After) or 5xx;
              every cell must still complete;
  3. rerun:   the finished run again; the stub must see 0 requests.

Prints the numbers and exits non-zero when a check fails. Bounded: every scenario has a deadline,
and the stub stops itself after --max-seconds even if the script is killed halfway.

    python bench/generation_speed.py                 # N=200, C=16, 20% faults
    python bench/generation_speed.py -n 400 -c 32 --latency 0.1
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import multiprocessing
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bizsum.config import build_config
from bizsum.generation.runner import generate
from bizsum.jsonl import read_jsonl

ROOT = Path(__file__).resolve().parents[1]


class StubHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like a real API
    disable_nagle_algorithm = True  # headers and body leave at once (no 40 ms delayed-ACK stalls)

    def log_message(self, *args):
        pass

    def _send(self, status: int, payload: dict, headers: dict | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        for name, value in {
            "content-type": "application/json",
            "content-length": str(len(data)),
            **(headers or {}),
        }.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # /_stats: counters for the benchmark
        server: StubServer = self.server  # type: ignore[assignment]
        with server.lock:
            self._send(
                200, {"requests": server.requests, "max_in_flight": server.max_in_flight, "statuses": server.statuses}
            )

    def do_POST(self):
        server: StubServer = self.server  # type: ignore[assignment]
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
        if self.path == "/_reset":
            with server.lock:
                server.fault_rate = float(body.get("fault_rate", 0.0))
                server.requests = server.max_in_flight = 0
                server.statuses = {}
            return self._send(200, {})
        with server.lock:
            server.requests += 1
            server.in_flight += 1
            server.max_in_flight = max(server.max_in_flight, server.in_flight)
            roll = server.rng.random()
        try:
            time.sleep(server.latency)
            headers = {}
            if roll < server.fault_rate / 2:
                status, headers = 429, {"retry-after": f"{server.retry_after}"}
                payload = {"error": {"message": "Rate limit reached (injected)", "type": "requests"}}
            elif roll < server.fault_rate:
                status = server.rng.choice([500, 502, 503])
                payload = {"error": {"message": "injected server error", "type": "server_error"}}
            else:
                status = 200
                prompt = body["messages"][0]["content"]
                words = len(prompt.split())
                payload = {
                    "id": "chatcmpl-stub",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body["model"],
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "stop",
                            "message": {
                                "role": "assistant",
                                "content": f"Summary (seed {body.get('seed')}): " + prompt[:200],
                            },
                        }
                    ],
                    "usage": {"prompt_tokens": 2 * words, "completion_tokens": 60, "total_tokens": 2 * words + 60},
                }
            with server.lock:
                server.statuses[str(status)] = server.statuses.get(str(status), 0) + 1
            self._send(status, payload, headers)
        except OSError:
            pass
        finally:
            with server.lock:
                server.in_flight -= 1


class StubServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, latency: float, retry_after: float):
        super().__init__(("127.0.0.1", 0), StubHandler)
        self.latency = latency
        self.retry_after = retry_after
        self.fault_rate = 0.0
        self.rng = random.Random(7)
        self.lock = threading.Lock()
        self.requests = self.in_flight = self.max_in_flight = 0
        self.statuses: dict[str, int] = {}


def serve(latency: float, retry_after: float, max_seconds: float, port_queue) -> None:
    """The stub's own process (no GIL shared with the client); stops after max_seconds or when orphaned."""
    server = StubServer(latency, retry_after)
    port_queue.put(server.server_address[1])
    parent = os.getppid()
    deadline = time.monotonic() + max_seconds

    def watchdog() -> None:
        while time.monotonic() < deadline and os.getppid() == parent:
            time.sleep(0.2)
        server.shutdown()

    threading.Thread(target=watchdog, daemon=True).start()
    server.serve_forever(poll_interval=0.05)
    server.server_close()


class Stub:
    """Client side of the stub process."""

    def __init__(self, latency: float, retry_after: float, max_seconds: float):
        queue = multiprocessing.Queue()
        self.process = multiprocessing.Process(
            target=serve, args=(latency, retry_after, max_seconds, queue), daemon=True
        )
        self.process.start()
        port = queue.get(timeout=30)
        self.base = f"http://127.0.0.1:{port}"
        self.url = f"{self.base}/v1"

    def reset(self, fault_rate: float = 0.0) -> None:
        httpx2.post(f"{self.base}/_reset", json={"fault_rate": fault_rate}, timeout=5)

    def stats(self) -> dict:
        return httpx2.get(f"{self.base}/_stats", timeout=5).json()

    def close(self) -> None:
        self.process.terminate()
        self.process.join(5)


def make_project(folder: Path, documents: int) -> None:
    """A data dir with synthetic documents, the real prompts and a price for the stub model."""
    data = folder / "data"
    shutil.copytree(ROOT / "data" / "prompts", data / "prompts")
    (data / "documents").mkdir(parents=True)
    lines = ["id,company,fiscal_year,industry"]
    for i in range(documents):
        doc_id = f"SYN_{i:03d}"
        lines.append(f"{doc_id},Synthetic {i} Inc.,2024,software")
        text = (
            f"Synthetic {i} Inc. sells software subscriptions to small businesses. Revenue comes from "
            f"monthly fees and services. Customers buy online and through resellers. The company is "
            f"financed by a revolving credit facility of ${i + 1} million. "
        ) * 20
        (data / "documents" / f"{doc_id}.txt").write_text(text, encoding="utf-8")
    (data / "documents" / "manifest.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (data / "prices.yaml").write_text(
        "prices_as_of: bench\nsource: made up for the benchmark\nmodels:\n  stub-model: {input: 0.15, output: 0.60}\n",
        encoding="utf-8",
    )


def run(name: str, stub: Stub, n: int, concurrency: int, documents: int, deadline: float):
    samples = n // documents
    config = build_config(
        {
            "name": name,
            "documents": [f"SYN_{i:03d}" for i in range(documents)],
            "prompts": ["seed"],
            "models": [
                {
                    "id": "stub",
                    "provider": "openai",
                    "model": "stub-model",
                    "base_url": stub.url,
                    "options": {"requires_key": False},
                    "count_encoding": "o200k_base",
                    "concurrency": concurrency,
                    "params": {"temperature": 0.7},
                    "retry": {"max_attempts": 8, "initial_delay": 0.05, "max_delay": 1.0, "timeout": 10},
                }
            ],
            "samples": samples,
            "output_dir": "out",
            "cache_dir": f"cache-{name}",  # a fresh cache per scenario: every cell is really requested
        },
        "bench",
    )
    box: dict = {}
    thread = threading.Thread(target=lambda: box.update(stats=generate(config, progress=False)), daemon=True)
    started = time.perf_counter()
    thread.start()
    thread.join(deadline)
    wall = time.perf_counter() - started
    if thread.is_alive():
        raise SystemExit(f"{name}: not finished after {deadline:.0f}s")
    rows = read_jsonl(config.rundir.generations)
    return box["stats"], wall, rows


def bare_client(stub: Stub, n: int, concurrency: int) -> float:
    """Wall time of the same N requests from a plain threaded HTTP client: the machine's floor."""
    from concurrent.futures import ThreadPoolExecutor

    prompt = (
        Path("data/prompts/seed.txt")
        .read_text(encoding="utf-8")
        .replace("{document}", Path("data/documents/SYN_000.txt").read_text(encoding="utf-8"))
    )
    body = {"model": "stub-model", "messages": [{"role": "user", "content": prompt}], "seed": 0}
    with httpx2.Client(timeout=10, limits=httpx2.Limits(max_connections=concurrency)) as client:
        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(lambda _: client.post(f"{stub.url}/chat/completions", json=body).json(), range(n)))
        return time.perf_counter() - started


def warm_up() -> None:
    """One-time imports, HTTP transport and tokenizer loads (~1 s) that a notebook pays once per kernel."""
    import openai

    from bizsum.nlp.tokens import count_tokens

    openai.OpenAI(api_key="unused", base_url="http://127.0.0.1:9/v1").close()
    count_tokens("warm up", "o200k_base")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=200, help="requests (cells)")
    parser.add_argument("-c", "--concurrency", type=int, default=16)
    parser.add_argument("--latency", type=float, default=0.2, help="stub latency per request, seconds")
    parser.add_argument("--fault-rate", type=float, default=0.2, help="share of injected 429/5xx answers")
    parser.add_argument("--retry-after", type=float, default=0.2, help="Retry-After of the injected 429s, seconds")
    parser.add_argument("--documents", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3, help="clean runs (and floors); the median is checked")
    parser.add_argument("--max-seconds", type=float, default=180, help="the stub stops itself after this")
    args = parser.parse_args()
    if args.n % args.documents:
        parser.error("-n must be a multiple of --documents")
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")

    ok = True
    ideal = args.latency * math.ceil(args.n / args.concurrency)
    folder = Path(tempfile.mkdtemp(prefix="bizsum-bench-"))
    cwd = os.getcwd()
    stub = Stub(args.latency, args.retry_after, args.max_seconds)
    try:
        os.chdir(folder)
        make_project(folder, args.documents)
        warm_up()
        print(
            f"stub {stub.url} (own process): latency {args.latency * 1000:.0f} ms; N={args.n}, C={args.concurrency}; "
            f"{os.cpu_count()} CPU(s), load average {os.getloadavg()[0]:.1f}"
        )

        floors, walls = [], []
        for attempt in range(args.repeat):  # a busy machine is noisy: the median of a few runs
            stub.reset()
            floors.append(bare_client(stub, args.n, args.concurrency))
            stub.reset()
            stats, wall, rows = run(f"clean{attempt}", stub, args.n, args.concurrency, args.documents, 60)
            served = stub.stats()
            walls.append(wall)
            ok &= (
                stats.called == args.n and served["requests"] == args.n and served["max_in_flight"] <= args.concurrency
            )
        floor, wall = statistics.median(floors), statistics.median(walls)
        print(
            f"0. floor : a bare httpx2 client in {args.concurrency} threads, same requests, no bizsum: "
            f"median {floor:.2f}s → {floor / ideal:.3f}× ideal (runs: {', '.join(f'{f:.2f}' for f in floors)}s; "
            f"what this machine allows right now)"
        )
        ratio = wall / ideal
        good = ratio <= 1.1
        ok &= good
        print(
            f"1. clean : generate() median wall {wall:.2f}s (runs: {', '.join(f'{w:.2f}' for w in walls)}s) vs ideal "
            f"{args.latency:.1f}s × ceil({args.n}/{args.concurrency}) = {ideal:.2f}s → {ratio:.3f}× (target ≤ 1.1) | "
            f"{stats.called} cells, {served['requests']} requests, max {served['max_in_flight']} in flight, "
            f"cost ${stats.cost_usd:.4f} (estimate before the run ${stats.estimated_cost_usd:.4f}) "
            f"{'OK' if good else 'FAIL'}"
        )

        stub.reset(args.fault_rate)
        stats, wall, rows = run("faults", stub, args.n, args.concurrency, args.documents, 120)
        served = stub.stats()
        complete = sum(1 for r in rows if not r.get("error"))
        good = complete == args.n and stats.failed == 0
        ok &= good
        print(
            f"2. faults: {args.fault_rate:.0%} injected → HTTP statuses {dict(sorted(served['statuses'].items()))}; "
            f"{stats.retries} retries ({stats.rate_limited} × 429, Retry-After {args.retry_after}s); "
            f"{complete}/{args.n} cells complete, {stats.failed} failed; wall {wall:.2f}s ({wall / ideal:.2f}× ideal) "
            f"{'OK' if good else 'FAIL'}"
        )

        stub.reset()
        stats, wall, rows = run("clean0", stub, args.n, args.concurrency, args.documents, 60)
        served = stub.stats()
        good = served["requests"] == 0 and stats.skipped == args.n
        ok &= good
        print(
            f"3. rerun : {served['requests']} requests, {stats.skipped} cells skipped, wall {wall:.2f}s "
            f"{'OK' if good else 'FAIL'}"
        )
    finally:
        os.chdir(cwd)
        stub.close()
        shutil.rmtree(folder, ignore_errors=True)
    print("all checks passed" if ok else "SOME CHECKS FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
