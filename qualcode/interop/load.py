"""Writing what :mod:`qualcode.interop.reader` read into a project, in one transaction.

``load_codebook(store, codes, ...) -> ImportReport`` merges codes (rule in
:mod:`qualcode.interop.codes`); ``load_project(store, refi, ...) -> ImportReport`` adds sources
as documents with paragraph or speaker-turn segments, users as coders, variables as document
attributes, every coding of every selection as a passage on its exact span (one row per
covered segment; only a repeat of the same passage, code and coder is not stored again, and it
is reported) and notes as memos. The caller opens the transaction; any error leaves the project as it was.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field

from qualcode.errors import Conflict
from qualcode.interop.codes import merge_codes
from qualcode.interop.reader import RefiProject, Source
from qualcode.interop.schema import guid_key, is_guid
from qualcode.layouts import detect_text
from qualcode.store import NewDocument, NewSegment, NewTurn, insert_document, new_guid
from qualcode.store import coding as store_coding
from qualcode.store import memo as store_memo
from qualcode.store import reads
from qualcode.store import transcript as store_transcript
from qualcode.store.identity import CODER_NAME_LENGTH

SPEAKER = re.compile(r"^(?P<speaker>[^\W\d_][\w .'()-]{0,39}?):[ \t]+(?=\S)")
INTERVIEWER = re.compile(r"^(i|int|interviewer|onderzoeker|q|vraag|interviewster)\b", re.IGNORECASE)
# Users that programs write as the author of their own work (ATLAS.ti's "ATLAS.ti" user): coders
# of kind "system", left out of agreement and of the suggester's training.
SYSTEM_USERS = {"atlas.ti", "nvivo", "maxqda", "qualcoder", "taguette", "system", "administrator"}


@dataclass
class ImportReport:
    """What an import added, what it merged, and everything it skipped, with reasons."""

    path: str
    kind: str
    counts: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    in_file: dict[str, int] = field(default_factory=dict)  # selections and codings the file holds

    def as_dict(self) -> dict:
        return asdict(self)


def _trimmed_blocks(text: str, separator: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for match in re.finditer(separator, text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    blocks = []
    for begin, end in spans:
        chunk = text[begin:end]
        if chunk.strip():
            blocks.append((begin + len(chunk) - len(chunk.lstrip()), begin + len(chunk.rstrip())))
    return blocks


def segment_text(text: str) -> tuple[list[NewTurn], list[NewSegment]]:
    """Segments of an imported text: speaker turns when most paragraphs open with ``Name:`` and
    the labels are an interview's by :func:`qualcode.layouts.detect_text` (a label starts a turn,
    other lines continue it; the segment starts after the label), else paragraphs (split on
    blank lines, or on line breaks when there are none), as for social-media comments."""
    lines = _trimmed_blocks(text, r"\n")
    paragraphs = _trimmed_blocks(text, r"\n[ \t]*\n\s*") if re.search(r"\n[ \t]*\n", text) else lines
    labels = [SPEAKER.match(text[begin:end]) for begin, end in lines]
    labelled = sum(1 for label in labels if label)
    if labelled < 2 or labelled < 0.6 * len(paragraphs) or detect_text(text).layout == "paragraphs":
        return [], [NewSegment(unit="paragraph", start=begin, end=end) for begin, end in paragraphs]
    turns: list[NewTurn] = []
    for (begin, end), label in zip(lines, labels):
        if label or not turns:
            speaker = label["speaker"].strip() if label else "?"
            role = "interviewer" if INTERVIEWER.match(speaker) else "respondent"
            turns.append(NewTurn(speaker=speaker, role=role, start=begin + (label.end() if label else 0), end=end))
        else:
            turns[-1].end = end
    found = [NewSegment(unit="turn", start=turn.start, end=turn.end, speaker=turn.speaker, turn=index)
             for index, turn in enumerate(turns)]
    return turns, found


def covered(spans: list[tuple[int, int, int]], start: int, end: int) -> list[int]:
    """Ids of the segments ``[start, end)`` overlaps; the nearest one when it falls between them."""
    hit = [segment_id for segment_id, begin, stop in spans if begin < end and stop > start]
    if hit or not spans:
        return hit
    after = [segment_id for segment_id, begin, _ in spans if begin >= end]
    return [after[0] if after else spans[-1][0]]


def load_codebook(store, conn, codes, path: str, skipped: list[str]) -> ImportReport:
    merge = merge_codes(store, conn, codes)
    report = ImportReport(path=path, kind="codebook", skipped=list(skipped))
    report.counts = {"codes_added": len(merge.added), "codes_matched": len(merge.matched)}
    report.decisions += _folder_notes(merge)
    return report


def _folder_notes(merge) -> list[str]:
    return [f"code {code_id}: a folder (isCodable false) in the file; codable here" for code_id in merge.folders]


class _ProjectLoader:
    def __init__(self, store, conn, refi: RefiProject, path: str, fallback_coder: str):
        self.store, self.conn, self.refi, self.path = store, conn, refi, path
        self.fallback = fallback_coder
        self.report = ImportReport(path=path, kind="project", skipped=list(refi.skipped), decisions=list(refi.decisions),
                                   in_file=dict(refi.in_file))
        self.counts = dict.fromkeys(
            ("documents", "segments", "codes_added", "codes_matched", "coders_added", "selections", "codings",
             "coding_rows", "attributes", "memos"), 0
        )
        self.coders: dict[str, str] = {}
        self.holders: dict[str, tuple[str, str | None]] = {"": ("project", None)}
        self.guids = {kind: {guid_key(g) for g in found} for kind, found in store_transcript.guids(conn).items()}

    def keep_guid(self, kind: str, guid: str | None) -> str:
        """The file's GUID if it is one and still free among the project's ``kind`` (documents,
        coders, codings, memos), else a new one."""
        key = guid_key(guid)
        if is_guid(guid) and key not in self.guids[kind]:
            self.guids[kind].add(key)
            return guid.strip()
        return new_guid()

    def coder(self, user_guid: str | None) -> str:
        key = guid_key(user_guid)
        if key in self.coders:
            return self.coders[key]
        written, name = self.refi.users.get(key, (user_guid, ""))
        name = (name or (f"user-{key[:8]}" if key else self.fallback))[:CODER_NAME_LENGTH]
        if not key:
            self.report.decisions.append(f"work without a creating user is attributed to {name}")
        if not reads.coder_exists(self.conn, name):
            kind = "system" if self.is_system(name) else "human"
            self.store.ensure_coder(self.conn, name, kind, guid=self.keep_guid("coders", written), log=False)
            self.store.log(self.conn, "coder.add", name, {"via": "REFI-QDA import", "kind": kind})
            self.counts["coders_added"] += 1
            if kind == "system":
                self.report.decisions.append(f"user {name}: the program's own user, a coder of kind system (not counted as a human coder)")
        self.coders[key] = name
        return name

    def is_system(self, name: str) -> bool:
        program = (self.refi.origin.split() or [""])[0].casefold()
        return name.casefold() in SYSTEM_USERS or (bool(program) and name.casefold() == program)

    def load(self) -> ImportReport:
        self.check_names()
        merge = merge_codes(self.store, self.conn, self.refi.codes)
        self.codes = merge.ids
        self.counts["codes_added"], self.counts["codes_matched"] = len(merge.added), len(merge.matched)
        self.report.decisions += _folder_notes(merge)
        for code_key, code_id in merge.ids.items():
            self.holders[code_key] = ("code", code_id)
        for written, _name in self.refi.users.values():
            self.coder(written)
        for source in self.refi.sources:
            self.load_source(source)
        self.load_notes()
        self.report.counts = self.counts
        self.store.log(self.conn, "refi.import.report", self.path, {
            "counts": self.counts, "in_file": self.report.in_file, "skipped": self.report.skipped,
            "decisions": self.report.decisions})
        return self.report

    def check_names(self) -> None:
        names = [source.name for source in self.refi.sources]
        clash = sorted(set(names) & set(reads.document_names(self.conn)))
        if clash:
            listed = ", ".join(clash[:5]) + (f" and {len(clash) - 5} more" if len(clash) > 5 else "")
            raise Conflict(f"{self.path}: the project already has documents named {listed}; import into a new project ('qualcode init NEW') instead")
        seen: dict[str, int] = {}
        for source in self.refi.sources:
            seen[source.name] = seen.get(source.name, 0) + 1
            if seen[source.name] > 1:
                renamed = f"{source.name} ({seen[source.name]})"
                self.report.decisions.append(f"a second source named {source.name} became {renamed}")
                source.name = renamed

    def load_source(self, source: Source) -> None:
        text = source.text
        turns, found = segment_text(text)
        document_id = insert_document(self.store, self.conn, NewDocument(
            name=source.name, source_file=f"{self.path}#{source.name}", sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
            text=text, metadata={"refi_origin": self.refi.origin, "refi_project": self.refi.name},
            attributes=source.attributes, turns=turns, segments=found,
            guid=self.keep_guid("documents", source.guid),
        ))
        self.counts["documents"] += 1
        self.counts["segments"] += len(found)
        self.counts["attributes"] += len(source.attributes)
        spans = store_transcript.segment_spans(self.conn, document_id)
        self.holders[guid_key(source.guid)] = ("document", str(document_id))
        if source.description.strip():
            self.memo(source.description, ("document", str(document_id)), source.user, None)
        rows: list[dict] = []
        for selection in source.selections:
            self.counts["selections"] += not selection.whole
            targets = covered(spans, selection.start, selection.end)
            if not targets:
                held = f" and its {len(selection.codings)} coding(s)" if selection.codings else ""
                self.report.skipped.append(f"selection {selection.guid}{held} in {source.name}: the text has no segments")
                continue
            self.holders[guid_key(selection.guid)] = ("segment", str(targets[0]))
            if selection.description.strip():
                self.memo(selection.description, ("segment", str(targets[0])), selection.user, None)
            for coding_guid, code_guid, user in selection.codings:
                rows += self.coding_rows(source.name, selection, targets, coding_guid, code_guid, user)
        self.insert_codings(source.name, rows)

    def coding_rows(self, source_name: str, selection, targets, coding_guid, code_guid, user) -> list[dict]:
        """One codings row per segment the passage covers, each with the passage's span; the
        first row keeps the file's GUID."""
        code_id = self.codes.get(guid_key(code_guid))
        if code_id is None:
            self.report.skipped.append(f"coding {coding_guid} in {source_name} {selection.start}-{selection.end}: "
                                       f"code {code_guid} is not in the file's codebook")
            return []
        coder, guid = self.coder(user), self.keep_guid("codings", coding_guid)
        self.counts["codings"] += 1
        return [{"segment_id": segment_id, "code_id": code_id, "coder": coder, "origin": "import",
                 "start": selection.start, "end": selection.end, "guid": guid if index == 0 else None,
                 "file_guid": coding_guid, "where": f"{source_name} {selection.start}-{selection.end}"}
                for index, segment_id in enumerate(targets)]

    def insert_codings(self, source_name: str, rows: list[dict]) -> None:
        """Codings and the review marks they imply, in bulk, with one audit line per document. A
        coding repeating a passage already there (the same span, code and coder) is reported."""
        if not rows:
            return
        extra = {id(row): (row.pop("file_guid"), row.pop("where")) for row in rows}
        repeated = store_coding.insert_codings(self.conn, rows)
        reported = set()
        for row in repeated:
            file_guid, where = extra[id(row)]
            if file_guid not in reported:
                reported.add(file_guid)
                self.counts["codings"] -= 1
                self.report.skipped.append(f"coding {file_guid} in {where}: a second {row['code_id']} by {row['coder']} "
                                           f"on exactly the same passage; the passage is coded once")
        marks = sorted({(row["segment_id"], row["coder"]) for row in rows})
        store_coding.insert_reviews(self.conn, [{"segment_id": s, "coder": c} for s, c in marks])
        written = len(rows) - len(repeated)
        repeated_ids = {id(row) for row in repeated}
        self.store.log_many(self.conn, [
            *(("coding.add", str(row["segment_id"]), {"code": row["code_id"], "via": "REFI-QDA import",
                                                       **{k: v for k, v in row.items() if k not in ("segment_id", "code_id")}})
              for row in rows if id(row) not in repeated_ids),
            *(("review.add", str(s), {"coder": c, "via": "REFI-QDA import"}) for s, c in marks),
            ("coding.import", source_name, {"codings": written, "reviews": len(marks), "repeated": sorted(reported)}),
        ])
        self.counts["coding_rows"] += written

    def memo(self, text: str, target: tuple[str, str | None], user: str | None, guid: str | None) -> None:
        author = self.coder(user) if user else self.fallback
        store_memo.add_memo(self.store, self.conn, *target, author, text.strip(), guid=self.keep_guid("memos", guid))
        self.counts["memos"] += 1

    def load_notes(self) -> None:
        if self.refi.description.strip():
            self.memo(self.refi.description, ("project", None), None, None)
        for note in self.refi.notes:
            known = [self.holders[key] for key in note.holders if key in self.holders]
            if not note.holders:
                self.report.decisions.append(f"note {note.guid}: attached to nothing; kept as a project memo")
            elif not known:
                self.report.decisions.append(f"note {note.guid}: attached to something qualcode does not carry; kept as a project memo")
            elif len(known) < len(note.holders) or len(known) > 1:
                self.report.skipped.append(f"note {note.guid}: {len(note.holders) - 1} further attachment(s); a memo has one target")
            self.memo(note.text, known[0] if known else ("project", None), note.user, note.guid)


def load_project(store, conn, refi: RefiProject, path: str, fallback_coder: str) -> ImportReport:
    return _ProjectLoader(store, conn, refi, path, fallback_coder).load()
