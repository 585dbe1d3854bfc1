"""qualcode's own data in a ``.qdpx``, for what REFI-QDA has no place for.

The standard allows extra files in the archive and other programs ignore them. So beside
``project.qde`` and ``sources/``, an export writes ``qualcode/project.json``, which holds the
project's tables keyed by GUIDs and numbers (see :func:`qualcode.store.exchange.qualcode_rows`):
turns with speakers and times, segments with their numbers, every coding with its origin and
passage, review marks, all the fields of each code, coder kinds, memos with their targets,
document metadata and the project's unit. It also holds the SHA-256 of the ``project.qde``
written with it and of each source text, and the speaker labels the export put into the texts
(so that other programs show who speaks), which qualcode takes out again.

``build(rows, qde, texts) -> bytes`` writes it; ``check(refi, empty) -> (data, reason)`` says
whether an import may use it. It may do so only when both hashes still match (no other program
rewrote the project) and the project is new. ``load(store, conn, data, refi, path) ->
ImportReport`` then rebuilds the exported project exactly. In every other case the REFI-QDA part
is read, and the report says why.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict

from qualcode.interop.load import ImportReport
from qualcode.interop.reader import SIDECAR, RefiProject
from qualcode.interop.schema import guid_key
from qualcode.store import NewDocument, NewSegment, NewTurn, insert_document
from qualcode.store import coding as store_coding
from qualcode.store import memo as store_memo
from qualcode.store import transcript as store_transcript
from qualcode.store.codebook import insert_code

FORMAT = "qualcode-project"
VERSION = 1


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def build(rows: dict, qde: bytes, texts: dict[str, str], labels: dict[str, list]) -> bytes:
    """The sidecar for an export: ``rows`` from ``qualcode_rows``, the ``project.qde`` bytes,
    each document's text as written and the speaker labels inserted into it, by GUID."""
    for doc in rows["documents"]:
        doc["text_sha256"], doc["labels"] = _sha(texts[doc["guid"]]), labels[doc["guid"]]
    payload = {"format": FORMAT, "version": VERSION, "qde_sha256": hashlib.sha256(qde).hexdigest(), **rows}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _without_labels(text: str, labels: list) -> str | None:
    """The document's own text: the written one without the speaker labels the export inserted."""
    pieces, last, shift = [], 0, 0
    for offset, label in labels:
        at = offset + shift
        if text[at:at + len(label)] != label:
            return None
        pieces.append(text[last:at])
        last, shift = at + len(label), shift + len(label)
    return "".join(pieces) + text[last:]


def _numbered(items, key=lambda item: item[1]) -> bool:
    return [key(item) for item in items] == list(range(1, len(items) + 1))


def check(refi: RefiProject, empty: bool) -> tuple[dict | None, str]:
    """The sidecar's data if an import may use it, else None and why not ("" when there is none)."""
    if refi.sidecar is None:
        return None, ""
    if not empty:
        return None, (f"{SIDECAR} (turns, segment numbers, review marks, qualcode's code fields) is used only when "
                      f"importing into a new project; read the REFI-QDA part, merged into this project")
    try:
        data = json.loads(refi.sidecar)
        problem = _problem(data, refi)
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        problem = f"is not qualcode's project data version {VERSION}"
    if problem:
        return None, f"{SIDECAR} {problem}; read the REFI-QDA part only"
    return data, ""


def _problem(data: dict, refi: RefiProject) -> str:
    """What keeps the sidecar from describing this archive ("" if nothing); completes ``data``
    with the documents' own texts and the codes in insertion order."""
    if data.get("format") != FORMAT or data.get("version") != VERSION:
        return f"is not qualcode's project data version {VERSION}"
    if data["qde_sha256"] != refi.qde_sha256:
        return "belongs to another version of project.qde (changed by another program?)"
    texts = {guid_key(source.guid): source.raw for source in refi.sources}
    if any(_sha(texts.get(guid_key(doc["guid"]), "\0")) != doc["text_sha256"] for doc in data["documents"]):
        return "does not match the source texts in the archive"
    data["texts"] = {doc["guid"]: _without_labels(texts[guid_key(doc["guid"])], doc["labels"]) for doc in data["documents"]}
    if None in data["texts"].values():
        return "puts a speaker label where the text has none"
    for part in ("turns", "segments"):
        by_doc = defaultdict(list)
        for row in data[part]:
            by_doc[row[0]].append(row)
        if not all(_numbered(rows) for rows in by_doc.values()):
            return f"numbers the {part} of a document other than 1, 2, ..."
    data["codes"] = _parents_first(data["codes"])
    return "" if data["codes"] is not None else "names a parent code it does not hold"


