"""The store's plain reads: the queries of the commands that only look (``status``,
``documents``, ``show``, ``codings``, ``log``), as SQL text rather than SQLAlchemy Core.

Loading SQLAlchemy alone takes longer than such a command may (issue 21), so these queries run
over whatever connection is at hand: the :class:`~qualcode.store.Store`'s own (an SQLAlchemy
connection, SQLite or PostgreSQL: the library and the writing commands use them there too) or a
bare ``sqlite3`` connection that a look-only command opens on an SQLite project
(:func:`~qualcode.store.sqltext.open_sqlite`); :mod:`qualcode.store.sqltext` runs the text on
either.
"""

from __future__ import annotations

import json

from qualcode.auditlog import LOG_COLUMNS
from qualcode.errors import BadInput, UnknownItem
from qualcode.selection import Selection, check_attributes, fingerprint, matching_documents, parse_segment_ref, ref
from qualcode.selection import default_coders as selection_default_coders
from qualcode.store.identity import AUDIT_TRIGGERS, SERVER_AUDIT_TRIGGERS
from qualcode.store.sqltext import column, dialect, placeholders, rows, stream, value

# ---- meta ----------------------------------------------------------------------------------

def meta_value(db, key: str) -> str | None:
    return value(db, "SELECT value FROM meta WHERE key = ?", (key,))


def schema_version(db) -> int:
    """The schema version the project records (0 when it records none)."""
    found = meta_value(db, "schema_version")
    return int(found) if found is not None else 0


# ---- documents and segments -------------------------------------------------------------

def document_names(db) -> list[str]:
    return column(db, "SELECT name FROM documents")


def document_id(db, name: str) -> int:
    """The id of the document called ``name``; the one place an unknown name is refused."""
    found = value(db, "SELECT id FROM documents WHERE name = ?", (name,))
    if found is None:
        raise UnknownItem("document", name, document_names(db), "see 'qualcode documents'")
    return found


def document_rows(db) -> tuple[list[dict], list[str]]:
    """One row per document: name, turns, segments, speakers, then its attributes; and the attribute keys."""
    docs = rows(db, "SELECT id, name FROM documents ORDER BY name")
    n_turns = dict(rows(db, "SELECT document_id, count(*) FROM turns GROUP BY document_id"))
    n_segments = dict(rows(db, "SELECT document_id, count(*) FROM segments GROUP BY document_id"))
    speakers: dict[int, list[str]] = {}
    for doc_id, speaker, role in rows(db, "SELECT document_id, speaker, role FROM turns ORDER BY document_id, number"):
        label = f"{speaker} (interviewer)" if role == "interviewer" else speaker
        if label not in speakers.setdefault(doc_id, []):
            speakers[doc_id].append(label)
    values: dict[int, dict] = {}
    for doc_id, key, text, kind in rows(db, 'SELECT document_id, key, value, "type" FROM document_attributes'):
        values.setdefault(doc_id, {})[key] = float(text) if kind == "number" else text
    keys = sorted({k for v in values.values() for k in v})
    found = [
        {"name": name, "turns": n_turns.get(doc_id, 0), "segments": n_segments.get(doc_id, 0),
         "speakers": ", ".join(speakers.get(doc_id, [])), **{k: values.get(doc_id, {}).get(k) for k in keys}}
        for doc_id, name in docs
    ]
    return found, keys


def transcript_rows(db, name: str) -> list[dict]:
    """A document as ``show`` prints it: one row per segment, and one per turn without segments."""
    found = document_id(db, name)
    text = value(db, "SELECT text FROM documents WHERE id = ?", (found,))
    by_turn: dict[int, list[tuple[int, int, int]]] = {}
    for turn_id, number, start, end in rows(
            db, 'SELECT turn_id, number, start, "end" FROM segments WHERE document_id = ? ORDER BY number', (found,)):
        by_turn.setdefault(turn_id, []).append((number, start, end))
    shown = []
    for turn_id, number, speaker, role, time_start, time_end, start, end in rows(
            db, 'SELECT id, number, speaker, role, time_start, time_end, start, "end" FROM turns '
                'WHERE document_id = ? ORDER BY number', (found,)):
        base = {"turn": number, "speaker": speaker, "role": role, "time_start": time_start, "time_end": time_end}
        for segment, seg_start, seg_end in by_turn.get(turn_id) or [(None, start, end)]:
            shown.append({**base, "segment": segment, "ref": None if segment is None else ref(name, segment),
                          "text": text[seg_start:seg_end]})
    return shown


