"""The methods appendix: every number a reviewer asks for, read from the same ``Project`` methods
as the commands that print them.

``build(project, Options) -> Report``: tables (pandas DataFrames), the methods paragraph and
figures (matplotlib, drawn by :mod:`qualcode.report_plots`); :mod:`qualcode.report_write` turns a
``Report`` into one self-contained HTML file or a Word document. Nothing here computes a
statistic of its own: agreement is ``Project.agreement``, the themes ``Project.matrix`` and
``Project.cooccurrence``, suggestion quality ``Project.evaluate``, codebook history
``Project.log``. Building a report never writes to the project. Example::

    >>> report = project.report(lang="nl", evaluate=False)              # doctest: +SKIP
    >>> report.agreement[["code", "alpha", "alpha_low", "alpha_high"]]
    >>> report.figures["agreement"].figure.savefig("forest.pdf")
"""

from __future__ import annotations

import hashlib
import json
import platform
import shlex
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata

from qualcode import __version__
from qualcode.errors import BadInput, NotEnoughData
from qualcode.progress import Progress, silent
from qualcode.report_text import methods_paragraph, text

LANGUAGES = ("en", "nl")
CODEBOOK_ACTIONS = ("codebook.load", "codes.add", "codes.rename", "codes.move", "codes.merge", "codes.delete")
# What building a report does, in order: what the progress callback hears.
STAGES = ("reading the corpus and codebook", "measuring agreement", "counting the coding", "counting the themes",
          "evaluating the suggestions", "drawing the figures")
PACKAGES = ("pandas", "numpy", "scipy", "scikit-learn", "krippendorff", "SQLAlchemy", "spacy", "matplotlib",
            "python-docx")


@dataclass(frozen=True)
class Options:
    """What the report covers. ``coders``: compared in the agreement (default: as ``agreement``);
    ``attributes``: only documents with these values; ``by``: the attribute the frequency heat
    map groups by (default ``role`` when documents have it); ``evaluate``: run the cross-validation
    (the slow part); ``draws``: bootstrap draws of the alpha intervals (default: as ``agreement``)."""

    lang: str = "en"
    coders: tuple[str, ...] | None = None
    attributes: dict[str, str] | None = None
    by: str | None = None
    evaluate: bool = True
    folds: int = 5
    draws: int | None = None

    def check(self) -> None:
        if self.lang not in LANGUAGES:
            raise BadInput(f"--lang {self.lang}: not a report language; use one of {', '.join(LANGUAGES)}")


@dataclass
class Figure:
    """A matplotlib figure with what a reader without the picture needs: caption and alt text."""

    figure: object
    caption: str
    alt: str


@dataclass
class Report:
    """Every table and figure of the report; ``summary`` holds the numbers the methods paragraph uses."""

    options: Options
    created: str
    project: str
    summary: dict
    corpus: object            # per document: name, attributes, segments, words, minutes, sha256
    corpus_by: object         # per value of the grouping attribute: documents, segments, words
    codebook: object          # the tree: id, parent_id, depth, name, definition, include, exclude, color, codings
    changes: object           # codebook history from the audit log: at, actor, action, target, detail
    coders: object            # per coder: kind, segments reviewed, share, codings, share from suggestions
    agreement: object         # per code and exclusive group: alpha with interval, kappa, AC1, n
    agreement_result: object  # the ``Project.agreement`` result (``to_dict()`` is the JSON); None if not measurable
    frequencies: object       # ``Project.matrix(rows=by)``: coded segments per group and dimension
    cooccurrence: object      # ``Project.cooccurrence(measure="jaccard")`` of the dimensions
    themes: object            # ``Project.matrix(value="presence")``: the survey hand-off matrix
    evaluation: object        # ``Project.evaluate`` result, or None (then ``evaluation_note`` says why)
    evaluation_note: str
    software: object          # package, version
    settings: object          # setting, value
    commands: object          # table, command
    methods: str
    figures: dict[str, Figure] = field(default_factory=dict)


def fingerprint(lines) -> str:
    """SHA-256 over the given text lines, in the given order."""
    digest = hashlib.sha256()
    for line in lines:
        digest.update(f"{line}\n".encode())
    return digest.hexdigest()


def _command(*parts) -> str:
    return " ".join(shlex.quote(str(part)) for part in parts if part is not None)


