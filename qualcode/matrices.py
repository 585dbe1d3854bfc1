"""Theme matrices: respondent x code, attribute x code, code x code, and the framework matrix.

Takes what the store read (:class:`~qualcode.store.matrix.MatrixSources`: codings, segments,
documents and attributes as DataFrames) and options, gives pandas DataFrames; nothing here reads
or writes (``qualcode.export`` writes files). Codings are tallied with vectorised pandas, so any
matrix of a 200-interview project takes well under a second.

A column for code X always means "X or one of its sub-codes": ``codes="top"`` gives one column
per top-level code, ``"all"`` one per code, a list one per listed code. Which codings count is
the coding rule (``coder``): one coder by name, ``"consensus"``, ``"union"`` (a segment has a code
if any coder applied it) or ``"all"`` (codings added up over coders). Every frame carries what
it is in ``frame.attrs["qualcode"]`` (rule, value, variable labels and meanings), which the
exporters turn into labels and a data dictionary.

Missing is not zero: a respondent none of the rule's coders reviewed (no review mark on any of
its segments; tagging a segment marks it) has missing cells (``<NA>``), never 0, and rows by
attribute add up only reviewed documents, saying how many were left out. Shares are over the
reviewed segments. Variable labels are the codes' English ``name`` or their ``label`` (the
codebook's second language, Dutch here): ``labels="en"`` or ``"nl"``, by default the
codebook's ``language``.

    >>> project.matrix(codes="top", value="presence").loc["km-maasdelta-01", "KV"]  # doctest: +SKIP
    1
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from qualcode.errors import BadInput, NotEnoughData, UnknownItem
from qualcode.selection import check_attribute_keys, check_attributes, default_coders, matching_documents, ref
from qualcode.store.matrix import MatrixSources

VALUES = ("count", "presence", "share", "words")
RULES = ("consensus", "union", "all")
WITHIN = ("segment", "turn", "document")
MEASURES = ("count", "jaccard")
CONSENSUS = "consensus"
RESPONDENT_KEY = "respondent_id"
MISSING = "(none)"
LABELS = ("nl", "en")
VALUE_MEANING = {
    "count": "number of segments coded {what}",
    "presence": "1 if any segment is coded {what}, else 0",
    "share": "share of the respondent's reviewed segments coded {what}",
    "words": "number of words in segments coded {what}",
}
SHARE_ALL = ("share of the segment reviews coded {what}: codings added up over coders divided by the "
             "segments each coder reviewed, added up over coders")
NOT_REVIEWED = ("missing (not 0) where none of the rule's coders reviewed any segment of the document: "
                "system-missing in .sav, . in .dta, empty in .csv/.xlsx, null in .parquet")


@dataclass(frozen=True)
class Rule:
    """Which codings count: the option as given, the coders it covers, and a sentence saying so."""

    name: str
    coders: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class Columns:
    """The matrix columns: code ids in codebook order, and which codes feed each."""

    ids: list[str]
    sources: dict[str, list[str]]
    names: dict[str, str]
    references: dict[str, str]  # where each column's code comes from (its own or its parent's ``source``)

    def mapping(self) -> pd.DataFrame:
        pairs = [(source, column) for column in self.ids for source in self.sources[column]]
        return pd.DataFrame(pairs, columns=["code_id", "column"])

    def label(self, column: str) -> str:
        return f"{self.names[column]} ({column})"

    def what(self, column: str) -> str:
        below = self.sources[column][1:]
        return f"{column} or a sub-code ({', '.join(below)})" if below else column


def coding_rule(known: dict[str, str], coder: str | None) -> Rule:
    """Resolve ``coder`` among the coders ``known`` (name -> kind); None means "consensus" when a
    coder of that name exists, else "union"."""
    if coder is None:
        coder = CONSENSUS if CONSENSUS in known else "union"
    if coder in ("union", "all"):
        pool = tuple(name for name in default_coders(known) if name != CONSENSUS)
        if not pool:
            raise NotEnoughData("no coder has coded anything yet: code some segments with 'qualcode tag' first")
        if coder == "union":
            return Rule(coder, pool, f"union of coders {', '.join(pool)}: a segment has a code if any of them applied it")
        return Rule(coder, pool, f"all codings of coders {', '.join(pool)}, added up over coders (a segment coded by two coders counts twice)")
    choices = ", ".join([*known, "union", "all"])
    if coder == CONSENSUS and coder not in known:
        raise BadInput(f"no consensus coding in this project yet (no coder named 'consensus'): use --coder {choices}")
    if coder not in known:
        options = list(dict.fromkeys([*known, *RULES]))
        raise UnknownItem("coder", coder, options, f"use --coder {', '.join(options)}")
    if coder == CONSENSUS:
        return Rule(coder, (coder,), "consensus codings (coder 'consensus')")
    return Rule(coder, (coder,), f"codings by coder {coder}")


def by_coder(rule: Rule, known: dict[str, str]) -> bool:
    """Whether counting needs to know who coded: under "all", or when some coders do not count."""
    return rule.name == "all" or not set(known) <= set(rule.coders)


def check_options(*, value: str | None = None, within: str | None = None, measure: str | None = None,
                  quotes: int | None = None) -> None:
    """Refuse an unknown value, unit of co-occurrence or measure, or fewer than one quote."""
    if value is not None and value not in VALUES:
        raise BadInput(f"unknown value {value!r}: use one of {', '.join(VALUES)}")
    if within is not None and within not in WITHIN:
        raise BadInput(f"unknown --within {within!r}: use one of {', '.join(WITHIN)}")
    if measure is not None and measure not in MEASURES:
        raise BadInput(f"unknown --measure {measure!r}: use one of {', '.join(MEASURES)}")
    if quotes is not None and quotes < 1:
        raise BadInput(f"bad --quotes {quotes}: give at least 1")


def label_language(sources: MatrixSources, labels: str | None) -> str:
    """``labels`` checked, or the codebook's language when it is nl or en, else en."""
    if labels is None:
        return sources.book.language if sources.book.language in LABELS else "en"
    if labels not in LABELS:
        raise BadInput(f"unknown --labels {labels!r}: use nl (the codes' label) or en (their name)")
    return labels


