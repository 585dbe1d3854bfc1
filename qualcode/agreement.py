"""Agreement between coders, measured on the unit they code: the segment.

Takes the review marks and codings of chosen coders, one coder at a time
(``Units.read(per_coder) -> Units``: segments x coders, for each cell the codes applied if the
coder reviewed the segment, *missing* if not, never "absent"; ``Units.table()`` gives them as a
DataFrame of frozensets), and from it one nominal variable per code (applied or not, sub-codes
included unless exact) or per exclusive group (its children plus "none"). Each statistic is one function on a count
matrix (units x categories, the number of coders who chose each category) and returns a
:class:`Stat`: a value, or None with the reason it is undefined. :func:`measure` puts them
together into an :class:`Agreement`, whose ``to_dict()`` is the stable JSON of
``qualcode agreement``.

    >>> counts = category_counts(pd.DataFrame({"a": [1, 0, 1], "b": [1, 0, 0]}), [0, 1])
    >>> percent_agreement(counts).value  # doctest: +ELLIPSIS
    0.666...

References: Krippendorff (2011) "Computing Krippendorff's Alpha-Reliability"; Cohen (1960);
Fleiss (1971); Gwet (2008) and Gwet (2014, Handbook of Inter-Rater Reliability, 4th ed.).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import krippendorff
import numpy as np
import pandas as pd

from qualcode.errors import BadInput, NotEnoughData, UnknownItem
from qualcode.progress import Progress, silent

NONE = "none"
DRAWS = 1000
SEED = 20111
CONSENSUS_RULES = ("union", "intersection", "majority")


@dataclass(frozen=True)
class Stat:
    """A statistic's value, or None and the reason it is undefined for these data."""

    value: float | tuple[float, float] | None
    reason: str | None = None


def undefined(reason: str) -> Stat:
    return Stat(None, reason)


# ---- reading the data ------------------------------------------------------------------


def choose_coders(names: list[str] | None, known: list[str], reviewing: list[str]) -> list[str]:
    """The coders to compare: ``names`` (checked against ``known``), else every coder with a
    review mark that is not a consensus coder (``reviewing``); at least two."""
    if names:
        for name in names:
            if name not in known:
                raise UnknownItem("coder", name, known, "see 'qualcode status'")
        chosen = list(dict.fromkeys(names))
    else:
        chosen = list(reviewing)
    if len(chosen) < 2:
        raise NotEnoughData(
            f"agreement needs two coders who reviewed segments; found {', '.join(chosen) or 'none'}: "
            "let a second coder code the same segments, or pass --coders A,B"
        )
    return chosen


