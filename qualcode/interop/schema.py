"""The REFI-QDA XML layer: namespaces, the shipped schemas, a hardened parser, GUID helpers.

Writing is strict (:func:`validate` against the official XSDs plus a colour check lxml lacks);
reading is lenient about namespaces and GUID spelling but never resolves entities or a DTD.
"""

from __future__ import annotations

import functools
import re
import uuid
from importlib import resources

from lxml import etree

from qualcode.errors import BadFile, QualcodeError
from qualcode.inputfile import xml_text

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
# Producers write these instead of the codebook namespace; read them as the real one.
CODEBOOK_NS_VARIANTS = (CODEBOOK_NS, "urn:QDA-XML:codebook:1:0", "urn:QDA-XML:codebook:0:4", "")
PROJECT_NS_VARIANTS = (PROJECT_NS, "urn:QDA-XML:project:1:0", "")
SCHEMAS = {"project": "Project.xsd", "codebook": "Codebook.xsd"}
RGB = re.compile(r"^#(?:[0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})$")
GUID = re.compile(r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$")
HOSTILE = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
# Stable GUIDs for items qualcode keeps no GUID column for (variables, cases, selections).
GUID_NAMESPACE = uuid.UUID("6f0c3f47-2f7e-4b0e-9a39-0d6f8f6c8a10")


@functools.cache
def schema(kind: str) -> etree.XMLSchema:
    """The official schema shipped in ``qualcode/data/refi-qda`` (``kind``: project|codebook)."""
    path = resources.files("qualcode") / "data" / "refi-qda" / SCHEMAS[kind]
    return etree.XMLSchema(etree.fromstring(path.read_bytes()))


def validate(root: etree._Element, kind: str, name: str) -> None:
    """Refuse to write a document the schema rejects: that would be a bug in qualcode."""
    checker = schema(kind)
    if not checker.validate(root):
        error = checker.error_log.last_error
        raise QualcodeError(
            f"{name}: qualcode built XML that {SCHEMAS[kind]} rejects (line {error.line}: {error.message}); "
            f"nothing was written; please report this as a bug"
        )
    for element in root.iter():
        color = element.get("color") if isinstance(element.tag, str) else None
        if color is not None and not RGB.match(color):
            raise QualcodeError(f"{name}: qualcode wrote the colour {color!r}, which is not #RRGGBB; please report this as a bug")


def colour(value: str | None) -> str | None:
    """A colour the schema accepts, or None; #RRGGBBAA loses its alpha (lxml would let it pass)."""
    if not value:
        return None
    value = value.strip()
    if RGB.match(value):
        return value.upper()
    if re.match(r"^#[0-9A-Fa-f]{8}$", value):
        return value[:7].upper()
    return None


def guid_key(value: str | None) -> str:
    """GUIDs compare case-insensitively with or without braces (other ids as lower-case text)."""
    value = (value or "").strip()
    match = GUID.match(value)
    return match.group(1).lower() if match else value.lower()


def is_guid(value: str | None) -> bool:
    return bool(GUID.match((value or "").strip()))


def derived_guid(*parts: object) -> str:
    """A GUID that is the same every time for the same parts."""
    return str(uuid.uuid5(GUID_NAMESPACE, "\x1f".join(str(part) for part in parts)))


def local(element) -> str:
    """The element's name without its namespace ('' for comments and processing instructions)."""
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def namespace(element) -> str:
    return etree.QName(element).namespace or ""


def children(element, name: str) -> list:
    return [child for child in element if local(child) == name]


def child(element, name: str):
    found = children(element, name)
    return found[0] if found else None


def text_of(element, name: str) -> str:
    found = child(element, name)
    return (found.text or "") if found is not None else ""


def parse(data: bytes, where: str, path) -> etree._Element:
    """Parse REFI-QDA XML safely: no DTD, no entities, no network, no huge trees."""
    if HOSTILE.search(xml_text(path, where, data)):
        raise BadFile(path, f"{where} declares a DOCTYPE or ENTITY, which qualcode never reads; export it again without one")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, dtd_validation=False, remove_comments=True
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise BadFile(path, f"{where} is not well-formed XML ({' '.join(exc.msg.split())}); export it again from the other program") from None
    if root is None:
        raise BadFile(path, f"{where} is empty; export it again from the other program")
    return root
