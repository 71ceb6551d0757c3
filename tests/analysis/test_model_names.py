"""The report warns when the model that answered is not the one the config asked for (issue 19:
the demo's model was named as a plain instruct model while the file is the Coder one)."""

import pandas as pd

from bizsum.analysis.tables import model_mismatches
from bizsum.config import ModelSpec, RunConfig
from bizsum.providers.local_models import DEFAULT_LOCAL_MODEL, FORMER_NAMES, get_model


def _config(models):
    return RunConfig(name="r", documents=["d"], prompts=["p"], models=models)


def _frame(rows):
    return pd.DataFrame([{"doc_id": "d", "prompt_id": "p", "sample": 0, **row} for row in rows])


def test_a_model_that_answers_under_another_name_is_reported():
    config = _config(
        [
            ModelSpec(id="old", provider="local", model="qwen2.5-0.5b-instruct-q4_k_m"),
            ModelSpec(id="new", provider="local", model=DEFAULT_LOCAL_MODEL),
            ModelSpec(id="gpt", provider="openai", model="gpt-4o-mini"),
            ModelSpec(id="lead", provider="extractive", options={"method": "lead"}),
        ]
    )
    frame = _frame(
        [
            {"model_id": "old", "model_returned": "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"},
            {"model_id": "new", "model_returned": "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"},
            {"model_id": "gpt", "model_returned": "gpt-4o-mini-2024-07-18"},  # a dated snapshot is the same model
            {"model_id": "lead", "model_returned": "extractive/lead"},  # a baseline is not a model
        ]
    )
    assert model_mismatches(config, frame) == [
        ("old", "qwen2.5-0.5b-instruct-q4_k_m", ["qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"])
    ]


def test_the_local_models_say_coder_and_their_former_names_still_load():
    assert "coder" in DEFAULT_LOCAL_MODEL and get_model(DEFAULT_LOCAL_MODEL).file.startswith(DEFAULT_LOCAL_MODEL)
    for former, name in FORMER_NAMES.items():
        assert get_model(former) is get_model(name) and "coder" in name
