"""The report page: one self-contained HTML file (styles, print and phone layouts, no external request)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from bizsum.report.html import esc, interactive_setup


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    html: str
    #: interactive views that make no sense on paper (the print version says where to find them)
    screen_only: bool = False


CSS = """
:root{--llm:#1d4ed8;--base:#6b7280;--good:#e3f6e8;--bad:#fde2e2;--line:#d9dce1;--muted:#5b6270}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;background:#fff}
main{max-width:1380px;margin:0 auto;padding:12px 20px 40px}
header.top h1{font-size:22px;margin:6px 0 2px}
header.top .sub{color:var(--muted);margin:0 0 6px}
nav.toc{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:13px;margin:4px 0 8px}
nav.toc a{color:#0b57d0;text-decoration:none}
section{margin:18px 0 10px}
section>h2{font-size:18px;margin:0 0 6px;padding-top:6px;border-top:2px solid #eef0f3}
h3{font-size:15px;margin:12px 0 4px}
.lead{font-size:15px;margin:4px 0 8px}
.muted{color:var(--muted)}
.scroll{overflow-x:auto;max-width:100%}
table.bz{border-collapse:collapse;font-size:13px;margin:6px 0}
table.bz caption{caption-side:top;text-align:left;color:var(--muted);font-size:12px;padding:2px 0}
table.bz th,table.bz td{border:1px solid var(--line);padding:3px 7px;vertical-align:top}
table.bz th{background:#f3f4f6;text-align:left;position:sticky;top:0;z-index:1}
table.bz td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.bz td.t{text-align:left}
table.bz td.best{background:var(--good);font-weight:600}
table.bz td.best::after{content:" ★";color:#137333}
table.bz td.worst{background:var(--bad)}
table.bz tr.baseline td{color:#374151;background:#fafafa}
table.bz th .badge{font-weight:400}
.badge{display:inline-block;font-size:11px;line-height:16px;padding:0 6px;border-radius:8px;border:1px solid;vertical-align:1px;white-space:nowrap}
.kind-llm{color:var(--llm);border-color:var(--llm);background:#eef3ff}
.kind-baseline{color:#374151;border-color:var(--base);background:repeating-linear-gradient(135deg,#f3f4f6 0 4px,#e5e7eb 4px 8px)}
.sig-yes{color:#137333;font-weight:600}.sig-no{color:#8a5a00}.sig-cannot{color:#9b1c1c}
.verdict-grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:8px;margin:8px 0}
.vcard{border:1px solid var(--line);border-left:4px solid var(--llm);border-radius:6px;padding:6px 10px;break-inside:avoid}
.vcard.base{border-left-color:var(--base)}
.vcard h3{margin:0 0 2px;font-size:14px}
.vcard .big{font-size:18px;font-weight:650}
.vcard .why{font-size:12px;color:var(--muted)}
.callout{border:1px solid #f0c36d;background:#fff8e6;border-radius:6px;padding:6px 10px;margin:6px 0}
.ok-callout{border-color:#9bd3a8;background:#f0faf2}
.fig-grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:10px}
figure{margin:4px 0}figure img{max-width:100%;height:auto}figcaption{font-size:12px;color:var(--muted)}
a.csv{font-size:12px;margin-right:12px}
details.card{border:1px solid var(--line);border-radius:6px;margin:6px 0;padding:4px 10px}
details.card>summary{cursor:pointer;font-weight:600}
details.card.flagged{border-left:4px solid #c62828}
.flag{color:#9b1c1c;font-weight:600}
.summary-text{white-space:pre-wrap;background:#fafafa;padding:6px 8px;border-left:3px solid #bbb;font-size:13px;max-height:40em;overflow:auto}
.claim-supported{border-bottom:2px solid #34a853}
.claim-unsupported{background:#ffd6d6;border-bottom:2px solid #c62828}
.claim-not_checkable{border-bottom:2px dotted #9aa0a6}
.claim-uncertain{background:#fff4cc;border-bottom:2px dashed #b07d00}
.fmt{outline:2px dashed #e37400;outline-offset:1px}
.fmt-html{background:#ffe8cc}
.limit-mark{display:inline-block;background:#c62828;color:#fff;font-size:10px;font-weight:700;padding:0 4px;border-radius:3px;margin:0 2px;white-space:nowrap}
.over-limit{color:#8d8d8d;text-decoration:line-through;text-decoration-color:#c6282866}
ul.claims{padding-left:18px;font-size:13px}ul.claims li{margin:3px 0}
.evidence{font-size:12px;color:#374151;background:#f6f8fa;padding:2px 6px;border-radius:4px;display:block}
.area-list{font-size:13px}.area-list li{margin:2px 0}
.carried{color:#137333}.missed{color:#9b1c1c}
.cell-text{white-space:pre-wrap;max-height:26em;overflow:auto;font-size:12.5px;text-align:left}
.src-doc{white-space:pre-wrap;font-size:12px;max-height:30em;overflow:auto;background:#fafafa;padding:6px}
.src-doc .src-passage{background:#fff1a8}
pre.yaml{font-size:12px;background:#f6f8fa;padding:6px;overflow:auto}
.diff-add{background:#e6ffec}.diff-del{background:#ffebe9}
pre.diff{font-size:12px;white-space:pre-wrap;background:#fafafa;padding:4px}
.print-note,.print-only{display:none}
table.dataTable td{text-align:left;vertical-align:top}
h2,h3,caption,summary{break-after:avoid}
abbr.term{text-decoration:underline dotted;text-underline-offset:2px;cursor:help}
details.compliance>summary{cursor:pointer;font-size:13px;color:var(--muted)}
.model-warning ul{margin:2px 0;padding-left:18px}
.sbs-controls{display:flex;flex-wrap:wrap;gap:6px 16px;align-items:center;margin:6px 0;padding:4px 0;position:sticky;top:0;background:#fff;z-index:2}
.sbs-row{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:8px}
.sbs-cell{border:1px solid var(--line);border-radius:6px;padding:6px 8px;font-size:12.5px;scroll-margin-top:52px;min-width:0}
.sbs-cell:target,details.card:target{outline:3px solid #f0c36d}
.sbs-head{margin-bottom:3px}
ul.sbs-scores{list-style:none;margin:0 0 4px;padding:0;font-size:12px}
ul.sbs-scores li{display:flex;justify-content:space-between;gap:4px;border-bottom:1px dotted #e5e7eb}
.sbs-badges .badge{margin:0 4px 2px 0}
.flag-badge{color:#9b1c1c;border-color:#e0a0a0;background:#fdecec}
.sbs-cell .cell-text{max-height:18em;border-top:1px solid #eef0f3;padding-top:3px}
.sbs-same{display:none!important}
@media (max-width:700px){
 body{font-size:13px}main{padding:6px 10px 30px}
 header.top h1{font-size:16px;margin:2px 0}
 header.top .sub{font-size:11.5px;margin:0 0 2px}
 nav.toc{flex-wrap:nowrap;overflow-x:auto;white-space:nowrap;font-size:12px;margin:2px 0 4px}
 section{margin:8px 0}
 section>h2{font-size:16px;margin:0 0 2px}
 .lead{font-size:13.5px;margin:2px 0 4px}
 .verdict-grid{grid-template-columns:1fr;gap:3px;margin:4px 0}
 .vcard{padding:2px 8px;display:flex;flex-wrap:wrap;align-items:baseline;gap:0 6px}
 .vcard h3{font-size:12.5px;margin:0}
 .vcard h3 .muted,.vcard .cmp,.vcard .why,.vcard .tie{display:none}
 .vcard .big{font-size:14px}
 .vcard .best{font-size:12.5px}
 .callout{padding:4px 8px;margin:4px 0;font-size:12.5px}
 p.family{display:none}
 .fig-grid{grid-template-columns:1fr}
 table.bz{font-size:12px}
 table.bz th,table.bz td{padding:2px 4px}
}
@media print{
 @page{margin:12mm}
 body{font-size:10pt}
 main{max-width:none;padding:0}
 nav.toc{display:none}
 section{break-before:auto;margin:8px 0}
 section.screen-only>*:not(h2){display:none}
 section.screen-only .print-note{display:block}
 .scroll{overflow:visible}
 table.bz{font-size:8pt;width:100%;max-width:100%;table-layout:auto}
 table.bz th{position:static}
 table.bz th,table.bz td{overflow-wrap:anywhere;word-break:break-word;padding:2px 4px}
 table.bz td.n{white-space:normal}
 pre{white-space:pre-wrap;overflow-wrap:anywhere}
 h2,h3{break-after:avoid}
 tr,figure,.vcard{break-inside:avoid}
 .fig-grid{grid-template-columns:1fr 1fr}
 details{display:block}
 details>summary{list-style:none}
 .summary-text,.src-doc,.cell-text{max-height:none;overflow:visible}
 a.csv{display:none}
 .no-print,.dt-container,div[id$=_fallback]{display:none}
 .print-only{display:block}
}
"""


CSS_TAG = f"<style>{CSS}</style>"


def metadata_block(metadata: dict[str, Any]) -> str:
    """Machine-readable facts about the report (inert JSON, read by tests and tools)."""
    text = json.dumps(metadata, sort_keys=True, default=str).replace("</", "<\\/")
    return f'<script type="application/json" id="bizsum-metadata">{text}</script>'


def read_metadata(html: str) -> dict[str, Any]:
    """The metadata block of a report written by :func:`render` ({} when it has none)."""
    start = html.find('<script type="application/json" id="bizsum-metadata">')
    if start < 0:
        return {}
    start = html.index(">", start) + 1
    data: dict[str, Any] = json.loads(html[start : html.index("</script>", start)])
    return data


def render(title: str, sections: list[Section], subtitle: str = "", metadata: dict[str, Any] | None = None) -> str:
    """The whole page: header, table of contents, sections, and the table library once if used."""
    toc = " ".join(f'<a href="#{esc(s.id)}">{esc(s.title)}</a>' for s in sections)
    body = []
    for section in sections:
        css = ' class="screen-only"' if section.screen_only else ""
        note = (
            '<p class="print-note">Interactive view: open report.html in a browser (not printed).</p>'
            if section.screen_only
            else ""
        )
        body.append(f'<section id="{esc(section.id)}"{css}><h2>{esc(section.title)}</h2>{note}{section.html}</section>')
    content = "".join(body)
    library = interactive_setup() if "new ITable(" in content else ""
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body><main>"
        f'<header class="top"><h1>{esc(title)}</h1><p class="sub">{esc(subtitle)} · built {stamp}</p>'
        f'<nav class="toc" aria-label="Sections">{toc}</nav></header>'
        f"{library}{content}</main>{metadata_block(metadata or {})}</body></html>\n"
    )
