"""A :class:`~qualcode.report.Report` as one file: self-contained HTML (figures as base64 PNG, CSS
inline, no script, a Content-Security-Policy that forbids every request) or Word (.docx, for
appendices). Both render the same list of sections, so they have the same headings.

``write(report, path) -> Path``; ``sections(report) -> list[Section]``.
"""

from __future__ import annotations

import base64
import html
import math
from dataclasses import dataclass
from pathlib import Path

from qualcode import __version__
from qualcode.errors import BadInput
from qualcode.outputfile import PERSONAL_DATA, write_atomically
from qualcode.report_plots import png
from qualcode.report_text import number, percent, text

SUFFIXES = (".html", ".docx")
MAX_ROWS = 500  # longer tables are cut with a line that says how many rows are left out and which command gives them

CSS = """
body{font-family:Georgia,'DejaVu Serif',serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#111;line-height:1.45}
h1,h2,h3{font-family:'DejaVu Sans',Arial,sans-serif}h2{border-bottom:2px solid #111;margin-top:2.5rem}
table{border-collapse:collapse;font-size:.8rem;margin:.5rem 0 1rem;font-family:'DejaVu Sans',Arial,sans-serif}
th,td{border:1px solid #999;padding:.15rem .4rem;text-align:left;vertical-align:top}th{background:#e8e8e8}
figure{margin:1rem 0}img{width:100%;max-width:46rem;height:auto}figcaption{font-size:.85rem;font-style:italic}
.methods{border-left:4px solid #111;padding:.5rem 1rem;background:#f4f4f4}code{font-size:.8rem}
nav a{margin-right:1rem}.wide{overflow-x:auto}.estimate{font-weight:bold}
"""
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


@dataclass
class Block:
    kind: str  # p | strong | h3 | table | figure | code
    content: object
    title: str = ""


@dataclass
class Section:
    key: str
    heading: str
    blocks: list[Block]


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _fmt(frame):
    """Numbers rounded for reading; user text untouched."""
    def shown(value):
        if not isinstance(value, float) or math.isnan(value):
            return value
        return f"{value:.0f}" if value.is_integer() else f"{value:.3f}".rstrip("0")

    return frame.apply(lambda column: column.map(shown) if column.dtype.kind == "f" else column)


def _agreement_blocks(report, lang) -> list[Block]:
    if report.agreement_result is None:
        return [Block("p", report.summary["agreement_note"])]
    overall = report.summary["agreement"]
    table = report.agreement.copy()
    table["percent_agreement"] = table["percent_agreement"].map(lambda v: "" if _missing(v) else percent(v))
    return [
        Block("p", text(lang, "agreement_text", draws=report.summary["draws"], pooled=number(overall["alpha_pooled"]),
                        mean=number(overall["alpha_mean"]))),
        Block("figure", "agreement"),
        Block("table", _fmt(table)),
    ]


def _suggestion_blocks(report, lang) -> list[Block]:
    e = report.evaluation
    if e is None:
        return [Block("p", report.evaluation_note)]
    return [
        Block("strong", text(lang, "estimate", folds=e.folds)),
        Block("p", text(lang, "evaluation_text", micro=number(e.micro["f1"]), macro=number(e.macro["f1"]),
                        hit1=number(e.hit_at_1), hit3=number(e.hit_at_3), documents=e.documents, coded=e.coded_segments)),
        Block("figure", "curve"),
        Block("table", _fmt(e.per_code)),
    ]


def sections(report) -> list[Section]:
    """The report's sections in order, each a heading and blocks, in the report's language."""
    lang, s = report.options.lang, report.summary
    codebook = report.codebook.drop(columns=["color", "exclusive"]).assign(
        id=lambda f: ["\u2003" * d + i for d, i in zip(f["depth"], f["id"])]).drop(columns="depth")
    blind = text(lang, "blind_merged", merges=s["merges"]) if s["merges"] else text(lang, "blind_unknown")
    parts = [
        ("methods", [Block("p", report.methods), Block("p", text(lang, "methods_hint"))]),
        ("corpus", [Block("p", text(lang, "corpus_text", **{**s, "unit": s["unit"] or "-"})),
                    *([Block("table", _fmt(report.corpus_by))] if len(report.corpus_by) else []),
                    Block("table", _fmt(report.corpus))]),
        ("codebook", [Block("p", text(lang, "codebook_text", title=s["codebook_title"], version=s["codebook_version"],
                                      codes=s["codes"], sha256=s["codebook_sha256"])),
                      Block("table", codebook),
                      Block("h3", text(lang, "history")),
                      Block("table", report.changes) if len(report.changes) else Block("p", text(lang, "no_history"))]),
        ("coding", [Block("p", text(lang, "coding_text", double=percent(s["double_coded"]),
                                    compared=", ".join(s["compared"]), blind=blind)),
                    Block("table", _fmt(report.coders)), Block("figure", "timeline")]),
        ("agreement", _agreement_blocks(report, lang)),
        ("themes", [Block("p", text(lang, "themes_text", rule=s["coding_rule"])),
                    Block("figure", "frequencies"), Block("figure", "cooccurrence"),
                    Block("h3", text(lang, "theme_matrix")), Block("table", report.themes.reset_index())]),
        ("suggestions", _suggestion_blocks(report, lang)),
        ("software", [Block("table", report.software, text(lang, "versions")),
                      Block("table", report.settings, text(lang, "settings")),
                      Block("table", report.commands, text(lang, "commands"))]),
    ]
    return [Section(key, text(lang, key), [b for b in blocks if b.kind != "figure" or b.content in report.figures])
            for key, blocks in parts]


