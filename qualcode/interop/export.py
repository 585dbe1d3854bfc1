"""REFI-QDA export: a project's codebook as ``.qdc``, the whole project as ``.qdpx``.

Takes an open store and a path, writes the file and returns counts
(``export_codebook(store, path) -> dict``, ``export_project(store, path, name) -> dict``).
Every XML document is validated against the shipped schemas before the file appears; the file
is written beside its target and renamed into place, so a failed export leaves nothing behind.
GUIDs come from the store (documents, codes, coders, codings, memos) or are derived from stable
keys (variables, cases, selections), so exporting twice gives the same GUIDs. A source's text
opens each speaker turn with the speaker's label, so other programs show who speaks; the
archive also carries qualcode's own data (:mod:`qualcode.interop.sidecar`).
"""

from __future__ import annotations

import bisect
import re
import zipfile
from collections import defaultdict
from pathlib import Path

from lxml import etree

from qualcode import __version__
from qualcode.errors import BadInput
from qualcode.outputfile import PERSONAL_DATA, write_atomically
from qualcode.interop.codes import describe
from qualcode.interop.schema import CODEBOOK_NS, PROJECT_NS, colour, derived_guid, validate
from qualcode.interop import sidecar
from qualcode.interop.reader import SIDECAR
from qualcode.progress import Progress, counted, silent
from qualcode.store.exchange import ordered_codes, project_rows, qualcode_rows

