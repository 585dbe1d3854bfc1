"""The report's figures, drawn with matplotlib on the Agg canvas (``matplotlib.figure.Figure``, never
pyplot, so no window and no global state): A4 text width (16 cm), readable in greyscale (lines
differ by style and marker, heat maps use cividis, whose lightness rises evenly, with the numbers
written in small cells), the codebook's colours for codes where it has them.

``figures(report, timeline) -> dict[name, Figure]``; ``png(figure) -> bytes``.
"""

from __future__ import annotations

import io

from qualcode.report_text import number, text

WIDTH = 6.3  # inches: 16 cm, the text width of an A4 page with 2.5 cm margins
STYLES = [("-", "o"), ("--", "s"), (":", "^"), ("-.", "D"), ((0, (5, 1)), "v"), ((0, (1, 1)), "P")]
GREY = "#555555"
HATCHES = ("", "//", "..", "xx", "++", "--")
ANNOTATE_CELLS = 15  # write the numbers into heat maps up to this many rows and columns


def _new(height: float):
    from matplotlib.figure import Figure  # noqa: PLC0415 - matplotlib loads only when a report is drawn

    return Figure(figsize=(WIDTH, height), dpi=100, layout="constrained")


def png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=150)
    return buffer.getvalue()


def timeline_figure(timeline):
    """Cumulative codings per coder by day; all on one day (an import): a bar per coder."""
    figure = _new(3.0)
    axes = figure.add_subplot()
    if len(timeline) < 2:
        names = [str(coder) for coder in timeline.columns]
        axes.barh(names, timeline.iloc[-1].to_numpy(), color="white", edgecolor="black",
                  hatch=[HATCHES[k % len(HATCHES)] for k in range(len(names))])
        axes.set_xlabel(f"codings, all on {timeline.index[-1]:%Y-%m-%d}")
        axes.invert_yaxis()
        return figure
    for k, coder in enumerate(timeline.columns):
        line, marker = STYLES[k % len(STYLES)]
        axes.plot(timeline.index, timeline[coder], linestyle=line, marker=marker, color="black" if k % 2 == 0 else GREY,
                  label=str(coder), markersize=5)
    axes.set_ylabel("codings (cumulative)")
    axes.set_ylim(bottom=0)
    axes.legend(frameon=False, fontsize=8)
    axes.grid(alpha=0.3)
    figure.autofmt_xdate()
    return figure


def agreement_figure(table, colors: dict):
    rows = table[table["alpha"].notna()].iloc[::-1].reset_index(drop=True)
    figure = _new(max(2.0, 0.32 * len(rows) + 1.0))
    axes = figure.add_subplot()
    for y, row in rows.iterrows():
        group = row["kind"] != "code"
        if not group and row["alpha_low"] is not None and row["alpha_low"] == row["alpha_low"]:
            axes.plot([row["alpha_low"], row["alpha_high"]], [y, y], color="black", linewidth=1.2)
        axes.plot(row["alpha"], y, marker="D" if group else "o", markersize=7, linestyle="none",
                  markerfacecolor=colors.get(row["code"]) or "white", markeredgecolor="black")
    labels = [f"{c}  {n}"[:40] + (" (group)" if k != "code" else "") for c, n, k in zip(rows["code"], rows["name"], rows["kind"])]
    axes.set_yticks(range(len(rows)), labels, fontsize=8)
    axes.axvline(0.667, color=GREY, linestyle=":", linewidth=1)
    axes.axvline(0.8, color=GREY, linestyle="--", linewidth=1)
    axes.set_xlim(min(-0.1, float(rows["alpha_low"].min()) - 0.05) if rows["alpha_low"].notna().any() else -0.1, 1.02)
    axes.set_xlabel("Krippendorff's alpha (dotted 0.667, dashed 0.8)")
    axes.grid(axis="x", alpha=0.3)
    return figure


