"""HTML pieces for the report notebook, and the export of an executed notebook to HTML.

Everything model-generated or user-supplied is escaped with :func:`html.escape` before it is put
into markup, so a summary containing ``<script>`` shows as text. Tables are sortable by a small
inline script (no CDN, works offline); charts are embedded PNGs.
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

STYLE = """
<style>
.bz table{border-collapse:collapse;font:13px/1.35 system-ui,sans-serif;margin:.5em 0}
.bz th,.bz td{border:1px solid #ddd;padding:3px 7px;text-align:right;vertical-align:top}
.bz th{background:#f3f4f6;cursor:pointer;user-select:none;position:sticky;top:0}
.bz td.t{text-align:left}.bz .bad{background:#fde2e2}.bz .good{background:#e3f6e8}
.bz .card{border:1px solid #ddd;border-radius:6px;padding:8px 12px;margin:10px 0;font:13px/1.45 system-ui,sans-serif}
.bz .card h4{margin:0 0 4px 0}.bz .flag{color:#9b1c1c;font-weight:600}
.bz .summary{white-space:pre-wrap;background:#fafafa;padding:6px;border-left:3px solid #bbb}
.bz mark{background:#ffd6d6}.bz .muted{color:#666}
</style>
"""

SORT_SCRIPT = """
<script>
(function(){
 if (window.__bzSort) return; window.__bzSort = true;
 document.addEventListener('click', function(ev){
  var th = ev.target.closest('table.bz-sortable th'); if(!th) return;
  var table = th.closest('table'), body = table.tBodies[0], idx = Array.prototype.indexOf.call(th.parentNode.children, th);
  var asc = th.getAttribute('data-dir') !== 'asc'; th.setAttribute('data-dir', asc ? 'asc' : 'desc');
  var rows = Array.prototype.slice.call(body.rows);
  rows.sort(function(a,b){
   var x=a.cells[idx].getAttribute('data-v'), y=b.cells[idx].getAttribute('data-v');
   var nx=parseFloat(x), ny=parseFloat(y);
   var r = (!isNaN(nx) && !isNaN(ny)) ? nx-ny : String(x).localeCompare(String(y));
   return asc ? r : -r;});
  rows.forEach(function(r){body.appendChild(r);});
 });
})();
</script>
"""


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_value(value: Any, digits: int = 3) -> str:
    if _is_missing(value):
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple) and len(value) == 2:  # (mean, sd)
        mean, sd = value
        return (
            format_value(mean, digits)
            if _is_missing(sd)
            else f"{format_value(mean, digits)} ± {format_value(sd, digits)}"
        )
    if isinstance(value, float):
        magnitude = abs(value)
        return f"{value:.{0 if magnitude >= 100 else 1 if magnitude >= 10 else digits}f}"
    return str(value)


def _sort_value(value: Any) -> Any:
    """What a column sorts by: numbers as floats (the mean of a (mean, sd) pair), text as text."""
    if isinstance(value, tuple) and len(value) == 2:
        value = value[0]
    if _is_missing(value):
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return value


def html_table(frame: pd.DataFrame, caption: str = "", digits: int = 3, index: bool = False) -> str:
    """A sortable, fully escaped HTML table (click a header to sort)."""
    if index:
        frame = frame.reset_index()
    head = "".join(f"<th>{esc(column)}</th>" for column in frame.columns)
    body = []
    for _, row in frame.iterrows():
        cells = []
        for value in row:
            sort_value = _sort_value(value)
            css = "" if isinstance(sort_value, float) else ' class="t"'
            cells.append(f'<td{css} data-v="{esc(sort_value)}">{esc(format_value(value, digits))}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return (
        f'<div class="bz">{STYLE}{SORT_SCRIPT}<table class="bz-sortable">{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def figure_html(figure: Any, alt: str) -> str:
    """Embed a matplotlib figure as a PNG data URI (works offline, no external files)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="{esc(alt)}" src="data:image/png;base64,{data}"/>'


def highlight(text: str, spans: Iterable[str]) -> str:
    """Escape ``text`` and wrap each occurrence of the given substrings in <mark>."""
    marked = esc(text)
    for span in sorted({s for s in spans if s and s.strip()}, key=len, reverse=True):
        escaped = esc(span)
        marked = marked.replace(escaped, f"<mark>{escaped}</mark>")
    return marked


def summary_card(
    row: pd.Series, problems: Sequence[str], score_columns: Sequence[tuple[str, str]], unsupported: Sequence[str] = ()
) -> str:
    """One summary with its key, scores, problems (worst first) and unsupported claims marked."""
    title = f"{row['doc_id']} · {row['prompt_id']} · {row['model_id']} · sample {row['sample']}"
    scores = " · ".join(
        f"{esc(label)} <b>{esc(format_value(row.get(column)))}</b>" for column, label in score_columns if column in row
    )
    flags = "".join(f'<div class="flag">⚠ {esc(p)}</div>' for p in problems)
    text = row.get("text")
    body = highlight(text, unsupported) if isinstance(text, str) else '<span class="muted">(no summary)</span>'
    return (
        f'<div class="bz"><div class="card"><h4>{esc(title)}</h4><div class="muted">{scores}</div>'
        f'{flags}<div class="summary">{body}</div></div></div>'
    )