def code_columns(sources: MatrixSources, codes="top", labels: str | None = None) -> Columns:
    """The columns for ``codes``: "top", "all" or a list of code ids (unknown ids are named);
    named in the ``labels`` language (see :func:`label_language`)."""
    book = sources.book
    dutch = label_language(sources, labels) == "nl"
    order, parents, names, references = [], {}, {}, {}
    for code, parent, _depth in book.walk():
        order.append(code.id)
        parents[code.id] = parent
        names[code.id] = (code.label or code.name) if dutch else code.name
        references[code.id] = code.source or references.get(parent, "")
    if codes == "top":
        ids = [code.id for code in book.codes]
    elif codes == "all":
        ids = order
    elif isinstance(codes, str):
        raise BadInput(f"bad --codes {codes!r}: use top, all, or code ids")
    else:
        for code_id in codes:
            if code_id not in parents:
                raise UnknownItem("code", code_id, parents, "see 'qualcode codebook show'")
        ids = list(dict.fromkeys(codes))
    if not ids:
        raise NotEnoughData("the project has no codes yet; load a codebook with 'qualcode codebook load FILE'")
    sources = {column: [] for column in ids}
    for code_id in order:
        ancestor = code_id
        while ancestor is not None:
            if ancestor in sources:
                sources[ancestor].append(code_id)
            ancestor = parents[ancestor]
    return Columns(ids, sources, names, {column: references[column] for column in ids})


def case_table(sources: MatrixSources, attributes: dict[str, str] | None = None) -> tuple[pd.DataFrame, dict[str, str]]:
    """Documents (index: document id) with their name and attributes, those ``attributes``
    select (see :mod:`qualcode.selection`: a key or value that matches nothing is an error).

    Returns the table and each attribute's type (category, number or date).
    """
    docs, values = sources.documents, sources.attributes
    types = dict(sorted(values.drop_duplicates("key").set_index("key")["type"].items()))
    wide = values.pivot(index="document_id", columns="key", values="value").reindex(columns=list(types))
    for key, kind in types.items():
        if kind == "number" and key != RESPONDENT_KEY:
            wide[key] = pd.to_numeric(wide[key], errors="coerce")
        elif kind == "date":
            wide[key] = pd.to_datetime(wide[key], errors="coerce", format="ISO8601")
    docs = docs.join(wide)
    if attributes:
        rows = list(zip(values["document_id"], values["key"], values["value"]))
        check_attributes(attributes, {key: set(group) for key, group in values.groupby("key")["value"]})
        docs = docs[docs.index.isin(matching_documents(attributes, rows))]
    if docs.empty:
        raise NotEnoughData("the project has no documents yet; import transcripts first")
    return docs, types


