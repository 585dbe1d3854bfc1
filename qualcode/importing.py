"""Importing transcripts into a project: one transaction per file, re-import, re-anchoring.

Takes paths (folders are walked), case attributes and segmentation options; reads each file
(:mod:`qualcode.ingest`), segments it (:mod:`qualcode.segment`) and writes it in its own
transaction, so a bad file never stops the batch and nothing of it enters the project. Gives an
:class:`ImportReport`: per file imported, skipped (same sha256), refused (with the reason) or
replaced. ``--replace`` re-anchors the codings, reviews and segment memos of the old version
onto the new segments by their text (exact, then normalised, then containment or close
similarity). A coding that finds no new segment is not kept in the project, but it is never
dropped silently: the report lists it and the audit log keeps all of its fields.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from qualcode import attributes as attributes_mod
from qualcode.errors import BadInput, QualcodeError
from qualcode.ingest import READERS, REFUSED_SUFFIXES, Transcript, read
from qualcode.layouts import check_layout
from qualcode.segment import UNITS, Segment, pipeline, split
from qualcode.selection import parse_pairs, ref
from qualcode.store import NewDocument, NewSegment, Store, insert_document
from qualcode.store import coding as store_coding
from qualcode.store import memo as store_memo
from qualcode.store import transcript as store_transcript

SIMILAR = 0.85
PUNCTUATION = re.compile(r"[^\w\s]")


@dataclass
class FileResult:
    """What happened to one file."""

    path: str
    status: str  # imported | skipped | refused | replaced
    name: str | None = None
    message: str = ""
    turns: int = 0
    segments: int = 0
    speakers: list[str] = field(default_factory=list)
    layout: str = ""  # the layout it was read by, with its confidence ("teams (confidence 0.95)")
    reanchored: int = 0
    unanchored: list[dict] = field(default_factory=list)


@dataclass
class ImportReport:
    """The outcome of one import run; ``failed`` is true when any file was refused."""

    files: list[FileResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the user should know, e.g. how a CSV was read

    def count(self, status: str) -> int:
        return sum(f.status == status for f in self.files)

    @property
    def failed(self) -> bool:
        return self.count("refused") > 0

    def summary(self) -> str:
        parts = [f"{self.count(s)} {s}" for s in ("imported", "replaced", "skipped", "refused") if self.count(s)]
        return f"{', '.join(parts) or 'nothing imported'} (of {len(self.files)} files)"


@dataclass
class Options:
    unit: str = "turn"
    interviewers: tuple = ()
    model: str | None = None
    replace: bool = False
    include_interviewer: bool = False
    layout: str | None = None  # forced layout name (--layout); None detects it per file
    allow_duplicate: bool = False  # import content already held under another name (--allow-duplicate)


def walk(paths) -> list[Path]:
    """Files to import: given files as they are; folders walked for transcript types (READMEs,
    hidden files and Word lock files left out), in name order."""
    wanted = set(READERS) | set(REFUSED_SUFFIXES)
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found = [
                p for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in wanted and p.stem.casefold() != "readme"
                and not any(part.startswith((".", "~$")) for part in p.relative_to(path).parts)
            ]
            files.extend(sorted(found))
        else:
            files.append(path)
    return list(dict.fromkeys(files))


def case_attributes(files: list[Path], csv_path, attr_options, warnings: list[str], notes: list[str]):
    """Per file attributes ``{key: (value, type)}`` and per file interviewer labels; ``notes``
    gets how the CSV was read."""
    rows, csv_format = attributes_mod.read_cases(csv_path, warnings) if csv_path else ({}, "")
    if csv_path:
        notes.append(f"attributes from {csv_path}: {csv_format}, {len(rows)} rows")
    given = parse_pairs(attr_options)
    values, interviewers, used = {}, {}, set()
    for path in files:
        key = attributes_mod.match(rows, path)
        row = dict(rows.get(key, {}))
        if key is not None:
            used.add(key)
        elif csv_path and path.suffix.lower() in READERS:
            warnings.append(f"{path}: no row in {csv_path}; it gets no attributes from it")
        interviewers[path] = tuple(v.strip() for v in row.pop("interviewer", "").split(";") if v.strip())
        values[path] = {**row, **given}
    for key in sorted(set(rows) - used):
        warnings.append(f"{csv_path}: the row for {key!r} matches no file in this import")
    return attributes_mod.assign(values), interviewers


class Known(NamedTuple):
    """A document already in the project, as re-import needs it."""

    id: int
    sha256: str
    guid: str


def _new_document(transcript: Transcript, segs: list[Segment], attributes: dict, old: Known | None) -> NewDocument:
    return NewDocument(
        name=transcript.name,
        source_file=transcript.source,
        sha256=transcript.sha256,
        text=transcript.text,
        metadata=transcript.metadata,
        attributes=attributes,
        turns=list(transcript.turns),
        segments=[NewSegment(s.unit, s.start, s.end, s.speaker, s.turn) for s in segs],
        **({"guid": old.guid} if old else {}),
    )


def unit_refusal(recorded: str | None, unit: str) -> str:
    return (f"this project is segmented by {recorded or 'another unit'}, not {unit}: import with --unit "
            f"{recorded or 'as before'} (one unit per project, so every count counts the same thing)")


def import_files(store: Store, paths, *, attributes_csv=None, attributes=(), options: Options | None = None,
                 progress: Callable[[int, int, Path], None] | None = None) -> ImportReport:
    """Import every file under ``paths``; a refused file is reported, and the batch goes on."""
    options = options or Options()
    if options.unit not in UNITS:
        raise BadInput(f"unknown unit {options.unit!r}: use one of {', '.join(UNITS)}")
    if options.model and options.unit != "sentence":
        raise BadInput("--model applies to --unit sentence only; add --unit sentence or leave out --model")
    check_layout(options.layout)
    with store.reading() as conn:
        recorded = store_transcript.segmentation_unit(conn)
    if recorded and recorded != options.unit and not options.replace:
        raise BadInput(unit_refusal(recorded, options.unit))
    if options.unit == "sentence":
        pipeline(options.model)  # loaded once for the run; a missing --model stops it before any file
    files = walk(paths)
    if not files:
        raise BadInput(f"no transcripts found in {', '.join(map(str, paths))}; qualcode reads {', '.join(sorted(READERS))}")
    report = ImportReport()
    per_file, per_file_interviewers = case_attributes(files, attributes_csv, attributes, report.warnings, report.notes)
    with store.reading() as conn:
        known = {name: Known(*found) for name, found in store_transcript.known_documents(conn).items()}
    for index, path in enumerate(files):
        if progress:
            progress(index, len(files), path)
        try:
            result = _import_one(store, path, per_file.get(path, {}),
                                 (*options.interviewers, *per_file_interviewers.get(path, ())), options, report.warnings, known)
        except QualcodeError as exc:
            result = FileResult(str(path), "refused", message=str(exc))
        report.files.append(result)
    if progress:
        progress(len(files), len(files), None)
    return report


def _import_one(store: Store, path: Path, attributes: dict, interviewers, options: Options, warnings: list,
                known: dict[str, Known]) -> FileResult:
    """Import one file in its own transaction; ``known`` maps the project's document names to
    their id, sha256 and guid, and is kept up to date."""
    if not path.exists():
        raise BadInput(f"{path}: no such file or folder; check the path")
    transcript = read(path, interviewers=interviewers, layout=options.layout)
    warnings.extend(transcript.warnings)
    old = known.get(transcript.name)
    if old is not None and old.sha256 == transcript.sha256 and not options.replace:
        return FileResult(str(path), "skipped", transcript.name, "already imported (same content, sha256); nothing to do")
    twin = next((name for name, held in known.items() if held.sha256 == transcript.sha256 and name != transcript.name), None)
    if old is None and twin is not None and not options.allow_duplicate:
        return FileResult(str(path), "skipped", transcript.name,
                          f"same content (sha256) as document {twin!r}, already imported; nothing imported "
                          "(--allow-duplicate imports it under this name too)")
    if old is not None and not options.replace:
        raise BadInput(
            f"{path}: a different version of {transcript.name!r} is already imported; pass --replace to import it "
            "again (codings are re-anchored onto the new segments by their text)"
        )
    segs = split(transcript, options.unit, include_interviewer=options.include_interviewer, model=options.model)
    result = FileResult(str(path), "replaced" if old else "imported", transcript.name,
                        turns=len(transcript.turns), segments=len(segs),
                        speakers=list(dict.fromkeys(t.speaker for t in transcript.turns)), layout=str(transcript.detection))
    detail = {"file": str(path), "sha256": transcript.sha256, "unit": options.unit}
    with store.atomic("import.replace" if old else "import", transcript.name, detail) as conn:
        saved = store_transcript.saved_work(conn, old.id) if old else None
        if old:
            store_transcript.delete_document(conn, old.id)
        if store_transcript.units_held(conn) - {options.unit}:
            raise BadInput(unit_refusal(store_transcript.segmentation_unit(conn), options.unit))
        store_transcript.record_unit(store, conn, options.unit)
        new = _new_document(transcript, segs, attributes, old)
        document_id = insert_document(store, conn, new)
        if old:
            _restore(store, conn, old, document_id, transcript, saved, result)
    known[transcript.name] = Known(document_id, new.sha256, new.guid)
    return result


# ---- replacing: keep the coders' work ------------------------------------------------------

def _normalised(text: str) -> str:
    return " ".join(PUNCTUATION.sub(" ", text.casefold()).split())


def anchor(old_text: str, old_position: float, new: list[tuple[int, str]]) -> int | None:
    """The new segment id for an old segment's text: exact, normalised, contained, or similar."""
    def nearest(ids):
        return min(ids, key=lambda item: abs(item[0] - old_position))[1] if ids else None

    size = max(len(new), 1)
    exact = nearest([(i / size, sid) for i, (sid, text) in enumerate(new) if text == old_text])
    if exact is not None:
        return exact
    target = _normalised(old_text)
    normal = [(i / size, sid, _normalised(text)) for i, (sid, text) in enumerate(new)]
    same = nearest([(pos, sid) for pos, sid, text in normal if text == target])
    if same is not None or len(target) < 12:
        return same
    contained = nearest([(pos, sid) for pos, sid, text in normal if len(text) >= 12 and (target in text or text in target)])
    if contained is not None:
        return contained
    scored = []
    for pos, sid, text in normal:
        matcher = difflib.SequenceMatcher(None, target, text, autojunk=False)
        if matcher.real_quick_ratio() >= SIMILAR and matcher.quick_ratio() >= SIMILAR and matcher.ratio() >= SIMILAR:
            scored.append((matcher.ratio(), -abs(pos - old_position), sid))
    return max(scored)[2] if scored else None


