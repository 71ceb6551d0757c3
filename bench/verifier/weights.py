"""Candidate verifier weights for a bench measurement (no sys.path changes: safe to import from any bench script)."""

from __future__ import annotations


def use_weights(model_dir: str, reject_below: float | None = None) -> None:
    """Make the metric read ``model_dir`` (a training output or an export) instead of the shipped
    weights: the verifier cache is keyed by directory, the metric asks for the default one. A
    training output has no manifest, so its ``reject_below`` is its threshold unless given."""
    from bizsum.nlp import verifier

    chosen = verifier._LOADED[""] = verifier.get_verifier(model_dir)
    if reject_below is not None:
        chosen.reject_below = reject_below
