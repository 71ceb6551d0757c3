"""How close does `generate` get to ideal concurrency, and does it survive 429/5xx?

Starts a local OpenAI-compatible stub (stdlib threaded HTTP server on 127.0.0.1, a free port)
that answers /v1/chat/completions after a fixed latency (200 ms), then runs bizsum's real
`generate` (provider `openai`, `base_url` = the stub) on a synthetic matrix of N cells:

  1. clean:   N requests at concurrency C; wall time vs the ideal latency × ceil(N / C)
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
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bizsum.config import build_config  # noqa: E402
from bizsum.results import read_jsonl  # noqa: E402
from bizsum.runner import GENERATIONS_FILE, generate  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


class StubHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        server: StubServer = self.server  # type: ignore[assignment]
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))))
        with server.lock:
            server.requests += 1
            server.in_flight += 1
            server.max_in_flight = max(server.max_in_flight, server.in_flight)
            roll = server.rng.random()
        try:
            time.sleep(server.latency)
            if roll < server.fault_rate / 2:
                status, headers = 429, {"retry-after": f"{server.retry_after}"}
                payload = {"error": {"message": "Rate limit reached (injected)", "type": "requests"}}
            elif roll < server.fault_rate:
                status, headers = random.choice([500, 502, 503]), {}
                payload = {"error": {"message": "injected server error", "type": "server_error"}}
            else:
                status, headers = 200, {}
                prompt = body["messages"][0]["content"]
                words = len(prompt.split())
                payload = {
                    "id": "chatcmpl-stub", "object": "chat.completion", "created": 0, "model": body["model"],
                    "choices": [{"index": 0, "finish_reason": "stop", "message": {
                        "role": "assistant", "content": f"Summary (seed {body.get('seed')}): " + prompt[:200]}}],
                    "usage": {"prompt_tokens": 2 * words, "completion_tokens": 60, "total_tokens": 2 * words + 60},
                }
            with server.lock:
                server.statuses[status] = server.statuses.get(status, 0) + 1
            data = json.dumps(payload).encode()
            self.send_response(status)
            for name, value in {"content-type": "application/json", "content-length": str(len(data)), **headers}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass
        finally:
            with server.lock:
                server.in_flight -= 1


class StubServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, latency: float, max_seconds: float):
        super().__init__(("127.0.0.1", 0), StubHandler)
        self.latency = latency
        self.fault_rate = 0.0
        self.retry_after = 0.2
        self.rng = random.Random(7)
        self.lock = threading.Lock()
        self.requests = self.in_flight = self.max_in_flight = 0
        self.statuses: dict[int, int] = {}
        self.url = f"http://127.0.0.1:{self.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._watchdog = threading.Timer(max_seconds, self.shutdown)  # stops by itself, whatever happens
        self._watchdog.daemon = True

    def __enter__(self) -> "StubServer":
        self._thread.start()
        self._watchdog.start()
        return self

    def __exit__(self, *exc) -> None:
        self._watchdog.cancel()
        self.shutdown()
        self.server_close()

    def reset(self, fault_rate: float = 0.0) -> None:
        with self.lock:
            self.fault_rate = fault_rate
            self.requests = self.max_in_flight = 0
            self.statuses = {}


def make_project(folder: Path, documents: int) -> None:
    """A data dir with synthetic documents, the real prompts and a price for the stub model."""
    data = folder / "data"
    shutil.copytree(ROOT / "data" / "prompts", data / "prompts")
    (data / "documents").mkdir(parents=True)
    lines = ["id,company,fiscal_year,industry"]
    for i in range(documents):
        doc_id = f"SYN_{i:03d}"
        lines.append(f"{doc_id},Synthetic {i} Inc.,2024,software")
        text = (f"Synthetic {i} Inc. sells software subscriptions to small businesses. Revenue comes from "
                f"monthly fees and services. Customers buy online and through resellers. The company is "
                f"financed by a revolving credit facility of ${i + 1} million. ") * 20
        (data / "documents" / f"{doc_id}.txt").write_text(text, encoding="utf-8")
    (data / "documents" / "manifest.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (data / "prices.yaml").write_text(
        "prices_as_of: bench\nsource: made up for the benchmark\n"
        "models:\n  stub-model: {input: 0.15, output: 0.60}\n", encoding="utf-8")


def run(name: str, server: StubServer, n: int, concurrency: int, documents: int, deadline: float):
    samples = n // documents
    config = build_config({
        "name": name,
        "documents": [f"SYN_{i:03d}" for i in range(documents)],
        "prompts": ["seed"],
        "models": [{
            "id": "stub", "provider": "openai", "model": "stub-model", "base_url": server.url,
            "options": {"requires_key": False}, "count_encoding": "o200k_base", "concurrency": concurrency,
            "params": {"temperature": 0.7},
            "retry": {"max_attempts": 8, "initial_delay": 0.05, "max_delay": 1.0, "timeout": 10},
        }],
        "samples": samples,
        "output_dir": "out",
        "cache_dir": f"cache-{name}",  # a fresh cache per scenario: every cell is really requested
    }, "bench")
    box: dict = {}
    thread = threading.Thread(target=lambda: box.update(stats=generate(config, progress=False)), daemon=True)
    started = time.perf_counter()
    thread.start()
    thread.join(deadline)
    wall = time.perf_counter() - started
    if thread.is_alive():
        raise SystemExit(f"{name}: not finished after {deadline:.0f}s")
    rows = read_jsonl(config.run_dir / GENERATIONS_FILE)
    return box["stats"], wall, rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=200, help="requests (cells)")
    parser.add_argument("-c", "--concurrency", type=int, default=16)
    parser.add_argument("--latency", type=float, default=0.2, help="stub latency per request, seconds")
    parser.add_argument("--fault-rate", type=float, default=0.2, help="share of injected 429/5xx answers")
    parser.add_argument("--documents", type=int, default=10)
    parser.add_argument("--max-seconds", type=float, default=180, help="the stub stops itself after this")
    args = parser.parse_args()
    if args.n % args.documents:
        parser.error("-n must be a multiple of --documents")
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")

    ok = True
    ideal = args.latency * math.ceil(args.n / args.concurrency)
    folder = Path(tempfile.mkdtemp(prefix="bizsum-bench-"))
    cwd = os.getcwd()
    try:
        os.chdir(folder)
        make_project(folder, args.documents)
        with StubServer(args.latency, args.max_seconds) as server:
            print(f"stub {server.url}: latency {args.latency * 1000:.0f} ms; N={args.n}, C={args.concurrency}")

            server.reset()
            stats, wall, rows = run("clean", server, args.n, args.concurrency, args.documents, 60)
            ratio = wall / ideal
            good = stats.called == args.n and server.requests == args.n and ratio <= 1.1
            ok &= good
            print(f"1. clean : wall {wall:.2f}s vs ideal {args.latency:.1f}s × ceil({args.n}/{args.concurrency}) = "
                  f"{ideal:.2f}s → {ratio:.3f}× (target ≤ 1.1) | {stats.called} cells, {server.requests} requests, "
                  f"max in flight {server.max_in_flight}, cost ${stats.cost_usd:.4f} "
                  f"(estimated ${stats.estimated_cost_usd:.4f}) {'OK' if good else 'FAIL'}")

            server.reset(args.fault_rate)
            stats, wall, rows = run("faults", server, args.n, args.concurrency, args.documents, 120)
            complete = sum(1 for r in rows if not r.get("error"))
            good = complete == args.n and stats.failed == 0
            ok &= good
            print(f"2. faults: {args.fault_rate:.0%} injected → HTTP statuses {dict(sorted(server.statuses.items()))}; "
                  f"{stats.retries} retries ({stats.rate_limited} × 429); {complete}/{args.n} cells complete, "
                  f"{stats.failed} failed; wall {wall:.2f}s ({wall / ideal:.2f}× ideal) {'OK' if good else 'FAIL'}")

            server.reset()
            stats, wall, rows = run("clean", server, args.n, args.concurrency, args.documents, 60)
            good = server.requests == 0 and stats.skipped == args.n
            ok &= good
            print(f"3. rerun : {server.requests} requests, {stats.skipped} cells skipped, wall {wall:.2f}s "
                  f"{'OK' if good else 'FAIL'}")
    finally:
        os.chdir(cwd)
        shutil.rmtree(folder, ignore_errors=True)
    print("all checks passed" if ok else "SOME CHECKS FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