def _restore(store: Store, conn, old, document_id: int, transcript: Transcript, saved: dict, result: FileResult) -> None:
    store_transcript.move_document_memos(conn, old.id, document_id)
    new = {seg_id: (start, transcript.text[start:end]) for seg_id, start, end in store_transcript.segment_spans(conn, document_id)}
    ordered = [(sid, text) for sid, (_, text) in new.items()]
    total = max(len(saved["segments"]), 1)
    mapping = {seg["id"]: anchor(seg["text"], i / total, ordered) for i, seg in enumerate(saved["segments"])}
    _place_codings(store, conn, saved, mapping, new, transcript.name, result)
    seen, marks = set(), []
    for review in saved["reviews"]:
        target = mapping[review["segment_id"]]
        if target is not None and (target, review["coder"]) not in seen:
            seen.add((target, review["coder"]))
            marks.append({**review, "segment_id": target})
    store_coding.insert_reviews(conn, marks)
    retargeted = []
    for memo in saved["memos"]:
        target = mapping[int(memo["target_id"])]
        values = {"target_id": str(target)} if target else {"target_type": "document", "target_id": str(document_id)}
        store_memo.retarget_memo(conn, memo["id"], values)
        retargeted.append(("memo.retarget", str(memo["id"]), {"from": f"segment:{memo['target_id']}", **values}))
    store.log_many(conn, [*(("review.add", str(mark["segment_id"]), mark) for mark in marks), *retargeted,
                          ("import.reanchor", transcript.name, {"reanchored": result.reanchored, "unanchored": len(result.unanchored)})])


