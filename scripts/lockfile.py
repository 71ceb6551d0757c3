"""requirements.lock: every package of the project's install pinned, transitive ones included.

The Makefile installs with ``pip install -c requirements.lock ...``, so every machine gets the same
versions (they feed the metric fingerprints: a different sentence-transformers or transformers makes
every cached score and the committed example look stale). ``make lock`` refreshes the lock from a
fresh resolution (``pip install --dry-run --ignore-installed --report``, which takes torch 2.13.0
from the wheel on this machine's disk, a CPU build: no CUDA package is pinned).

    python scripts/lockfile.py write REPORT.json requirements.lock   # make lock
    python scripts/lockfile.py check [requirements.lock]               # make lock-check, tests/test_lock.py

``check`` fails when pyproject.toml's dependencies and the lock disagree: a dependency (of any
extra) missing from the lock, a pin outside its range, or dependency lists edited since the lock was
written (the lock records their sha256). Only the standard library and ``packaging`` (or pip's
vendored copy) are needed, so it runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

try:
    from packaging.requirements import Requirement
    from packaging.version import Version
except ImportError:  # a fresh venv: pip's own copy
    from pip._vendor.packaging.requirements import Requirement  # type: ignore[no-redef]
    from pip._vendor.packaging.version import Version  # type: ignore[no-redef]

try:
    import tomllib
except ImportError:  # Python 3.10
    from pip._vendor import tomli as tomllib  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
PROJECT = "bizsum"
HASH_LINE = "# pyproject.toml dependencies sha256: "


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def dependency_lists(pyproject: Path) -> dict[str, list[str]]:
    """The project's dependencies and every extra's, as written in pyproject.toml."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    return {"dependencies": list(project.get("dependencies", [])), **project.get("optional-dependencies", {})}


def dependency_hash(pyproject: Path) -> str:
    return hashlib.sha256(json.dumps(dependency_lists(pyproject), sort_keys=True).encode()).hexdigest()


def read_lock(lock: Path) -> tuple[dict[str, str], str]:
    """The pins (canonical name -> version) and the recorded pyproject hash."""
    pins: dict[str, str] = {}
    recorded = ""
    for number, line in enumerate(lock.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith(HASH_LINE):
            recorded = line[len(HASH_LINE) :].strip()
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        if not sep or not name.strip() or not version.strip():
            raise SystemExit(f"{lock}, line {number}: expected NAME==VERSION, got {line!r}")
        pins[canonical(name)] = version.strip()
    return pins, recorded


def problems(pyproject: Path, lock: Path) -> list[str]:
    """Where pyproject.toml and the lock disagree (empty: they agree)."""
    if not lock.is_file():
        return [f"{lock} is missing: run `make lock`"]
    pins, recorded = read_lock(lock)
    found = []
    if recorded != dependency_hash(pyproject):
        found.append(f"{pyproject.name}'s dependency lists changed since {lock.name} was written: run `make lock`")
    for group, requirements in dependency_lists(pyproject).items():
        for text in requirements:
            requirement = Requirement(text)
            name = canonical(requirement.name)
            if requirement.marker is not None and not requirement.marker.evaluate({"extra": group}):
                continue
            if name not in pins:
                found.append(f"{text!r} ({group}) is not pinned in {lock.name}")
            elif not requirement.specifier.contains(Version(pins[name]), prereleases=True):
                found.append(f"{text!r} ({group}): {lock.name} pins {name}=={pins[name]}, outside that range")
    return found


def write(report: Path, lock: Path, pyproject: Path, pip_version: str) -> int:
    """Write the lock from a ``pip install --dry-run --report`` of the whole project."""
    data = json.loads(report.read_text(encoding="utf-8"))
    pins = {}
    for item in data["install"]:
        name, version = item["metadata"]["name"], item["metadata"]["version"]
        if canonical(name) == PROJECT:
            continue
        pins[canonical(name)] = version.split("+", 1)[0]  # torch 2.13.0+cpu: the wheel on disk is the build
    pins["pip"] = pip_version
    lines = [
        "# Every package of `pip install -e '.[lab,test,dev,ray,tracking]'` (with torch==2.13.0, CPU build),",
        "# transitive ones included. Written by `make lock` (scripts/lockfile.py); do not edit by hand.",
        f"# Resolved for Python {sys.version_info.major}.{sys.version_info.minor} on {sys.platform}.",
        f"{HASH_LINE}{dependency_hash(pyproject)}",
        *(f"{name}=={version}" for name, version in sorted(pins.items())),
    ]
    lock.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {lock} ({len(pins)} packages)")
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["write"] and len(argv) == 3:
        import pip

        return write(Path(argv[1]), Path(argv[2]), ROOT / "pyproject.toml", pip.__version__)
    if argv[:1] == ["check"] and len(argv) <= 2:
        lock = Path(argv[1]) if len(argv) == 2 else LOCK
        found = problems(ROOT / "pyproject.toml", lock)
        for problem in found:
            print(f"error: {problem}", file=sys.stderr)
        return 1 if found else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
