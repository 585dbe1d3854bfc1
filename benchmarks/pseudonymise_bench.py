"""How well pseudonymising finds what identifies, on the bundled samples, as a JSON report.

The sample sources (``transcripts/source/*.yaml``) list under ``planted:`` every identifying
string in their text (names, places, organisations, dates of birth, phone numbers, e-mail
addresses, BSN, IBAN, postal codes, addresses), most of them planted for this measurement.
The samples are imported into a new project with their case attributes, and ``pseudonymise
--dry-run`` (deduce, plus the project's speaker names and municipalities, no word list) lists
its hits in the transcripts' text. Per category:

- recall: the share of planted strings that no longer occur in the text after pseudonymising
  (replaced by any tag, alone or inside a longer hit: a place tagged as a person is still gone),
  and ``category_right``, the share tagged with the planted category;
- precision: the share of distinct hit strings that identify (planted, or a speaker name or
  municipality from the project's own lists).

Also the time to load deduce and to find the hits. Goal (issue 17): recall >= 0.95 for
persons and places.

    python benchmarks/pseudonymise_bench.py
"""

import json
import re
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from qualcode import Project  # noqa: E402
from qualcode.pseudonymise import CATEGORIES, Detector  # noqa: E402


def planted() -> dict[str, list[dict]]:
    """document name -> its planted strings."""
    found = {}
    for path in sorted((REPO / "transcripts" / "source").glob("*.yaml")):
        source = yaml.safe_load(path.read_text(encoding="utf-8"))
        found[source["stem"]] = source.get("planted") or []
    return found


def main() -> None:
    truth = planted()
    with tempfile.TemporaryDirectory() as folder:
        project = Project.init(folder)
        project.import_files([REPO / "transcripts"], attributes_csv=REPO / "transcripts" / "cases.csv")
        names = dict(project.sources()[["sha256", "name"]].itertuples(index=False))
        started = time.process_time(), time.perf_counter()
        detector = Detector.load()
        loaded = time.process_time() - started[0], time.perf_counter() - started[1]
        started = time.process_time(), time.perf_counter()
        result = project.pseudonymise(key=None, detector=detector, dry_run=True)
        found_time = time.process_time() - started[0], time.perf_counter() - started[1]
        project.pseudonymise(key=Path(folder) / "key", passphrase="benchmark", detector=detector)
        after = {names[sha]: " ".join(project.transcript(name)["text"])
                 for sha, name in project.sources()[["sha256", "name"]].itertuples(index=False)}
        project.close()
    hits = [hit for hit in result.hits if hit.where == "text"]
    category_of = {hit.original: hit.category for hit in hits}
    identifying = {item["text"] for items in truth.values() for item in items}
    identifying |= {hit.original for hit in result.hits if hit.source in ("speaker", "attribute")}
    recall = defaultdict(lambda: [0, 0, 0])  # category -> planted, gone, tagged with its category
    missed = []
    for name, items in truth.items():
        for item in items:
            counts = recall[item["category"]]
            counts[0] += 1
            gone = not re.search(rf"(?<!\w){re.escape(item['text'])}(?!\w)", after[name])
            counts[1] += gone
            tagged = category_of.get(item["text"]) or next(
                (category for original, category in category_of.items() if item["text"] in original), None)
            counts[2] += gone and tagged == item["category"]
            if not gone:
                missed.append(f"{name}: {item['text']}")
    precision = defaultdict(lambda: [0, 0])  # category -> distinct hit strings, identifying
    for original, category in category_of.items():
        precision[category][0] += 1
        precision[category][1] += original in identifying
    report = {
        "documents": len(truth),
        "planted": sum(len(items) for items in truth.values()),
        "deduce_load_s": {"cpu": round(loaded[0], 1), "wall": round(loaded[1], 1)},
        "find_s": {"cpu": round(found_time[0], 1), "wall": round(found_time[1], 1)},
        "per_category": {
            category: {
                "planted": recall[category][0],
                "recall": round(recall[category][1] / recall[category][0], 3) if recall[category][0] else None,
                "category_right": round(recall[category][2] / recall[category][0], 3) if recall[category][0] else None,
                "hit_strings": precision[category][0],
                "precision": round(precision[category][1] / precision[category][0], 3) if precision[category][0] else None,
            }
            for category in CATEGORIES if recall[category][0] or precision[category][0]
        },
        "missed": missed,
        "false_hits": sorted(set(category_of) - identifying),
    }
    print(json.dumps(report, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
