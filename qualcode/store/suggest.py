"""What the suggester reads (reviewed segments' texts, the human coders' codings) and the
autocoding it writes, through the one write path of :mod:`qualcode.store.coding`."""

from __future__ import annotations

import sqlalchemy as sa

from qualcode.errors import Conflict
from qualcode.store.coding import insert_codings, insert_reviews
from qualcode.store.core import Store
from qualcode.store.schema import coders, codings, documents, reviews, segments, turns

CODED = (codings.c.segment_id, codings.c.code_id, codings.c.coder)  # a code once per segment and coder

SEGMENT_TEXT = sa.func.substr(documents.c.text, segments.c.start + 1, segments.c.end - segments.c.start)
_asked, _own = turns.alias("asked"), turns.alias("own")
# The interviewer turn before a segment's turn (the question it answers), "" when there is none.
QUESTION = sa.func.coalesce(
    sa.select(sa.func.substr(documents.c.text, _asked.c.start + 1, _asked.c.end - _asked.c.start))
    .select_from(_own.join(_asked, (_asked.c.document_id == _own.c.document_id) & (_asked.c.number < _own.c.number)))
    .where(_own.c.id == segments.c.turn_id, _asked.c.role == "interviewer")
    .order_by(_asked.c.number.desc()).limit(1).scalar_subquery(),
    "",
)


def training_rows(conn: sa.Connection) -> tuple[list[tuple[int, int, str, str]], list[tuple[int, str]], list[tuple[int, str, str]]]:
    """The segments human coders reviewed as (segment id, document id, text, question: the
    interviewer turn before the segment's turn, or "") in document order,
    the human coders' review marks as (segment id, coder) and their codings as (segment id,
    code id, coder)."""
    humans = sa.select(coders.c.name).where(coders.c.kind == "human")
    marks = conn.execute(sa.select(reviews.c.segment_id, reviews.c.coder).where(reviews.c.coder.in_(humans))).all()
    rows = conn.execute(
        sa.select(segments.c.id, segments.c.document_id, SEGMENT_TEXT, QUESTION)
        .join(documents, documents.c.id == segments.c.document_id)
        .where(segments.c.id.in_(sa.select(reviews.c.segment_id).where(reviews.c.coder.in_(humans))))
        .order_by(documents.c.name, segments.c.number)
    ).all()
    coded = conn.execute(
        sa.select(*CODED).where(codings.c.coder.in_(humans)).group_by(*CODED)
    ).all()
    return [tuple(row) for row in rows], [tuple(row) for row in marks], [tuple(row) for row in coded]


def questions(conn: sa.Connection, document_names) -> dict[int, str]:
    """segment id -> the interviewer turn before it, for the segments of the documents named
    that follow one."""
    found = conn.execute(sa.select(segments.c.id, QUESTION).join(documents)
                         .where(documents.c.name.in_(sorted(set(document_names)))))
    return {segment_id: question for segment_id, question in found if question}


def segment_texts(conn: sa.Connection, segment_ids) -> dict[int, tuple[int, str, str]]:
    """segment id -> (document id, text, question: the interviewer turn before it, or "")."""
    found = conn.execute(sa.select(segments.c.id, segments.c.document_id, SEGMENT_TEXT, QUESTION).join(documents)
                         .where(segments.c.id.in_(list(segment_ids))))
    return {segment_id: (document_id, text, question) for segment_id, document_id, text, question in found}


def document_ids(conn: sa.Connection, names) -> set[int]:
    """The ids of the documents named (names that match none are left out)."""
    return set(conn.execute(sa.select(documents.c.id).where(documents.c.name.in_(list(names)))).scalars())


def check_model_coder(conn: sa.Connection, coder: str) -> None:
    """Refuse ``coder`` for autocoding unless it is new or a model coder (a person's codings stay theirs)."""
    kind = conn.execute(sa.select(coders.c.kind).where(coders.c.name == coder)).scalar()
    if kind not in (None, "model"):
        raise Conflict(f"coder {coder!r} is a {kind} coder; autocode writes only under a model coder: pass --coder with a new name, e.g. --coder model")


def write_autocoding(store: Store, conn: sa.Connection, coder: str, segment_ids, pairs) -> dict:
    """Replace ``coder``'s codings by ``pairs`` of (segment id, code id), origin ``suggestion``.

    The coder is of kind ``model`` and counts as having reviewed every segment it scored, so
    agreement with a human coder can be measured; a human coder's name is refused.
    """
    check_model_coder(conn, coder)
    old_codings = [dict(row) for row in conn.execute(sa.select(codings).where(codings.c.coder == coder)).mappings()]
    old_marks = [dict(row) for row in conn.execute(sa.select(reviews).where(reviews.c.coder == coder)).mappings()]
    conn.execute(codings.delete().where(codings.c.coder == coder))
    conn.execute(reviews.delete().where(reviews.c.coder == coder))
    store.ensure_coder(conn, coder, kind="model")
    ids = list(segment_ids)
    insert_reviews(conn, [{"segment_id": i, "coder": coder} for i in ids])
    insert_codings(conn, [{"segment_id": segment_id, "code_id": code_id, "coder": coder, "origin": "suggestion"}
                          for segment_id, code_id in pairs])
    store.log_many(conn, [
        *(("coding.delete", str(row["segment_id"]), {"code": row["code_id"], **_without(row, "id", "segment_id", "code_id")})
          for row in old_codings),
        *(("review.delete", str(row["segment_id"]), _without(row, "segment_id")) for row in old_marks),
        *(("review.add", str(i), {"coder": coder}) for i in ids),
        *(("coding.add", str(s), {"coder": coder, "code": code, "origin": "suggestion"}) for s, code in pairs),
    ])
    detail = {"coder": coder, "segments": len(ids), "codings": len(pairs), "replaced": len(old_codings)}
    store.log(conn, "autocode.write", coder, detail)
    return detail


def _without(row: dict, *keys: str) -> dict:
    return {k: v for k, v in row.items() if k not in keys}