def _attr_args(attributes: dict[str, str] | None) -> list[str]:
    return [piece for key, value in (attributes or {}).items() for piece in ("--attr", f"{key}={value}")]


def _corpus(project, documents, selected: set[str] | None, by: str):
    """Per document: attributes, segments, words, minutes, fingerprint; and the totals by ``by``."""
    documents = documents.merge(project.sources(), on="name")
    if selected is not None:
        documents = documents[documents["name"].isin(selected)].reset_index(drop=True)
    keys = [c for c in documents.columns if c not in ("name", "turns", "segments", "speakers", "source_file", "sha256",
                                                      "words", "minutes")]
    corpus = documents[["name", *keys, "segments", "words", "minutes", "sha256"]]
    group = by if by in documents.columns else None
    if group:
        corpus_by = (documents.groupby(group, dropna=False)
                     .agg(documents=("name", "size"), segments=("segments", "sum"), words=("words", "sum"),
                          median_minutes=("minutes", "median"))
                     .reset_index())
    else:
        corpus_by = corpus.iloc[0:0, :0]
    return corpus, corpus_by


def _codebook(project):
    """The code tree with definitions and coding counts, and its fingerprint (SHA-256 over the codes)."""
    import pandas as pd  # noqa: PLC0415 - loaded by the Project calls anyway

    book = project.codebook()
    counts = project.codes().set_index("id")["codings"]
    rows = [{"id": code.id, "parent_id": parent, "depth": depth, "name": code.name, "definition": code.definition,
             "include": code.include, "exclude": code.exclude, "color": code.color, "exclusive": code.exclusive,
             "codings": int(counts.get(code.id, 0))} for code, parent, depth in book.walk()]
    table = pd.DataFrame(rows, columns=["id", "parent_id", "depth", "name", "definition", "include", "exclude",
                                        "color", "exclusive", "codings"])
    digest = fingerprint(json.dumps(row, sort_keys=True, ensure_ascii=False)
                         for row in table.drop(columns="codings").to_dict(orient="records"))
    return book, table, digest


def _coders(project, segment_ids, compared: list[str] | None, n_segments: int):
    """Per coder: segments reviewed, share of the corpus, codings, share of codings from accepted
    suggestions, first and last day; the share of segments two or more ``compared`` coders
    reviewed (None: every human coder); and the cumulative codings per coder and day."""
    import pandas as pd  # noqa: PLC0415

    events = project.coding_events()
    if compared is None:
        compared = sorted(set(events.loc[events["kind"] == "human", "coder"]))
    if segment_ids is not None:
        events = events[events["segment_id"].isin(segment_ids)]
    codings = events[events["code"].notna()]
    reviewed = events.drop_duplicates(["coder", "segment_id"])
    per_coder = pd.DataFrame({
        "kind": events.groupby("coder")["kind"].first(),
        "segments_reviewed": reviewed.groupby("coder").size(),
        "codings": codings.groupby("coder").size(),
        "from_suggestions": codings[codings["origin"] == "suggestion"].groupby("coder").size(),
        "first": events.groupby("coder")["at"].min().str[:10],
        "last": events.groupby("coder")["at"].max().str[:10],
    }).fillna({"segments_reviewed": 0, "codings": 0, "from_suggestions": 0})
    per_coder = per_coder.astype({"segments_reviewed": int, "codings": int, "from_suggestions": int})
    per_coder.insert(2, "share_reviewed", (per_coder["segments_reviewed"] / n_segments).round(4) if n_segments else None)
    per_coder["share_from_suggestions"] = (per_coder["from_suggestions"] / per_coder["codings"].where(per_coder["codings"] > 0)).round(4)
    per_coder = per_coder.rename_axis("coder").reset_index()
    by_segment = reviewed[reviewed["coder"].isin(compared)].groupby("segment_id").size()
    double = round(float((by_segment >= 2).sum() / n_segments), 4) if n_segments else None
    timeline = codings[["coder", "at"]].assign(day=lambda f: pd.to_datetime(f["at"].str[:10], errors="coerce"))
    timeline = timeline.groupby(["day", "coder"]).size().unstack("coder", fill_value=0).cumsum()
    return per_coder, compared, double, timeline


