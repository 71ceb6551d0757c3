#!/usr/bin/env bash
# Real-browser smoke test of the review widget: JupyterLab + headless Debian Chromium + playwright-core.
#   apt-get install -y chromium && (cd bench/labels/review_smoke && npm install playwright-core@1)
#   bash bench/labels/review_smoke/run.sh RUN_FOLDER   (a scored run; it is copied, the original is not touched)
# Opens notebooks/review.ipynb on a copy of RUN_FOLDER, runs it, clicks "unsupported" on the first
# claim and "missed" on an area, checks that reviews.jsonl got the rows, and writes screenshots to
# /tmp/bizsum_review_smoke/*.png. Not part of `make test` (needs Chromium and npm).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"; root="$(cd "$here/../../.." && pwd)"
work=/tmp/bizsum_review_smoke; rm -rf "$work"; mkdir -p "$work"
cp -r "$1" "$work/run"; rm -f "$work/run/reviews.jsonl"
python - "$root/bizsum/notebooks/review.ipynb" "$work" <<'PY'
import json, sys
nb = json.load(open(sys.argv[1]))
for cell in nb["cells"]:
    if "parameters" in cell["metadata"].get("tags", []):
        cell["source"] = [f'run_dir = "{sys.argv[2]}/run"\n', 'reviewer = "smoke-test"']
json.dump(nb, open(f"{sys.argv[2]}/review_smoke.ipynb", "w"), indent=1)
PY
jupyter lab --no-browser --ip 127.0.0.1 --port 8899 --ServerApp.token='' --ServerApp.password='' \
  --ServerApp.root_dir="$work" --allow-root > "$work/jlab.log" 2>&1 &
lab=$!; trap 'kill $lab' EXIT
for _ in $(seq 60); do curl -sf -o /dev/null http://127.0.0.1:8899/lab && break; sleep 2; done
(cd "$here" && SMOKE_DIR="$work" node smoke.js)
test "$(wc -l < "$work/run/reviews.jsonl")" -ge 2 && echo "review smoke test passed: $(wc -l < "$work/run/reviews.jsonl") labels saved"
