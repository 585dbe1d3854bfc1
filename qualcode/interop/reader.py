"""Reading REFI-QDA files into plain structures, leniently, before anything touches the project.

``read_codebook(path) -> (codes, skipped)`` and ``read_project(path) -> RefiProject``: every
quirk NOTES.md lists is absorbed here (namespace variants, GUID spelling, folder case, BOMs,
CRLF, UTF-16 positions, empty containers); what cannot be carried is listed in ``skipped`` with
the reason. Positions come out as code points into the text as qualcode stores it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from qualcode.errors import BadFile
from qualcode.interop.archive import Archive, decode_text
from qualcode.interop.codes import IncomingCode
from qualcode.interop.offsets import STANDARD, choose_unit, convert, normalise
from qualcode.interop.schema import (
    CODEBOOK_NS_VARIANTS,
    PROJECT_NS_VARIANTS,
    child,
    children,
    colour,
    guid_key,
    is_guid,
    local,
    namespace,
    parse,
    text_of,
)
from qualcode.progress import Progress, counted, silent
from qualcode.store.transcript import ATTRIBUTE_KEY_LENGTH

MAX_QDC_BYTES = 50_000_000
SIDECAR = "qualcode/project.json"
ATTRIBUTE_TYPES = {"Text": "category", "Boolean": "category", "Integer": "number", "Float": "number",
                   "Date": "date", "DateTime": "date"}
OTHER_SOURCES = {"PictureSource": "picture", "PDFSource": "PDF", "AudioSource": "audio", "VideoSource": "video"}
KEY_LENGTH = ATTRIBUTE_KEY_LENGTH


@dataclass
class Selection:
    guid: str
    raw_start: int
    raw_end: int
    user: str | None
    codings: list[tuple[str, str, str | None]] = field(default_factory=list)  # guid, code guid, user
    description: str = ""
    start: int = 0
    end: int = 0
    whole: bool = False  # a coding of the whole source, not of a selection


@dataclass
class Source:
    guid: str
    name: str
    raw: str
    user: str | None = None
    description: str = ""
    selections: list[Selection] = field(default_factory=list)
    attributes: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return normalise(self.raw)


@dataclass
class Note:
    guid: str
    text: str
    user: str | None
    holders: list[str] = field(default_factory=list)  # GUID keys of what it is attached to; "" = project


@dataclass
class RefiProject:
    name: str
    origin: str
    users: dict[str, tuple[str, str]] = field(default_factory=dict)  # GUID key -> (GUID as written, name)
    codes: list[IncomingCode] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    description: str = ""
    skipped: list[str] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    # What the file holds, counted as written, so the import report can be held against it.
    in_file: dict[str, int] = field(default_factory=lambda: {"selections": 0, "codings": 0})
    sidecar: bytes | None = None  # qualcode's own data in the archive (``qualcode/project.json``)
    qde_sha256: str = ""


def _flag(value: str | None) -> bool:
    return (value or "true").strip().lower() in ("true", "1")


def _codes(parent, skipped: list[str]) -> list[IncomingCode]:
    found = []
    for element in children(parent, "Code"):
        guid, name = element.get("guid"), (element.get("name") or "").strip()
        if not guid or not name:
            skipped.append(f"code {name or guid or '(unnamed)'}: no {'guid' if name else 'name'}, so nothing can refer to it")
            continue
        if element.get("color") and colour(element.get("color")) is None:
            skipped.append(f"colour {element.get('color')!r} of code {name}: not #RRGGBB")
        found.append(IncomingCode(
            guid=guid, name=name, codable=_flag(element.get("isCodable")), color=colour(element.get("color")),
            description=text_of(element, "Description"),
            notes=[ref.get("targetGUID") for ref in children(element, "NoteRef")],
            children=_codes(element, skipped),
        ))
    return found


def _check_root(root, name: str, variants: tuple[str, ...], path, what: str) -> None:
    found = namespace(root)
    if local(root) != name or found not in variants:
        raise BadFile(path, f"the root element is {{{found}}}{local(root)}, not a REFI-QDA {what}; export a {what} again")


def read_codebook(path: Path) -> tuple[list[IncomingCode], list[str]]:
    """The codes of a ``.qdc`` file (any of the namespaces producers write) and what was skipped."""
    path = Path(path)
    if not path.is_file():
        raise BadFile(path, "no such file; give the path of a .qdc codebook")
    if path.stat().st_size > MAX_QDC_BYTES:
        raise BadFile(path, f"larger than {MAX_QDC_BYTES // 1_000_000} MB; is this really a codebook?")
    root = parse(path.read_bytes(), "the codebook", path)
    _check_root(root, "CodeBook", CODEBOOK_NS_VARIANTS, path, "codebook")
    skipped: list[str] = []
    codes_element = child(root, "Codes")
    codes = _codes(codes_element, skipped) if codes_element is not None else []
    _skip_sets(root, skipped)
    return codes, skipped


def _skip_sets(root, skipped: list[str]) -> None:
    sets = child(root, "Sets")
    for found in children(sets, "Set") if sets is not None else []:
        members = len(children(found, "MemberCode")) + len(children(found, "MemberSource")) + len(children(found, "MemberNote"))
        skipped.append(f"set {found.get('name')!r} ({members} members): qualcode has no sets; its codes and sources are imported as they are")


class _ProjectReader:
    def __init__(self, path: Path, archive: Archive):
        self.path = Path(path)
        self.archive = archive
        member = self.archive.project_file()
        self.qde = self.archive.read(member)
        self.root = parse(self.qde, member.filename, self.path)
        _check_root(self.root, "Project", PROJECT_NS_VARIANTS, self.path, "project")
        self.project = RefiProject(name=self.root.get("name") or self.path.stem, origin=self.root.get("origin") or "")
        self.notes: dict[str, Note] = {}
        self.variables: dict[str, tuple[str, str]] = {}

    @property
    def skipped(self) -> list[str]:
        return self.project.skipped

    def refer(self, holder, owner_key: str) -> None:
        for ref in children(holder, "NoteRef"):
            note = self.notes.get(guid_key(ref.get("targetGUID")))
            if note is not None:
                note.holders.append(owner_key)
            else:
                self.skipped.append(f"note reference {ref.get('targetGUID')}: no such note")

    def read(self, progress: Progress = silent) -> RefiProject:
        root, project = self.root, self.project
        users = child(root, "Users")
        for user in children(users, "User") if users is not None else []:
            project.users[guid_key(user.get("guid"))] = (user.get("guid"), (user.get("name") or user.get("id") or "").strip())
        self.read_notes()
        codebook = child(root, "CodeBook")
        codes_element = child(codebook, "Codes") if codebook is not None else None
        project.codes = _codes(codes_element, self.skipped) if codes_element is not None else []
        for code, _parent in (pair for top in project.codes for pair in top.walk()):
            for note_guid in code.notes:
                note = self.notes.get(guid_key(note_guid))
                if note is not None:
                    note.holders.append(guid_key(code.guid))
                else:
                    self.skipped.append(f"note reference {note_guid} on code {code.name}: no such note")
        variables = child(root, "Variables")
        for variable in children(variables, "Variable") if variables is not None else []:
            self.variables[guid_key(variable.get("guid"))] = ((variable.get("name") or "").strip(), variable.get("typeOfVariable") or "Text")
        self.read_sources(progress)
        self.read_cases()
        self.read_links()
        _skip_sets(root, self.skipped)
        graphs = child(root, "Graphs")
        if graphs is not None and len(graphs):
            self.skipped.append(f"{len(graphs)} graph(s): qualcode does not draw networks")
        project.description = text_of(root, "Description")
        self.refer(root, "")
        self.convert_positions()
        project.notes = list(self.notes.values())
        return project

    def read_notes(self) -> None:
        notes = child(self.root, "Notes")
        for element in children(notes, "Note") if notes is not None else []:
            text = text_of(element, "PlainTextContent")
            if not text and element.get("plainTextPath"):
                member = self.archive.find(element.get("plainTextPath"))
                text = decode_text(self.archive.read(member), self.path, member.filename)[0] if member else ""
            if not text.strip():
                self.skipped.append(f"note {element.get('name') or element.get('guid')}: no text")
                continue
            self.notes[guid_key(element.get("guid"))] = Note(element.get("guid"), normalise(text).strip(), element.get("creatingUser"))

    def read_sources(self, progress: Progress) -> None:
        sources = child(self.root, "Sources")
        found = list(sources) if sources is not None else []
        for element in counted(progress, f"reading {self.path.name}: {len(found):,} sources", found, len(found), every=10):
            kind = local(element)
            if kind in OTHER_SOURCES:
                selections = [item for item in element.iter() if local(item).endswith("Selection")]
                codings = [item for item in element.iter() if local(item) == "Coding"]
                self.project.in_file["selections"] += len(selections)
                self.project.in_file["codings"] += len(codings)
                held = f" with {len(selections)} selection(s) and {len(codings)} coding(s)" if selections or codings else ""
                self.skipped.append(f"{OTHER_SOURCES[kind]} source {element.get('name') or element.get('guid')}{held}: qualcode holds text only")
            elif kind == "TextSource":
                source = self.read_text_source(element)
                if source is not None:
                    self.project.sources.append(source)

    def read_text_source(self, element) -> Source | None:
        guid, name = element.get("guid"), _source_name(element)
        self.project.in_file["selections"] += len(children(element, "PlainTextSelection"))
        self.project.in_file["codings"] += len(children(element, "Coding")) + sum(
            len(children(selection, "Coding")) for selection in children(element, "PlainTextSelection"))
        raw = text_of(element, "PlainTextContent")
        if not raw:
            member = self.archive.find(element.get("plainTextPath"), guid)
            if member is None:
                where = element.get("plainTextPath") or "no plainTextPath"
                held = len(children(element, "PlainTextSelection"))
                self.skipped.append(f"text source {name} with {held} selection(s): its text ({where}) is not in the archive")
                return None
            raw, bom = decode_text(self.archive.read(member), self.path, member.filename)
            if bom:
                self.project.decisions.append(f"{name}: dropped the byte-order mark (not counted in positions)")
        source = Source(guid=guid, name=name, raw=raw, user=element.get("creatingUser"),
                        description=text_of(element, "Description"))
        if "\r" in raw:
            self.project.decisions.append(f"{name}: stored with \\n line endings; positions mapped from the file's CRLF")
        for selection in children(element, "PlainTextSelection"):
            source.selections.append(self.read_selection(selection, name))
        if children(element, "Coding"):
            # A coding of the whole source is a passage from the first character to the last.
            whole = Selection(guid=guid, raw_start=0, raw_end=0, user=element.get("creatingUser"), whole=True)
            self.read_codings(whole, element, name)
            source.selections.append(whole)
            self.project.decisions.append(f"{len(whole.codings)} coding(s) of the whole source {name}: kept as passages over its whole text")
        self.refer(element, guid_key(guid))
        for value in children(element, "VariableValue"):
            self.add_value(source.attributes, value, name)
        return source

    def read_selection(self, element, source_name: str) -> Selection:
        try:
            start, end = int(element.get("startPosition")), int(element.get("endPosition"))
        except (TypeError, ValueError):
            raise BadFile(self.path, f"selection {element.get('guid')} in {source_name} has no whole-number start and end positions; export the project again") from None
        selection = Selection(guid=element.get("guid"), raw_start=start, raw_end=end, user=element.get("creatingUser"),
                              description=text_of(element, "Description"))
        self.read_codings(selection, element, source_name)
        self.refer(element, guid_key(selection.guid))
        return selection

    def read_codings(self, selection: Selection, element, source_name: str) -> None:
        for coding in children(element, "Coding"):
            ref = child(coding, "CodeRef")
            if ref is None:
                self.skipped.append(f"coding {coding.get('guid')} in {source_name}: no code reference")
                continue
            selection.codings.append((coding.get("guid"), ref.get("targetGUID"), coding.get("creatingUser") or selection.user))
            self.refer(coding, guid_key(selection.guid))

    def add_value(self, attributes: dict, element, holder: str) -> None:
        ref = child(element, "VariableRef")
        variable = self.variables.get(guid_key(ref.get("targetGUID") if ref is not None else ""))
        values = [item for item in element if local(item) and local(item) != "VariableRef"]
        if variable is None or not variable[0] or not values:
            self.skipped.append(f"a variable value of {holder}: its variable is not declared")
            return
        key, kind = variable[0][:KEY_LENGTH], local(values[0]).removesuffix("Value")
        if key in attributes and attributes[key][0] != (values[0].text or "").strip():
            self.skipped.append(f"variable {key} of {holder}: a second, different value; kept the first")
            return
        attributes.setdefault(key, ((values[0].text or "").strip(), ATTRIBUTE_TYPES.get(kind, "category")))

    def read_cases(self) -> None:
        cases = child(self.root, "Cases")
        by_guid = {guid_key(source.guid): source for source in self.project.sources}
        for case in children(cases, "Case") if cases is not None else []:
            name = (case.get("name") or case.get("guid") or "").strip()
            members = [by_guid.get(guid_key(ref.get("targetGUID"))) for ref in children(case, "SourceRef")]
            members = [member for member in members if member is not None]
            if not members:
                self.skipped.append(f"case {name}: refers to no imported text source; its variables are not carried")
                continue
            if children(case, "CodeRef") or children(case, "SelectionRef"):
                self.skipped.append(f"case {name}: its code and selection references (qualcode's cases are documents)")
            for member in members:
                if name and name != member.name:
                    member.attributes.setdefault("case", (name, "category"))
                for value in children(case, "VariableValue"):
                    self.add_value(member.attributes, value, f"case {name}")

    def read_links(self) -> None:
        links = child(self.root, "Links")
        for link in children(links, "Link") if links is not None else []:
            origin, target = guid_key(link.get("originGUID")), guid_key(link.get("targetGUID"))
            if origin in self.notes:
                self.notes[origin].holders.append(target)
            elif target in self.notes:
                self.notes[target].holders.append(origin)
            else:
                self.skipped.append(f"link {link.get('name') or link.get('guid')}: qualcode carries only links to notes (as memos)")

    def convert_positions(self) -> None:
        spans = [(source.raw, [(s.raw_start, s.raw_end) for s in source.selections if not s.whole])
                 for source in self.project.sources]
        unit, scores = choose_unit(spans, self.project.origin)
        if scores:
            self.project.decisions.append(
                f"positions read as {unit} (origin {self.project.origin or 'not given'}; "
                f"{round(100 * scores[unit])}% of selection edges at word boundaries)"
            )
        elif unit != STANDARD:
            self.project.decisions.append(f"positions counted as {unit} (origin {self.project.origin}); no text here where that differs")
        for source in self.project.sources:
            mapped = convert(source.raw, unit)
            for selection in source.selections:
                if selection.whole:
                    selection.start, selection.end = 0, len(source.text)
                    continue
                start, end = mapped(selection.raw_start), mapped(selection.raw_end)
                if start is None or end is None or start > end:
                    raise BadFile(
                        self.path,
                        f"selection {selection.guid} in {source.name} ({selection.raw_start}-{selection.raw_end}) "
                        f"lies outside its text of {len(source.text)} characters; export the project again",
                    )
                selection.start, selection.end = start, end


def _source_name(element) -> str:
    """A source's name; when producers write a GUID there (NVivo), the name of its own file."""
    name = (element.get("name") or element.get("guid") or "").strip()
    if not is_guid(name):
        return name
    for reference in (element.get("richTextPath"), element.get("plainTextPath")):
        base = PurePosixPath((reference or "").replace("\\", "/").split("://", 1)[-1]).name
        if base and not is_guid(PurePosixPath(base).stem):
            return base
    return name


def read_project(path: Path, progress: Progress = silent) -> RefiProject:
    """Everything a ``.qdpx`` holds that qualcode can carry, positions already converted, and
    qualcode's own data (:mod:`qualcode.interop.sidecar`) when the archive carries it.
    ``progress`` hears of the sources read."""
    progress(f"reading {path.name}", 0, None)
    archive = Archive(path)
    try:
        reader = _ProjectReader(path, archive)
        project = reader.read(progress)
        project.qde_sha256 = hashlib.sha256(reader.qde).hexdigest()
        member = archive.find(SIDECAR)
        project.sidecar = archive.read(member) if member is not None else None
        return project
    finally:
        archive.close()
