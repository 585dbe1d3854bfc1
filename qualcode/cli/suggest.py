"""Commands for assisted coding: suggest, autocode, evaluate."""

import click

from qualcode.cli.common import emit, emit_json, format_option, progress_on_stderr, project_option, writing_project_option


@click.command()
@click.argument("documents", nargs=-1, metavar="[DOC|DOC:N]...")
@click.option("--top", type=click.IntRange(min=1), default=3, show_default=True, help="Codes per segment.")
@click.option("--min-score", type=click.FloatRange(0, 1), default=0.0, show_default=True, help="Leave out weaker suggestions.")
@click.option("--coder", metavar="NAME", help="Blind, for this coder: a document's suggestions never use other coders' work on it.")
@format_option()
@project_option
def suggest(project, documents, top, min_score, coder, fmt):
    """Suggest codes for the segments of DOC, or segment DOC:N (default: all documents), with the words that
    drove each score. Source 'model' is the classifier trained on the human coding of this
    project; 'codebook' means the code has too few coded segments yet and the codebook's
    keywords and examples speak. Nothing is written and nothing leaves this machine.

    \b
    Example:
        qualcode suggest km-maasdelta-01 --top 3 --min-score 0.3
        qualcode suggest km-maasdelta-01:4
        qualcode suggest km-maasdelta-01 --coder anna     # as anna sees them, coding blind
    """
    with progress_on_stderr() as progress:
        table = project.suggest(list(documents) or None, top=top, min_score=min_score, coder=coder, progress=progress)
    emit(table, fmt, title="suggestions", empty="no suggestions: no segment scored above --min-score")


@click.command()
@click.option("--min-score", type=click.FloatRange(0, 1), default=0.5, show_default=True, help="Apply suggestions from this score up.")
@click.option("--coder", default="model", show_default=True, help="The model coder to write under (never a human coder).")
@format_option(("table", "json"))
@writing_project_option(coder=False)
def autocode(project, min_score, coder, fmt):
    """Code every segment with the suggestions scoring --min-score or more, under a coder of
    its own (kind 'model', origin 'suggestion'), replacing that coder's previous run. Human
    codings are never touched, so 'qualcode agreement' can compare the model with a person.

    \b
    Example:
        qualcode autocode --min-score 0.6 --coder model
    """
    with progress_on_stderr() as progress:
        report = project.autocode(min_score=min_score, coder=coder, progress=progress)
    if fmt == "json":
        emit_json(report)
        return
    sources = ", ".join(f"{count} from the {source}" for source, count in report["by_source"].items())
    click.echo(
        f"coder {report['coder']}: {report['codings']} codings on {report['segments']} segments "
        f"(score >= {min_score}; {sources}); replaced {report['replaced']} from the previous run"
    )


@click.command()
@click.option("--folds", type=int, default=5, show_default=True, help="Cross-validation folds (documents are kept whole).")
@click.option("--baselines", is_flag=True, help="Also run a plain tf-idf + logistic regression pipeline, the keywords alone and the prior on the same folds.")
@format_option(("table", "json"))
@project_option
def evaluate(project, folds, baselines, fmt):
    """Measure the suggestions by cross-validation grouped by document: each fold trains on
    the human coding of the other documents and is tested on documents it never saw. Shows
    precision, recall, F1 and support per code, micro and macro averages, hit@1 and hit@3
    (share of coded segments with one of their codes among the top 1 or 3 suggestions), and
    a learning curve. With too little coded data it says how much more is needed.
    --baselines adds a table of the suggester beside three baselines, mean and sd over folds,
    and the suggester's gain over each baseline fold by fold (paired: mean and sd).
    The figures are kept in .qualcode-cache/ beside the project: while the coding, the texts
    and the codebook stay the same, the next evaluate and the methods report read them back.

    \b
    Example:
        qualcode evaluate --folds 5 --format json
        qualcode evaluate --baselines
    """
    with progress_on_stderr() as progress:
        result = project.evaluate(folds=folds, progress=progress)
        compared = project.compare_baselines(folds=folds, evaluated=result, progress=progress) if baselines else None
    if fmt == "json":
        emit_json(result.to_dict() | ({"baselines": compared.astype(object).where(compared.notna(), None).to_dict(orient="records")}
                                      if baselines else {}))
        return
    click.echo(
        f"{result.folds}-fold cross-validation by document: {result.documents} documents, "
        f"{result.segments} reviewed segments ({result.coded_segments} coded); suggestion from score {result.threshold}"
    )
    click.echo(
        f"micro  P {result.micro['precision']:.3f}  R {result.micro['recall']:.3f}  F1 {result.micro['f1']:.3f}\n"
        f"macro  P {result.macro['precision']:.3f}  R {result.macro['recall']:.3f}  F1 {result.macro['f1']:.3f}\n"
        f"hit@1 {result.hit_at_1:.3f}   hit@3 {result.hit_at_3:.3f}"
    )
    emit(result.per_code, "table", title=f"per code (model_folds: folds of {result.folds} in which the classifier, not the codebook, scored it)")
    emit(result.learning_curve, "table", title="learning curve (micro F1 against training size)")
    if baselines:
        emit(compared, "table", title=f"suggester and baselines on the same {folds} folds (mean and sd over folds; "
                                      "gain: the suggester's over the baseline, fold by fold)")
