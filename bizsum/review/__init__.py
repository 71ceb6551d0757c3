"""Human review of a run in JupyterLab: the session (state, navigation, saving) and its widget."""

from __future__ import annotations

from typing import Any

from bizsum.review.session import AREA_LABELS, CLAIM_LABELS, ReviewItem, ReviewSession


def review(run_dir: Any, reviewer: str = "anonymous") -> Any:
    """The review widget over a run folder (needs ipywidgets: ``pip install 'bizsum[lab]'``)."""
    from bizsum.review.widget import review as open_widget

    return open_widget(run_dir, reviewer)


__all__ = ["AREA_LABELS", "CLAIM_LABELS", "ReviewItem", "ReviewSession", "review"]
