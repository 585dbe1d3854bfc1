"""``qualcode join`` and ``qualcode joint-display``: the themes meet the survey."""

from pathlib import Path

import click

from qualcode.cli.common import project_option
from qualcode.cli.matrices import _codes, codes_option, coder_option, labels_option

SHOWN = 10


def _listed(keys: list[str]) -> str:
    more = f", ... ({len(keys) - SHOWN} more)" if len(keys) > SHOWN else ""
    return ", ".join(keys[:SHOWN]) + more


@click.command()
@click.argument("survey_file", metavar="SURVEY", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--key", default="respondent_id", show_default=True, help="The survey's respondent key variable.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the joined file: .sav, .dta, .csv or .xlsx. Without it, only report which keys match.")
@codes_option
@click.option("--value", type=click.Choice(["count", "presence", "share", "words"]), default="presence",
              show_default=True, help="What the theme variables hold.")
@coder_option
@labels_option
@project_option
def join(project, survey_file, key, out, codes, value, coder, labels):
    """Add the theme matrix to a survey file (.sav .dta .csv .xlsx) by the respondent key:
    every survey row is kept, labels of both files too; a theme variable named like a survey
    variable becomes qc_NAME (no survey variable is overwritten); qc_interviewed says who was
    interviewed. Keys on one side only are listed here and in OUT.unmatched.csv. Without
    --out it writes nothing and only reports how the keys match.

    \b
    Example:
        qualcode join survey/klantmanagers.sav --key respondent_id
        qualcode join survey/klantmanagers.sav --key respondent_id --out exports/merged.sav
    """
    joined = project.join_survey(survey_file, out, key=key, codes=_codes(codes), value=value, coder=coder, labels=labels)
    interviewed = int(joined.data["qc_interviewed"].sum())
    rows = f"{len(joined.data)} survey rows, {interviewed} of them interviewed"
    click.echo(f"wrote {out} ({rows})" if out else f"{survey_file}: {rows}; nothing written (give --out FILE)")
    for old, new in joined.renamed.items():
        click.echo(f"theme variable {old} renamed {new}: the survey has a variable of that name")
    click.echo(f"survey only (not interviewed): {len(joined.survey_only)}" + (f": {_listed(joined.survey_only)}" if joined.survey_only else ""))
    click.echo(f"interview only (not in the survey): {len(joined.interview_only)}"
               + (f": {_listed(joined.interview_only)}" if joined.interview_only else ""))
    if out:
        click.echo(f"every unmatched key: {out.with_name(out.name + '.unmatched.csv')}")


@click.command("joint-display")
@click.argument("survey_file", metavar="SURVEY", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--by", required=True, metavar="VARIABLE", help="The survey variable whose groups (or score bands) are the columns.")
@click.option("--key", default="respondent_id", show_default=True, help="The survey's respondent key variable.")
@click.option("--bands", default=3, show_default=True, type=click.IntRange(min=2),
              help="Score bands (equal counts) for a numeric variable with many values.")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Write to .xlsx or .docx.")
@codes_option
@coder_option
@labels_option
@project_option
def joint_display(project, survey_file, by, key, bands, out, codes, coder, labels):
    """Mixed-methods joint display: themes as rows, survey groups or score bands as columns;
    each cell the share of the group's reviewed interviewees with the theme and one short quote.

    \b
    Example:
        qualcode joint-display survey/klantmanagers.sav --by workload --out exports/joint.docx
    """
    from qualcode import survey  # noqa: PLC0415 - pandas loads only when a display is made

    survey.check_suffix(out, survey.DISPLAY_SUFFIXES, "a joint display")
    table = project.joint_display(survey_file, by=by, key=key, bands=bands, codes=_codes(codes), coder=coder, labels=labels)
    notes = project.write_joint_display(table, out)
    click.echo(f"wrote {out} ({len(table)} themes x {len(table.columns)} groups of {by})")
    for line in notes[1:]:
        click.echo(line)