def segment_numbers(db) -> dict[int, tuple[str, int]]:
    """segment id -> (document name, N) for every segment."""
    return {seg_id: (name, number) for seg_id, name, number in
            rows(db, "SELECT s.id, d.name, s.number FROM segments s JOIN documents d ON d.id = s.document_id")}


def segment_refs(db) -> dict[int, str]:
    """segment id -> ``DOC:N`` for every segment."""
    return {seg_id: ref(name, number) for seg_id, (name, number) in segment_numbers(db).items()}


def segment_fingerprints(db) -> dict[int, str]:
    """segment id -> :func:`~qualcode.selection.fingerprint` of its text, for every segment.

    Each document's text is read once and cut here: cut by SQL, every segment re-reads its
    document up to its start, which grows with the square of the document's length."""
    spans: dict[int, list[tuple[int, int, int]]] = {}
    for seg_id, doc_id, start, end in rows(db, 'SELECT id, document_id, start, "end" FROM segments'):
        spans.setdefault(doc_id, []).append((seg_id, start, end))
    return {seg_id: fingerprint(text[start:end])
            for doc_id, text in rows(db, "SELECT id, text FROM documents")
            for seg_id, start, end in spans.get(doc_id, ())}


# ---- codes ---------------------------------------------------------------------------------

def known_codes(db) -> set[str]:
    """The ids of every code in the project."""
    return set(column(db, "SELECT id FROM codes"))


def check_codes(db, code_ids) -> list[str]:
    """Return ``code_ids`` if they all exist; otherwise name the first unknown one."""
    known = known_codes(db)
    for code_id in code_ids:
        if code_id not in known:
            raise UnknownItem("code", code_id, known, "see 'qualcode codebook show'")
    return list(code_ids)


def code_parents(db) -> dict[str, str | None]:
    """Every code id of the project mapped to its parent id (None at the top)."""
    return dict(rows(db, "SELECT id, parent_id FROM codes"))


def code_ids(db) -> list[str]:
    """Every code id in codebook order: each code before its sub-codes, siblings by position."""
    children: dict[str | None, list[str]] = {}
    for code_id, parent in rows(db, "SELECT id, parent_id FROM codes ORDER BY position, id"):
        children.setdefault(parent, []).append(code_id)
    ordered, todo = [], list(reversed(children.get(None, [])))
    while todo:
        code_id = todo.pop()
        ordered.append(code_id)
        todo.extend(reversed(children.get(code_id, [])))
    return ordered


def exclusive_codes(db) -> set[str]:
    """The ids of the codes whose children are mutually exclusive (exclusive groups)."""
    return set(column(db, "SELECT id FROM codes WHERE exclusive"))


def not_codable(db) -> dict[str, list[str]]:
    """Codes that may not be applied, each with the ids of its children (what to code instead)."""
    found_rows = rows(db, "SELECT id, parent_id, codable FROM codes ORDER BY position")
    found = {code_id: [] for code_id, _, codable in found_rows if not codable}
    for code_id, parent, _ in found_rows:
        if parent in found:
            found[parent].append(code_id)
    return found


# ---- coders, codings, review marks, memos ---------------------------------------------

def coder_names(db) -> list[str]:
    """Every coder's name, sorted."""
    return column(db, "SELECT name FROM coders ORDER BY name")


def coder_exists(db, name: str) -> bool:
    return value(db, "SELECT name FROM coders WHERE name = ?", (name,)) is not None


def coder_kinds(db) -> dict[str, str]:
    """Coder name -> kind (human, model, consensus), sorted by name."""
    return dict(rows(db, "SELECT name, kind FROM coders ORDER BY name"))


