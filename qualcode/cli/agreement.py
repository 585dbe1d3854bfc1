"""Commands about agreement between coders: agreement, disagreements, consensus, adjudicate, merge."""

import click

from qualcode.cli.common import echo_violations, emit, emit_json, format_option, literal, literal_table, print_rich, progress_on_stderr, project_option, writing_project_option
from qualcode.selection import parse_pairs

CODERS_HELP = "Coders to compare, comma-separated (default: every human coder with review marks; model and consensus coders only when named)."


def split_names(value: str | None) -> list[str] | None:
    """``"a, b"`` -> ``["a", "b"]``; None or empty stays None."""
    names = [part.strip() for part in (value or "").split(",") if part.strip()]
    return names or None


def _cell(value, reason, footnotes: list[str], number: str = ".3f") -> str:
    """A number (three decimals unless ``number`` says otherwise), or 'n/a [k]' with the reason as footnote k."""
    if value is None:
        if reason not in footnotes:
            footnotes.append(reason)
        return f"n/a [{footnotes.index(reason) + 1}]"
    if isinstance(value, (list, tuple)):
        return f"{value[0]:{number}} to {value[1]:{number}}"
    return f"{value:{number}}"


STAT_COLUMNS = {"alpha": "alpha", "alpha_ci": "alpha 95% CI", "kappa": "Cohen kappa", "fleiss_kappa": "Fleiss kappa",
                "ac1": "Gwet AC1", "percent_agreement": "% agreement"}


def _stat_table(title: str, first: str, rows: list[dict], reason_key, reasons: dict, footnotes: list[str],
                caption: str | None = None) -> None:
    """One table of statistics, a row per code or group; null cells point to a footnote."""
    table = literal_table(title, caption=caption)
    for header in (first, "n", *STAT_COLUMNS.values()):
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(literal(row["code"]), str(row["n_units"]),
                      *(_cell(row[key], reasons.get((reason_key(row["code"]), key)), footnotes,
                              ".1%" if key == "percent_agreement" else ".3f") for key in STAT_COLUMNS))
    print_rich(table)


def render_agreement(result) -> None:
    """The agreement table: what the unit is, who was compared, how missing values were handled."""
    data, reasons, footnotes = result.to_dict(), result.reasons(), []
    click.echo(f"unit: the segment; coders: {', '.join(data['coders'])}; {result.n_segments} segments reviewed by at least one of them")
    click.echo(
        "missing: a segment a coder did not review is missing for that coder (not 'code absent'); segments "
        "with fewer than two values are not pairable and add only to the category shares; " + data["units"]
    )
    click.echo(f"codes count {'only themselves (--exact)' if result.exact else 'with their sub-codes'}; "
               f"95% CI: percentile bootstrap over segments, {result.draws} draws, fixed seed")
    _stat_table("per code", "code", data["codes"], lambda code: code, reasons, footnotes)
    if data["groups"]:
        _stat_table("per exclusive group", "group", data["groups"], lambda code: f"group {code}", reasons, footnotes,
                    caption="categories: its children and 'none'")
    overall = data["overall"]
    click.echo(
        f"overall: alpha pooled over all code-by-segment units "
        f"{_cell(overall['alpha_pooled'], reasons.get(('overall', 'alpha_pooled')), footnotes)}; "
        f"mean of per-code alphas {_cell(overall['alpha_mean'], reasons.get(('overall', 'alpha_mean')), footnotes)}"
    )
    for number, reason in enumerate(footnotes, start=1):
        click.echo(f"[{number}] {reason}")
    click.echo("codings from accepted suggestions: "
               + ", ".join(f"{name} {n}" for name, n in data["from_suggestions"].items()))
    echo_violations(data["exclusive_violations"])