def _cut(frame):
    return (frame.head(MAX_ROWS), len(frame) - MAX_ROWS) if len(frame) > MAX_ROWS else (frame, 0)


# ---- HTML ------------------------------------------------------------------------------------

def _html_table(frame) -> str:
    shown, left = _cut(frame)
    body = f'<div class="wide">{shown.to_html(index=False, escape=True, na_rep="", border=0)}</div>'
    return body + (f"<p>(+{left} rows)</p>" if left else "")


def _html_block(block: Block, report, counter: list[int], lang: str) -> str:
    e = html.escape
    if block.kind == "p":
        return f"<p>{e(block.content)}</p>"
    if block.kind == "strong":
        return f'<p class="estimate">{e(block.content)}</p>'
    if block.kind == "h3":
        return f"<h3>{e(block.content)}</h3>"
    if block.kind == "table":
        return (f"<h3>{e(block.title)}</h3>" if block.title else "") + _html_table(block.content)
    figure = report.figures[block.content]
    counter[0] += 1
    data = base64.b64encode(png(figure.figure)).decode("ascii")
    return (f'<figure id="fig-{e(block.content)}"><img src="data:image/png;base64,{data}" alt="{e(figure.alt)}">'
            f"<figcaption>{e(text(lang, 'figure'))} {counter[0]}. {e(figure.caption)}</figcaption></figure>")


def write_html(report, path: Path) -> None:
    lang, e, counter = report.options.lang, html.escape, [0]
    parts = sections(report)
    nav = "".join(f'<a href="#{p.key}">{e(p.heading)}</a>' for p in parts)
    body = []
    for part in parts:
        inner = "".join(_html_block(b, report, counter, lang) for b in part.blocks)
        wrapper = f'<div class="methods">{inner}</div>' if part.key == "methods" else inner
        body.append(f'<section id="{part.key}"><h2>{e(part.heading)}</h2>{wrapper}</section>')
    title = text(lang, "title")
    page = (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="dcterms.accessRights" content="{e(PERSONAL_DATA)}">'
        f"<title>{e(title)}</title><style>{CSS}</style></head><body><main>"
        f"<h1>{e(title)}</h1><p>{e(text(lang, 'generated', version=__version__, created=report.created, project=report.project))}</p>"
        f"<nav>{nav}</nav>{''.join(body)}</main></body></html>\n"
    )
    path.write_text(page, encoding="utf-8")


# ---- Word ------------------------------------------------------------------------------------

def _docx_table(document, frame) -> None:
    from qualcode.spreadsheet import printable  # noqa: PLC0415

    shown, left = _cut(frame)
    table = document.add_table(rows=len(shown) + 1, cols=len(shown.columns))
    table.style = "Table Grid"
    rows = table.rows
    for cell, column in zip(rows[0].cells, shown.columns):
        cell.text = printable(str(column))
    for row, values in zip(rows[1:], shown.itertuples(index=False)):
        for cell, value in zip(row.cells, values):
            cell.text = "" if _missing(value) else printable(str(value))
    if left:
        document.add_paragraph(f"(+{left} rows)")


def write_docx(report, path: Path) -> None:
    import docx  # noqa: PLC0415 - python-docx loads only for Word output
    from docx.shared import Cm, Pt

    from qualcode.spreadsheet import printable  # noqa: PLC0415

    lang, counter = report.options.lang, 0
    document = docx.Document()
    document.styles["Normal"].font.size = Pt(10)
    document.add_heading(text(lang, "title"), level=0)
    document.add_paragraph(text(lang, "generated", version=__version__, created=report.created, project=report.project))
    for part in sections(report):
        document.add_heading(part.heading, level=1)
        for block in part.blocks:
            if block.kind in ("p", "strong"):
                document.add_paragraph().add_run(printable(block.content)).bold = block.kind == "strong"
            elif block.kind == "h3":
                document.add_heading(block.content, level=2)
            elif block.kind == "table":
                if block.title:
                    document.add_heading(block.title, level=2)
                _docx_table(document, block.content)
            else:
                import io  # noqa: PLC0415

                figure = report.figures[block.content]
                counter += 1
                document.add_picture(io.BytesIO(png(figure.figure)), width=Cm(16))
                document.add_paragraph(f"{text(lang, 'figure')} {counter}. {figure.caption}", style="Caption")
    document.core_properties.comments = PERSONAL_DATA
    document.save(path)


def check_out(path) -> Path:
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise BadInput(f"{path}: cannot write a report as {path.suffix or 'a file without suffix'}; use .html or .docx")
    return path


def write(report, path) -> Path:
    """Write ``report`` to ``path`` (.html or .docx, by suffix); returns the path."""
    path = check_out(path)
    write_atomically(path, lambda temporary: (write_docx if path.suffix.lower() == ".docx" else write_html)(report, temporary))
    return path