def _of_coder(sql: str, coder: str | None, column_name: str = "coder") -> tuple[str, tuple]:
    return (f"{sql} WHERE {column_name} = ?", (coder,)) if coder else (sql, ())


def coded(db, coder: str | None = None, codes=None) -> list[tuple[int, str, str]]:
    """(segment id, coder, code id) of every coded segment (several passages count once), for
    one coder or all, with any code or one of ``codes``."""
    sql, params = _of_coder("SELECT DISTINCT segment_id, coder, code_id FROM codings", coder)
    if codes is not None:
        codes = sorted(codes)
        if not codes:
            return []
        sql = f"{sql} {'AND' if params else 'WHERE'} code_id IN ({placeholders(codes)})"
        params = (*params, *codes)
    return [tuple(row) for row in rows(db, sql, params)]


def reviewed(db, coder: str | None = None) -> list[tuple[int, str]]:
    """(segment id, coder) of every review mark, for one coder or all."""
    return [tuple(row) for row in rows(db, *_of_coder("SELECT segment_id, coder FROM reviews", coder))]


def codings_per_code(db) -> dict[str, int]:
    return dict(rows(db, "SELECT code_id, count(*) FROM codings GROUP BY code_id"))


def project_counts(db) -> dict:
    """Documents, segments, codes and codings, and per coder (by name) its kind, codings, those
    from accepted suggestions (origin ``suggestion``) and review marks."""
    def count(table: str) -> int:
        return value(db, f"SELECT count(*) FROM {table}")

    per_coder = {coder: (n, suggested) for coder, n, suggested in rows(
        db, "SELECT coder, count(*), sum(CASE WHEN origin = 'suggestion' THEN 1 ELSE 0 END) FROM codings GROUP BY coder")}
    marks = dict(rows(db, "SELECT coder, count(*) FROM reviews GROUP BY coder"))
    return {
        "documents": count("documents"),
        "segments": count("segments"),
        "codes": count("codes"),
        "codings": count("codings"),
        "coders": {name: {"kind": kind, "codings": per_coder.get(name, (0, 0))[0],
                          "from_suggestions": int(per_coder.get(name, (0, 0))[1] or 0),
                          "reviewed": marks.get(name, 0)}
                   for name, kind in coder_kinds(db).items()},
    }


def memo_texts(db, target_type: str, author: str | None = None) -> list[tuple[str | None, str, str]]:
    """(target id, author, text) of the memos on one type of target, oldest first, for one
    author or all."""
    sql, params = "SELECT target_id, author, text FROM memos WHERE target_type = ?", (target_type,)
    if author:
        sql, params = f"{sql} AND author = ?", (*params, author)
    return [tuple(row) for row in rows(db, f"{sql} ORDER BY id", params)]


def segment_memos(db, author: str | None = None) -> list[tuple[int, str, str]]:
    """(segment id, author, text) of every segment memo, oldest first, for one author or all."""
    return [(int(target), name, text) for target, name, text in memo_texts(db, "segment", author)]


# ---- the audit log ----------------------------------------------------------------------------

AUDIT_ENTRY = (*LOG_COLUMNS, "prev_hash", "hash")

def audit_rows(db, *, since: str | None = None, action: str | None = None) -> list[dict]:
    """:func:`audit_entries` as a list."""
    return list(audit_entries(db, since=since, action=action))


