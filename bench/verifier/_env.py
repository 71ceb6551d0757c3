"""Import set-up shared by the verifier scripts: offline, one thread, this checkout's ``bizsum``.

The development venv has ``bizsum`` installed in editable mode from another checkout; its
namespace path would mix that checkout's modules with this one's, so ``bizsum.__path__`` is
pinned to this checkout.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def setup(threads: int = 1) -> None:
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    os.environ.setdefault("MKL_NUM_THREADS", str(threads))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import bizsum

    bizsum.__path__ = [str(ROOT / "bizsum")]  # type: ignore[assignment]
    import torch

    torch.set_num_threads(threads)
