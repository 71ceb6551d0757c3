"""Side by side: one document at a time, every prompt × model as a cell with its scores and
problem badges. Cells sort by any criterion, "different only" hides what is the same in every
cell, each cell links to its card and each card links back. A baseline is shown once."""

from __future__ import annotations

import hashlib
from typing import Any

from bizsum.analysis.verdict import one_per_baseline
from bizsum.metrics import Column
from bizsum.report.cards import card_id, sbs_cell_id, slug
from bizsum.report.data import ReportData
from bizsum.report.html import esc, format_value, is_missing, kind_badge, term

ID, TITLE, SCREEN_ONLY = "side-by-side", "Side by side", True

SCRIPT = """<script>(function(){
var root=document.getElementById('sbs');if(!root)return;
var docSel=document.getElementById('sbs-doc'),sortSel=document.getElementById('sbs-sort'),diff=document.getElementById('sbs-diff');
function docs(){return Array.from(root.querySelectorAll('.sbs-doc'));}
function show(){var v=docSel.value;docs().forEach(function(d){d.hidden=!(v==='*'||d.dataset.doc===v);});}
function sort(){var key=sortSel.value,opt=sortSel.selectedOptions[0],dir=opt?opt.dataset.dir:'';
 docs().forEach(function(d){var row=d.querySelector('.sbs-row');var cells=Array.from(row.children);
  cells.sort(function(a,b){if(!key)return a.dataset.order-b.dataset.order;
   var x=parseFloat(a.dataset[key]),y=parseFloat(b.dataset[key]);var nx=isNaN(x),ny=isNaN(y);
   if(nx||ny)return nx-ny;return dir==='lower'?x-y:y-x;});
  cells.forEach(function(c){row.appendChild(c);});});}
function different(){var on=diff.checked;docs().forEach(function(d){var cells=Array.from(d.querySelectorAll('.sbs-cell'));var seen={};
  cells.forEach(function(c){var dup=seen[c.dataset.text];seen[c.dataset.text]=1;c.classList.toggle('sbs-same',on&&!!dup);});
  var keys=Array.from(new Set(Array.from(d.querySelectorAll('li[data-key]')).map(function(li){return li.dataset.key;})));
  keys.forEach(function(k){var lis=Array.from(d.querySelectorAll('.sbs-cell:not(.sbs-same) li[data-key="'+k+'"]'));
   var vals=new Set(lis.map(function(li){return li.dataset.value;}));
   d.querySelectorAll('li[data-key="'+k+'"]').forEach(function(li){li.classList.toggle('sbs-same',on&&vals.size<=1);});});});}
function reveal(){var id=decodeURIComponent(location.hash.slice(1));var e=id&&document.getElementById(id);
 if(!e||!root.contains(e))return;var d=e.closest('.sbs-doc');if(d&&d.hidden){docSel.value=d.dataset.doc;show();}e.scrollIntoView();}
docSel.addEventListener('change',show);sortSel.addEventListener('change',sort);diff.addEventListener('change',different);
window.addEventListener('hashchange',reveal);document.addEventListener('DOMContentLoaded',reveal);show();})();</script>"""


def _criteria(data: ReportData) -> list[Column]:
    return [
        c
        for c in data.tables.columns.values()
        if c.headline and c.name in data.frame and c.kind != "measure" and data.frame[c.name].notna().any()
    ]


