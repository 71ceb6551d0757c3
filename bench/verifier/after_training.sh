#!/bin/sh
# Wait for a training process to end, then (if it exported final weights) run the dev evaluation
# (threshold + dev metrics into MANIFEST.json) and, once, the held-out test evaluation.
#   sh bench/verifier/after_training.sh <train pid> <run dir>
set -e
PID="$1"; RUN="$2"
cd "$(dirname "$0")/../.."
while kill -0 "$PID" 2>/dev/null; do sleep 30; done
if [ ! -f "$RUN/final/model.safetensors" ]; then echo "no final model in $RUN: training did not finish"; exit 1; fi
PY=${PYTHON:-python}
$PY bench/verifier/evaluate.py --split dev --write-manifest
$PY bench/verifier/evaluate.py --split test