def _place_codings(store: Store, conn, saved: dict, mapping: dict, new: dict, name: str, result: FileResult) -> None:
    """Each old coding onto its new segment; one that finds none is reported and logged in full."""
    old_segments = {seg["id"]: seg for seg in saved["segments"]}
    placed, rows = set(), []
    for coding in saved["codings"]:
        target = mapping[coding["segment_id"]]
        old = old_segments[coding["segment_id"]]
        if target is None:
            lost = {**coding, "segment": ref(name, old["number"]), "text": old["text"]}
            result.unanchored.append({k: lost[k] for k in ("segment", "code_id", "coder", "origin", "guid", "text")})
            store.log(conn, "coding.unanchored", lost["segment"], lost)
            continue
        span = _moved_span(saved["text"], coding, *new[target])
        key = (target, coding["code_id"], coding["coder"], span.get("start"), span.get("end"))
        if key in placed:
            store.log(conn, "coding.merged", str(target), coding)
            result.reanchored += 1
            continue
        placed.add(key)
        rows.append({**coding, "segment_id": target, **span})
        result.reanchored += 1
    store_coding.insert_codings(conn, rows)
    store.log_many(conn, [("coding.reanchor", str(row["segment_id"]), {"code": row["code_id"], **row}) for row in rows])


def _moved_span(old_text: str, coding: dict, segment_start: int, segment_text: str) -> dict:
    """An exact selection moves with its text inside the new segment, or becomes the whole segment."""
    if coding["start"] is None:
        return {}
    found = segment_text.find(old_text[coding["start"]:coding["end"]])
    if found < 0:
        return {"start": None, "end": None}
    return {"start": segment_start + found, "end": segment_start + found + coding["end"] - coding["start"]}