def coded_segments(sources: MatrixSources, rule: Rule, columns: Columns, document_ids) -> pd.DataFrame:
    """One row per segment, column (and coder under the "all" rule) that the rule counts, with
    the segment's document, turn and number."""
    found = sources.codings
    if "coder" in found:
        found = found[found["coder"].isin(rule.coders)]
    mapping = columns.mapping()
    mapping["code"] = found["code_id"].cat.categories.get_indexer(mapping["code_id"])
    mapping["column"] = pd.Categorical(mapping["column"], categories=columns.ids)
    found = found.assign(code=found["code_id"].cat.codes).drop(columns="code_id")
    hits = found.merge(mapping[mapping["code"] >= 0][["code", "column"]], on="code").drop(columns="code")
    keys = ["segment_id", "column", "coder"] if rule.name == "all" else ["segment_id", "column"]
    hits = hits.drop_duplicates(keys)
    hits = hits.join(sources.segments.set_index("segment_id"), on="segment_id")
    hits = hits[hits["document_id"].isin(document_ids)]
    if hits.empty:
        raise NotEnoughData(f"no codings to count ({rule.text}) in the selected documents and codes")
    return hits


@functools.cache
def _is_space():
    """A lookup table: is code point N whitespace to ``str.split()``? (all such lie below U+3001)"""
    return np.array([chr(code).isspace() for code in range(0x3001)])


def word_counts(text: str, starts, ends):
    """Words (as ``str.split`` counts them) in each span ``text[start:end]``, vectorised: count
    the word starts inside the span, plus one when the span begins inside a word."""
    chars = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    starts, ends = np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64)
    if not len(chars):
        return np.zeros(len(starts), dtype=np.int64)
    space = (chars <= 0x3000) & _is_space()[np.minimum(chars, 0x3000)]
    begins = ~space & np.concatenate(([True], space[:-1]))
    positions = np.flatnonzero(begins)
    inside = np.searchsorted(positions, ends) - np.searchsorted(positions, starts)
    first = np.minimum(starts, len(chars) - 1)
    return inside + ((ends > starts) & ~space[first] & ~begins[first])


def _document_texts(sources: MatrixSources, document_ids) -> dict[int, str]:
    return {int(d): sources.texts[int(d)] for d in document_ids}


def _segment_words(sources: MatrixSources, hits: pd.DataFrame) -> pd.Series:
    """Words per coded segment: all documents' texts are joined once, so one vectorised pass
    counts every segment."""
    spans = hits.drop_duplicates("segment_id")
    texts = _document_texts(sources, spans["document_id"].unique())
    lengths = pd.Series({document_id: len(text) + 1 for document_id, text in texts.items()})
    shift = spans["document_id"].map(lengths.cumsum() - lengths).to_numpy()
    counts = word_counts("\n".join(texts.values()), spans["start"].to_numpy() + shift, spans["end"].to_numpy() + shift)
    return pd.Series(counts, index=spans["segment_id"].to_numpy())


def respondent_keys(docs: pd.DataFrame) -> tuple[pd.Series, list[str]]:
    """The key that joins to the survey, as text, and the documents without one: attribute
    respondent_id when any document has it, else the document name. One respondent_id on two
    documents is an error: add them up with ``rows="respondent_id"``."""
    if RESPONDENT_KEY not in docs or docs[RESPONDENT_KEY].isna().all():
        return docs["document"], []
    keys = docs[RESPONDENT_KEY].astype("string")
    twice = keys[keys.notna() & keys.duplicated(keep=False)]
    if not twice.empty:
        first = twice.iloc[0]
        names = ", ".join(docs.loc[twice.index[twice == first], "document"])
        raise BadInput(f"respondent_id {first!r} is on more than one document ({names}): a row per respondent needs "
                       "one document each; add them up with --rows respondent_id, or correct the attribute")
    return keys.rename(RESPONDENT_KEY), docs.loc[keys.isna().to_numpy(), "document"].tolist()


def _provenance(kind: str, rule: Rule, sources: MatrixSources, **extra) -> dict:
    book = sources.book
    return {"kind": kind, "coder": rule.name, "coding_rule": rule.text,
            "codebook": {"title": book.title, "version": book.version}, "unit": sources.unit, **extra}


