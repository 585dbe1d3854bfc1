"""Redraw time of the keyboard coder on a large project, as a JSON report.

Builds a synthetic project of 100 interviews (40 interviewer questions and 40 respondent
answers each, so 4,000 segments) with the shipped codebook, opens ``qualcode code`` headless with
Textual's ``run_test`` and presses "next" repeatedly. Reported per press, in milliseconds:
``draw`` is the screen's own work (store reads and widget updates); ``key_to_frame`` is from the
key press to the last frame Textual composed for it (layout and rendering included), wall time;
``press_to_idle`` is the key press through Textual until the app is idle again, as wall
time and as this process's CPU time (which other programs on a busy machine do not inflate;
the wall time also holds the pilot's own idle detection).
Target (issue 4): next segment drawn in <= 50 ms.

    python benchmarks/tui_bench.py [--interviews 100] [--segments 40] [--presses 200]
"""

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from qualcode import Project  # noqa: E402 - the checkout's qualcode, not an installed one
from qualcode.store import NewDocument, NewSegment, NewTurn, insert_document  # noqa: E402
from qualcode.tui.coder import CoderApp  # noqa: E402

WORDS = ("klant werk regels collega overleg opleiding traject gesprek vertrouwen maatwerk "
         "participatie uitkering netwerk werkgever begeleiding afspraak team beleid").split()


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def interview(name: str, segments: int, rng: random.Random) -> NewDocument:
    """An interview alternating questions and answers; every answer is one turn segment."""
    text, turns, units = "", [], []
    for index in range(2 * segments):
        respondent = index % 2 == 1
        said = " ".join(sentence(rng, rng.randint(8, 20)) for _ in range(rng.randint(2, 5) if respondent else 1))
        start = len(text) + (2 if text else 0)
        text += ("\n\n" if text else "") + said
        turns.append(NewTurn(speaker="Klantmanager" if respondent else "Interviewer",
                             role="respondent" if respondent else "interviewer",
                             start=start, end=len(text), time_start=index * 30.0, time_end=index * 30.0 + 29))
        if respondent:
            units.append(NewSegment(unit="turn", start=start, end=len(text), speaker="Klantmanager", turn=index))
    return NewDocument(name=name, source_file=f"{name}.txt", sha256=name.rjust(64, "0"), text=text,
                       attributes={"role": ("klantmanager", "category")}, turns=turns, segments=units)


def build(folder: Path, interviews: int, segments: int) -> Project:
    project = Project.init(folder, codebook=REPO / "codebooks" / "professioneel-handelen.yaml")
    rng = random.Random(4)
    with project.store.atomic("bench.documents") as conn:
        for number in range(1, interviews + 1):
            insert_document(project.store, conn, interview(f"km-{number:03d}", segments, rng))
    return project


def summary(times: list[float]) -> dict:
    ordered = sorted(times)
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 2),
        "max_ms": round(ordered[-1], 2),
    }


async def measure(project: Project, presses: int) -> dict:
    started = time.perf_counter()
    items = project.worklist()
    load_ms = (time.perf_counter() - started) * 1000
    app = CoderApp(project, items, coder="bench")
    draws, whole, cpu, frames, to_frame = [], [], [], [], []
    async with app.run_test(size=(160, 48)) as pilot:
        screen = app.screen
        original = screen.draw

        def timed_draw():
            began = time.perf_counter()
            original()
            draws.append((time.perf_counter() - began) * 1000)

        screen.draw = timed_draw
        display = app._display

        def timed_display(*args):
            display(*args)
            frames.append(time.perf_counter())

        app._display = timed_display
        for _ in range(presses):
            frames.clear()
            began, began_cpu = time.perf_counter(), time.process_time()
            await pilot.press("right")
            await pilot.pause()
            whole.append((time.perf_counter() - began) * 1000)
            to_frame.append((frames[-1] - began) * 1000)
            cpu.append((time.process_time() - began_cpu) * 1000)
        position = screen.index
    return {"segments": len(items), "worklist_load_ms": round(load_ms, 1), "presses": presses,
            "reached_segment": position + 1, "draw": summary(draws),
            "key_to_frame": summary(to_frame), "press_to_idle": summary(whole), "press_to_idle_cpu": summary(cpu)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interviews", type=int, default=100)
    parser.add_argument("--segments", type=int, default=40)
    parser.add_argument("--presses", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        with build(Path(folder) / "bench", args.interviews, args.segments) as project:
            result = asyncio.run(measure(project, args.presses))
    report = {"interviews": args.interviews, "target_ms": 50, **result}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
