"""Codebooks: the YAML format researchers read, diff and review, and its place in a project.

Takes a YAML file, gives a :class:`Codebook` (``read(path) -> Codebook``), or every problem in
it with its line number (``check(path) -> list[(line, message)]``); :func:`load` merges a
codebook into a project by code id, :func:`from_store` and :func:`dump` write it back out.

The format, per code: ``id`` (short, stable), ``name``, optional ``label`` (a second-language
name), ``definition``, ``include``, ``exclude``, ``examples``, ``keywords``, optional ``color``
(``#RRGGBB``), ``shortcut`` (one key for the coder), ``exclusive`` (children are mutually
exclusive categories), ``source`` (where the code comes from: the publication or model it
rests on), ``codable`` (false for a code that only groups others and is never applied) and
``children``. At the top, ``rules`` lists the general coding rules, one item per rule.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from qualcode.errors import InvalidCodebook
from qualcode.inputfile import read_utf8

TOP_KEYS = {"title", "version", "language", "description", "rules", "codes"}
TEXT_FIELDS = ("name", "label", "definition", "include", "exclude", "source")
LIST_FIELDS = ("examples", "keywords")
FLAG_FIELDS = ("exclusive", "codable")
CODE_KEYS = {"id", *TEXT_FIELDS, *LIST_FIELDS, *FLAG_FIELDS, "color", "shortcut", "children"}
ID_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,31}$")
COLOR_PATTERN = re.compile(r"^#(?:[0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})$")
MAX_CODEBOOK_BYTES = 5_000_000
MAX_DEPTH = 40  # YAML nesting: a code nested 19 deep (codes, children, children, ...) fits
KEY_LINE = re.compile(r"^\s*(?:-\s+)?([A-Za-z_]+)\s*:(?:\s|$)")


@dataclass
class Code:
    id: str
    name: str
    label: str | None = None
    definition: str = ""
    include: str = ""
    exclude: str = ""
    source: str = ""
    examples: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    color: str | None = None
    shortcut: str | None = None
    exclusive: bool = False
    codable: bool = True
    children: list[Code] = field(default_factory=list)
    line: int = 0

    def walk(self, parent: str | None = None, depth: int = 0):
        """Yield (code, parent id, depth) for this code and its descendants, parents first."""
        yield self, parent, depth
        for child in self.children:
            yield from child.walk(self.id, depth + 1)


@dataclass
class Codebook:
    title: str = ""
    version: str = ""
    language: str = ""
    description: str = ""
    rules: list[str] = field(default_factory=list)
    codes: list[Code] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)  # (line, message): valid, but check it

    def walk(self):
        for code in self.codes:
            yield from code.walk()

    def ids(self) -> list[str]:
        return [code.id for code, _, _ in self.walk()]


class _Refused(yaml.MarkedYAMLError):
    """YAML a codebook never needs: anchors, aliases, deep nesting; refused while composing."""


class _Loader(yaml.SafeLoader):
    """The safe loader, refusing anchors and aliases (an alias bomb is refused at its first
    alias, not expanded) and nesting deeper than :data:`MAX_DEPTH` (no RecursionError)."""

    depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            found = f"the alias *{event.anchor}" if isinstance(event, yaml.AliasEvent) else f"the anchor &{event.anchor}"
            raise _Refused(problem=f"{found}: a codebook has no use for YAML anchors and aliases; write each value out",
                           problem_mark=event.start_mark)
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise _Refused(problem=f"nested more than {MAX_DEPTH} levels deep; a codebook needs far fewer (check "
                                       "the indentation)", problem_mark=event.start_mark)
        try:
            return super().compose_node(parent, index)
        finally:
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                self.depth -= 1


class _Reader:
    """Builds a Codebook from PyYAML's node tree, which knows the line of every value."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        self.problems: list[tuple[int, str]] = []
        self.warnings: list[tuple[int, str]] = []
        self.seen_ids: dict[str, int] = {}
        self.seen_shortcuts: dict[str, str] = {}

    def problem(self, node, message: str) -> None:
        self.problems.append((node.start_mark.line + 1, message))

    def mapping(self, node, where: str) -> dict[str, tuple]:
        """Return {key: (key_node, value_node)}, reporting duplicate and non-text keys."""
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, f"{where} must be a mapping of keys to values")
            return {}
        found: dict[str, tuple] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key is None:
                self.problem(key_node, f"{where} has a key that is not text")
            elif key in found:
                self.problem(key_node, f"{where} has the key '{key}' twice")
            else:
                found[key] = (key_node, value_node)
        return found

    def text(self, node, what: str) -> str | None:
        if isinstance(node, yaml.ScalarNode) and node.tag != "tag:yaml.org,2002:null":
            self.swallowed_keys(node, what)
            return str(node.value).strip()
        self.problem(node, f"{what} must be text")
        return None

    def swallowed_keys(self, node, what: str) -> None:
        """Warn when a quoted value runs over lines that look like ``key: value``: most likely a
        quote left open that swallowed the keys after it."""
        if node.style not in ('"', "'"):
            return
        for number in range(node.start_mark.line + 1, min(node.end_mark.line + 1, len(self.lines))):
            found = KEY_LINE.match(self.lines[number])
            if found and found[1] in CODE_KEYS | TOP_KEYS:
                self.warnings.append((node.start_mark.line + 1, (
                    f"the quoted {what} runs on to line {number + 1}, which looks like the key '{found[1]}:'; "
                    f"is a closing {node.style} missing? (the value is now {node.value[:60]!r}...)")))
                return

    def text_list(self, node, what: str) -> list[str]:
        if not isinstance(node, yaml.SequenceNode):
            self.problem(node, f"{what} must be a list (one '- item' per line)")
            return []
        items = [self.text(item, f"each item of {what}") for item in node.value]
        return [item for item in items if item]

    def unknown_keys(self, found: dict, allowed: set[str], where: str) -> None:
        for key, (key_node, _) in found.items():
            if key not in allowed:
                self.problem(key_node, f"unknown key '{key}' in {where}; allowed: {', '.join(sorted(allowed))}")

    def code(self, node) -> Code | None:
        found = self.mapping(node, "a code")
        if not found and isinstance(node, yaml.MappingNode):
            self.problem(node, "a code is empty; give it at least an id and a name")
            return None
        if not found:
            return None
        code_id = self.text(found["id"][1], "id") if "id" in found else None
        where = f"code '{code_id}'" if code_id else "a code"
        self.unknown_keys(found, CODE_KEYS, where)
        if "id" not in found:
            self.problem(node, "a code has no id; add 'id: SHORT_ID'")
        elif code_id is not None:
            if not ID_PATTERN.match(code_id):
                self.problem(found["id"][1], f"code id '{code_id}' must start with a letter and hold only letters, digits, '-', '_' or '.' (at most 32)")
            if code_id in self.seen_ids:
                self.problem(found["id"][1], f"duplicate code id '{code_id}' (first at line {self.seen_ids[code_id]})")
            else:
                self.seen_ids[code_id] = found["id"][1].start_mark.line + 1
        if "name" not in found:
            self.problem(node, f"{where} has no name; add 'name: ...'")
        values: dict = {}
        for key in TEXT_FIELDS:
            if key in found:
                values[key] = self.text(found[key][1], f"{key} of {where}") or ""
        if "name" in found and not values.get("name"):
            self.problem(found["name"][1], f"{where} has an empty name")
        for key in LIST_FIELDS:
            if key in found:
                values[key] = self.text_list(found[key][1], f"{key} of {where}")
        if "color" in found:
            color = self.text(found["color"][1], f"color of {where}")
            if color is not None and not COLOR_PATTERN.match(color):
                self.problem(found["color"][1], f"bad colour '{color}' in {where}: use #RRGGBB, e.g. \"#1F77B4\" (quoted)")
            values["color"] = color
        if "shortcut" in found:
            shortcut = self.text(found["shortcut"][1], f"shortcut of {where}")
            if shortcut is not None and len(shortcut) != 1:
                self.problem(found["shortcut"][1], f"shortcut '{shortcut}' of {where} must be one character")
            elif shortcut in self.seen_shortcuts:
                self.problem(found["shortcut"][1], f"shortcut '{shortcut}' of {where} is already used by {self.seen_shortcuts[shortcut]}")
            elif shortcut:
                self.seen_shortcuts[shortcut] = code_id or "?"
            values["shortcut"] = shortcut
        for key in FLAG_FIELDS:
            if key in found:
                flag_node = found[key][1]
                if flag_node.tag != "tag:yaml.org,2002:bool":
                    self.problem(flag_node, f"{key} of {where} must be true or false")
                else:
                    values[key] = flag_node.value.lower() in ("true", "yes", "on")
        children = []
        if "children" in found:
            children_node = found["children"][1]
            if not isinstance(children_node, yaml.SequenceNode):
                self.problem(children_node, f"children of {where} must be a list of codes")
            else:
                children = [c for c in (self.code(child) for child in children_node.value) if c]
        if values.get("exclusive") and len(children) < 2:
            self.problem(found["exclusive"][1], f"{where} is exclusive but has fewer than two children")
        if values.get("codable") is False and not children:
            self.problem(found["codable"][1], f"{where} is not codable but has no children, so nothing below it can be coded")
        if code_id is None or not values.get("name"):
            return None
        return Code(id=code_id, children=children, line=node.start_mark.line + 1, **values)

    def codebook(self, root) -> Codebook:
        found = self.mapping(root, "the codebook")
        self.unknown_keys(found, TOP_KEYS, "the codebook")
        book = Codebook()
        for key in ("title", "version", "language", "description"):
            if key in found:
                setattr(book, key, self.text(found[key][1], key) or "")
        if "rules" in found:
            book.rules = self.text_list(found["rules"][1], "rules")
        if "codes" not in found:
            self.problem(root, "the codebook has no 'codes:' list")
            return book
        codes_node = found["codes"][1]
        if not isinstance(codes_node, yaml.SequenceNode) or not codes_node.value:
            self.problem(codes_node, "'codes' must be a non-empty list of codes")
            return book
        book.codes = [c for c in (self.code(node) for node in codes_node.value) if c]
        return book