def _attribute_variables(docs: pd.DataFrame, key: str, types: dict[str, str], names: dict[str, str]) -> dict:
    """The dictionary entries of the case attributes, under their column ``names``."""
    variables = {}
    if key != "document":
        variables["document"] = {"role": "attribute", "type": "name", "label": "Document name",
                                 "meaning": "name of the interview document in the qualcode project"}
    for name, kind in types.items():
        if name != key:
            renamed = "" if names[name] == name else f"; renamed: a code is called {name!r}"
            variables[names[name]] = {"role": "attribute", "type": kind, "label": name,
                                      "meaning": f"case attribute {name!r} ({kind}){renamed}"}
    return variables


def _reviewed(sources: MatrixSources, rule: Rule, document_ids) -> pd.Series:
    """Per document, the segments the rule's coders reviewed (under "all": segment reviews,
    a segment reviewed by two coders counting twice); 0 means the document's cells are missing.
    A segment a coder coded counts as reviewed even without a review mark (codings read without
    the coder column are all the rule's)."""
    coded = sources.codings[["segment_id", "coder"]] if "coder" in sources.codings else (
        sources.codings[["segment_id"]].assign(coder=rule.coders[0]))
    marks = pd.concat([sources.reviews[["segment_id", "coder"]].astype({"coder": str}), coded.astype({"coder": str})])
    marks = marks[marks["coder"].isin(rule.coders)].drop_duplicates()
    if rule.name != "all":
        marks = marks.drop_duplicates("segment_id")
    where = sources.segments.set_index("segment_id")["document_id"]
    return marks["segment_id"].map(where).value_counts().reindex(document_ids, fill_value=0)


def _blank_rows(table: pd.DataFrame, rows) -> pd.DataFrame:
    """``table`` with the cells of ``rows`` (a boolean array) missing."""
    return table.mask(np.broadcast_to(np.asarray(rows)[:, None], table.shape))


def _tally(sources: MatrixSources, hits: pd.DataFrame, reviewed: pd.Series, value: str) -> pd.DataFrame:
    """Documents x columns: coded segments, presence, share of the reviewed segments, or words;
    missing in the rows of documents nobody (under the rule) reviewed."""
    hits = hits.assign(amount=hits["segment_id"].map(_segment_words(sources, hits)) if value == "words" else 1)
    table = (hits.groupby(["document_id", "column"], observed=False)["amount"].sum()
             .unstack(fill_value=0).reindex(index=reviewed.index, fill_value=0).astype("int64"))
    if value == "presence":
        table = (table > 0).astype("int64")
    if value == "share":
        return table.div(reviewed.where(reviewed > 0), axis=0)
    return _blank_rows(table.astype("Int64"), reviewed.to_numpy() == 0)


def matrix(sources: MatrixSources, rule: Rule, *, rows: str = "document", codes="top", value: str = "count",
           attributes: dict[str, str] | None = None, attribute_columns: bool = False,
           labels: str | None = None) -> pd.DataFrame:
    """Respondents (or attribute values) x codes; see the module docstring for the options.

    With ``rows`` an attribute key, each row holds the reviewed documents with that value (a
    ``documents`` column counts them, ``unreviewed`` those left out): values are summed
    (presence: documents with the code), shares averaged. ``attribute_columns=True`` puts the
    case attributes before the code columns (document rows only); one named like a code gets
    ``_attribute`` added.
    """
    check_options(value=value)
    columns = code_columns(sources, codes, labels)
    docs, types = case_table(sources, attributes)
    if rows != "document" and rows not in types:
        raise UnknownItem("attribute", rows, types, "use --rows document or an attribute key")
    reviewed = _reviewed(sources, rule, docs.index)
    table = _tally(sources, coded_segments(sources, rule, columns, docs.index), reviewed, value)
    variables, extra = {}, {}
    if rows == "document":
        keys, extra["without_key"] = respondent_keys(docs)
        table.index = pd.Index(keys, name=keys.name)
        if attribute_columns:
            names = {name: f"{name}_attribute" if name in columns.ids else name for name in docs.columns}
            cases = docs.drop(columns=[keys.name]).rename(columns=names).set_axis(table.index)
            table = pd.concat([cases, table], axis=1)
            variables.update(_attribute_variables(docs, keys.name, types, names))
        key_meaning = "respondent key (attribute respondent_id, as text)" if keys.name == RESPONDENT_KEY else "document name"
        per = "the respondent"
    else:
        groups = docs[rows] if types[rows] == "number" else docs[rows].fillna(MISSING)
        counted = (reviewed > 0).to_numpy()
        grouped = table[counted].groupby(groups[counted].to_numpy(), dropna=False)
        table = (grouped.mean() if value == "share" else grouped.sum()).reindex(pd.unique(groups.sort_values()))
        table.insert(0, "documents", grouped.size().reindex(table.index, fill_value=0))
        table.insert(1, "unreviewed", groups[~counted].value_counts().reindex(table.index, fill_value=0))
        table[columns.ids] = _blank_rows(table[columns.ids], table["documents"].to_numpy() == 0)
        table.index.name = rows
        variables["documents"] = {"role": "documents", "label": "Number of documents",
                                  "meaning": f"reviewed documents with this value of {rows} (the code columns count these)"}
        variables["unreviewed"] = {"role": "documents", "label": "Documents not reviewed",
                                   "meaning": f"documents with this value of {rows} that no coder of the rule reviewed; left out"}
        key_meaning = f"value of case attribute {rows!r}"
        per = f"the reviewed documents with this {rows}, " + ("averaged" if value == "share" else "summed")
    meaning = SHARE_ALL if value == "share" and rule.name == "all" else VALUE_MEANING[value]
    for column in columns.ids:
        variables[column] = {"role": "code", "label": columns.label(column), "source_codes": columns.sources[column],
                             "reference": columns.references[column],
                             "meaning": meaning.format(what=columns.what(column)) + f"; per {per}; {NOT_REVIEWED}"}
        if value == "presence" and rows == "document":
            variables[column]["value_labels"] = {0: "absent", 1: "present"}
    table.columns.name = None
    table.attrs["qualcode"] = _provenance(
        "matrix", rule, sources, value=value, rows=rows, missing=NOT_REVIEWED,
        not_reviewed=int((reviewed == 0).sum()), **extra,
        key={"name": table.index.name, "label": "Respondent" if rows == "document" else rows, "meaning": key_meaning},
        variables=variables,
    )
    return table