ORIGIN = f"qualcode {__version__}"
VALUE_TYPES = {  # REFI-QDA type -> (pattern every value must match, element)
    "Integer": (re.compile(r"^[+-]?\d+$"), "IntegerValue"),
    "Float": (re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$"), "FloatValue"),
    "Date": (re.compile(r"^\d{4}-\d{2}-\d{2}$"), "DateValue"),
    "DateTime": (re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$"), "DateTimeValue"),
    "Text": (re.compile(r"", re.DOTALL), "TextValue"),
}
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
CANDIDATES = {"number": ("Integer", "Float"), "date": ("Date", "DateTime")}


class _NotXml(ValueError):
    """A name or text holds a character XML cannot carry (a control character)."""


def _sub(parent, tag: str, attrib: dict | None = None, text: str | None = None):
    try:
        element = etree.SubElement(parent, f"{{{etree.QName(parent).namespace}}}{tag}",
                                   {k: str(v) for k, v in (attrib or {}).items() if v is not None})
        if text is not None:
            element.text = text
    except ValueError:
        values = [text, *(attrib or {}).values()]
        shown = next((str(value) for value in values if value is not None and CONTROL.search(str(value))), tag)
        raise _NotXml(f"{tag} {shown[:40]!r}") from None
    return element


def _not_xml(path, exc: _NotXml) -> BadInput:
    return BadInput(f"{path}: the {exc} holds a control character XML cannot carry; remove it in qualcode and export again")


def _serialise(root) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


def _code_rows(rows: list[dict]) -> dict[str | None, list]:
    by_parent = defaultdict(list)
    for row in rows:
        by_parent[row["parent_id"]].append(row)
    return by_parent


def _add_codes(parent, by_parent, parent_id, notes_by_code=None) -> int:
    count = 0
    for row in by_parent.get(parent_id, []):
        element = _sub(parent, "Code", {"guid": row["guid"], "name": row["name"], "isCodable": "true" if row["codable"] else "false",
                                        "color": colour(row["color"])})
        description = describe(row)
        if description:
            _sub(element, "Description", text=description)
        for note_guid in (notes_by_code or {}).get(row["id"], []):
            _sub(element, "NoteRef", {"targetGUID": note_guid})
        count += 1 + _add_codes(element, by_parent, row["id"], notes_by_code)
    return count


def export_codebook(store, path: Path) -> dict:
    """Write the project's codebook as a ``.qdc`` file; returns ``{"codes": n}``."""
    with store.reading() as conn:
        by_parent = _code_rows(ordered_codes(conn))
    if not by_parent:
        raise BadInput(f"{path}: the project has no codes, and a REFI-QDA codebook needs one; load a codebook first ('qualcode codebook load FILE')")
    root = etree.Element(f"{{{CODEBOOK_NS}}}CodeBook", {"origin": ORIGIN}, nsmap={None: CODEBOOK_NS})
    try:
        count = _add_codes(_sub(root, "Codes"), by_parent, None)
    except _NotXml as exc:
        raise _not_xml(path, exc) from None
    validate(root, "codebook", str(path))
    data = _serialise(root)
    write_atomically(path, lambda out: out.write_bytes(data))
    return {"codes": count}


def _variable_types(rows) -> dict[str, str]:
    """The REFI-QDA type of each attribute: the narrowest type every value of it fits, else Text."""
    by_key = defaultdict(list)
    for row in rows:
        by_key[row["key"]].append(row)
    types = {}
    for key, values in by_key.items():
        kinds = {row["type"] for row in values}
        chosen = "Text"
        if len(kinds) == 1 and kinds <= set(CANDIDATES):
            for candidate in CANDIDATES[kinds.pop()]:
                if all(VALUE_TYPES[candidate][0].match(row["value"]) for row in values):
                    chosen = candidate
                    break
        types[key] = chosen
    return types


class _Labels:
    """The text other programs see, with each turn opened by its speaker's label (``Anna: ``)
    unless the text has it there already, and positions mapped into it: a selection that starts
    where a turn starts begins after the label, one that ends there ends before it."""

    def __init__(self, text: str, turns: list[tuple[int, str]]):
        self.inserted = [[start, f"{speaker}: "] for start, speaker in turns
                         if not text.startswith(f"{speaker}: ", start) and not text[:start].endswith(f"{speaker}: ")]
        pieces, last, self.offsets, self.totals = [], 0, [], [0]
        for start, label in self.inserted:
            pieces += [text[last:start], label]
            last = start
            self.offsets.append(start)
            self.totals.append(self.totals[-1] + len(label))
        self.text = "".join(pieces) + text[last:]

    def start(self, position: int) -> int:
        return position + self.totals[bisect.bisect_right(self.offsets, position)]

    def end(self, position: int) -> int:
        return position + self.totals[bisect.bisect_left(self.offsets, position)]


class _ProjectWriter:
    """Builds ``project.qde`` from the project's rows (:func:`qualcode.store.exchange.project_rows`),
    in the element order the schema fixes."""

    def __init__(self, data: dict, name: str):
        self.data = data
        self.root = etree.Element(
            f"{{{PROJECT_NS}}}Project",
            {"name": name, "origin": ORIGIN},
            nsmap={None: PROJECT_NS},
        )
        created = data["created_at"]
        if created:
            self.root.set("creationDateTime", created)
        self.users = dict(data["coders"])
        self.memos = data["memos"]
        for memo in self.memos:
            self.users.setdefault(memo["author"], derived_guid("user", memo["author"]))
        self.docs = data["documents"]
        turns = defaultdict(list)
        for document_id, start, speaker in data["turns"]:
            turns[document_id].append((start, speaker))
        self.labels = {doc["guid"]: _Labels(doc["text"], turns[doc["id"]]) for doc in self.docs}
        self.counts = {"codes": 0, "documents": len(self.docs), "selections": 0, "codings": 0,
                       "memos": len(self.memos), "users": len(self.users), "variables": 0}

    def container(self, tag: str):
        return _sub(self.root, tag)

    def drop_if_empty(self, element) -> None:
        if len(element) == 0:
            self.root.remove(element)

    def build(self, progress: Progress = silent) -> etree._Element:
        if self.users:
            users = self.container("Users")
            for name, guid in sorted(self.users.items()):
                _sub(users, "User", {"guid": guid, "name": name})
        notes_on = defaultdict(list)
        for memo in self.memos:
            notes_on[(memo["target_type"], memo["target_id"])].append(memo["guid"])
        codebook = self.container("CodeBook")
        code_notes = {target: guids for (kind, target), guids in notes_on.items() if kind == "code"}
        self.counts["codes"] = _add_codes(_sub(codebook, "Codes"), _code_rows(self.data["codes"]), None, code_notes)
        if not self.counts["codes"]:
            self.root.remove(codebook)
        self.cases()
        self.sources(notes_on, progress)
        self.notes()
        for guid in notes_on.get(("project", None), []):
            _sub(self.root, "NoteRef", {"targetGUID": guid})
        return self.root

    def cases(self) -> None:
        rows = self.data["attributes"]
        types = _variable_types(rows)
        self.counts["variables"] = len(types)
        if types:
            variables = self.container("Variables")
            for key in sorted(types):
                _sub(variables, "Variable", {"guid": derived_guid("variable", key), "name": key, "typeOfVariable": types[key]})
        if not self.docs:
            return
        by_document = defaultdict(list)
        for row in rows:
            by_document[row["document_id"]].append(row)
        cases = self.container("Cases")
        for doc in self.docs:
            case = _sub(cases, "Case", {"guid": derived_guid("case", doc["guid"]), "name": doc["name"]})
            for row in by_document.get(doc["id"], []):
                value = _sub(case, "VariableValue")
                _sub(value, "VariableRef", {"targetGUID": derived_guid("variable", row["key"])})
                _sub(value, VALUE_TYPES[types[row["key"]]][1], text=row["value"])
            _sub(case, "SourceRef", {"targetGUID": doc["guid"]})

    def selections(self) -> dict:
        """Codings and segment memos grouped by (document id, start, end): one selection each."""
        grouped = defaultdict(lambda: {"codings": {}, "notes": []})
        for row in self.data["codings"]:
            selection = grouped[(row["document_id"], row["start"], row["end"])]
            selection["codings"].setdefault((row["code_id"], row["coder"]), row)
        spans = {str(segment_id): (document_id, start, end) for segment_id, document_id, start, end in self.data["segments"]}
        for memo in self.memos:
            if memo["target_type"] == "segment" and memo["target_id"] in spans:
                grouped[spans[memo["target_id"]]]["notes"].append(memo["guid"])
        return grouped

    def sources(self, notes_on, progress: Progress) -> None:
        if not self.docs:
            return
        grouped = self.selections()
        spans_of = defaultdict(list)  # per document: one pass, not a scan of every selection per document
        for document_id, start, end in grouped:
            spans_of[document_id].append((start, end))
        sources = self.container("Sources")
        for doc in counted(progress, f"building project.qde: {len(self.docs):,} documents", self.docs, len(self.docs), every=10):
            source = _sub(sources, "TextSource", {"guid": doc["guid"], "name": doc["name"],
                                                  "plainTextPath": f"internal://{doc['guid']}.txt",
                                                  "creationDateTime": doc["imported_at"]})
            labels = self.labels[doc["guid"]]
            for start, end in sorted(spans_of[doc["id"]]):
                selection = grouped[(doc["id"], start, end)]
                attributes = {"guid": derived_guid("selection", doc["guid"], start, end),
                              "startPosition": labels.start(start), "endPosition": labels.end(end)}
                first = next(iter(selection["codings"].values()), None)
                if first is not None:
                    attributes |= {"creatingUser": self.users[first["coder"]], "creationDateTime": first["created_at"]}
                element = _sub(source, "PlainTextSelection", attributes)
                for (_, coder), row in sorted(selection["codings"].items()):
                    coding = _sub(element, "Coding", {"guid": row["guid"], "creatingUser": self.users[coder],
                                                      "creationDateTime": row["created_at"]})
                    _sub(coding, "CodeRef", {"targetGUID": row["code_guid"]})
                    self.counts["codings"] += 1
                for guid in selection["notes"]:
                    _sub(element, "NoteRef", {"targetGUID": guid})
                self.counts["selections"] += 1
            for guid in notes_on.get(("document", str(doc["id"])), []):
                _sub(source, "NoteRef", {"targetGUID": guid})

    def notes(self) -> None:
        if not self.memos:
            return
        notes = self.container("Notes")
        for memo in self.memos:
            first_line = memo["text"].strip().splitlines()[0]
            note = _sub(notes, "Note", {"guid": memo["guid"], "name": first_line[:60],
                                        "creatingUser": self.users[memo["author"]],
                                        "creationDateTime": memo["created_at"], "modifiedDateTime": memo["updated_at"]})
            _sub(note, "PlainTextContent", text=memo["text"])


def export_project(store, path: Path, name: str, progress: Progress = silent) -> dict:
    """Write the whole project as a ``.qdpx`` archive; returns counts of what it holds.
    ``progress`` hears of each step, and of the documents built and written."""
    progress("reading the project", 0, None)
    with store.reading() as conn:
        writer = _ProjectWriter(project_rows(conn), name)
        own = qualcode_rows(conn)
    try:
        root = writer.build(progress)
    except _NotXml as exc:
        raise _not_xml(path, exc) from None
    texts = {guid: labels.text for guid, labels in writer.labels.items()}
    progress("checking project.qde against the REFI-QDA schema", 0, None)
    validate(root, "project", f"{path} (project.qde)")
    # The notice as an XML comment after the declaration: every reader and the schema skip it.
    data = _serialise(root).replace(b"?>\n", f"?>\n<!-- {PERSONAL_DATA} -->\n".encode(), 1)
    extra = sidecar.build(own, data, texts, {guid: labels.inserted for guid, labels in writer.labels.items()})

    def fill(out: Path):
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.comment = PERSONAL_DATA.encode()
            archive.writestr("project.qde", data)
            for guid, text in counted(progress, f"writing {path.name}: {len(texts):,} documents", texts.items(), len(texts), every=10):
                archive.writestr(f"sources/{guid}.txt", text.encode("utf-8"))
            archive.writestr(SIDECAR, extra)

    write_atomically(path, fill)
    return writer.counts
