"""``Project`` methods for analysis: suggestions and autocoding, agreement and consensus, merging
coders' copies, theme matrices and exports, REFI-QDA exchange (part of :class:`qualcode.Project`).

Each reads what it needs from the store in one go, hands plain data (DataFrames, dataclasses) to
its stage, and writes (if it writes) in one ``atomic()`` transaction.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from pathlib import Path

from qualcode.errors import BadInput
from qualcode.outputfile import write_atomically
from qualcode.progress import Progress, batches, counted, silent
from qualcode.selection import Selection, check_coder
from qualcode.store import coding as store_coding
from qualcode.store import decision as store_decision
from qualcode.store import log as store_log
from qualcode.store import suggest as store_suggest
from qualcode.store import team as store_team
from qualcode.store import reads


class AnalysisMethods:
    """Suggest, agree, merge, tabulate, exchange."""

    # ---- suggestions (suggest) -------------------------------------------------------------

    def training_set(self, coder: str | None = None, blind_documents=()):
        """What the suggester learns from: the segments human coders reviewed, with their codes;
        with ``coder``, other coders' work on ``blind_documents`` (names) left out."""
        with self.store.reading() as conn:
            hidden = store_suggest.document_ids(conn, blind_documents) if blind_documents else ()
        return self._training(coder, frozenset(hidden))[0]

    def _training(self, coder: str | None = None, hidden: frozenset[int] = frozenset()):
        """The training set as ``coder`` may see it on the documents ``hidden`` (ids), and the
        codebook (for its cues), read in one go."""
        from qualcode import suggest as suggest_mod  # noqa: PLC0415 - loads scikit-learn and spaCy

        with self.store.reading() as conn:
            rows, marks, coded = store_suggest.training_rows(conn)
            book = reads.read_codebook(conn)
        return suggest_mod.training_set(*suggest_mod.visible_to(rows, marks, coded, coder=coder, hidden=hidden)), book

    def _fitted(self, exclude_documents=(), *, coder: str | None = None, blind_documents=(),
                progress: Progress = silent):
        """A suggester trained on the project, leaving out the documents in ``exclude_documents``
        and, with ``coder``, other coders' work on ``blind_documents`` (names)."""
        from qualcode import suggest as suggest_mod  # noqa: PLC0415 - loads scikit-learn and spaCy

        progress("training the suggester on the reviewed segments", 0, None)
        with self.store.reading() as conn:
            held = store_suggest.document_ids(conn, exclude_documents) if exclude_documents else ()
            hidden = store_suggest.document_ids(conn, blind_documents) if coder and blind_documents else ()
        data, book = self._training(coder, frozenset(hidden))
        return suggest_mod.fit_project(data, book, exclude_groups=held)

    def _segments_to_score(self, documents, segment_ids) -> list[dict]:
        """The segments to score, each with its ``question`` (the interviewer turn before it, or "")."""
        selection = Selection.of(documents)
        with self.store.reading() as conn:
            rows = selection.narrow(reads.segment_rows(conn, selection))
            if segment_ids is not None:
                wanted = set(segment_ids)
                rows = [row for row in rows if row["segment_id"] in wanted]
            asked = store_suggest.questions(conn, {row["document"] for row in rows})
        return [{**row, "question": asked.get(row["segment_id"], "")} for row in rows]

    # Segments scored per batch, so that progress moves on a large project.
    SCORED_PER_BATCH = 2000

    def _score(self, model, rows: list[dict], progress: Progress, **options) -> list:
        segments = [(row["text"], row["question"]) for row in rows]
        return [found for batch in batches(progress, "scoring segments", segments, self.SCORED_PER_BATCH)
                for found in model.suggest(batch, **options)]

    def suggest(self, documents=None, *, top: int = 3, min_score: float = 0.0, segment_ids=None,
                exclude_from_training=(), coder: str | None = None, progress: Progress = silent):
        """The likeliest codes per segment as a DataFrame: ref, code, score, reasons, source.

        ``documents`` are names or ``DOC:N`` references. Trains on what human coders reviewed so
        far (seconds), so it is never stale, leaving out the documents named in
        ``exclude_from_training``; writes nothing. With ``coder``, blind: each document's segments
        are scored by a model that never saw another coder's work on that document (one training
        per document). ``progress`` hears of the training and scoring.
        """
        import pandas as pd  # noqa: PLC0415 - heavy; only table-returning calls need it

        if coder:
            self._check_coder(coder)
        rows = self._segments_to_score(documents, segment_ids)
        by_document: dict[str, list[dict]] = {}
        for row in rows:
            by_document.setdefault(row["document"] if coder else "", []).append(row)
        table = []
        for document, part in by_document.items():
            model = self._fitted(exclude_from_training, coder=coder, blind_documents=[document] if coder else (),
                                 progress=progress)
            found = self._score(model, part, progress, top=top, min_score=min_score)
            table += [
                {"ref": row["ref"], "code": s.code, "score": s.score, "reasons": ", ".join(s.reasons), "source": s.source}
                for row, suggestions in zip(part, found) for s in suggestions
            ]
        position = {row["ref"]: i for i, row in enumerate(rows)}
        table.sort(key=lambda entry: position[entry["ref"]])
        return pd.DataFrame(table, columns=["ref", "code", "score", "reasons", "source"])

    def _check_coder(self, name: str) -> str:
        """``name`` if it is a coder of this project, else an error naming the known ones."""
        with self.store.reading() as conn:
            return check_coder(name, reads.coder_names(conn))

    def autocode(self, min_score: float = 0.5, coder: str = "model", *, progress: Progress = silent) -> dict:
        """Code every segment with the suggestions scoring ``min_score`` or more, under the model
        coder ``coder`` (origin ``suggestion``), replacing its earlier run; human codings stay. A
        human coder's name is refused before any training."""
        with self.store.reading() as conn:
            store_suggest.check_model_coder(conn, coder)
        model = self._fitted(progress=progress)
        rows = self._segments_to_score(None, None)
        found = self._score(model, rows, progress, top=len(model.classes_), min_score=min_score)
        pairs = [(row["segment_id"], s.code) for row, suggestions in zip(rows, found) for s in suggestions]
        progress(f"writing {len(pairs):,} codings", 0, None)
        with self.store.atomic("autocode", coder, {"min_score": min_score}) as conn:
            report = store_suggest.write_autocoding(self.store, conn, coder, [row["segment_id"] for row in rows], pairs)
        by_source = dict.fromkeys(("model", "codebook"), 0)
        for suggestions in found:
            for s in suggestions:
                by_source[s.source] += 1
        return {**report, "min_score": min_score, "by_source": by_source}

    def evaluate(self, folds: int = 5, *, min_positives: int = 5, learning_curve: bool = True,
                 progress: Progress = silent):
        """Grouped cross-validation of the suggester on the human coding (see ``qualcode.evaluation``);
        a code with fewer than ``min_positives`` coded training segments is left to the codebook.
        Without ``learning_curve`` it fits ``folds`` models instead of five times as many.

        The figures are kept beside the project (:attr:`EVALUATION_FILE`) with the fingerprint of
        what they follow from: while the coding, the texts and the codebook stay the same, the
        next evaluation (``evaluate --baselines``, the methods report) reads them instead of
        fitting every model again, and gives the same figures, as every fit has a fixed seed."""
        from qualcode import evaluation, suggest as suggest_mod  # noqa: PLC0415 - loads scikit-learn and spaCy

        data, book = self._training()
        estimator = suggest_mod.SegmentSuggester(codes=suggest_mod.code_cues(book), min_positives=min_positives)
        key = evaluation.fingerprint(data, estimator.codes, folds, min_positives)
        kept = self._kept_evaluation(key, learning_curve)
        if kept is not None:
            return kept
        result = evaluation.evaluate(estimator, data, folds=folds, progress=progress,
                                     shares=evaluation.CURVE_SHARES if learning_curve else (1.0,))
        self._keep_evaluation(key, learning_curve, result)
        return result

    # The last evaluation, beside the project's file; derived figures only, no text.
    EVALUATION_FILE = Path(".qualcode-cache") / "evaluation.json"

    @property
    def _evaluation_file(self) -> Path | None:
        """Where the last evaluation is kept; None for a project opened by URL (no folder)."""
        return self.path.parent / self.EVALUATION_FILE if self.path else None

    def _kept_evaluation(self, key: str, learning_curve: bool):
        """The kept evaluation with fingerprint ``key`` (with a learning curve when asked for one),
        or None: none kept, another fingerprint, or a file that cannot be read."""
        from qualcode import evaluation  # noqa: PLC0415

        if self._evaluation_file is None:
            return None
        try:
            kept = json.loads(self._evaluation_file.read_text(encoding="utf-8"))
            if kept["key"] != key or (learning_curve and not kept["learning_curve"]):
                return None
            result = evaluation.Evaluation.restored(kept["evaluation"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        return result if learning_curve else result.without_curve()

    def _keep_evaluation(self, key: str, learning_curve: bool, result) -> None:
        """Keep ``result`` for the next evaluation of the same data; a folder that cannot be
        written to only means the next one fits again."""
        if self._evaluation_file is None:
            return
        text = json.dumps({"key": key, "learning_curve": learning_curve, "evaluation": result.saved()})
        with contextlib.suppress(OSError):
            write_atomically(self._evaluation_file, lambda path: path.write_text(text, encoding="utf-8"))

    def compare_baselines(self, folds: int = 5, *, min_positives: int = 5, evaluated=None,
                          progress: Progress = silent):
        """The suggester beside a plain scikit-learn pipeline, the codebook keywords alone and the
        prior, on the same folds: mean and sd over folds of hit@3 and micro F1 (a DataFrame).
        ``evaluated``, what :meth:`evaluate` just gave with the same folds and ``min_positives``,
        lends the suggester's figures per fold, so that it is not fitted on every fold twice."""
        from qualcode import evaluation, suggest as suggest_mod  # noqa: PLC0415 - loads scikit-learn and spaCy

        data, book = self._training()
        estimator = suggest_mod.SegmentSuggester(codes=suggest_mod.code_cues(book), min_positives=min_positives)
        reused = evaluated.per_fold if evaluated is not None and evaluated.folds == folds else None
        return evaluation.compare_baselines(estimator, data, folds=folds, suggester_folds=reused, progress=progress)

    def uncertain_order(self, segment_ids) -> list[int]:
        """``segment_ids`` with those the model is least sure about first, for active learning."""
        return self.suggester().order(segment_ids)

    def _segment_texts(self, segment_ids) -> dict[int, tuple[int, str, str]]:
        with self.store.reading() as conn:
            return store_suggest.segment_texts(conn, segment_ids)

    def suggester(self, coder: str | Callable[[], str | None] | None = None):
        """The suggester of a session of the terminal coder: trained on first use, kept in
        memory; call its ``retrain()`` (from a worker thread if you like) after new codings.
        With ``coder`` (a name, or a callable that gives it once known) it is blind: what it
        suggests on a document never depends on another coder's work on that document."""
        from qualcode import suggest as suggest_mod  # noqa: PLC0415 - loads scikit-learn and spaCy

        if coder is None:
            if self._suggester is None:
                self._suggester = suggest_mod.ProjectSuggester(lambda hidden: self._training(), self._segment_texts)
            return self._suggester
        name = coder if callable(coder) else (lambda: coder)
        return suggest_mod.ProjectSuggester(lambda hidden: self._training(name(), hidden), self._segment_texts, blind=True)

    # ---- agreement, consensus, merging coders' copies (agreement) --------------------------

    def _compared(self, conn, coders: list[str] | None) -> list[str]:
        """The coders to compare: ``coders``, else every human coder who reviewed segments."""
        from qualcode import agreement as agreement_mod  # noqa: PLC0415 - pandas and numpy load only when measuring

        store_team.refuse_blind_coder(conn, "comparing coders (agreement, disagreements, consensus)")
        return agreement_mod.choose_coders(coders, reads.coder_names(conn), store_coding.reviewing_coders(conn))

    def _units(self, conn, names: list[str], attributes: dict[str, str] | None = None, progress: Progress = silent):
        """The units (segments x the coders ``names``) of the documents ``attributes`` keep;
        ``progress`` hears of each coder read."""
        from qualcode import agreement as agreement_mod  # noqa: PLC0415 - pandas and numpy load only when measuring

        ids = None
        if attributes:
            ids = [row["segment_id"] for row in reads.segment_rows(conn, Selection.of(attributes=attributes))]
        # One coder's rows at a time: all coders' rows at once are the largest thing in memory.
        return agreement_mod.Units.read(counted(progress, f"reading the codings of {len(names)} coders", (
            (name, store_coding.marks_and_codings(conn, [name], ids)) for name in names), len(names), every=1))

    def agreement(self, coders: list[str] | None = None, codes: list[str] | None = None, *, exact: bool = False,
                  attributes: dict[str, str] | None = None, draws: int | None = None, progress: Progress = silent):
        """Agreement between coders per code, per exclusive group and overall; segments are the
        units and a segment a coder did not review is missing for that coder. An attribute key or
        value that matches no document is an error naming the ones there are. ``progress`` hears
        of each coder read and each code measured."""
        from qualcode import agreement as agreement_mod  # noqa: PLC0415 - pandas and numpy load only when measuring

        with self.store.reading() as conn:
            names = self._compared(conn, coders)
            code_ids = reads.check_codes(conn, codes) if codes else None
            # Before the units: it reads every coding of these coders, freed before they are read.
            violations = self.exclusive_violations(names)
            units = self._units(conn, names, attributes, progress)
            suggested = store_coding.from_suggestions(conn, names)
        tree = self.codes()
        result = agreement_mod.measure(units, tree, code_ids or list(tree["id"]), exact=exact,
                                       draws=draws or agreement_mod.DRAWS, progress=progress)
        result.from_suggestions = suggested
        result.exclusive_violations = violations
        return result

    def disagreements(self, coders: list[str] | None = None, code: str | None = None, *, exact: bool = False):
        """Segments two coders reviewed with different codes (or, with ``code``, disagreeing on
        that code): ref, text, then per coder the sorted list of codes (None if not reviewed)."""
        import pandas as pd  # noqa: PLC0415 - heavy; only table-returning calls need it

        from qualcode import agreement as agreement_mod  # noqa: PLC0415 - numpy loads only when measuring

        with self.store.reading() as conn:
            names = self._compared(conn, coders)
            units = self._units(conn, names)
            if code:
                reads.check_codes(conn, [code])
            rows = reads.segment_rows(conn, Selection())
        members = None
        if code:
            members = {code} if exact else agreement_mod.subtree(self.codes())[code]
        found = agreement_mod.disagreements(units, members)
        by_id = {row["segment_id"]: row for row in rows}
        table = [
            {"ref": by_id[segment_id]["ref"], "text": by_id[segment_id]["text"],
             **{name: None if codes_ is None else sorted(codes_) for name, codes_ in row.items()}}
            for segment_id, row in found.iterrows()
        ]
        return pd.DataFrame(table, columns=["ref", "text", *names])

    def consensus(self, rule: str, *, into: str = "consensus", coders: list[str] | None = None,
                  overwrite: bool = False, progress: Progress = silent) -> dict[str, int]:
        """Write coder ``into`` (kind consensus) by a rule over the coders' codes, in one
        transaction; rerunning replaces its codings with the same result. Segments decided by
        hand in ``adjudicate`` are kept (counted as ``kept``) unless ``overwrite``. ``progress``
        hears of each coder read and of the codings written."""
        from qualcode import agreement as agreement_mod  # noqa: PLC0415 - pandas and numpy load only when measuring

        def decide(conn):
            names = self._compared(conn, coders)
            units = self._units(conn, names, progress=progress)
            if into in names:
                raise BadInput(f"coder {into!r} cannot be both compared and the consensus; pass --coders without it")
            return agreement_mod.consensus(units, rule)

        detail = {"rule": rule, "coders": coders, "overwrite": overwrite}
        with self.store.checked_write(decide, "consensus", into, detail) as (conn, decided):
            if overwrite:
                store_decision.forget(self.store, conn, into)
            kept = store_decision.adjudicated(conn, into)
            decided = {s: codes for s, codes in decided.items() if s not in kept}
            changed = store_coding.write_decided(self.store, conn, into, decided, origin="import", replace_all=True,
                                                 keep=kept, progress=progress)
            return {**changed, "kept": len(kept)}

    def adjudicate(self, ref: str, codes: list[str], *, into: str = "consensus") -> dict[str, int]:
        """Set the consensus codes of segment ``DOC:N`` to exactly ``codes`` (an adjudicator's
        decision, kept by later ``consensus`` runs)."""
        with self.store.atomic("adjudicate", ref, {"into": into, "codes": sorted(codes)}) as conn:
            segment_id = reads.resolve_segment(conn, ref)
            reads.check_codes(conn, codes)
            changed = store_coding.write_decided(self.store, conn, into, {segment_id: frozenset(codes)},
                                                 origin="manual", replace_all=False)
            store_decision.record(self.store, conn, segment_id, into)
            return changed

    def decisions(self, into: str = "consensus") -> dict[str, tuple[list[str], bool]]:
        """The stored consensus per segment ref: (its codes, sorted; whether decided by hand)."""
        with self.store.reading() as conn:
            refs = {row["segment_id"]: row["ref"] for row in reads.segment_rows(conn, Selection())}
            by_hand = store_decision.adjudicated(conn, into)
            found: dict[int, set[str]] = {}
            for segment_id, _, code_id in store_coding.marks_and_codings(conn, [into]):
                found.setdefault(segment_id, set()).update([code_id] if code_id else [])
        return {refs[s]: (sorted(codes), s in by_hand) for s, codes in found.items()}

    def merge(self, other_path: str | Path) -> dict[str, int]:
        """Bring another copy's coders, review marks, codings and memos into this project."""
        from qualcode import merge as merge_mod  # noqa: PLC0415 - only merging needs it
        from qualcode.project import open_store  # noqa: PLC0415 - project imports this module

        other = open_store(other_path)
        try:
            with self.store.atomic("merge", str(other_path)) as conn:
                return merge_mod.merge(self.store, conn, other, str(other_path))
        finally:
            other.close()

    # ---- matrices and survey export (matrices, export) -------------------------------------

    def _matrix_sources(self, coder: str | None, progress: Progress = silent, *, texts: bool = False, notes: bool = False):
        """The coding rule for ``coder`` and what the matrices count, read in one go; ``progress``
        hears of the reading, then of the counting that follows it."""
        from qualcode import matrices  # noqa: PLC0415 - pandas loads only for table-returning calls
        from qualcode.store import matrix as store_matrix  # noqa: PLC0415 - pandas, as above

        progress("reading the codings", 0, None)
        with self.store.reading() as conn:
            known = reads.coder_kinds(conn)
            rule = matrices.coding_rule(known, coder)
            found = rule, store_matrix.read_sources(conn, by_coder=matrices.by_coder(rule, known), texts=texts, notes=notes)
        progress("counting the codings", 0, None)
        return found

    def matrix(self, *, rows: str = "document", codes="top", value: str = "count", coder: str | None = None,
               attributes: dict[str, str] | None = None, attribute_columns: bool = False, labels: str | None = None,
               progress: Progress = silent):
        """Respondents (or attribute values) x codes as a DataFrame; ``.attrs["qualcode"]`` states the
        coding rule and the unit counted. ``attributes`` selects documents by attribute value;
        ``attribute_columns`` puts their attributes before the codes. Options as in
        :func:`qualcode.matrices.matrix`; ``progress`` hears of the reading and the counting."""
        from qualcode import matrices  # noqa: PLC0415 - pandas loads only for table-returning calls

        matrices.check_options(value=value)
        rule, sources = self._matrix_sources(coder, progress, texts=value == "words")
        return matrices.matrix(sources, rule, rows=rows, codes=codes, value=value, attributes=attributes,
                               attribute_columns=attribute_columns, labels=labels)

    def cooccurrence(self, *, within: str = "segment", measure: str = "count", codes="top",
                     coder: str | None = None, attributes: dict[str, str] | None = None, labels: str | None = None,
                     progress: Progress = silent):
        """Code x code co-occurrence within segments, turns or documents, as a DataFrame;
        ``progress`` hears of the reading and the counting."""
        from qualcode import matrices  # noqa: PLC0415 - pandas loads only for table-returning calls

        matrices.check_options(within=within, measure=measure)
        rule, sources = self._matrix_sources(coder, progress)
        return matrices.cooccurrence(sources, rule, within=within, measure=measure, codes=codes, attributes=attributes,
                                     labels=labels)

    def framework(self, *, codes="top", quotes: int = 3, coder: str | None = None,
                  attributes: dict[str, str] | None = None, labels: str | None = None, show_attributes=(),
                  progress: Progress = silent):
        """Respondents x themes, each cell up to ``quotes`` coded passages with their memos; each
        passage names only the attributes in ``show_attributes`` (none by default). ``progress``
        hears of the reading and the counting."""
        from qualcode import matrices  # noqa: PLC0415 - pandas loads only for table-returning calls

        matrices.check_options(quotes=quotes)
        rule, sources = self._matrix_sources(coder, progress, texts=True, notes=True)
        return matrices.framework(sources, rule, codes=codes, quotes=quotes, attributes=attributes, labels=labels,
                                  show=tuple(show_attributes))

    def export_matrix(self, out: str | Path, frame=None, raw: bool = False, *, progress: Progress = silent,
                      **options) -> list[Path]:
        """Write ``frame`` (default: ``matrix(attribute_columns=True, **options)``) to ``out`` by its
        suffix, with a data dictionary beside it (its provenance names the audit chain head, the
        state of the project exported); returns the files written. Formula-like text is written as
        text unless ``raw`` (CSV cells as they are); ``progress`` hears of each step."""
        from qualcode import export  # noqa: PLC0415 - pandas and the file writers load only here

        kind = frame.attrs.get("qualcode", {}).get("kind", "matrix") if frame is not None else "matrix"
        out = export.check_out(out, kind)
        if frame is None:
            options.setdefault("attribute_columns", True)
            frame = self.matrix(**options, progress=progress)
        progress(f"writing {out.name} ({len(frame):,} rows)", 0, None)
        with self.store.reading() as conn:
            frame.attrs["qualcode"] = {**frame.attrs["qualcode"], "audit_head": store_log.chain_head(conn)}
        written = export.write(frame, out, raw)
        self.record_export(kind, written)
        return written

    # ---- meeting the survey (survey) --------------------------------------------------------

    def join_survey(self, survey_path: str | Path, out: str | Path | None = None, *, key: str = "respondent_id",
                    **options):
        """Add the theme matrix (``matrix(attribute_columns=True, **options)``) to a survey file
        by ``key``; with ``out``, write it (.sav .dta .csv .xlsx) and ``<out>.unmatched.csv``
        listing the keys found on one side only. Returns the :class:`qualcode.survey.Joined`."""
        from qualcode import export, survey  # noqa: PLC0415 - pandas and the file readers load only here
        from qualcode.store import now  # noqa: PLC0415 - the store's one time format

        if out is not None:
            out = Path(out)
            survey.check_suffix(out, survey.SUFFIXES, "the joined file")
            if not out.parent.is_dir():
                raise BadInput(f"{out}: the folder {out.parent} does not exist; create it first")
        answers = survey.read_survey(survey_path, key)
        frame = self.matrix(attribute_columns=True, **options)
        labelled = out is not None and out.suffix.lower() in (".sav", ".dta")
        joined = survey.join(answers, export.prepare(frame, labelled, now()))
        if out is not None:
            survey.write_joined(joined, out)
            unmatched = survey.unmatched_table(joined, key)
            export.write_atomically(export.beside(out, ".unmatched.csv"),
                                    lambda path: unmatched.to_csv(path, index=False, lineterminator="\n"))
            self.record_export("survey join", [out, export.beside(out, ".unmatched.csv")])
        return joined

    def joint_display(self, survey_path: str | Path, *, by: str, key: str = "respondent_id", bands: int = 3,
                      codes="top", coder: str | None = None, labels: str | None = None):
        """Themes x survey groups on ``by`` (or ``bands`` score bands of a numeric variable):
        per cell the share of the group's reviewed interviewees with the theme and one short quote."""
        from qualcode import matrices, survey  # noqa: PLC0415 - pandas loads only for table-returning calls

        answers = survey.read_survey(survey_path, key)
        rule, sources = self._matrix_sources(coder, texts=True)
        presence = matrices.matrix(sources, rule, codes=codes, value="presence", labels=labels)
        table = survey.joint_display(presence, matrices.passages(sources, rule, codes=codes), answers, by, bands)
        info = presence.attrs["qualcode"]
        table.attrs["qualcode"] |= {"coding_rule": info["coding_rule"],
                                    "labels": {column: spec["label"] for column, spec in info["variables"].items()}}
        return table

    def write_joint_display(self, table, out: str | Path) -> list[str]:
        """Write a :meth:`joint_display` table to ``out`` (.xlsx or .docx); returns its notes."""
        from qualcode import survey  # noqa: PLC0415 - pandas and the writers load only here

        notes = survey.display_notes(table)
        survey.write_joint_display(table, table.attrs["qualcode"]["labels"], notes, Path(out))
        self.record_export("joint display", [out])
        return notes

    # ---- the methods report (report) ----------------------------------------------------------

    def report(self, *, lang: str = "en", coders=None, attributes: dict[str, str] | None = None, by: str | None = None,
               evaluate: bool = True, folds: int = 5, draws: int | None = None, progress: Progress = silent):
        """The methods appendix as a :class:`qualcode.report.Report`: tables, figures and the methods
        paragraph, each number from the method that prints it (``agreement``, ``matrix``, ...).
        ``progress`` hears each stage and every model the evaluation fits."""
        from qualcode import report as report_mod  # noqa: PLC0415 - matplotlib loads only for a report

        options = report_mod.Options(lang=lang, coders=tuple(coders) if coders else None, attributes=attributes,
                                     by=by, evaluate=evaluate, folds=folds, draws=draws)
        return report_mod.build(self, options, progress)

    def write_report(self, report, path: str | Path) -> Path:
        """Write a :meth:`report` to ``path`` (.html or .docx, by suffix); returns the path."""
        from qualcode import report_write  # noqa: PLC0415 - the writers load only for a report

        written = report_write.write(report, path)
        self.record_export("report", [written])
        return written

    # ---- REFI-QDA exchange (interop) -------------------------------------------------------

    def export_refi_codebook(self, path: str | Path) -> dict:
        """Write the codebook as a REFI-QDA ``.qdc`` file other QDA programs load."""
        from qualcode import interop  # noqa: PLC0415 - lxml loads only for REFI-QDA work

        counts = interop.export_codebook(self, path)
        self.record_export("REFI-QDA codebook", [path], documents=False)
        return counts

    def export_refi_project(self, path: str | Path, *, progress: Progress = silent) -> dict:
        """Write the whole project as a REFI-QDA ``.qdpx`` archive, validated against the schemas;
        ``progress`` hears of each step."""
        from qualcode import interop  # noqa: PLC0415

        counts = interop.export_project(self, path, progress)
        self.record_export("REFI-QDA project", [path])
        return counts

    def import_refi(self, path: str | Path, *, progress: Progress = silent):
        """Import a REFI-QDA codebook (``.qdc``) or project (``.qdpx``); returns the import report.
        ``progress`` hears of a project's reading and writing."""
        from qualcode import interop  # noqa: PLC0415

        suffix = Path(path).suffix.lower()
        if suffix == ".qdc":
            return interop.import_codebook(self, path)
        if suffix == ".qdpx":
            return interop.import_project(self, path, progress)
        raise BadInput(f"{path}: not a REFI-QDA file; give a .qdc codebook or a .qdpx project")
