"""Import and segmentation speed and memory on a synthetic corpus, as a JSON report.

Generates (once, into benchmarks/out/) 50 Word transcripts of about 8,000 words each in the
label-prefix layout, from Dutch words of the klantmanager domain. Measures, in this process
(interpreter start and module imports excluded, reported apart):

- the floor: python-docx opening the same files and walking their paragraphs' text;
- ``Project.import_files`` of the 50 files (read, segment by turn, write) into a new project;
- the same with ``--unit sentence`` (spaCy), for scale;
- peak memory (ru_maxrss) of a fresh process importing 1M words (125 files), beside the same
  process's peak after its module imports, before importing.

Wall time on a shared machine depends on its load, so CPU time is reported too.

Targets (issue 3): <= 1.0 s for the 50 files, within 3x of the floor, peak <= 400 MB for 1M words.

    python benchmarks/import_bench.py [--files 50] [--words 8000]
"""

import argparse
import json
import random
import resource
import sys
import tempfile
import time
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

WORDS = (
    "ik je we de het een en van in op met voor dat dit die er is was zijn heb heeft kan moet wil gaat doen "
    "klantmanager klant cliënt gemeente werk uitkering bijstand traject plan aanpak intake gesprek teamleider "
    "caseload beslisruimte regels Participatiewet re-integratie uitstroom werkgever collega team overleg "
    "casusoverleg intervisie opleiding cursus ervaring dossier rapportage maatregel sanctie schuldhulpverlening "
    "wijkteam jobcoach proefplaatsing loonkostensubsidie tegenprestatie maatwerk regie contract tijdelijk vast "
    "eigenlijk gewoon natuurlijk best wel soms vaak altijd nooit echt heel veel weinig goed lastig moeilijk "
    "belangrijk verschillend samen zelf eerst daarna toen nu straks vroeger later omdat want maar dus ook nog"
).split()
ANNOTATIONS = ["(lacht)", "(stilte)", "[naam]", "//mhm//", "(...)", "[gemeente]"]


def sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(6, 18))
    if rng.random() < 0.1:
        words.insert(rng.randint(0, len(words)), rng.choice(ANNOTATIONS))
    return " ".join(words).capitalize() + rng.choice([".", ".", ".", "?", "!"])


def generate(folder: Path, files: int, words: int) -> list[Path]:
    import docx  # noqa: PLC0415 - only generation needs it

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(files):
        path = folder / f"synthetic-{number:03d}.docx"
        paths.append(path)
        if path.exists():
            continue
        rng = random.Random(number)
        document = docx.Document()
        written = 0
        while written < words:
            question = " ".join(sentence(rng) for _ in range(rng.randint(1, 2)))
            document.add_paragraph(f"I: {question}")
            written += len(question.split())
            for paragraph in range(rng.randint(1, 3)):
                answer = " ".join(sentence(rng) for _ in range(rng.randint(3, 8)))
                document.add_paragraph(("R: " if paragraph == 0 else "") + answer)
                written += len(answer.split())
        document.save(path)
    return paths


def floor(paths: list[Path]) -> float:
    import docx  # noqa: PLC0415

    started = time.perf_counter()
    for path in paths:
        for paragraph in docx.Document(path).paragraphs:
            paragraph.text  # noqa: B018 - walking the text is the work measured
    return time.perf_counter() - started


def timed_import(paths: list[Path], **options) -> tuple[float, float, dict]:
    from qualcode import Project  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as folder:
        project = Project.init(Path(folder) / "bench")
        started, cpu = time.perf_counter(), time.process_time()
        report = project.import_files(paths, **options)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        status = project.status()
        project.close()
    assert not report.failed, report.files
    return elapsed, cpu, {"documents": status["documents"], "segments": status["segments"]}


def maxrss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def memory_only(paths: list[Path]) -> None:
    """Run in a fresh process: peak resident memory of importing ``paths``."""
    import qualcode.importing  # noqa: F401, PLC0415
    import qualcode.project  # noqa: F401, PLC0415

    before = maxrss_mb()
    _, _, counts = timed_import(paths)
    print(json.dumps({"files": len(paths), **counts, "maxrss_after_imports_mb": before, "maxrss_peak_mb": maxrss_mb()}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=50)
    parser.add_argument("--words", type=int, default=8000)
    parser.add_argument("--memory-words", type=int, default=1_000_000)
    parser.add_argument("--memory-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    out = HERE / "out" / "import"
    if args.memory_only:
        memory_only(generate(out, args.files, args.words))
        return
    memory_files = -(-args.memory_words // args.words)
    all_paths = generate(out, max(args.files, memory_files), args.words)
    paths = all_paths[: args.files]

    started = time.perf_counter()
    import docx  # noqa: F401, PLC0415
    import lxml.etree  # noqa: F401, PLC0415

    import qualcode.importing  # noqa: F401, PLC0415
    import qualcode.project  # noqa: F401, PLC0415
    module_imports = time.perf_counter() - started

    timed_import(paths[:1])  # warm caches (first SQLite connection, module-level regexes)
    floor_s = floor(paths)
    turn_s, turn_cpu, turn_counts = timed_import(paths)
    from qualcode.ingest import read  # noqa: PLC0415

    n_words = sum(len(read(p).text.split()) for p in paths)
    from qualcode.segment import pipeline  # noqa: PLC0415

    pipeline()  # spaCy's import and set-up happen once per run; measured apart from the import
    sentence_s, sentence_cpu, sentence_counts = timed_import(paths, unit="sentence")
    memory = json.loads(subprocess.run(
        [sys.executable, __file__, "--memory-only", "--files", str(memory_files), "--words", str(args.words)],
        capture_output=True, text=True, check=True).stdout)
    report = {
        "files": len(paths),
        "words": n_words,
        "module_imports_s": round(module_imports, 3),
        "floor_python_docx_s": round(floor_s, 3),
        "import_turn_s": round(turn_s, 3),
        "import_turn_cpu_s": round(turn_cpu, 3),
        "import_turn_words_per_s": round(n_words / turn_s),
        "import_vs_floor": round(turn_s / floor_s, 2),
        "import_turn_counts": turn_counts,
        "import_sentence_s": round(sentence_s, 3),
        "import_sentence_cpu_s": round(sentence_cpu, 3),
        "import_sentence_words_per_s": round(n_words / sentence_s),
        "import_sentence_counts": sentence_counts,
        "memory_1M_words": memory,
        "load_average_1min": round(__import__("os").getloadavg()[0], 2),
        "targets": {"import_turn_s": 1.0, "import_vs_floor": 3.0, "peak_mb_per_1M_words": 400},
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
