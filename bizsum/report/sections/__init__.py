"""The sections of the HTML report, in page order: each module renders one section from one
:class:`~bizsum.report.data.ReportData` (``render(data) -> html``), and computes nothing that
:func:`~bizsum.report.data.compute` already has.

To add a section: a module here with ``ID``, ``TITLE`` and ``render(data)``, listed in
:data:`SECTIONS` (``SCREEN_ONLY = True`` for interactive views that make no sense on paper).
"""

from __future__ import annotations

from types import ModuleType

from bizsum.report.sections import (
    agreement,
    appendix,
    areas,
    changes,
    gate,
    groups,
    judge,
    pairs,
    per_document,
    scores,
    side_by_side,
    summaries,
    verdict,
)

#: the sections in page order
SECTIONS: tuple[ModuleType, ...] = (
    verdict,
    scores,
    per_document,
    areas,
    pairs,
    groups,
    judge,
    agreement,
    gate,
    changes,
    side_by_side,
    summaries,
    appendix,
)