def _number(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return "" if is_missing(value) or not isinstance(value, (int, float)) else repr(float(value))


def _cell(row: Any, config_order: int, kind: str, columns: list[Column], problems: list[str], many: bool) -> str:
    ident = card_id(row["doc_id"], row["prompt_id"], row["model_id"], row["sample"])
    text = row.get("text") if isinstance(row.get("text"), str) else None
    name = esc(row["model_id"]) if kind == "baseline" else f"{esc(row['prompt_id'])} · {esc(row['model_id'])}"
    sample = f" · sample {esc(row['sample'])}" if many else ""
    attributes = "".join(f' data-{c.name.replace("_", "-")}="{_number(row.get(c.name))}"' for c in columns)
    scores = "".join(
        f'<li data-key="{esc(c.name)}" data-value="{esc(format_value(row.get(c.name), kind=c.kind))}">'
        f"{term(c.label, c.meaning)} <b>{esc(format_value(row.get(c.name), kind=c.kind))}</b></li>"
        for c in columns
    )
    badges = "".join(f'<span class="badge flag-badge" title="{esc(p)}">⚠ {esc(_short(p))}</span>' for p in problems)
    body = esc(text) if text is not None else '<span class="muted">(no summary)</span>'
    digest = hashlib.sha1((text or "").encode()).hexdigest()[:10]
    return (
        f'<div class="sbs-cell" id="{sbs_cell_id(ident)}" data-order="{config_order}" data-text="{digest}"{attributes}>'
        f'<div class="sbs-head">{kind_badge(kind)} <b>{name}</b>{sample} · <a href="#{ident}">card ↗</a></div>'
        f'<ul class="sbs-scores">{scores}</ul><div class="sbs-badges">{badges}</div>'
        f'<div class="cell-text">{body}</div></div>'
    )


def _short(problem: str) -> str:
    return problem.split(":", maxsplit=1)[0][:40]


def render(data: ReportData) -> str:
    frame = data.frame
    if frame.empty:
        return ""
    kept = one_per_baseline(data.tables.kinds)
    configs = sorted(kept, key=lambda c: (kept[c] == "baseline", c[1], c[0]))
    order = {config: i for i, config in enumerate(configs)}
    columns = _criteria(data)
    many = bool(frame["sample"].nunique() > 1) if "sample" in frame else False
    blocks, options = [], []
    for doc_id, group in frame.groupby("doc_id", sort=True):
        company = group["company"].dropna().iloc[0] if "company" in group and group["company"].notna().any() else ""
        cells = []
        shown = group[[(str(p), str(m)) in order for p, m in zip(group["prompt_id"], group["model_id"])]]
        shown = shown.assign(_order=[order[(str(p), str(m))] for p, m in zip(shown["prompt_id"], shown["model_id"])])
        for index, row in shown.sort_values(["_order", "sample"]).iterrows():
            config = (str(row["prompt_id"]), str(row["model_id"]))
            problems = data.tables.problems.get(index, [])
            cells.append(_cell(row, order[config], kept[config], columns, problems, many))
        key = slug(doc_id)
        options.append(f'<option value="{esc(key)}">{esc(doc_id)}</option>')
        blocks.append(
            f'<div class="sbs-doc" data-doc="{esc(key)}"><h3>{esc(doc_id)} <span class="muted">{esc(company)}</span></h3>'
            f'<div class="sbs-row">{"".join(cells)}</div></div>'
        )
    sorts = "".join(
        f'<option value="{esc(_dataset_key(c.name))}" data-dir="{esc(c.direction)}">{esc(c.label)} '
        f"{'↑' if c.direction == 'higher' else '↓' if c.direction == 'lower' else ''}</option>"
        for c in columns
    )
    controls = (
        '<div class="sbs-controls">'
        f'<label>Document <select id="sbs-doc">{"".join(options)}<option value="*">all documents</option></select></label> '
        f'<label>Sort by <select id="sbs-sort"><option value="">configuration</option>{sorts}</select></label> '
        '<label><input type="checkbox" id="sbs-diff"> different only</label></div>'
    )
    return (
        '<p class="muted">One document at a time; each cell is one summary with its scores and problems. '
        "Sort the cells by a criterion (best first); “different only” hides a summary identical to one shown "
        "and the scores that are the same in every cell. “card ↗” opens a summary's card, and its “↩ side by "
        "side” comes back. A baseline is shown once (it ignores the prompt).</p>"
        f'<div id="sbs">{controls}{"".join(blocks)}</div>' + SCRIPT
    )


def _dataset_key(name: str) -> str:
    """``data-foo-bar`` is ``dataset.fooBar`` in the browser."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)