@click.command()
@click.option("--coders", help=CODERS_HELP)
@click.option("--codes", "code_ids", multiple=True, metavar="ID[,ID...]", help="Codes to measure (default: all); repeatable.")
@click.option("--exact", is_flag=True, help="Count a code only where it was applied itself, not through a sub-code.")
@click.option("--attr", "attributes", multiple=True, metavar="KEY=VALUE", help="Only documents with this attribute; repeatable.")
@format_option(("table", "json"))
@project_option
def agreement(project, coders, code_ids, exact, attributes, fmt):
    """Agreement between coders on the segments they reviewed: Krippendorff's alpha with a
    bootstrap 95% interval, Cohen's kappa (two coders) or Fleiss' kappa (more), Gwet's AC1 and
    percent agreement per code; alpha per exclusive group and overall. Undefined statistics
    (no variation, too few segments) are null, with the reason in the table.

    \b
    Example:
        qualcode agreement --coders anna,bram --codes KV,KT,KD,IN,VB,KG,WG,SW,MW
        qualcode agreement --format json --attr role=klantmanager
    """
    codes = [code for value in code_ids for code in split_names(value) or []] or None
    with progress_on_stderr() as progress:
        result = project.agreement(split_names(coders), codes, exact=exact, attributes=parse_pairs(attributes),
                                   progress=progress)
    if fmt == "json":
        emit_json(result.to_dict())
    else:
        render_agreement(result)


@click.command()
@click.option("--coders", help=CODERS_HELP)
@click.option("--code", metavar="ID", help="Only segments where the coders differ on this code (with its sub-codes).")
@format_option()
@project_option
def disagreements(project, coders, code, fmt):
    """Every segment that two or more coders reviewed and coded differently, with its text and
    each coder's codes ('(no code)': reviewed without a code; empty: not reviewed).

    \b
    Example:
        qualcode disagreements --coders anna,bram --code KG --format csv > kg.csv
    """
    table = project.disagreements(split_names(coders), code)
    for name in table.columns[2:]:
        table[name] = table[name].map(lambda codes: None if codes is None else ", ".join(codes) or "(no code)")
    emit(table, fmt, title="disagreements", empty="no disagreements: the coders agree on every segment they both reviewed", wide="text")


@click.command()
@click.option("--rule", required=True, metavar="RULE", help="union, intersection, majority, or prefer:NAME.")
@click.option("--into", default="consensus", show_default=True, help="The consensus coder to write.")
@click.option("--coders", help=CODERS_HELP)
@click.option("--overwrite", is_flag=True, help="Also replace the segments decided by hand in 'adjudicate' (kept by default).")
@writing_project_option
def consensus(project, rule, into, coders, overwrite):
    """Write a consensus coder by a rule over the coders' codes, per segment: union (any coder),
    intersection (all who reviewed it), majority (more than half of those), prefer:NAME
    (NAME's codes where NAME reviewed, else the majority). Rerunning replaces its codings,
    except on segments decided by hand in 'adjudicate' (unless --overwrite).

    \b
    Example:
        qualcode consensus --rule majority --into consensus --coders anna,bram,carla
    """
    with progress_on_stderr() as progress:
        changed = project.consensus(rule, into=into, coders=split_names(coders), overwrite=overwrite, progress=progress)
    click.echo(
        f"coder {into!r} by rule {rule}: {changed['added']} codes added, {changed['removed']} removed, "
        f"{changed['withdrawn']} segments withdrawn"
        + (f"; {changed['kept']} segments decided by hand kept (--overwrite replaces them)" if changed["kept"] else "")
    )


@click.command()
@click.option("--coders", help=CODERS_HELP)
@click.option("--into", default="consensus", show_default=True, help="The consensus coder to write.")
@writing_project_option
def adjudicate(project, coders, into):
    """Walk the disagreements in the terminal and decide each one; every decision is stored at
    once as coder INTO (keys: a/b take a coder's codes, u union, 1-9 toggle a code, n next, q quit).

    \b
    Example:
        qualcode adjudicate --coders anna,bram --into consensus
    """
    from qualcode.tui.adjudicate import AdjudicateApp  # noqa: PLC0415 - Textual loads only for the app

    AdjudicateApp(project, split_names(coders), into).run()


@click.command()
@click.argument("other", metavar="OTHER_PROJECT", type=click.Path(exists=True))
@writing_project_option
def merge(project, other):
    """Bring the coders, review marks, codings and memos of another copy of this project into
    this one (blind coding on separate machines). Documents are matched by content, segments by
    offsets; copies with different documents are refused. Merging twice changes nothing.

    \b
    Example:
        qualcode merge ../study-bram
    """
    added = project.merge(other)
    click.echo(", ".join(f"{n} {what}" for what, n in added.items()) + f" added from {other}")