def _together(units, columns, n_columns: int):
    """Column x column: in how many units both occur. A sparse product of the unit x column
    incidence matrix with itself (a dense one wastes memory and threads on 50,000 units)."""
    from scipy import sparse  # noqa: PLC0415 - only co-occurrence needs it

    pairs = pd.unique(units.astype(np.int64) * n_columns + columns)
    incidence = sparse.csr_matrix((np.ones(len(pairs), dtype=np.int64), (pairs // n_columns, pairs % n_columns)),
                                  shape=(int(pairs.max() // n_columns) + 1, n_columns))
    return (incidence.T @ incidence).toarray()


def cooccurrence(sources: MatrixSources, rule: Rule, *, within: str = "segment", measure: str = "count", codes="top",
                 attributes: dict[str, str] | None = None, labels: str | None = None) -> pd.DataFrame:
    """Code x code: in how many segments, turns or documents two codes both occur.

    ``measure="jaccard"`` divides that by the number of units with either code. The diagonal
    holds the units with the code itself (count) or 1 (jaccard, 0 for an unused code). Under the
    "all" rule a unit counts once per coder.
    """
    check_options(within=within, measure=measure)
    columns = code_columns(sources, codes, labels)
    docs, _types = case_table(sources, attributes)
    hits = coded_segments(sources, rule, columns, docs.index)
    unit = {"segment": hits["segment_id"], "document": hits["document_id"],
            "turn": hits["turn_id"].fillna(-hits["segment_id"])}[within]
    keys = [unit, hits["coder"]] if rule.name == "all" else [unit]
    together = _together(pd.MultiIndex.from_arrays(keys).factorize()[0], hits["column"].cat.codes.to_numpy(),
                         len(columns.ids))
    if measure == "count":
        values = together
    else:
        alone = np.diag(together)
        either = alone[:, None] + alone[None, :] - together
        values = np.divide(together, either, out=np.zeros(together.shape), where=either > 0)
    table = pd.DataFrame(values, index=pd.Index(columns.ids, name="code"), columns=columns.ids)
    units = {"segment": "segments", "turn": "turns", "document": "documents"}[within]
    meaning = ("number of {units} coded both {{row}} and {what}" if measure == "count"
               else "Jaccard index: {units} with both {{row}} and {what} / {units} with either")
    variables = {column: {"role": "code", "label": columns.label(column), "source_codes": columns.sources[column],
                          "reference": columns.references[column],
                          "meaning": meaning.format(units=units, what=columns.what(column)).format(row="the row's code")}
                 for column in columns.ids}
    table.attrs["qualcode"] = _provenance(
        "cooccurrence", rule, sources, value=measure, rows="code", within=within,
        key={"name": "code", "label": "Code", "meaning": "code id (the row's code)"}, variables=variables,
    )
    return table


def _quote_texts(sources: MatrixSources, chosen: pd.DataFrame) -> list[str]:
    """The text of each chosen segment, cut from its document's text."""
    texts = _document_texts(sources, chosen["document_id"].unique())
    return [texts[doc][start:end].strip()
            for doc, start, end in zip(chosen["document_id"], chosen["start"], chosen["end"], strict=True)]


def _segment_memos(sources: MatrixSources, segment_ids) -> dict[int, list[str]]:
    return {int(s): [f"memo ({author}): {text}" for author, text in sources.memos[int(s)]]
            for s in segment_ids if int(s) in sources.memos}


def framework(sources: MatrixSources, rule: Rule, *, codes="top", quotes: int = 3,
              attributes: dict[str, str] | None = None, labels: str | None = None, show: tuple[str, ...] = ()) -> pd.DataFrame:
    """Respondents x themes, each cell the first ``quotes`` coded passages (with their memos).

    A cell lists ``"quote" (DOC:N)`` lines in document order, then ``(+K more)`` if the
    respondent has more passages for that theme; empty when there are none. The attributes
    named in ``show`` follow the reference (``(DOC:N; role: client)``); none by default, so no
    municipality helps a reader tell who said it.
    """
    check_options(quotes=quotes)
    columns = code_columns(sources, codes, labels)
    docs, types = case_table(sources, attributes)
    check_attribute_keys(show, types)
    hits = coded_segments(sources, rule, columns, docs.index).drop_duplicates(["segment_id", "column"])
    hits = hits.sort_values(["document_id", "column", "number"])
    groups = hits.groupby(["document_id", "column"], observed=True)
    left_out = (groups.size() - quotes).clip(lower=0).to_dict()
    chosen = groups.head(quotes)
    notes = _segment_memos(sources, chosen["segment_id"].unique())
    names = docs["document"].to_dict()
    cells: dict[str, dict[int, list[str]]] = {column: {} for column in columns.ids}
    for doc, column, number, segment, text in zip(chosen["document_id"], chosen["column"], chosen["number"],
                                                  chosen["segment_id"], _quote_texts(sources, chosen), strict=True):
        shown = "".join(f"; {key}: {docs.at[doc, key]}" for key in show if pd.notna(docs.at[doc, key]))
        entry = "\n".join([f"\u201c{text}\u201d ({ref(names[doc], number)}{shown})", *notes.get(segment, [])])
        cells[column].setdefault(doc, []).append(entry)
    table = pd.DataFrame({
        column: {doc: "\n\n".join(entries + ([f"(+{left_out[doc, column]} more)"] if left_out[doc, column] else []))
                 for doc, entries in by_document.items()}
        for column, by_document in cells.items()
    }, index=docs.index, columns=columns.ids, dtype=object).fillna("")
    keys, _without = respondent_keys(docs)
    table.index = pd.Index(keys, name=keys.name)
    table.columns.name = None
    variables = {column: {"role": "code", "label": columns.label(column), "source_codes": columns.sources[column],
                          "reference": columns.references[column],
                          "meaning": f"up to {quotes} passages coded {columns.what(column)}"} for column in columns.ids}
    table.attrs["qualcode"] = _provenance(
        "framework", rule, sources, value="quotes", rows="document", quotes=quotes,
        key={"name": keys.name, "label": "Respondent", "meaning": "respondent key"}, variables=variables,
    )
    return table


def passages(sources: MatrixSources, rule: Rule, *, codes="top", attributes: dict[str, str] | None = None) -> pd.DataFrame:
    """Every coded passage once per column: key (the respondent key), column, ref (DOC:N) and
    text, in document order; for quotes beside survey figures (:mod:`qualcode.survey`)."""
    columns = code_columns(sources, codes)
    docs, _types = case_table(sources, attributes)
    hits = coded_segments(sources, rule, columns, docs.index).drop_duplicates(["segment_id", "column"])
    hits = hits.sort_values(["document_id", "number"])
    keys, _without = respondent_keys(docs)
    names = docs["document"].to_dict()
    return pd.DataFrame({
        "key": hits["document_id"].map(keys).to_numpy(),
        "column": hits["column"].astype(str).to_numpy(),
        "ref": [ref(names[doc], number) for doc, number in zip(hits["document_id"], hits["number"], strict=True)],
        "text": _quote_texts(sources, hits),
    })
