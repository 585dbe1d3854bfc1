"""Finding segments again (``qualcode segments``) and handing them on as quotes."""

from pathlib import Path

import click

from qualcode.cli.common import attr_show_option, emit, format_option, looking_project_option, project_option, raw_option


def _pairs(_ctx, _param, values) -> dict[str, str]:
    from qualcode.selection import parse_pairs  # noqa: PLC0415 - keeps --help fast

    return parse_pairs(values)


def _code_list(_ctx, _param, values) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def codes_option(*names, help_text):
    return click.option(*names, multiple=True, metavar="ID", callback=_code_list, help=help_text)


attr_option = click.option(
    "--attr", "attributes", multiple=True, metavar="KEY=VALUE", callback=_pairs,
    help="Only documents whose attribute KEY is VALUE (case-insensitive); repeatable.",
)


@click.command()
@click.option("--doc", "docs", multiple=True, metavar="DOC", help="Only this document, or segment DOC:N; repeatable.")
@click.option("--speaker", metavar="LABEL", help="Only segments of this speaker.")
@attr_option
@codes_option("--code", help_text="Coded with this code (or a sub-code); repeatable or comma-separated.")
@click.option("--exact", is_flag=True, help="A code means itself only, not its sub-codes.")
@codes_option("--all-of", help_text="Coded with each of these codes.")
@codes_option("--any-of", help_text="Coded with at least one of these codes (as --code).")
@codes_option("--none-of", help_text="Coded with none of these codes.")
@click.option("--coder", metavar="NAME", help="Count only this coder's codings.")
@click.option("--uncoded", is_flag=True, help="Only segments without any code (of --coder, if given).")
@click.option("--text", metavar="WORDS", help="Only segments holding every word (case and accents ignored).")
@format_option()
@looking_project_option
def segments(project, docs, speaker, attributes, code, exact, all_of, any_of, none_of, coder, uncoded, text, fmt):
    """List segments with their speaker, time, text, document attributes and codes, filtered
    by document, speaker, attribute, code, coder and words. Filters combine with 'and'.
    With several coders, codes show per coder ('anna: KV-LEER | bram: KD-OVL'); a code on part
    of a segment (a passage coded in another program) is also listed under passages with the
    words it covers.

    \b
    Example:
        qualcode segments --code KV --attr role=client --format csv > kv-clients.csv
        qualcode segments --all-of KT,ROL-CTRL --coder anna --text "sanctie"
    """
    from qualcode.project_reads import CODE_COLUMNS, SEGMENT_COLUMNS  # noqa: PLC0415 - keeps --help fast
    from qualcode.retrieval import format_time  # noqa: PLC0415

    rows, columns = project.segment_records(
        list(docs) or None, speaker=speaker, attributes=attributes, codes=code, exact=exact,
        all_of=all_of, any_of=any_of, none_of=none_of, coder=coder, uncoded=uncoded, text=text,
    )
    attribute_columns = [column for column in columns if column not in (*SEGMENT_COLUMNS, *CODE_COLUMNS)]
    keep = ["ref", "speaker", "time", "text"] if fmt == "table" else ["ref", "document", "segment", "speaker", "time", "text"]
    passages = ["passages"] if fmt != "table" or any(row["passages"] for row in rows) else []
    shown = [*keep, *attribute_columns, "codes", *passages]
    emit([{**row, "time": format_time(row["time_start"])} for row in rows], fmt, empty="no segments match", wide="text",
         columns=shown)


@click.command()
@codes_option("--code", help_text="Only this code and its sub-codes; repeatable or comma-separated (default: all codes).")
@attr_option
@click.option("--coder", metavar="NAME", help="Only this coder's codings.")
@click.option("--memos", is_flag=True, help="Add memos on the codes and on the quoted segments.")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="quotes.docx (Word) or quotes.csv.")
@attr_show_option
@raw_option
@project_option
def quotes(project, code, attributes, coder, memos, out, show_attributes, raw):
    """Write every coded segment as a quote under its code (heading and definition), with its
    document, speaker and time (and only the attributes named with --attr-show), to Word or CSV.

    \b
    Example:
        qualcode quotes --code KV --attr role=client --attr-show role --memos --out kv-clients.docx
    """
    sections = project.quotes(out, codes=code or None, attributes=attributes, coder=coder, memos=memos, raw=raw,
                              show_attributes=show_attributes)
    n_quotes = sum(len(section.quotes) for section in sections)
    click.echo(f"wrote {out}: {n_quotes} quotes under {len(sections)} codes")