def _parents_first(codes: list[dict]) -> list[dict] | None:
    """The codes with every parent before its children; None if some parent is missing."""
    placed, ordered, waiting = {None}, [], list(codes)
    while waiting:
        ready = [code for code in waiting if code["parent_id"] in placed]
        if not ready:
            return None
        ordered += ready
        placed |= {code["id"] for code in ready}
        waiting = [code for code in waiting if code["id"] not in placed]
    return ordered


def load(store, conn, data: dict, refi: RefiProject, path: str) -> ImportReport:
    """Rebuild the exported project in a new one, inside the caller's transaction."""
    for key, value in data["meta"].items():
        store.set_meta(conn, key, value)
    for coder in data["coders"]:
        store.ensure_coder(conn, coder["name"], coder["kind"], created_at=coder["created_at"], guid=coder["guid"], log=False)
    for code in data["codes"]:
        insert_code(conn, code)
    parts = {part: defaultdict(list) for part in ("attributes", "turns", "segments")}
    for part, grouped in parts.items():
        for row in data[part]:
            grouped[row[0]].append(row[1:])
    document_ids, segment_ids = {}, {}
    for doc in data["documents"]:
        guid = doc["guid"]
        turns = [NewTurn(speaker, role, start, end, time_start, time_end)
                 for _, speaker, role, start, end, time_start, time_end in parts["turns"][guid]]
        found = [NewSegment(unit, start, end, speaker, None if turn is None else turn - 1)
                 for _, unit, start, end, speaker, turn in parts["segments"][guid]]
        document_id = insert_document(store, conn, NewDocument(
            name=doc["name"], source_file=doc["source_file"], sha256=doc["sha256"], text=data["texts"][guid],
            metadata=json.loads(doc["metadata"]), attributes={key: (value, kind) for key, value, kind in parts["attributes"][guid]},
            turns=turns, segments=found, guid=guid, imported_at=doc["imported_at"],
        ))
        document_ids[guid] = document_id
        for number, (segment_id, _, _) in enumerate(store_transcript.segment_spans(conn, document_id), start=1):
            segment_ids[(guid, number)] = segment_id
    store_coding.insert_codings(conn, [
        {"segment_id": segment_ids[(guid, number)], "code_id": code_id, "coder": coder, "created_at": created_at,
         "origin": origin, "start": start, "end": end, "guid": coding_guid}
        for guid, number, code_id, coder, created_at, origin, start, end, coding_guid in data["codings"]
    ])
    store_coding.insert_reviews(conn, [{"segment_id": segment_ids[(guid, number)], "coder": coder, "reviewed_at": at}
                                       for guid, number, coder, at in data["reviews"]])

    def target(memo):
        if memo["target_type"] == "document":
            return str(document_ids[memo["target"]])
        if memo["target_type"] == "segment":
            return str(segment_ids[tuple(memo["target"])])
        return memo["target"]

    store_memo.insert_memos(conn, [{**{k: v for k, v in memo.items() if k != "target"}, "target_id": target(memo)}
                                   for memo in data["memos"]])
    counts = {"documents": len(data["documents"]), "turns": len(data["turns"]), "segments": len(data["segments"]),
              "codes_added": len(data["codes"]), "codes_matched": 0, "coders_added": len(data["coders"]),
              "selections": refi.in_file["selections"], "codings": refi.in_file["codings"],
              "coding_rows": len(data["codings"]), "reviews": len(data["reviews"]),
              "attributes": len(data["attributes"]), "memos": len(data["memos"])}
    report = ImportReport(path=path, kind="project", counts=counts, in_file=dict(refi.in_file), decisions=[
        f"read qualcode's own data ({SIDECAR}): the project as it was exported, with turns, segment numbers, "
        f"review marks and every field of codes, coders and memos"])
    store.log(conn, "refi.import.report", path, {"counts": counts, "in_file": report.in_file, "skipped": [],
                                                 "decisions": report.decisions})
    return report