def _compose(text: str):
    """The node tree of ``text``: by libyaml when PyYAML has it (the shipped codebook in 8 ms
    instead of 90), once its events show no anchor, alias or nesting deeper than
    :data:`MAX_DEPTH` (the tree is walked, so an alias would be walked as often as it is used);
    any of those, or any error, is left to :class:`_Loader`, which says what is wrong, on which
    line, as it always has."""
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        try:
            depth = 0
            for event in yaml.parse(text, Loader=fast):
                if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                    break
                if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                    depth += 1
                    if depth > MAX_DEPTH:
                        break
                elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                    depth -= 1
            else:
                return yaml.compose(text, Loader=fast)
        except yaml.YAMLError:
            pass
    return yaml.compose(text, Loader=_Loader)


def parse(text: str, source: str = "<codebook>") -> tuple[Codebook, list[tuple[int, str]]]:
    """Parse codebook YAML; return the codebook and every problem found, by line."""
    try:
        root = _compose(text)
    except _Refused as exc:
        return Codebook(), [(exc.problem_mark.line + 1, exc.problem)]
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow; it has a position, not a line
        character = chr(exc.character) if isinstance(exc.character, int) else exc.character
        return Codebook(), [(text.count("\n", 0, exc.position) + 1,
                             f"not valid YAML: the character U+{ord(character):04X} is not allowed; remove it")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        problem = getattr(exc, "problem", None) or str(exc)
        return Codebook(), [(line, f"not valid YAML: {problem}")]
    if root is None:
        return Codebook(), [(1, "the file is empty; a codebook needs a 'codes:' list")]
    reader = _Reader(text.splitlines())
    book = reader.codebook(root)
    book.warnings = sorted(reader.warnings)
    return book, sorted(reader.problems)


def _read_text(path: Path) -> str:
    return read_utf8(
        path, max_bytes=MAX_CODEBOOK_BYTES, kind="codebook",
        missing="no such codebook file; give the path of a .yaml codebook",
        too_large="is this really a codebook?",
    )


def check(path: Path) -> list[tuple[int, str]]:
    """Every problem of a codebook file as (line, message); empty when it is valid."""
    return parse(_read_text(path), str(path))[1]


def keyword_overlaps(book: Codebook) -> list[tuple[int, str]]:
    """Keywords that sit in more than one code, as (line of the later code, warning): such a
    keyword cannot tell its codes apart, in the coder's hints or in the suggester's cold start."""
    first: dict[str, Code] = {}
    warnings = []
    for code, _, _ in book.walk():
        for keyword in dict.fromkeys(k.lower() for k in code.keywords):
            if keyword in first:
                warnings.append((code.line, f"keyword '{keyword}' of code '{code.id}' is also a keyword of "
                                            f"'{first[keyword].id}' (line {first[keyword].line}); keep it in one code"))
            else:
                first[keyword] = code
    return warnings


def read(path: Path) -> Codebook:
    """Read a valid codebook or raise :class:`InvalidCodebook` listing its problems."""
    book, problems = parse(_read_text(path), str(path))
    if problems:
        raise InvalidCodebook(path, problems)
    return book


def code_rows(book: Codebook) -> list[dict]:
    """The codebook as rows of the ``codes`` table (without guids), parents before children."""
    rows = []
    positions: dict[str | None, int] = {}
    for code, parent, _depth in book.walk():
        position = positions.get(parent, 0)
        positions[parent] = position + 1
        rows.append({
            "id": code.id,
            "parent_id": parent,
            "position": position,
            "name": code.name,
            "label": code.label,
            "definition": code.definition,
            "include": code.include,
            "exclude": code.exclude,
            "source": code.source,
            "codable": code.codable,
            "examples": json.dumps(code.examples, ensure_ascii=False),
            "keywords": json.dumps(code.keywords, ensure_ascii=False),
            "color": code.color,
            "exclusive": code.exclusive,
            "shortcut": code.shortcut,
        })
    return rows


@dataclass
class LoadReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)  # the codebook file's, by line