AGREEMENT_COLUMNS = ["code", "name", "kind", "n", "alpha", "alpha_low", "alpha_high", "kappa", "fleiss_kappa", "ac1",
                     "percent_agreement", "note"]


def _agreement(project, options: Options, dimensions: list[str]):
    """``Project.agreement`` of the dimensions, or None and the reason it cannot be measured
    (one coder only, say): the rest of the report still stands."""
    try:
        return project.agreement(list(options.coders) if options.coders else None, dimensions,
                                 attributes=options.attributes, draws=options.draws), ""
    except NotEnoughData as exc:
        return None, str(exc)


def _agreement_table(result, tree):
    import pandas as pd  # noqa: PLC0415

    if result is None:
        return pd.DataFrame(columns=AGREEMENT_COLUMNS)
    data, reasons = result.to_dict(), result.reasons()
    names = tree.set_index("id")["name"]
    rows = [{"code": row["code"], "name": names.get(row["code"], ""), "kind": "code", "n": row["n_units"],
             "alpha": row["alpha"], "alpha_low": (row["alpha_ci"] or [None, None])[0],
             "alpha_high": (row["alpha_ci"] or [None, None])[1], "kappa": row["kappa"],
             "fleiss_kappa": row["fleiss_kappa"], "ac1": row["ac1"], "percent_agreement": row["percent_agreement"],
             "note": reasons.get((row["code"], "alpha"), "")} for row in data["codes"]]
    rows += [{"code": row["code"], "name": names.get(row["code"], ""), "kind": "exclusive group", "n": row["n_units"],
              "alpha": row["alpha"], "note": reasons.get((row["code"], "alpha"), "")} for row in data["groups"]]
    return pd.DataFrame(rows, columns=AGREEMENT_COLUMNS)


def _evaluation(project, options: Options, progress: Progress):
    if not options.evaluate:
        return None, text(options.lang, "evaluation_skipped")
    try:
        return project.evaluate(folds=options.folds, progress=lambda what, done, total: progress(f"report: {what}", done, total)), ""
    except NotEnoughData as exc:
        return None, str(exc)


def _software(project, options: Options, summary: dict, created: str):
    import pandas as pd  # noqa: PLC0415

    versions = [("qualcode", __version__), ("Python", platform.python_version())]
    for name in PACKAGES:
        try:
            versions.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            versions.append((name, "not installed"))
    settings = [
        ("project", project.location), ("created", created), ("language", options.lang),
        ("coding unit", summary["unit"] or ""), ("coders compared", ", ".join(summary["compared"])),
        ("documents selected", ", ".join(f"{k}={v}" for k, v in (options.attributes or {}).items()) or "all"),
        ("frequencies by", summary["by"]), ("theme matrix coding rule", summary["coding_rule"]),
        ("alpha interval", f"95% percentile bootstrap over segments, {summary['draws']} draws, fixed seed"),
        ("cross-validation", f"{options.folds} folds grouped by document" if options.evaluate else "skipped"),
    ]
    return (pd.DataFrame(versions, columns=["package", "version"]),
            pd.DataFrame(settings, columns=["setting", "value"]))


def _commands(options: Options, summary: dict, codes: list[str]):
    import pandas as pd  # noqa: PLC0415

    attrs = _attr_args(options.attributes)
    by = summary["by"]
    rows = [
        ("corpus", _command("qualcode", "documents", "--format", "csv")),
        ("codebook", _command("qualcode", "codebook", "show")),
        ("codebook history", _command("qualcode", "log", "--action", "codes.rename")
         + "   # likewise codes.add, codes.move, codes.merge, codes.delete, codebook.load"),
        ("coders", _command("qualcode", "status")),
        ("agreement", _command("qualcode", "agreement", "--coders", ",".join(summary["compared"]),
                               "--codes", ",".join(codes), *attrs, "--format", "json")),
        ("frequencies", _command("qualcode", "matrix", "--rows", by, "--value", "count", *attrs)),
        ("co-occurrence", _command("qualcode", "cooccurrence", "--measure", "jaccard", *attrs)),
        ("theme matrix", _command("qualcode", "matrix", "--value", "presence", *attrs)),
        ("suggestions", _command("qualcode", "evaluate", "--folds", options.folds)),
    ]
    report = ["qualcode", "report", "--lang", options.lang]
    if options.coders:
        report += ["--coders", ",".join(options.coders)]
    report += [*attrs, *([] if options.by is None else ["--by", options.by]), *([] if options.evaluate else ["--no-evaluate"])]
    rows.append(("this report", _command(*report)))
    return pd.DataFrame(rows, columns=["table", "command"])


