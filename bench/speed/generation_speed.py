"""How close does `generate` get to a bare HTTP client, and does it survive 429/5xx?

Runs bizsum's real `generate` (provider `openai`, `base_url` = a local stub server in its own
process) on a synthetic matrix of N cells, and the same N requests from a bare threaded client:

  1. clean:   for each of --repeat rounds, the bare client (httpx2 in C threads, no bizsum: what
              the machine and the server allow right now) and then generate() at concurrency C
              with a fresh run folder and cache, against the same stub. Target: the median of
              generate()'s wall times within 1.15x the bare client's median (and both are shown
              against the ideal latency x ceil(N / C));
  2. faults:  a fresh stub that answers FAIL_RATE of the requests with 429 (Retry-After) or 500;
              every cell must still complete;
  3. rerun:   the finished run again; the stub must see 0 requests.

The stub is by default the shared one (``../shared/tools/stub_openai.py``, or --stub-path): it
behaves like a busy real server, not an ideal one (HTTP/1.0 with one connection per request, a
short listen backlog). ``--stub own`` uses the ideal server in this file instead (HTTP/1.1
keep-alive, a long backlog), to tell client overhead from server behaviour.

Prints the numbers (with the load average) and exits non-zero when a check fails. Every
scenario has a deadline.

    python bench/speed/generation_speed.py                  # N=200, C=16, latency 0.2 s, 5 rounds
    python bench/speed/generation_speed.py -n 400 -c 32 --latency 0.1 --stub own
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bizsum.config import build_config
from bizsum.generation.runner import generate
from bizsum.jsonl import read_jsonl

ROOT = Path(__file__).resolve().parents[2]
SHARED_STUB = Path(os.environ.get("BIZSUM_SHARED_DIR") or ROOT.parent / "shared") / "tools" / "stub_openai.py"


# --------------------------------------------------------------------------- the ideal stub (--stub own)


class OwnHandler(BaseHTTPRequestHandler):
    """/v1/chat/completions after a fixed latency; the same /stats counters as the shared stub."""

    protocol_version = "HTTP/1.1"  # keep-alive
    disable_nagle_algorithm = True

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

    def do_GET(self):
        server: OwnServer = self.server  # type: ignore[assignment]
        with server.lock:
            self._send(200, dict(server.stats))

    def do_POST(self):
        server: OwnServer = self.server  # type: ignore[assignment]
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
        with server.lock:
            server.stats["requests"] += 1
            server.in_flight += 1
            server.stats["max_inflight"] = max(server.stats["max_inflight"], server.in_flight)
            roll = server.rng.random()
        try:
            time.sleep(server.latency)
            if roll < server.fail_rate / 2:
                self._send(429, {"error": {"message": "rate limited"}}, {"retry-after": "0.1"})
            elif roll < server.fail_rate:
                self._send(500, {"error": {"message": "server error"}})
            else:
                prompt = body["messages"][0]["content"]
                usage = {
                    "prompt_tokens": len(prompt) // 4,
                    "completion_tokens": 4,
                    "total_tokens": len(prompt) // 4 + 4,
                }
                message = {"role": "assistant", "content": "A stub summary."}
                self._send(
                    200,
                    {
                        "id": "chatcmpl-own",
                        "object": "chat.completion",
                        "created": 0,
                        "model": body["model"],
                        "choices": [{"index": 0, "finish_reason": "stop", "message": message}],
                        "usage": usage,
                    },
                )
        except OSError:
            pass
        finally:
            with server.lock:
                server.in_flight -= 1


class OwnServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, port: int, latency: float, fail_rate: float):
        super().__init__(("127.0.0.1", port), OwnHandler)
        self.latency, self.fail_rate = latency, fail_rate
        self.rng = random.Random(7)
        self.lock = threading.Lock()
        self.in_flight = 0
        self.stats = {"requests": 0, "max_inflight": 0}


def serve_own(port: int, latency: float, fail_rate: float) -> None:  # python generation_speed.py --serve-own ...
    OwnServer(port, latency, fail_rate).serve_forever(poll_interval=0.05)


# --------------------------------------------------------------------------- stub process, client side


class Stub:
    """A stub server in its own process (no GIL shared with the client)."""

    def __init__(self, kind: str, stub_path: Path, latency: float, fail_rate: float = 0.0):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if kind == "shared":
            if not stub_path.is_file():
                raise SystemExit(f"stub server not found: {stub_path} (give --stub-path, or --stub own)")
            command = [sys.executable, str(stub_path), "--port", str(port)]
        else:
            command = [sys.executable, __file__, "--serve-own", "--port", str(port)]
        command += ["--latency", str(latency), "--fail-rate", str(fail_rate)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{port}"
        self.url = f"{self.base}/v1"
        deadline = time.monotonic() + 30
        while True:
            try:
                self.stats()
                return
            except httpx2.HTTPError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.close()
                    raise SystemExit("the stub server did not start") from None
                time.sleep(0.05)

    def stats(self) -> dict:
        return httpx2.get(f"{self.base}/stats", timeout=5).json()

    def requests(self) -> int:
        return int(self.stats()["requests"])

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(10)


# --------------------------------------------------------------------------- the runs


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
    """One-time imports, TLS context and tokenizer loads (~1 s) that a notebook pays once per kernel."""
    from bizsum.config import ModelSpec
    from bizsum.nlp.tokens import count_tokens
    from bizsum.providers import create_provider

    spec = ModelSpec(id="warm", provider="openai", base_url="http://127.0.0.1:9/v1", options={"requires_key": False})
    create_provider(spec).close()
    count_tokens("warm up", "o200k_base")


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=200, help="requests (cells)")
    parser.add_argument("-c", "--concurrency", type=int, default=16)
    parser.add_argument("--latency", type=float, default=0.2, help="stub latency per request, seconds")
    parser.add_argument("--fail-rate", type=float, default=0.2, help="share of injected 429/500 answers (faults run)")
    parser.add_argument("--documents", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5, help="clean rounds (bare client, then generate())")
    parser.add_argument("--target", type=float, default=1.15, help="largest generate() / bare client ratio")
    parser.add_argument("--stub", choices=("shared", "own"), default="shared", help="which stub server")
    parser.add_argument("--stub-path", type=Path, default=SHARED_STUB, help="the shared stub (--stub shared)")
    parser.add_argument("--serve-own", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_own:
        serve_own(args.port, args.latency, args.fail_rate)
        return 0
    if args.n % args.documents:
        parser.error("-n must be a multiple of --documents")
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")

    ok = True
    ideal = args.latency * math.ceil(args.n / args.concurrency)
    folder = Path(tempfile.mkdtemp(prefix="bizsum-bench-"))
    cwd = os.getcwd()
    stub = Stub(args.stub, args.stub_path, args.latency)
    try:
        os.chdir(folder)
        make_project(folder, args.documents)
        warm_up()
        print(
            f"{args.stub} stub {stub.url} (own process): latency {args.latency * 1000:.0f} ms; N={args.n}, "
            f"C={args.concurrency}; ideal {args.latency}s x ceil({args.n}/{args.concurrency}) = {ideal:.2f}s; "
            f"{os.cpu_count()} CPU(s), load average {load()}"
        )

        bares, walls = [], []
        for attempt in range(args.repeat):  # a busy machine is noisy: medians of a few rounds
            before = stub.requests()
            bares.append(bare_client(stub, args.n, args.concurrency))
            middle = stub.requests()
            stats, wall, rows = run(f"clean{attempt}", stub, args.n, args.concurrency, args.documents, 120)
            walls.append(wall)
            served = stub.requests() - middle
            good = middle - before == args.n and stats.called == args.n and served >= args.n and stats.failed == 0
            ok &= good
            print(
                f"   round {attempt + 1}: bare {bares[-1]:.2f}s ({bares[-1] / ideal:.3f}x ideal), generate() "
                f"{wall:.2f}s ({wall / ideal:.3f}x ideal, {wall / bares[-1]:.3f}x bare; {stats.called} cells, "
                f"{served} requests, {stats.retries} retries), load {load()}{'' if good else ' FAIL'}"
            )
        bare, wall = statistics.median(bares), statistics.median(walls)
        ratio = wall / bare
        good = ratio <= args.target
        ok &= good
        inflight = stub.stats().get("max_inflight")
        print(
            f"1. clean : median bare client {bare:.2f}s = {bare / ideal:.3f}x ideal; median generate() {wall:.2f}s = "
            f"{wall / ideal:.3f}x ideal = {ratio:.3f}x the bare client (target <= {args.target}); "
            f"max {inflight} in flight; cost ${stats.cost_usd:.4f} (estimate ${stats.estimated_cost_usd:.4f}) "
            f"{'OK' if good else 'FAIL'}"
        )

        faulty = Stub(args.stub, args.stub_path, args.latency, args.fail_rate)
        try:
            stats, wall, rows = run("faults", faulty, args.n, args.concurrency, args.documents, 180)
            served = faulty.stats()
        finally:
            faulty.close()
        complete = sum(1 for r in rows if not r.get("error"))
        good = complete == args.n and stats.failed == 0
        ok &= good
        answers = {k: v for k, v in served.items() if k not in ("max_inflight",)}
        print(
            f"2. faults: {args.fail_rate:.0%} injected → stub counters {answers}; {stats.retries} retries "
            f"({stats.rate_limited} x 429); {complete}/{args.n} cells complete, {stats.failed} failed; "
            f"wall {wall:.2f}s ({wall / ideal:.2f}x ideal) {'OK' if good else 'FAIL'}"
        )

        before = stub.requests()
        stats, wall, rows = run("clean0", stub, args.n, args.concurrency, args.documents, 60)
        asked = stub.requests() - before
        good = asked == 0 and stats.skipped == args.n
        ok &= good
        print(
            f"3. rerun : {asked} requests, {stats.skipped} cells skipped, wall {wall:.2f}s {'OK' if good else 'FAIL'}"
        )
    finally:
        os.chdir(cwd)
        stub.close()
        shutil.rmtree(folder, ignore_errors=True)
    print("all checks passed" if ok else "SOME CHECKS FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