def _code_as_dict(code: Code) -> dict:
    out: dict = {"id": code.id, "name": code.name}
    if code.label:
        out["label"] = code.label
    if code.color:
        out["color"] = code.color
    if code.shortcut:
        out["shortcut"] = code.shortcut
    for key in ("definition", "include", "exclude", "source"):
        if getattr(code, key):
            out[key] = getattr(code, key)
    for key in LIST_FIELDS:
        if getattr(code, key):
            out[key] = list(getattr(code, key))
    if code.exclusive:
        out["exclusive"] = True
    if not code.codable:
        out["codable"] = False
    if code.children:
        out["children"] = [_code_as_dict(child) for child in code.children]
    return out


def dump(book: Codebook) -> str:
    """The codebook as YAML in the same format :func:`read` takes, so it round-trips through git."""
    head = {k: getattr(book, k) for k in ("title", "version", "language", "description", "rules") if getattr(book, k)}
    head["codes"] = [_code_as_dict(code) for code in book.codes]
    return yaml.safe_dump(head, sort_keys=False, allow_unicode=True, width=100)


def with_descendants(parents: dict[str, str | None], code_ids) -> set[str]:
    """``code_ids`` and every code below them, at any depth (a code includes its sub-codes)."""
    children: dict[str | None, list[str]] = {}
    for code_id, parent in parents.items():
        children.setdefault(parent, []).append(code_id)
    found, todo = set(), list(code_ids)
    while todo:
        code_id = todo.pop()
        if code_id not in found:
            found.add(code_id)
            todo.extend(children.get(code_id, []))
    return found