def _selection(project, options: Options):
    """Segment ids and document names of the selected documents (None: all)."""
    if not options.attributes:
        return None, None
    found = project.segments(attributes=options.attributes)
    return set(found["segment_id"]), set(found["document"])


def build(project, options: Options, progress: Progress = silent) -> Report:
    """Compute every table, the methods paragraph and the figures of the report; ``progress``
    hears each of :data:`STAGES` begin, and every model the evaluation fits."""
    from qualcode import agreement as agreement_mod  # noqa: PLC0415 - its default draws; loaded by agreement anyway
    from qualcode import report_plots  # noqa: PLC0415 - matplotlib loads only for a report

    def stage(what: str) -> None:
        progress(f"report: {what}", STAGES.index(what), len(STAGES))

    options.check()
    stage("reading the corpus and codebook")
    created = datetime.now(UTC).isoformat(timespec="seconds")
    segment_ids, selected = _selection(project, options)
    status = project.status()
    tree = project.codes()
    documents = project.documents()
    by = options.by or ("role" if "role" in documents.columns else "document")
    book, codebook, codebook_digest = _codebook(project)
    corpus, corpus_by = _corpus(project, documents, selected, by)
    dimensions = list(tree.loc[tree["depth"] == 0, "id"])
    stage("measuring agreement")
    result, agreement_note = _agreement(project, options, dimensions)
    stage("counting the coding")
    n_segments = int(corpus["segments"].sum())
    coders, compared, double, timeline = _coders(project, segment_ids, result.coders if result else options.coders,
                                                 n_segments)
    log = project.log()
    changes = log[log["action"].isin(CODEBOOK_ACTIONS)].reset_index(drop=True)
    stage("counting the themes")
    frequencies = project.matrix(rows=by, value="count", attributes=options.attributes)
    cooccurrence = project.cooccurrence(measure="jaccard", attributes=options.attributes)
    themes = project.matrix(value="presence", attributes=options.attributes)
    stage("evaluating the suggestions")
    evaluation, evaluation_note = _evaluation(project, options, progress)
    agreement = _agreement_table(result, tree)
    summary = {
        "documents": len(corpus), "segments": n_segments, "words": int(corpus["words"].sum()),
        "median_minutes": None if corpus["minutes"].isna().all() else float(corpus["minutes"].median()),
        "unit": project.unit(), "by": by,
        "groups": dict(zip(corpus_by[by].astype(str), corpus_by["documents"])) if len(corpus_by) else {},
        "codebook_title": book.title, "codebook_version": book.version, "codebook_sha256": codebook_digest,
        "codes": len(codebook), "dimensions": dimensions,
        "corpus_sha256": fingerprint(f"{n}\t{s}" for n, s in zip(corpus["name"], corpus["sha256"])),
        "compared": compared, "double_coded": double, "agreement_note": agreement_note,
        "merges": int((log["action"] == "merge").sum()),
        "from_suggestions": _share(coders.loc[coders["coder"].isin(compared)]),
        "agreement": result.to_dict()["overall"] if result else {"alpha_pooled": None, "alpha_mean": None},
        "coding_rule": themes.attrs["qualcode"]["coding_rule"],
        "draws": result.draws if result else options.draws or agreement_mod.DRAWS, "codings": status["codings"],
    }
    software, settings = _software(project, options, summary, created)
    report = Report(
        options=options, created=created, project=project.location, summary=summary, corpus=corpus,
        corpus_by=corpus_by, codebook=codebook, changes=changes, coders=coders, agreement=agreement,
        agreement_result=result, frequencies=frequencies, cooccurrence=cooccurrence, themes=themes,
        evaluation=evaluation, evaluation_note=evaluation_note, software=software, settings=settings,
        commands=_commands(options, summary, dimensions), methods="",
    )
    report.methods = methods_paragraph(report)
    stage("drawing the figures")
    report.figures = report_plots.figures(report, timeline)
    return report


def _share(coders) -> float | None:
    codings = int(coders["codings"].sum())
    return round(int(coders["from_suggestions"].sum()) / codings, 4) if codings else None
