"""Which segments a command works on: one :class:`Selection` for every ``Project`` method that filters.

``parse_pairs(["role=client"]) -> {"role": "client"}`` is the one reader of ``KEY=VALUE``
options, and :func:`check_attributes` the one rule for a filter that matches nothing: an unknown
attribute key, or a value no document has, is an :class:`~qualcode.errors.UnknownItem` (exit 2)
naming the valid ones, with the closest first. Values match case-insensitively.

    >>> parse_pairs(["role=client", "municipality = Maasdelta"])
    {'role': 'client', 'municipality': 'Maasdelta'}
    >>> check_attributes({"role": "Client"}, {"role": {"client", "klantmanager"}})
    >>> check_attributes({"role": "clint"}, {"role": {"client", "klantmanager"}})
    Traceback (most recent call last):
    ...
    qualcode.errors.UnknownItem: unknown role value 'clint': did you mean client?; see 'qualcode documents'
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from qualcode.attributes import KEY
from qualcode.errors import BadInput, UnknownItem


@dataclass(frozen=True)
class Selection:
    """Documents (by name), attribute values, a speaker, a coder and codes; empty means all."""

    documents: tuple[str, ...] = ()
    attributes: Mapping[str, str] = field(default_factory=dict)
    speaker: str | None = None
    coder: str | None = None
    codes: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()  # DOC:N references given where documents are
    narrowed: frozenset[str] = frozenset()  # documents named only by such references

    @classmethod
    def of(cls, documents=None, attributes: Mapping[str, str] | None = None, **rest) -> Selection:
        """A selection from the loose arguments ``Project`` methods take (None meaning all); a
        ``DOC:N`` among the documents selects that segment of DOC."""
        names = tuple(documents or ())
        refs = tuple(name for name in names if SEGMENT_REF.match(name))
        whole = [name for name in names if name not in refs]
        of_refs = [parse_segment_ref(name)[0] for name in refs]
        return cls(documents=tuple(dict.fromkeys([*whole, *of_refs])), attributes=dict(attributes or {}),
                   segments=refs, narrowed=frozenset(of_refs) - set(whole), **rest)

    def narrow(self, rows: list[dict]) -> list[dict]:
        """Segment rows (with ``document`` and ``ref``) cut to the ``DOC:N`` references for the
        documents named only by them; a reference that matches no segment is refused."""
        if not self.segments:
            return rows
        kept = [row for row in rows if row["document"] not in self.narrowed or row["ref"] in self.segments]
        missing = sorted(set(self.segments) - {row["ref"] for row in kept})
        if missing:
            document = parse_segment_ref(missing[0])[0]
            raise BadInput(f"no segment {missing[0]} in the selection; see 'qualcode show {document}' for its segments")
        return kept


HUMAN = "human"
SYSTEM = "system"  # a QDA program's own user, read from a REFI-QDA file


def default_coders(kinds: Mapping[str, str]) -> list[str]:
    """The coders a command uses when none is named: people's work, sorted: human coders, and the
    ``system`` users under which a REFI-QDA file from another program holds its codings (they are
    left out of agreement, where only independent coders count). Coders of kind ``model``
    (autocode) and ``consensus`` count only when named, so machine and consensus codings never
    mix into a figure unasked.

    >>> default_coders({"anna": "human", "model": "model", "consensus": "consensus", "bram": "human", "ATLAS.ti": "system"})
    ['ATLAS.ti', 'anna', 'bram']
    """
    return sorted(name for name, kind in kinds.items() if kind in (HUMAN, SYSTEM))


def check_coder(name: str, known: Iterable[str]) -> str:
    """``name`` if it is a coder of the project, else an :class:`UnknownItem` with a did-you-mean."""
    known = list(known)
    if name not in known:
        raise UnknownItem("coder", name, known, "see 'qualcode status'")
    return name


def parse_pair(option: str) -> tuple[str, str]:
    """``KEY=VALUE`` from the command line (spaces around either side are dropped)."""
    key, sep, value = option.partition("=")
    key, value = key.strip(), value.strip()
    if not sep or not KEY.match(key) or not value:
        raise BadInput(f"bad --attr {option!r}: write KEY=VALUE, e.g. --attr role=klantmanager")
    return key, value


def parse_pairs(options: Iterable[str]) -> dict[str, str]:
    """Repeated ``KEY=VALUE`` options as a dict (a later key wins)."""
    return dict(parse_pair(option) for option in options or ())


def check_attribute_keys(keys: Iterable[str], known: Iterable[str]) -> None:
    """Refuse an attribute key the project does not have (``known``), naming the close ones."""
    known = set(known)
    for key in keys:
        if key not in known:
            raise UnknownItem("attribute", key, known, "see 'qualcode documents'")


def check_attributes(attributes: Mapping[str, str], values: Mapping[str, Iterable[str]]) -> None:
    """Refuse a key the project has no attribute for, or a value no document has.

    ``values`` maps each attribute key to the values documents hold.
    """
    check_attribute_keys(attributes, values)
    for key, wanted in attributes.items():
        held = {str(value) for value in values[key] if value is not None}
        if str(wanted).lower() not in {value.lower() for value in held}:
            raise UnknownItem(f"{key} value", str(wanted), held, "see 'qualcode documents'")


def matching_documents(attributes: Mapping[str, str], rows: Iterable[tuple]) -> set:
    """The document ids whose attributes hold every ``KEY=VALUE`` of ``attributes``, from
    ``(document id, key, value)`` rows; values match case-insensitively."""
    wanted = {key: str(value).lower() for key, value in attributes.items()}
    hits: dict = {}
    for document_id, key, value in rows:
        if key in wanted and value is not None and str(value).lower() == wanted[key]:
            hits.setdefault(document_id, set()).add(key)
    return {document_id for document_id, keys in hits.items() if len(keys) == len(wanted)}


SEGMENT_REF = re.compile(r"^(?P<doc>.+):(?P<number>[0-9]+)$", re.ASCII)


def parse_segment_ref(ref: str) -> tuple[str, int]:
    """Split ``DOC:N`` into the document name and N."""
    match = SEGMENT_REF.match(ref.strip())
    if not match:
        raise BadInput(f"bad segment reference {ref!r}: write DOC:N, e.g. km-maasdelta-01:12 (N as 'qualcode show DOC' prints it)")
    return match["doc"], int(match["number"])


def ref(document: str, number: int) -> str:
    """The reference of a segment, ``DOC:N``: the one place it is written."""
    return f"{document}:{number}"


def fingerprint(text: str) -> str:
    """A short fingerprint of a segment's text, written beside ``DOC:N`` so a reference can be
    checked to mean the same text: the first 8 hex digits of the SHA-256 of the text in NFC
    with runs of white space as one space and none at the ends.

    >>> fingerprint(" Ik volgde  eerst een opleiding. ") == fingerprint("Ik volgde eerst een opleiding.")
    True
    >>> fingerprint("Ik volgde eerst een opleiding.")
    '0075e38f'
    """
    normal = " ".join(unicodedata.normalize("NFC", text).split())
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()[:8]