def audit_entries(db, *, since: str | None = None, action: str | None = None):
    """Audit entries oldest first, one by one, from ``since`` (the store's time format) on;
    ``action`` is a prefix ('coding' matches coding.add and coding.delete)."""
    where, params = [], []
    if since:
        where.append("at >= ?")
        params.append(since)
    if action:
        where.append("action LIKE ? ESCAPE '/'")
        params.append(action.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%")
    sql = f"SELECT {', '.join(LOG_COLUMNS)} FROM audit" + (f" WHERE {' AND '.join(where)}" if where else "")
    return (dict(zip(LOG_COLUMNS, row)) for row in stream(db, f"{sql} ORDER BY id", params))


def actors(db) -> set[str]:
    """Everyone who ever made a change (the log's actors)."""
    return set(column(db, "SELECT DISTINCT actor FROM audit"))


def last_audit_entry(db) -> dict | None:
    """The newest audit entry with its hash columns, or None for an empty log."""
    found = rows(db, f"SELECT {', '.join(AUDIT_ENTRY)} FROM audit ORDER BY id DESC LIMIT 1")
    return dict(zip(AUDIT_ENTRY, found[0])) if found else None


def missing_audit_triggers(db) -> list[str]:
    """The append-only triggers that are not in the database, or (PostgreSQL) are disabled."""
    if dialect(db) == "postgresql":
        present = set(column(db, "SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass('audit') "
                                 "AND NOT tgisinternal AND tgenabled <> 'D'"))
        return [name for name in SERVER_AUDIT_TRIGGERS if name not in present]
    present = set(column(db, "SELECT name FROM sqlite_master WHERE type = 'trigger'"))
    return [name for name in AUDIT_TRIGGERS if name not in present]


def last_hash(db) -> str | None:
    """The hash of the last audit entry (for a login that may read the chain)."""
    return value(db, "SELECT hash FROM audit ORDER BY id DESC LIMIT 1")


# ---- segments as retrieval finds them -----------------------------------------------------

def attribute_rows(db) -> list[tuple[int, str, str]]:
    """(document id, key, value) of every document attribute."""
    return [tuple(row) for row in rows(db, "SELECT document_id, key, value FROM document_attributes")]


def attribute_values(found_rows) -> dict[str, set[str]]:
    """Attribute key -> the values documents hold, from :func:`attribute_rows`."""
    values: dict[str, set[str]] = {}
    for _document_id, key, text in found_rows:
        values.setdefault(key, set()).add(text)
    return values


def selected_documents(db, selection: Selection) -> set[int] | None:
    """The ids of the documents ``selection`` keeps (None: all of them); names, attribute keys
    and attribute values that match nothing are refused here, the one place that checks them."""
    for name in selection.documents:
        document_id(db, name)
    if not selection.attributes:
        return None
    found = attribute_rows(db)
    check_attributes(selection.attributes, attribute_values(found))
    return matching_documents(selection.attributes, found)


SEGMENT_ROW = ("segment_id", "document", "segment", "unit", "speaker", "start", "end", "time_start", "document_id")


def segment_rows(db, selection: Selection = Selection()) -> list[dict]:
    """Segments in document order with their text, speaker, time and reference, as ``selection``
    keeps them (documents, attributes and speaker; codes and coder are the caller's)."""
    where, params = [], []
    kept = selected_documents(db, selection)
    if selection.documents:
        where.append(f"d.name IN ({placeholders(selection.documents)})")
        params += list(selection.documents)
    if kept is not None:
        where.append(f"s.document_id IN ({placeholders(kept)})" if kept else "1 = 0")
        params += sorted(kept)
    if selection.speaker:
        where.append("lower(s.speaker) = ?")
        params.append(selection.speaker.lower())
    found = [dict(zip(SEGMENT_ROW, row)) for row in rows(
        db, 'SELECT s.id, d.name, s.number, s.unit, s.speaker, s.start, s."end", t.time_start, s.document_id '
            "FROM segments s JOIN documents d ON d.id = s.document_id LEFT JOIN turns t ON t.id = s.turn_id"
            + (f" WHERE {' AND '.join(where)}" if where else "") + " ORDER BY d.name, s.number", params)]
    # Slicing each document's text once in Python is far faster than SQLite's substr per row.
    wanted = sorted({row["document_id"] for row in found})
    texts = dict(rows(db, f"SELECT id, text FROM documents WHERE id IN ({placeholders(wanted)})", wanted)) if wanted else {}
    for row in found:
        row["text"] = texts[row.pop("document_id")][row["start"]:row["end"]]
        row["ref"] = ref(row["document"], row["segment"])
    return found


def attributes_by_document(db) -> tuple[dict[str, dict[str, str]], list[str]]:
    """document name -> {key: value}, and every attribute key in first-seen order."""
    found: dict[str, dict[str, str]] = {}
    keys: dict[str, None] = {}
    for name, key, text in rows(db, "SELECT d.name, a.key, a.value FROM document_attributes a "
                                    "JOIN documents d ON d.id = a.document_id ORDER BY d.name, a.key"):
        found.setdefault(name, {})[key] = text
        keys[key] = None
    return found, list(keys)


def default_coders(db) -> list[str]:
    """The coders a command uses when none is named (:func:`qualcode.selection.default_coders`)."""
    return selection_default_coders(coder_kinds(db))


def _in_documents(names) -> tuple[str, list]:
    """A condition on ``codings.segment_id`` keeping the segments of the documents ``names``
    (None: every document), so a look at one interview does not read the whole project's codings."""
    if names is None:
        return "1 = 1", []
    names = sorted(names)
    return ("c.segment_id IN (SELECT s.id FROM segments s JOIN documents d ON d.id = s.document_id "
            f"WHERE d.name IN ({placeholders(names)}))" if names else "1 = 0"), names


def codes_by_segment(db, coder: str | None = None, document_names=None) -> dict[int, dict[str, list[str]]]:
    """segment id -> coder -> code ids (sorted, each once however many passages), for one coder or
    the default ones (:func:`default_coders`), in the documents named (None: all)."""
    coders = [coder] if coder else default_coders(db)
    if not coders:
        return {}
    inside, params = _in_documents(document_names)
    found: dict[int, dict[str, list[str]]] = {}
    for segment_id, name, code_id in rows(
            db, f"SELECT DISTINCT c.segment_id, c.coder, c.code_id FROM codings c WHERE c.coder IN ({placeholders(coders)}) "
                f"AND {inside} ORDER BY c.code_id", [*coders, *params]):
        found.setdefault(segment_id, {}).setdefault(name, []).append(code_id)
    return found


def partial_passages(db, coder: str | None = None,
                     document_names=None) -> dict[int, dict[str, dict[str, list[tuple[int, int]]]]]:
    """segment id -> code id -> coder -> passages (document offsets, clipped to the segment) of
    the codes that cover only part of a segment: a coder's code that also covers the whole
    segment is not listed. For one coder or all, in the documents named (None: all)."""
    inside, params = _in_documents(document_names)
    if coder:
        inside, params = f"{inside} AND c.coder = ?", [*params, coder]
    found: dict[int, dict[str, dict[str, list[tuple[int, int]]]]] = {}
    whole = set()
    for segment_id, code_id, name, start, end, first, last in rows(
            db, 'SELECT c.segment_id, c.code_id, c.coder, c.start, c."end", s.start, s."end" FROM codings c '
                f"JOIN segments s ON s.id = c.segment_id WHERE {inside} ORDER BY c.start", params):
        if start is None or (start <= first and end >= last):
            whole.add((segment_id, code_id, name))
        else:
            found.setdefault(segment_id, {}).setdefault(code_id, {}).setdefault(name, []).append((max(start, first), min(end, last)))
    for segment_id, code_id, name in whole:
        found.get(segment_id, {}).get(code_id, {}).pop(name, None)
    return found


# ---- the codebook and memos ---------------------------------------------------------------

CODE_FIELDS = ("id", "parent_id", "name", "label", "definition", "include", "exclude", "source", "examples",
               "keywords", "color", "shortcut", "exclusive", "codable")


def read_codebook(db):
    """The project's current :class:`~qualcode.codebook.Codebook`, rebuilt from its ``codes`` table."""
    from qualcode.codebook import Code, Codebook  # noqa: PLC0415 - it loads PyYAML, which other reads do not need

    info = dict(rows(db, "SELECT key, value FROM meta WHERE key LIKE ?", ("codebook.%",)))
    found = [dict(zip(CODE_FIELDS, row)) for row in rows(
        db, f"SELECT {', '.join(CODE_FIELDS)} FROM codes ORDER BY position, id")]
    built = {
        row["id"]: Code(id=row["id"], name=row["name"], label=row["label"], definition=row["definition"],
                        include=row["include"], exclude=row["exclude"], source=row["source"],
                        examples=json.loads(row["examples"]), keywords=json.loads(row["keywords"]), color=row["color"],
                        shortcut=row["shortcut"], exclusive=bool(row["exclusive"]), codable=bool(row["codable"]))
        for row in found
    }
    top = []
    for row in found:
        (built[row["parent_id"]].children if row["parent_id"] else top).append(built[row["id"]])
    return Codebook(
        title=info.get("codebook.title", ""),
        version=info.get("codebook.version", ""),
        language=info.get("codebook.language", ""),
        description=info.get("codebook.description", ""),
        rules=json.loads(info.get("codebook.rules", "[]")),
        codes=top,
    )


MEMO_COLUMNS = ["id", "target_type", "target", "author", "created_at", "text"]
MEMO_FIELDS = ("id", "target_type", "target_id", "author", "created_at", "updated_at", "text")


def _target_names(db) -> dict[tuple[str, str], str]:
    names = {("document", str(doc_id)): name for doc_id, name in rows(db, "SELECT id, name FROM documents")}
    names.update({("segment", str(seg_id)): segment_ref for seg_id, segment_ref in segment_refs(db).items()})
    return names


def _memo_records(db, where: str = "", params=()) -> list[dict]:
    return [dict(zip(MEMO_FIELDS, row)) for row in rows(
        db, f"SELECT {', '.join(MEMO_FIELDS)} FROM memos{f' WHERE {where}' if where else ''} ORDER BY id", params)]


def memo_rows(db, *, document: str | None = None, code: str | None = None) -> list[dict]:
    """Memos oldest first; ``document`` keeps those on it and on its segments, ``code`` those on a code."""
    where, params = [], []
    if document:
        found = document_id(db, document)
        where.append("((target_type = 'document' AND target_id = ?) OR (target_type = 'segment' AND target_id IN "
                     "(SELECT CAST(id AS TEXT) FROM segments WHERE document_id = ?)))")
        params += [str(found), found]
    if code:
        check_codes(db, [code])
        where.append("target_type = 'code' AND target_id = ?")
        params.append(code)
    names = _target_names(db)
    return [{**{k: row[k] for k in MEMO_COLUMNS if k != "target"},
             "target": names.get((row["target_type"], row["target_id"]), row["target_id"] or "")}
            for row in _memo_records(db, " AND ".join(where), params)]


def memo(db, memo_id: int) -> dict:
    """One memo in full (the columns of :data:`MEMO_COLUMNS` plus ``updated_at``)."""
    found = _memo_records(db, "id = ?", (memo_id,))
    if not found:
        raise UnknownItem("memo", str(memo_id), column(db, "SELECT id FROM memos"), "see 'qualcode memo list'")
    row = found[0]
    target = _target_names(db).get((row["target_type"], row["target_id"]), row["target_id"] or "")
    return {**{k: row[k] for k in ("id", "target_type", "author", "created_at", "updated_at", "text")}, "target": target}


# ---- one segment and its turn --------------------------------------------------------------

def resolve_segment(db, segment_ref: str) -> int:
    """The id of the segment ``DOC:N``; unknown documents and numbers are named in the error."""
    name, number = parse_segment_ref(segment_ref)
    found = document_id(db, name)
    segment_id = value(db, "SELECT id FROM segments WHERE document_id = ? AND number = ?", (found, number))
    if segment_id is None:
        last = value(db, "SELECT max(number) FROM segments WHERE document_id = ?", (found,))
        raise BadInput(f"{name} has no segment {number}: its segments are 1 to {last or 0}; see 'qualcode show {name}'")
    return segment_id


TURN_ROW = ("speaker", "role", "time_start", "start", "end")


def turn_rows(db, document: str) -> list[dict]:
    """A document's turns in order (speaker, role, time_start, start, end) with their text, cut in
    Python (SQLite's substr walks the text from its start for every turn); none if no such document."""
    found = rows(db, "SELECT id, text FROM documents WHERE name = ?", (document,))
    if not found:
        return []
    found_id, text = found[0]
    return [{**dict(zip(TURN_ROW, row)), "text": text[row[3]:row[4]]} for row in rows(
        db, 'SELECT speaker, role, time_start, start, "end" FROM turns WHERE document_id = ? ORDER BY number', (found_id,))]
