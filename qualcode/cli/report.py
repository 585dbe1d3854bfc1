"""The ``report`` command: the methods appendix as one HTML or Word file."""

from pathlib import Path

import click

from qualcode.cli.agreement import split_names
from qualcode.cli.common import progress_on_stderr, project_option
from qualcode.selection import parse_pairs


@click.command()
@click.option("--out", default="report.html", show_default=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The file to write: .html (self-contained, figures embedded) or .docx.")
@click.option("--lang", type=click.Choice(["en", "nl"]), default="en", show_default=True, help="Language of the report.")
@click.option("--coders", help="Coders to compare in the agreement section, comma-separated (default: as 'agreement').")
@click.option("--attr", "attributes", multiple=True, metavar="KEY=VALUE", help="Only documents with this attribute; repeatable.")
@click.option("--by", metavar="ATTR", help="Attribute for the code frequency heat map (default: role, when documents have it).")
@click.option("--no-evaluate", "skip_evaluate", is_flag=True, help="Skip the cross-validation of the suggester (the slow part).")
@click.option("--folds", default=5, show_default=True, type=click.IntRange(min=2), help="Cross-validation folds.")
@project_option
def report(project, out, lang, coders, attributes, by, skip_evaluate, folds):
    """Write the methods report: corpus, codebook and its history, coding per coder, agreement
    (forest plot), themes (heat maps, theme matrix), suggestion quality, software and the
    commands that reproduce every table, and a methods paragraph ready to paste.

    \b
    Example:
        qualcode report --out report.html --lang nl
        qualcode report --out appendix.docx --coders anna,bram --attr role=client --no-evaluate
    """
    from qualcode import report_write  # noqa: PLC0415 - matplotlib and the writers load only here

    path = report_write.check_out(out)
    with progress_on_stderr() as progress:
        built = project.report(lang=lang, coders=split_names(coders), attributes=parse_pairs(attributes), by=by,
                               evaluate=not skip_evaluate, folds=folds, progress=progress)
        progress(f"report: writing {path.name}", 0, None)
        project.write_report(built, path)
    click.echo(f"wrote {path} ({len(built.figures)} figures); open it in a browser" if path.suffix.lower() == ".html"
               else f"wrote {path} ({len(built.figures)} figures)")