class Units:
    """Segments x coders: who reviewed which segment and which codes each applied there.

    Held as arrays (a reviewed mask, and per code the cells where it was applied) rather than a
    table of code sets, so that each variable is a vectorised step and memory grows with the
    codings alone. ``table()`` gives the code sets for the readers that want them.
    """

    def __init__(self, segment_ids: np.ndarray, coders: list[str], reviewed: np.ndarray, held: dict[str, np.ndarray]):
        self.segment_ids = segment_ids  # sorted; the units
        self.coders = list(coders)
        self.reviewed = reviewed  # bool, segments x coders
        self.held = held  # code -> positions in the flattened segments x coders grid where it was applied

    @classmethod
    def read(cls, per_coder) -> Units:
        """From ``(coder, rows)`` pairs, rows as :func:`qualcode.store.coding.marks_and_codings`
        gives them ((segment_id, coder, code_id), code_id None for the review mark itself); a
        coder's rows may be dropped once read. A segment nobody reviewed is not a unit."""
        coders, vocabulary, parts = [], {}, []
        for column, (coder, rows) in enumerate(per_coder):
            coders.append(coder)
            segment = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
            found, names = pd.factorize(np.array([row[2] for row in rows], dtype=object))
            # -1 (a review mark) indexes the appended -1.
            lookup = np.array([vocabulary.setdefault(name, len(vocabulary)) for name in names] + [-1], dtype=np.int64)
            parts.append((segment, np.full(len(rows), column), lookup[found]))
            del rows  # before the next coder's rows are read, not after
        segment, column, code = (np.concatenate(part) for part in zip(*parts))
        segment_ids = np.unique(segment)
        cell = np.searchsorted(segment_ids, segment) * len(coders) + column
        reviewed = np.zeros(len(segment_ids) * len(coders), dtype=bool)
        reviewed[cell] = True
        coded = code >= 0
        order = np.argsort(code[coded], kind="stable")
        cells, codes = cell[coded][order], code[coded][order]
        bounds = np.searchsorted(codes, np.arange(len(vocabulary) + 1))
        held = {name: cells[bounds[i]:bounds[i + 1]] for name, i in vocabulary.items()}
        return cls(segment_ids, coders, reviewed.reshape(len(segment_ids), len(coders)), held)

    def __len__(self) -> int:
        return len(self.segment_ids)

    def _frame(self, values: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(values.reshape(self.reviewed.shape), index=pd.Index(self.segment_ids, name="segment_id"),
                            columns=self.coders, dtype=values.dtype)

    def _meets(self, members: set[str]) -> np.ndarray:
        """Per cell (flattened): whether the coder applied any code in ``members``."""
        found = np.zeros(self.reviewed.size, dtype=bool)
        for code in members & self.held.keys():
            found[self.held[code]] = True
        return found

    def table(self) -> pd.DataFrame:
        """Segments (index, sorted) x coders: the frozenset of codes a coder applied to a segment
        they reviewed, None where they did not review it."""
        cells: list[list[str]] = [[] for _ in range(self.reviewed.size)]
        for code, positions in self.held.items():
            for position in positions.tolist():
                cells[position].append(code)
        sets = (frozenset(codes) if seen else None for codes, seen in zip(cells, self.reviewed.ravel().tolist()))
        return self._frame(np.fromiter(sets, dtype=object, count=len(cells)))

    def applied(self, members: set[str]) -> pd.DataFrame:
        """The binary variable "code applied": 1.0 if a coder's codes meet ``members``, 0.0 if
        not, NaN where the coder did not review the segment."""
        return self._frame(np.where(self.reviewed.ravel(), self._meets(members), np.nan))

    def category(self, children: dict[str, set[str]]) -> pd.DataFrame:
        """The nominal variable of an exclusive group: the child applied (with its sub-codes),
        "none" if no child, the children joined by "+" if a coder broke exclusivity; None where
        the coder did not review the segment."""
        names = sorted(children)
        meets = [self._meets(children[name]) for name in names]
        chosen = np.sum(meets, axis=0, dtype=int) if meets else np.zeros(self.reviewed.size, dtype=int)
        values = np.full(self.reviewed.size, NONE, dtype=object)
        for name, found in zip(names, meets):
            values[found & (chosen == 1)] = name
        for position in np.flatnonzero(chosen > 1):
            values[position] = "+".join(name for name, found in zip(names, meets) if found[position])
        values[~self.reviewed.ravel()] = None
        return self._frame(values)


def subtree(code_tree: pd.DataFrame) -> dict[str, set[str]]:
    """Each code id with itself and all codes below it (``code_tree``: id, parent_id)."""
    children: dict[str, list[str]] = {}
    for code_id, parent in zip(code_tree["id"], code_tree["parent_id"]):
        if parent is not None and not pd.isna(parent):
            children.setdefault(parent, []).append(code_id)

    def below(code_id: str) -> set[str]:
        found = {code_id}
        for child in children.get(code_id, []):
            found |= below(child)
        return found

    return {code_id: below(code_id) for code_id in code_tree["id"]}


def category_counts(values: pd.DataFrame, categories: list) -> np.ndarray:
    """Units x categories: how many coders gave each category (missing values count nowhere)."""
    return np.column_stack([(values == category).sum(axis=1).to_numpy() for category in categories]).astype(float)


# ---- the statistics (one function each) ------------------------------------------------


def pairable(counts: np.ndarray) -> np.ndarray:
    """The units with at least two values: the only ones that carry information on agreement."""
    return counts[counts.sum(axis=1) >= 2]


def _unit_agreement(counts: np.ndarray) -> np.ndarray:
    """Per pairable unit, the share of coder pairs that agree: sum r_ik (r_ik - 1) / r_i (r_i - 1)."""
    units = pairable(counts)
    r = units.sum(axis=1)
    return (units * (units - 1)).sum(axis=1) / (r * (r - 1))


def krippendorff_alpha(counts: np.ndarray) -> Stat:
    """Krippendorff's alpha, nominal, through the ``krippendorff`` package; missing values allowed."""
    units = pairable(counts)
    if len(units) == 0:
        return undefined("no pairable units (no segment reviewed by two coders)")
    if np.count_nonzero(units.sum(axis=0)) < 2:
        return undefined("no variation: all values are the same category")
    return Stat(float(krippendorff.alpha(value_counts=units, level_of_measurement="nominal")))


def percent_agreement(counts: np.ndarray) -> Stat:
    """Pairwise percent agreement: the share of agreeing coder pairs, averaged over pairable units."""
    shares = _unit_agreement(counts)
    if len(shares) == 0:
        return undefined("no pairable units (no segment reviewed by two coders)")
    return Stat(float(shares.mean()))


def _propensities(counts: np.ndarray) -> np.ndarray:
    """pi_k: each category's share of a unit's values, averaged over the units with a value."""
    rated = counts[counts.sum(axis=1) >= 1]
    return (rated / rated.sum(axis=1, keepdims=True)).mean(axis=0)


def gwet_ac1(counts: np.ndarray) -> Stat:
    """Gwet's AC1 for any number of coders with missing values (Gwet 2008; 2014, ch. 4).

    Observed agreement over pairable units; category propensities pi_k averaged over all units
    with a value; chance agreement sum pi_k (1 - pi_k) / (q - 1) with q the number of
    categories. Unlike kappa it stays defined without variation (then AC1 = 1).
    """
    observed = percent_agreement(counts)
    if observed.value is None:
        return observed
    propensity = _propensities(counts)
    chance = float((propensity * (1 - propensity)).sum() / (counts.shape[1] - 1))
    return Stat((observed.value - chance) / (1 - chance))


def fleiss_kappa(counts: np.ndarray, n_coders: int) -> Stat:
    """Fleiss' kappa (1971) for three or more coders in Gwet's form for missing values (Gwet 2014,
    ch. 2; irrCAC ``fleiss.kappa.raw``): observed agreement over the pairable units, as in
    :func:`percent_agreement`; category shares pi_k averaged over every unit with a value;
    chance agreement sum pi_k^2. So it uses the same units as AC1, not only those every coder
    reviewed. On irrCAC's ``cac.raw4raters`` it gives 0.761."""
    if n_coders < 3:
        return undefined("Fleiss' kappa is for three or more coders; see kappa")
    observed = percent_agreement(counts)
    if observed.value is None:
        return observed
    chance = float((_propensities(counts) ** 2).sum())
    if chance == 1:
        return undefined("no variation: all values are the same category")
    return Stat((observed.value - chance) / (1 - chance))


def cohen_kappa(values: pd.DataFrame) -> Stat:
    """Cohen's kappa (1960) for exactly two coders, on the units both reviewed."""
    if values.shape[1] != 2:
        return undefined("Cohen's kappa is for exactly two coders; see fleiss_kappa")
    pairs = values.to_numpy(dtype=object)
    pairs = pairs[~pd.isna(pairs).any(axis=1)]
    if len(pairs) == 0:
        return undefined("no segment reviewed by both coders")
    first, second = pairs[:, 0], pairs[:, 1]
    observed = float(np.mean(first == second))
    chance = sum(float(np.mean(first == c)) * float(np.mean(second == c)) for c in set(first) | set(second))
    if chance == 1:
        return undefined("no variation: both coders gave one and the same category throughout")
    return Stat((observed - chance) / (1 - chance))


def unit_patterns(units: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of a count matrix in the order of ``np.unique(units, axis=0)``, and how
    often each occurs. Counts are small whole numbers, so each row is read as one number in base
    (largest count + 1), first column first, which sorts like the rows and many times faster."""
    base = int(units.max()) + 1 if units.size else 1
    if base ** units.shape[1] >= 2**63:
        return np.unique(units, axis=0, return_counts=True)
    keys = units.astype(np.int64) @ (base ** np.arange(units.shape[1] - 1, -1, -1, dtype=np.int64))
    _, first, frequency = np.unique(keys, return_index=True, return_counts=True)
    return units[first], frequency


def resample(units: np.ndarray, draws: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``draws`` bootstrap resamples of the units, as the distinct unit patterns (rows of
    counts) and how often each occurs per resample: drawing N units with replacement gives
    pattern counts that are multinomial(N, share of each pattern), so this is exact and small."""
    patterns, frequency = unit_patterns(units)
    weights = np.random.default_rng(seed).multinomial(len(units), frequency / len(units), size=draws)
    return patterns, weights.astype(float)


def weighted_alphas(patterns: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Nominal alpha of each resample (a row of ``weights`` over ``patterns``), NaN where a
    resample has no variation.

    Batched for speed: 1,000 calls of the ``krippendorff`` package take about 0.2 s per code,
    this takes a millisecond. It is Krippendorff's nominal formula on the coincidence matrix,
    alpha = 1 - (n - 1) (n - sum o_cc) / (n^2 - sum n_c^2), from each pattern's share of the
    diagonal; a test holds it equal to the package's value.
    """
    diagonal = (patterns * (patterns - 1)).sum(axis=1) / (patterns.sum(axis=1) - 1)
    per_value = weights @ patterns
    n = per_value.sum(axis=1)
    expected = n**2 - (per_value**2).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(expected > 0, 1 - (n - 1) * (n - weights @ diagonal) / expected, np.nan)


def bootstrap_alpha(counts: np.ndarray, draws: int = DRAWS, seed: int = SEED) -> Stat:
    """A percentile 95% interval for alpha from ``draws`` resamples of the pairable units.

    Resamples in which alpha is undefined (no variation drawn) are left out; if more than
    half are, the interval is undefined.
    """
    units = pairable(counts)
    point = krippendorff_alpha(units)
    if point.value is None:
        return point
    values = weighted_alphas(*resample(units, draws, seed))
    values = values[~np.isnan(values)]
    if len(values) < draws / 2:
        return undefined(f"too few units: alpha is undefined in {draws - len(values)} of {draws} resamples")
    low, high = np.percentile(values, [2.5, 97.5])
    return Stat((float(low), float(high)))


def mean_alpha(alphas: list[Stat]) -> Stat:
    """The mean of the per-code alphas that are defined."""
    defined = [a.value for a in alphas if a.value is not None]
    if not defined:
        return undefined("no code has a defined alpha")
    return Stat(float(np.mean(defined)))


# ---- putting it together ---------------------------------------------------------------

CODE_STATS = ("alpha", "alpha_ci", "kappa", "fleiss_kappa", "ac1", "percent_agreement")
UNITS = (
    "every statistic in a row uses the same segments: agreement is observed on the pairable ones "
    "(reviewed by two or more of the coders; n), category shares are taken over all reviewed by at "
    "least one (Gwet 2014, ch. 2); Cohen's kappa (two coders) uses the segments both reviewed, "
    "which are the pairable ones"
)


@dataclass
class CodeAgreement:
    """Every statistic for one variable: a code (applied or not) or an exclusive group (its children)."""

    code: str
    n_units: int
    stats: dict[str, Stat]

    def row(self) -> dict:
        return {"code": self.code, **{name: _plain(self.stats[name].value) for name in CODE_STATS}, "n_units": self.n_units}


@dataclass
class Agreement:
    """The result of :func:`measure`; ``to_dict()`` is the stable JSON shape."""

    coders: list[str]
    codes: list[CodeAgreement]
    groups: list[CodeAgreement]
    alpha_pooled: Stat
    alpha_mean: Stat
    n_segments: int
    exact: bool = False
    draws: int = DRAWS
    from_suggestions: dict[str, int] = field(default_factory=dict)  # coder -> codings from accepted suggestions
    exclusive_violations: list[dict] = field(default_factory=list)  # ref, coder, group, codes

    def to_dict(self) -> dict:
        return {
            "coders": list(self.coders),
            "units": UNITS,
            "from_suggestions": dict(self.from_suggestions),
            "exclusive_violations": list(self.exclusive_violations),
            "codes": [c.row() for c in self.codes],
            "groups": [g.row() for g in self.groups],
            "overall": {"alpha_pooled": self.alpha_pooled.value, "alpha_mean": self.alpha_mean.value},
        }

    def reasons(self) -> dict[tuple[str, str], str]:
        """Why each null is null: (code or "overall", statistic) -> reason; groups as ("group CODE", statistic)."""
        found = {(c.code, name): s.reason for c in self.codes for name, s in c.stats.items() if s.value is None}
        found |= {(f"group {g.code}", name): s.reason for g in self.groups for name, s in g.stats.items() if s.value is None}
        for name in ("alpha_pooled", "alpha_mean"):
            stat = getattr(self, name)
            if stat.value is None:
                found[("overall", name)] = stat.reason
        return found


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


def variable_agreement(code: str, values: pd.DataFrame, categories: list, draws: int = DRAWS) -> CodeAgreement:
    """Every statistic for one nominal variable (segments x coders, NaN/None where not reviewed)
    with the given possible ``categories``."""
    counts = category_counts(values, categories)
    stats = {
        "alpha": krippendorff_alpha(counts),
        "alpha_ci": bootstrap_alpha(counts, draws),
        "kappa": cohen_kappa(values),
        "fleiss_kappa": fleiss_kappa(counts, values.shape[1]),
        "ac1": gwet_ac1(counts),
        "percent_agreement": percent_agreement(counts),
    }
    return CodeAgreement(code, len(pairable(counts)), stats)


def code_agreement(code: str, values: pd.DataFrame, draws: int = DRAWS) -> CodeAgreement:
    """Every statistic for one binary variable (segments x coders of 1.0 / 0.0 / NaN)."""
    return variable_agreement(code, values, [0.0, 1.0], draws)


def group_agreement(code: str, units: Units, children: dict[str, set[str]], draws: int = DRAWS) -> CodeAgreement:
    """Every statistic for an exclusive group: categories its children, "none", and any
    combination a coder gave against exclusivity."""
    values = units.category(children)
    observed = {v for column in values for v in values[column].dropna()}
    return variable_agreement(code, values, sorted(set(children) | {NONE} | observed), draws)


def pooled_alpha(per_variable: list[tuple[np.ndarray, np.ndarray]]) -> Stat:
    """Krippendorff's alpha over the pairable units of every variable at once, from each one's
    distinct unit patterns and how often each occurs (:func:`unit_patterns`): the units x codes
    rows themselves would take hundreds of megabytes on a large project. The nominal formula of
    :func:`weighted_alphas`, held equal to the package by a test."""
    if not per_variable:
        return undefined("no codes")
    patterns = np.vstack([found for found, _ in per_variable])
    frequency = np.concatenate([n for _, n in per_variable])
    if len(patterns) == 0:
        return undefined("no pairable units (no segment reviewed by two coders)")
    if np.count_nonzero(frequency @ patterns) < 2:
        return undefined("no variation: all values are the same category")
    return Stat(float(weighted_alphas(patterns, frequency[np.newaxis, :].astype(float))[0]))


def measure(units: Units, code_tree: pd.DataFrame, code_ids: list[str], *, exact: bool = False,
            draws: int = DRAWS, progress: Progress = silent) -> Agreement:
    """Agreement per code in ``code_ids``, per exclusive group among them, and overall;
    ``progress`` hears of every code measured.

    ``code_tree`` has columns id, parent_id, exclusive (as ``Project.codes()``).
    """
    below = subtree(code_tree)
    per_code, pooled = [], []
    what = f"measuring agreement on {len(code_ids)} codes ({draws} bootstrap draws each)"
    for done, code_id in enumerate(code_ids):
        progress(what, done, len(code_ids))
        values = units.applied({code_id} if exact else below[code_id])
        per_code.append(code_agreement(code_id, values, draws))
        pooled.append(unit_patterns(pairable(category_counts(values, [0.0, 1.0]))))
    exclusive = set(code_tree.loc[code_tree["exclusive"].astype(bool), "id"])
    groups = []
    for code_id in (c for c in code_ids if c in exclusive):
        children = code_tree.loc[code_tree["parent_id"] == code_id, "id"]
        groups.append(group_agreement(code_id, units, {child: below[child] for child in children}, draws))
    progress(what, len(code_ids), len(code_ids))
    return Agreement(
        coders=list(units.coders),
        codes=per_code,
        groups=groups,
        alpha_pooled=pooled_alpha(pooled),
        alpha_mean=mean_alpha([c.stats["alpha"] for c in per_code]),
        n_segments=len(units),
        exact=exact,
        draws=draws,
    )


# ---- disagreements and consensus -------------------------------------------------------


def disagreements(units: Units, members: set[str] | None = None) -> pd.DataFrame:
    """The units reviewed by two or more coders whose codes differ (or, with ``members``,
    who differ on whether that code applies), as rows of ``units.table()``."""
    table = units.table()
    values = table if members is None else units.applied(members)

    def differs(row) -> bool:
        given = [v for v in row if v is not None and not (isinstance(v, float) and np.isnan(v))]
        return len(given) >= 2 and len(set(given)) > 1

    return table[values.apply(differs, axis=1)] if len(table) else table


def consensus(units: Units, rule: str) -> dict[int, frozenset]:
    """The consensus codes per segment by a rule (any segment a coder reviewed gets one):
    union (any coder), intersection (every coder who reviewed it), majority (more than half of
    those who reviewed it; with two coders that is both), prefer:NAME (NAME's codes where NAME
    reviewed the segment, the majority of the others elsewhere)."""
    preferred = rule.split(":", 1)[1] if rule.startswith("prefer:") else None
    if rule not in CONSENSUS_RULES and preferred not in units.coders:
        raise BadInput(
            f"unknown consensus rule {rule!r}: use one of {', '.join(CONSENSUS_RULES)}, prefer:NAME, "
            f"NAME one of the coders compared ({', '.join(units.coders)})"
        )
    units = units.table()
    result = {}
    for segment_id, values in zip(units.index, units.itertuples(index=False)):
        row = dict(zip(units.columns, values))
        given = [codes for codes in values if codes is not None]
        if preferred is not None and row[preferred] is not None:
            result[int(segment_id)] = row[preferred]
        elif rule == "union":
            result[int(segment_id)] = frozenset().union(*given)
        elif rule == "intersection":
            result[int(segment_id)] = frozenset.intersection(*given)
        else:
            votes = Counter(code for codes in given for code in codes)
            result[int(segment_id)] = frozenset(code for code, n in votes.items() if n > len(given) / 2)
    return result
