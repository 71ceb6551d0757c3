"""Shared fixtures. Tests never touch the network; the encoder is loaded from an installed package."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.helpers import ROOT

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def make_project(root):
    """The real prompts, two real documents (one with a reference) and their manifest under ``root``."""
    data = root / "data"
    shutil.copytree(ROOT / "data" / "prompts", data / "prompts")
    documents = data / "documents"
    documents.mkdir(parents=True)
    keep = ["ZIONS_COOPERATIVE_MERCANTILE_1995", "AMZN_2024"]
    lines = (ROOT / "data" / "documents" / "manifest.csv").read_text(encoding="utf-8").splitlines()
    header, rows = lines[0], [line for line in lines[1:] if line.split(",")[0] in keep]
    (documents / "manifest.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    for doc_id in keep:
        shutil.copy(ROOT / "data" / "documents" / f"{doc_id}.txt", documents / f"{doc_id}.txt")
    shutil.copytree(ROOT / "data" / "references" / "AMZN_2024", data / "references" / "AMZN_2024")
    return root


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A throw-away project folder with the real prompts and a few real documents."""
    make_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path
