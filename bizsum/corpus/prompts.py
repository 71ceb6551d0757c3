"""Prompt templates: ``data/prompts/<id>.txt`` with exactly one ``{document}`` placeholder."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bizsum.errors import InputError

PLACEHOLDER = "{document}"


@dataclass(frozen=True)
class PromptTemplate:
    id: str
    text: str

    def __post_init__(self) -> None:
        count = self.text.count(PLACEHOLDER)
        if count != 1:
            problem = "has no" if count == 0 else f"has {count}"
            raise InputError(
                f"prompt template {self.id!r} {problem} '{PLACEHOLDER}' placeholder; "
                "a template needs exactly one, where the document text goes"
            )

    def render(self, document_text: str) -> str:
        # Plain replacement, not str.format: braces in the document or template stay as they are.
        return self.text.replace(PLACEHOLDER, document_text)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def read_template_file(path: str | Path, template_id: str | None = None) -> PromptTemplate:
    """Read a template file. Only trailing whitespace is trimmed: the prompt text is used as written."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"prompt template file not found: {path}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"prompt template file {path} is not UTF-8") from None
    if not text.strip():
        raise InputError(f"prompt template file {path} is empty")
    try:
        return PromptTemplate(id=template_id or path.stem, text=text.rstrip())
    except InputError as error:
        raise InputError(f"{path}: {error}") from None


def load_template(prompts_dir: str | Path | Sequence[str | Path], template_id: str) -> PromptTemplate:
    """The template ``<id>.txt`` from a prompts folder, or from the first of several that has it."""
    folders = [Path(prompts_dir)] if isinstance(prompts_dir, (str, os.PathLike)) else [Path(p) for p in prompts_dir]
    for folder in folders:
        path = folder / f"{template_id}.txt"
        if path.is_file():
            return read_template_file(path, template_id)
    known = sorted({p.stem for folder in folders for p in folder.glob("*.txt")})
    where = ", ".join(str(folder) for folder in folders)
    raise InputError(f"unknown prompt template {template_id!r}: no {template_id}.txt in {where}; available: {known}")


def prompt_folders(data_dirs: Sequence[str | Path]) -> list[Path]:
    """The prompts/ folders of layered data folders, in order (the first one wins on an id)."""
    return [Path(folder) / "prompts" for folder in data_dirs]
