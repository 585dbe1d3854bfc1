"""Speed of the suggester, as a JSON report.

Generates a synthetic coded corpus with a Dutch-like vocabulary (real function words, made-up
content words built from Dutch syllables, compounds of two of them; Zipf-distributed), 20
codes that each favour their own topic words and 3 rare codes left to the codebook cold start.
Each segment comes with an interviewer question (a dozen words, often one of its topic's).
Targets (issue 5), on a 2-core machine: training on 5,000 coded segments <= 3 s; suggestions
for one segment <= 20 ms at the 95th percentile; suggestions for 20,000 segments <= 5 s.
Suggestions include their reasons. The first training runs in a fresh process, so it includes
the one-time spaCy set-up of the cold start (reported on its own line too, timed in a separate
fresh process); importing qualcode.suggest (scikit-learn, SciPy, pandas) comes before and is
reported on its own.

    python benchmarks/suggest_bench.py [--train 5000] [--segments 20000] [--single 200]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SPACY_SETUP = """
import time
from qualcode.suggest import CodeCue, phrase_matcher
start = time.perf_counter()
phrase_matcher((CodeCue("X", ("klant",)),))
print(time.perf_counter() - start)
"""

FUNCTION_WORDS = (
    "de het een en ik je dat die is niet op te in van met voor maar dan ook wel nog al er naar "
    "bij om zijn was heb had wordt kan moet wil zou gewoon eigenlijk dus want omdat als of hè "
    "nou ja nee eh zo heel echt soms vaak altijd mensen klant klanten werk"
).split()
ONSETS = ("b", "d", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z", "sch", "st", "br", "gr", "kl", "tr", "vr")
NUCLEI = ("a", "e", "i", "o", "u", "aa", "ee", "oo", "ui", "ij", "ou", "ie", "eu")
CODAS = ("", "n", "r", "l", "k", "t", "s", "ng", "rd", "cht", "st")
SUFFIXES = ("", "", "", "en", "e", "t", "ing", "heid", "er", "lijk")


def make_words(rng, n: int) -> list[str]:
    words = set()
    while len(words) < n:
        syllables = rng.choice((1, 1, 2, 2, 3))
        stem = "".join(rng.choice(ONSETS) + rng.choice(NUCLEI) + rng.choice(CODAS) for _ in range(syllables))
        words.add(stem + rng.choice(SUFFIXES))
    words = sorted(words)
    compounds = {words[a] + words[b] for a, b in rng.integers(0, len(words), size=(n // 10, 2))}
    return words + sorted(compounds)


def make_corpus(n_segments: int, n_codes: int, rng):
    content = make_words(rng, 6000)
    rng.shuffle(content)
    topics = [content[i * 15 : (i + 1) * 15] for i in range(n_codes)]
    general = content[n_codes * 15 :]
    # Zipf's law of abbreviation: frequent words are short.
    general = [general[i] for i in np.argsort([len(w) + rng.normal(0, 2) for w in general], kind="stable")]
    zipf = 1 / np.arange(1, len(general) + 1)
    zipf /= zipf.sum()
    lengths = rng.integers(20, 120, size=n_segments)
    general_draws = rng.choice(len(general), size=int(lengths.sum()), p=zipf)
    texts, labels, questions = [], [], []
    for length, end in zip(lengths.tolist(), np.cumsum(lengths).tolist()):
        codes = [] if rng.random() < 0.2 else rng.choice(n_codes, size=int(rng.integers(1, 3)), replace=False).tolist()
        draw = rng.random(length).tolist()
        general_words = general_draws[end - length : end].tolist()
        function_words = rng.integers(0, len(FUNCTION_WORDS), size=length).tolist()
        topic_words = rng.integers(0, 15, size=length).tolist()
        topic_codes = rng.choice(codes, size=length).tolist() if codes else None
        words = [
            topics[topic_codes[i]][topic_words[i]] if codes and draw[i] < 0.08
            else FUNCTION_WORDS[function_words[i]] if draw[i] < 0.55
            else general[general_words[i]]
            for i in range(length)
        ]
        texts.append(" ".join(words).capitalize() + ".")
        labels.append(codes)
        # The interviewer's question: a dozen words, one of them often from a topic it asks about.
        asked = [FUNCTION_WORDS[k] for k in rng.integers(0, len(FUNCTION_WORDS), size=int(rng.integers(6, 18))).tolist()]
        if codes and rng.random() < 0.6:
            asked.insert(int(rng.integers(0, len(asked))), topics[codes[0]][int(rng.integers(0, 15))])
        questions.append(" ".join(asked).capitalize() + "?")
    return list(zip(texts, questions)), labels, topics


class Timer:
    """Wall and CPU time of a block: on a shared machine CPU time shows the work itself."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def spacy_setup_s() -> float:
    """Wall time of the cold start's one-time spaCy set-up, in a fresh process."""
    found = subprocess.run([sys.executable, "-c", SPACY_SETUP], cwd=ROOT, capture_output=True, text=True, check=True)
    return float(found.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=5000)
    parser.add_argument("--segments", type=int, default=20000)
    parser.add_argument("--single", type=int, default=200)
    parser.add_argument("--codes", type=int, default=20)
    args = parser.parse_args()
    setup = spacy_setup_s()
    sys.path.insert(0, str(ROOT))
    with Timer() as importing:
        from qualcode.suggest import CodeCue, SegmentSuggester  # noqa: PLC0415 - timed
    assert "spacy" not in sys.modules, "the first training must pay for loading spaCy"
    rng = np.random.default_rng(5)
    texts, labels, topics = make_corpus(args.train + args.segments, args.codes, rng)
    cues = tuple(CodeCue(f"C{k:02d}", tuple(topics[k][:5]), (" ".join(topics[k][5:12]),)) for k in range(args.codes))
    cues += tuple(CodeCue(f"R{k}", (f"zeldzaam{k}", topics[k][0]), (f"een zeldzaam{k} voorbeeld",)) for k in range(3))
    train_texts, train_labels = texts[: args.train], labels[: args.train]
    matrix = np.zeros((args.train, len(cues)), dtype=np.int64)
    for row, codes in enumerate(train_labels):
        matrix[row, codes] = 1

    with Timer() as training:
        model = SegmentSuggester(codes=cues).fit(train_texts, matrix)
    with Timer() as retraining:
        model = SegmentSuggester(codes=cues).fit(train_texts, matrix)
    unseen = texts[args.train :]
    single_wall, single_cpu = [], []
    for text in unseen[: args.single]:
        with Timer() as one:
            model.suggest([text], top=3)
        single_wall.append(one.wall * 1000)
        single_cpu.append(one.cpu * 1000)
    with Timer() as batch:
        suggestions = model.suggest(unseen, top=3)
    with Timer() as scores_only:
        model.predict_proba(unseen)

    truth = labels[args.train :]
    coded = [(s, t) for s, t in zip(suggestions, truth) if t]
    hit3 = sum(any(cues[c].id in {x.code for x in s} for c in t) for s, t in coded) / len(coded)
    report = {
        "train_segments": args.train,
        "codes": {"model": int((model.source_ == "model").sum()), "codebook": int((model.source_ == "codebook").sum())},
        "features": int(model.coef_.shape[0]),
        "mean_words_per_segment": round(float(np.mean([len(t.split()) for t, _ in texts])), 1),
        "import_s": {"wall": round(importing.wall, 2), "cpu": round(importing.cpu, 2),
                     "note": "import qualcode.suggest (scikit-learn, SciPy, pandas), before any training"},
        "spacy_setup_s": {"wall": round(setup, 2),
                          "note": "one-time spaCy set-up for the cold start, in a fresh process; part of train_s"},
        "train_s": {"wall": round(training.wall, 2), "cpu": round(training.cpu, 2),
                    "note": "first fit in a fresh process: includes the spaCy set-up, which overlaps with fitting"},
        "retrain_s": {"wall": round(retraining.wall, 2), "cpu": round(retraining.cpu, 2)},
        "single_segment_ms": {"p50_wall": round(statistics.median(single_wall), 2),
                              "p95_wall": round(float(np.percentile(single_wall, 95)), 2),
                              "p95_cpu": round(float(np.percentile(single_cpu, 95)), 2)},
        "suggest_batch": {"segments": len(unseen),
                          "with_reasons_s": {"wall": round(batch.wall, 2), "cpu": round(batch.cpu, 2)},
                          "scores_only_s": {"wall": round(scores_only.wall, 2), "cpu": round(scores_only.cpu, 2)}},
        "hit_at_3_on_unseen": round(hit3, 3),
        "targets": {"train_s": 3, "single_segment_p95_ms": 20, "batch_20000_s": 5},
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
