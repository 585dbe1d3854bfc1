"""Codes between qualcode and REFI-QDA: what a code's ``Description`` carries, and the merge rule.

A REFI-QDA code has a name, a colour and one free-text ``Description``; a qualcode code also has
a short id, a definition, include and exclude criteria and a second-language label. Export writes
them as labelled paragraphs of the description, which other programs show as plain text::

    De klantmanager verwerft zelf actief kennis ...

    Include: Uitspraken over wat de klantmanager zelf doet ...

    Exclude: Het opleidingsaanbod ...

    Label: Kennis verwerven

    Code id: KV

Import reads them back; a description without them is all definition.

Merge rule (import into a project that already has codes): an incoming code is the project's code
with the same GUID (compared case-insensitively, braces ignored); else the one whose id its
``Code id:`` names; else the one with the same name or id (case-insensitive), if only one has it.
A matched code is kept exactly as the project has it (the project's codebook wins). Any other
code is added under its (matched or added) parent, after the existing siblings, with the id its
description names if free, else an id made from its name.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from qualcode.codebook import ID_PATTERN
from qualcode.interop.schema import guid_key, is_guid
from qualcode.store.codebook import code_records, insert_code

FIELDS = (("include", "Include"), ("exclude", "Exclude"), ("label", "Label"), ("id", "Code id"))
LABELLED = re.compile(r"^(Include|Exclude|Label|Code id):[ \t]*(.*)$", re.DOTALL)


def describe(row) -> str:
    """The REFI-QDA description of a code row: definition, then labelled criteria and id."""
    parts = [row["definition"].strip()] if row["definition"].strip() else []
    for key, title in FIELDS:
        value = (row[key] or "").strip()
        if value:
            parts.append(f"{title}: {value}")
    return "\n\n".join(parts)


def read_description(text: str) -> dict:
    """Split a description back into definition, include, exclude, label and id."""
    titles = {title: key for key, title in FIELDS}
    found = {"definition": "", "include": "", "exclude": "", "label": "", "id": ""}
    definition = []
    for paragraph in re.split(r"\r?\n\s*\r?\n", (text or "").strip()):
        match = LABELLED.match(paragraph.strip())
        if match and not found[titles[match[1]]]:
            found[titles[match[1]]] = match[2].strip()
        elif paragraph.strip():
            definition.append(paragraph.strip())
    found["definition"] = "\n\n".join(definition)
    return found


def id_from_name(name: str, taken: set[str]) -> str:
    """A free code id made from a name: ASCII letters, digits and '-', at most 32 characters."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^A-Za-z0-9]+", "-", ascii_name).strip("-") or "code"
    if not base[0].isalpha():
        base = "C-" + base
    base = base[:32].rstrip("-")
    candidate, number = base, 2
    while candidate.lower() in taken:
        suffix = f"-{number}"
        candidate, number = base[: 32 - len(suffix)] + suffix, number + 1
    return candidate


@dataclass
class IncomingCode:
    """A code read from a .qdc or .qde, its children nested."""

    guid: str
    name: str
    codable: bool = True
    color: str | None = None
    description: str = ""
    notes: list[str] = field(default_factory=list)
    children: list[IncomingCode] = field(default_factory=list)

    def walk(self, parent=None):
        yield self, parent
        for child in self.children:
            yield from child.walk(self)


@dataclass
class CodeMerge:
    """Where each incoming code went: ``ids`` maps a GUID key to the project's code id."""

    ids: dict[str, str] = field(default_factory=dict)
    added: list[str] = field(default_factory=list)
    matched: list[str] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)


def merge_codes(store, conn, incoming: list[IncomingCode]) -> CodeMerge:
    """Merge codes into the project's codebook by the rule in the module docstring."""
    rows = code_records(conn)
    by_guid = {guid_key(row["guid"]): row["id"] for row in rows}
    ids = {row["id"].lower(): row["id"] for row in rows}
    by_name: dict[str, list[str]] = {}
    for row in rows:
        for key in {row["name"].strip().lower(), row["id"].lower()}:
            by_name.setdefault(key, []).append(row["id"])
    guids = {guid_key(row["guid"]) for row in rows}
    positions: dict[str | None, int] = {}
    for row in rows:
        positions[row["parent_id"]] = max(positions.get(row["parent_id"], 0), row["position"] + 1)
    merge = CodeMerge()
    used: set[str] = set()
    for code, parent in (pair for top in incoming for pair in top.walk()):
        key = guid_key(code.guid)
        fields = read_description(code.description)
        found = by_guid.get(key) or (ids.get(fields["id"].lower()) if fields["id"] else None)
        if not found:
            candidates = [c for c in by_name.get(code.name.strip().lower(), []) if c not in used]
            found = candidates[0] if len(candidates) == 1 else None
        if found and found not in used:
            used.add(found)
            merge.ids[key] = found
            merge.matched.append(found)
            continue
        wanted = fields["id"] if ID_PATTERN.match(fields["id"] or "") and fields["id"].lower() not in ids else ""
        code_id = wanted or id_from_name(code.name, set(ids))
        parent_id = merge.ids.get(guid_key(parent.guid)) if parent else None
        position = positions.get(parent_id, 0)
        positions[parent_id] = position + 1
        insert_code(conn, {
            "id": code_id, "parent_id": parent_id, "position": position, "name": code.name.strip()[:255] or code_id,
            "label": fields["label"] or None, "definition": fields["definition"], "include": fields["include"],
            "exclude": fields["exclude"], "color": code.color,
            "guid": code.guid.strip() if is_guid(code.guid) and key not in guids else None,
        })
        store.log(conn, "code.add", code_id, {"name": code.name, "via": "REFI-QDA import"})
        ids[code_id.lower()] = code_id
        guids.add(key)
        used.add(code_id)
        merge.ids[key] = code_id
        merge.added.append(code_id)
        if not code.codable:
            merge.folders.append(code_id)
    return merge