def heatmap_figure(frame, label: str, vmax: float | None = None):
    """A heat map with the numbers in the cells when it is small enough; NaN cells stay white."""
    import numpy as np  # noqa: PLC0415 - loaded with pandas already

    values = frame.to_numpy(dtype=float)
    figure = _new(max(2.2, min(9.0, 0.3 * len(frame) + 1.6)))
    axes = figure.add_subplot()
    import matplotlib  # noqa: PLC0415

    palette = matplotlib.colormaps["cividis"].with_extremes(bad="white")
    image = axes.imshow(values, cmap=palette, aspect="auto", vmin=0, vmax=vmax)
    axes.set_xticks(range(frame.shape[1]), [str(c) for c in frame.columns], rotation=45, ha="right", fontsize=8)
    axes.set_yticks(range(frame.shape[0]), [str(i)[:30] for i in frame.index], fontsize=8)
    if frame.shape[0] <= ANNOTATE_CELLS and frame.shape[1] <= ANNOTATE_CELLS and values.size:
        middle = np.nanmax(values) / 2 if np.nanmax(values) > 0 else 1
        for (i, j), value in np.ndenumerate(values):
            if np.isnan(value):
                continue
            shown = f"{value:.2f}" if value < 1 and value != 0 else f"{value:.0f}"
            axes.text(j, i, shown, ha="center", va="center", fontsize=7, color="black" if value > middle else "white")
    figure.colorbar(image, ax=axes, label=label, shrink=0.8)
    return figure


def curve_figure(curve):
    figure = _new(2.6)
    axes = figure.add_subplot()
    axes.plot(curve["share_of_documents"] * 100, curve["micro_f1"], color="black", marker="o")
    axes.set_xlabel("training documents (% of each fold's)")
    axes.set_ylabel("micro F1 (estimate)")
    axes.set_ylim(0, 1)
    axes.grid(alpha=0.3)
    return figure


def _top_cell(frame) -> str:
    if frame.empty:
        return "-"
    stacked = frame.stack()
    (row, column), value = stacked.idxmax(), stacked.max()
    return f"{row} x {column} = {number(value)}"


def figures(report, timeline) -> dict:
    """Every figure of ``report`` with its caption and alt text, in the report's language."""
    from qualcode.report import Figure  # noqa: PLC0415 - report imports this module

    lang, found = report.options.lang, {}
    if not timeline.empty:
        lines = "; ".join(f"{coder} {int(timeline[coder].iloc[-1])} by {timeline.index[-1]:%Y-%m-%d}" for coder in timeline.columns)
        found["timeline"] = Figure(timeline_figure(timeline), text(lang, "fig_timeline"), text(lang, "alt_timeline", lines=lines))
    plotted = report.agreement[report.agreement["alpha"].notna()]
    if not plotted.empty:
        colors = dict(zip(report.codebook["id"], report.codebook["color"]))
        values = ", ".join(f"{r.code} {r.alpha:.2f}" for r in plotted.itertuples())
        found["agreement"] = Figure(agreement_figure(report.agreement, colors), text(lang, "fig_agreement"),
                                    text(lang, "alt_agreement", values=values))
    counts = report.frequencies.drop(columns=["documents"], errors="ignore")
    if not counts.empty:
        by, rule = report.summary["by"], report.summary["coding_rule"]
        found["frequencies"] = Figure(heatmap_figure(counts, "coded segments"), text(lang, "fig_frequencies", by=by, rule=rule),
                                      text(lang, "alt_frequencies", rows=by, top=_top_cell(counts)))
    pairs = report.cooccurrence
    if not pairs.empty:
        off = pairs.mask(pairs.index.to_numpy()[:, None] == pairs.columns.to_numpy()[None, :])
        found["cooccurrence"] = Figure(heatmap_figure(off, "Jaccard"), text(lang, "fig_cooccurrence"),
                                       text(lang, "alt_cooccurrence", top=_top_cell(off.fillna(0))))
    if report.evaluation is not None:
        curve = report.evaluation.learning_curve
        points = ", ".join(f"{s:.0%}: {f:.2f}" for s, f in zip(curve["share_of_documents"], curve["micro_f1"]))
        found["curve"] = Figure(curve_figure(curve), text(lang, "fig_curve"), text(lang, "alt_curve", points=points))
    return found
