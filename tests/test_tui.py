"""The keyboard coder driven by Textual's pilot: keys pressed, then the project store read back."""

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa

from qualcode import Project
from qualcode.store.reads import resolve_segment
from qualcode.store import codes, codings, memos, reviews
from qualcode.tui.coder import KEYS, CoderApp, CoderScreen
from qualcode.tui.screens import Ask
from qualcode.tui.widgets import SegmentView
from qualcode.worklist import ORDERS

pytestmark = pytest.mark.usefixtures("quick_pilot")


@pytest.fixture
def interviews(project, make_document):
    make_document("km-a", [
        ("Interviewer", "interviewer", "Hoe begon u hier?"),
        ("Karin", "respondent", "Ik volgde eerst een opleiding."),
        ("Interviewer", "interviewer", "En met collega's?"),
        ("Karin", "respondent", "We overleggen elke week."),
        ("Interviewer", "interviewer", "Nog iets?"),
        ("Karin", "respondent", "Nee, dat was het."),
    ], {"role": "klantmanager"})
    make_document("km-b", [
        ("Interviewer", "interviewer", "Wat doet u?"),
        ("Piet", "respondent", "Ik help klanten naar werk."),
    ], {"role": "teamleider"})
    return project


def drive(app, *keys, then=None):
    """Run ``app`` headless, press ``keys``, call ``then(app)`` while it still runs; returns its result."""
    async def scenario():
        async with app.run_test() as pilot:
            await pilot.press(*keys)
            return then(app) if then else None

    return asyncio.run(scenario())


def coded(project, ref, coder="anna"):
    """{code: origin} of ``coder`` on ``ref``, read from the store."""
    with project.store.reading() as conn:
        segment_id = resolve_segment(conn, ref)
        rows = conn.execute(
            sa.select(codings.c.code_id, codings.c.origin).where(codings.c.segment_id == segment_id, codings.c.coder == coder)
        ).all()
    return dict(rows)


def is_reviewed(project, ref, coder="anna"):
    with project.store.reading() as conn:
        segment_id = resolve_segment(conn, ref)
        return conn.execute(
            sa.select(reviews.c.segment_id).where(reviews.c.segment_id == segment_id, reviews.c.coder == coder)
        ).first() is not None


def panel(app, selector):
    return str(app.screen.query_one(selector).content)


def coder_app(project, **kwargs):
    kwargs.setdefault("coder", "anna")
    return CoderApp(project, project.worklist(), **kwargs)


def test_search_and_enter_apply_several_codes_to_one_segment(interviews):
    keys = ["slash", *"opl", "enter", *"kg-rel", "enter"]
    shown = drive(coder_app(interviews), *keys, then=lambda app: panel(app, "#codings"))
    assert coded(interviews, "km-a:1") == {"KV-OPL": "manual", "KG-REL": "manual"}
    assert is_reviewed(interviews, "km-a:1")
    assert "KV-OPL" in shown and "KG-REL" in shown
    assert coded(interviews, "km-a:2") == {}


def test_shortcut_applies_its_code_and_command_characters_stay_commands(interviews):
    with interviews.store.atomic("test.shortcuts") as conn:
        conn.execute(codes.update().where(codes.c.id == "KD-COL").values(shortcut="d"))
        conn.execute(codes.update().where(codes.c.id == "IN-IDEE").values(shortcut="1"))
    drive(coder_app(interviews), "d", "1", "right", "d")
    assert coded(interviews, "km-a:1") == {"KD-COL": "manual"}
    assert coded(interviews, "km-a:2") == {"KD-COL": "manual"}


def test_delete_removes_the_highlighted_code_and_the_review_stays(interviews):
    async def scenario():
        app = coder_app(interviews)
        async with app.run_test() as pilot:
            await pilot.press("slash", *"opl", "enter", *"kg-rel", "enter", "slash", *"opl", "escape", "delete")
            one_removed = coded(interviews, "km-a:1")
            await pilot.press("slash", *"kg-rel", "escape", "delete")
            return one_removed

    assert asyncio.run(scenario()) == {"KG-REL": "manual"}
    assert coded(interviews, "km-a:1") == {}
    assert is_reviewed(interviews, "km-a:1")


def test_space_marks_reviewed_without_code_and_moves_on(interviews):
    index = drive(coder_app(interviews), "space", then=lambda app: app.screen.index)
    assert is_reviewed(interviews, "km-a:1") and coded(interviews, "km-a:1") == {}
    assert index == 1
    assert not is_reviewed(interviews, "km-a:2")


def test_undo_reverses_each_action_exactly_over_several_steps(interviews):
    async def scenario():
        app = coder_app(interviews)
        async with app.run_test() as pilot:
            await pilot.press("slash", *"opl", "enter")  # first look: tag + review
            await pilot.press(*"kg-rel", "enter")
            await pilot.press("slash", *"opl", "escape", "delete")  # remove KV-OPL
            await pilot.press("right", "space")  # km-a:2 reviewed, no code; now on km-a:3
            assert app.screen.index == 2
            seen = []
            for _ in range(5):
                await pilot.press("ctrl+z")
                seen.append((app.screen.index, coded(interviews, "km-a:1"), is_reviewed(interviews, "km-a:1"),
                             is_reviewed(interviews, "km-a:2")))
            return seen

    assert asyncio.run(scenario()) == [
        (1, {"KG-REL": "manual"}, True, False),  # review of km-a:2 withdrawn, back on it
        (0, {"KG-REL": "manual", "KV-OPL": "manual"}, True, False),  # removal undone
        (0, {"KV-OPL": "manual"}, True, False),  # second tag undone
        (0, {}, False, False),  # first tag undone: the segment is unreviewed again
        (0, {}, False, False),  # nothing left to undo
    ]


def test_next_previous_and_jump(interviews):
    async def scenario():
        app = coder_app(interviews)
        async with app.run_test() as pilot:
            refs = []
            for keys in (["right"], ["right"], ["left"], ["left", "left"], ["colon", "3", "enter"],
                         ["colon", *"km-b:1", "enter"], ["colon", "9", "9", "enter"], ["right"]):
                await pilot.press(*keys)
                refs.append(app.screen.item.ref)
            return refs, panel(app, "SegmentView"), str(app.screen.query_one("#progress").content)

    refs, view, progress = asyncio.run(scenario())
    assert refs == ["km-a:2", "km-a:3", "km-a:2", "km-a:1", "km-a:3", "km-b:1", "km-b:1", "km-b:1"]
    assert view.splitlines() == ["Interviewer 0:00: Wat doet u?", "", "km-b:1  Piet 0:10", "Ik help klanten naar werk."]
    assert progress.startswith("segment 4 of 4 · reviewed 0 / 4 · coder anna")


def test_context_shows_the_turns_around_the_segment(interviews):
    view = drive(coder_app(interviews), "right", then=lambda app: panel(app, "SegmentView"))
    assert view.split("\n\n") == [
        "Karin 0:10: Ik volgde eerst een opleiding.",
        "Interviewer 0:20: En met collega's?",
        "km-a:2  Karin 0:30\nWe overleggen elke week.",
        "Interviewer 0:40: Nog iets?",
    ]


def test_a_long_segment_grows_its_pane_and_a_short_one_shrinks_it_back(interviews, make_document):
    make_document("km-long", [("Karin", "respondent", "Lang verhaal over werk. " * 120),
                              ("Interviewer", "interviewer", "Vraag een?"), ("Interviewer", "interviewer", "Vraag twee?"),
                              ("Karin", "respondent", "Kort.")])

    async def scenario():
        app = CoderApp(interviews, interviews.worklist(["km-long"]), coder="anna")
        async with app.run_test(size=(80, 24)) as pilot:
            pane = app.screen.query_one("#segment").content_region.height
            heights = [app.screen.query_one(SegmentView).size.height]
            for key in ("right", "left"):
                await pilot.press(key)
                await pilot.pause()  # laid out
                heights.append(app.screen.query_one(SegmentView).size.height)
            return pane, heights

    pane, (long_first, short, long_again) = asyncio.run(scenario())
    assert long_first > pane and long_again == long_first
    assert short == pane


def test_memo_is_written_on_the_segment(interviews):
    drive(coder_app(interviews), "right", "exclamation_mark", *"mooi", "enter")
    with interviews.store.reading() as conn:
        segment_id = resolve_segment(conn, "km-a:2")
        rows = conn.execute(sa.select(memos.c.target_type, memos.c.target_id, memos.c.author, memos.c.text)).all()
    assert rows == [("segment", str(segment_id), "anna", "mooi")]


def test_blind_by_default_others_read_only_with_show_others(interviews):
    interviews.tag("km-a:1", ["KT-WET"], coder="bram")
    blind = drive(coder_app(interviews), then=lambda app: panel(app, "#codings"))
    assert "bram" not in blind and "KT" not in blind
    shown = drive(coder_app(interviews, show_others=True), "slash", *"kt-wet", "escape", "delete",
                  then=lambda app: panel(app, "#codings"))
    assert "[bram] KT-WET" in shown
    assert coded(interviews, "km-a:1", "bram") == {"KT-WET": "manual"}
    assert coded(interviews, "km-a:1") == {}


def test_coder_is_asked_once_and_remembered(interviews):
    first = coder_app(interviews, coder=None)
    screens = drive(first, *"anna", "enter", "space", then=lambda app: type(app.screen))
    assert screens is CoderScreen
    assert Project(interviews.path).coder() == "anna"
    assert is_reviewed(interviews, "km-a:1")
    again = drive(coder_app(interviews, coder=interviews.coder()), then=lambda app: type(app.screen))
    assert again is CoderScreen


def test_asking_the_coder_cancelled_quits_without_writing(interviews):
    app = coder_app(interviews, coder=None)
    drive(app, "escape")
    assert interviews.coder() is None
    assert interviews.coders() == []


def test_empty_coder_name_is_asked_again(interviews):
    assert drive(coder_app(interviews, coder=None), "enter", then=lambda app: type(app.screen)) is Ask


def test_quit_and_reopen_shows_the_same_state(interviews):
    app = coder_app(interviews)
    drive(app, "slash", *"kg-rel", "enter", "right", "space", "ctrl+q")
    assert app.return_code == 0
    with Project(interviews.path) as reopened:
        codes_shown, progress = drive(
            CoderApp(reopened, reopened.worklist(), coder="anna"),
            then=lambda app: (panel(app, "#codings"), str(app.screen.query_one("#progress").content)),
        )
    assert codes_shown.splitlines() == ["reviewed", "  KG-REL  Working relationship and trust"]
    assert progress.startswith("segment 1 of 4 · reviewed 2 / 4")


def test_number_key_accepts_a_suggestion_and_undo_of_a_removal_keeps_its_origin(interviews):
    asked = []

    def suggest(segment_id):
        asked.append(segment_id)
        return [("KT-WET", 0.91, ["wet", "regels"]), ("KG-REL", 0.52, [])]

    async def scenario():
        app = coder_app(interviews, suggest=suggest)
        async with app.run_test() as pilot:
            await pilot.press("2")
            after_accept = coded(interviews, "km-a:1")
            await pilot.press("9", "slash", *"kg-rel", "escape", "delete")
            after_remove = coded(interviews, "km-a:1")
            await pilot.press("ctrl+z")
            return after_accept, after_remove, panel(app, "#suggestions")

    after_accept, after_remove, shown = asyncio.run(scenario())
    assert after_accept == {"KG-REL": "suggestion"}
    assert after_remove == {}
    assert coded(interviews, "km-a:1") == {"KG-REL": "suggestion"}
    assert shown.splitlines()[0].startswith("1 KT-WET ") and shown.splitlines()[0].endswith("0.91  (wet, regels)")
    assert len(set(asked)) == 1


def test_order_uncoded_puts_unreviewed_segments_first(interviews):
    interviews.review("km-a:1", coder="anna")
    interviews.review("km-a:2", coder="bram")
    refs = drive(coder_app(interviews, order=ORDERS["uncoded"]),
                 then=lambda app: [item.ref for item in app.screen.session.items])
    assert refs == ["km-a:2", "km-a:3", "km-b:1", "km-a:1"]


def test_selection_by_document_and_attribute(interviews):
    assert [i.ref for i in interviews.worklist(["km-b"])] == ["km-b:1"]
    assert [i.ref for i in interviews.worklist(attributes={"role": "Klantmanager"})] == ["km-a:1", "km-a:2", "km-a:3"]


def test_cli_refuses_a_bad_attribute_and_an_empty_selection(project, cli):
    folder = project.path.parent
    bad = cli("code", "--attr", "role", "--coder", "anna", cwd=folder)
    assert bad.exit_code == 2
    assert bad.output.strip() == "qualcode: error: bad --attr 'role': write KEY=VALUE, e.g. --attr role=klantmanager"
    empty = cli("code", "--coder", "anna", cwd=folder)
    assert empty.exit_code == 2
    assert empty.output.strip() == (
        "qualcode: error: no segments to code in this selection: import transcripts first "
        "('qualcode import'), or widen DOC/--attr"
    )


def test_readme_key_table_is_the_help_overlay():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### 3. Code", 1)[1].split("\n### ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    assert rows == [f"| `{key}` | {meaning} |" for key, meaning in KEYS]


def test_a_refused_action_is_a_notice_and_the_coder_goes_on(interviews):
    app = coder_app(interviews, suggest=lambda segment_id: [("NOPE", 0.9, [])])
    screen = drive(app, "1", "space", then=lambda app: (type(app.screen), app.screen.index))
    assert screen == (CoderScreen, 1)
    assert coded(interviews, "km-a:1") == {}
    assert is_reviewed(interviews, "km-a:1")


def test_the_project_suggester_trains_in_the_background_and_its_first_suggestion_is_accepted(interviews):
    suggester = interviews.suggester()

    async def scenario():
        app = coder_app(interviews, suggest=suggester.suggest_when_ready, retrain=suggester.retrain)
        async with app.run_test() as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            shown = panel(app, "#suggestions")
            await pilot.press("1")
            await app.workers.wait_for_complete()
            return shown

    shown = asyncio.run(scenario())
    with interviews.store.reading() as conn:
        top = suggester.suggest(resolve_segment(conn, "km-a:1"))[0][0]
    assert top in shown
    assert coded(interviews, "km-a:1") == {top: "suggestion"}


def test_uncertain_order_puts_unreviewed_segments_first_least_sure_first(interviews):
    interviews.tag("km-a:1", ["KV-OPL"], coder="anna")
    suggester = interviews.suggester()
    items = interviews.worklist()
    reviewed = interviews.reviewed_segments("anna")
    arranged = suggester.arrange(items, reviewed)
    assert arranged[-1].ref == "km-a:1"
    unreviewed = [item.segment_id for item in arranged[:-1]]
    assert unreviewed == suggester.order(unreviewed)


@pytest.mark.parametrize("size", [(80, 24), (200, 50)])
def test_every_panel_is_visible_and_the_search_shows_results_from_80x24_up(interviews, size):
    async def scenario():
        app = coder_app(interviews)
        async with app.run_test(size=size) as pilot:
            await pilot.press("slash", *"KG")
            await pilot.pause()
            screen = app.screen
            heights = {selector: screen.query_one(selector).region.height
                       for selector in ("#segment", "#search", "#codes", "#codings", "#suggestions", "#progress")}
            options = screen.query_one("#codes")
            first = str(options.get_option_at_index(0).prompt)
            rows = [line.text for line in screen.query_one("#codes").render_lines(options.region.reset_offset)]
            return heights, first, rows

    heights, first, rows = asyncio.run(scenario())
    assert all(height > 0 for height in heights.values()), heights
    assert heights["#codes"] >= 8
    assert first.startswith("KG  ")
    assert any("KG  Client orientation" in row for row in rows), rows


def test_ctrl_t_hides_the_panels_under_the_code_list_and_brings_them_back(interviews):
    async def scenario():
        app = coder_app(interviews)
        async with app.run_test(size=(80, 24)) as pilot:
            heights = [app.screen.query_one("#codes").region.height]
            await pilot.press("ctrl+t")
            await pilot.pause()
            heights.append(app.screen.query_one("#codes").region.height)
            hidden = app.screen.query_one("#suggestions").display
            await pilot.press("ctrl+t")
            await pilot.pause()
            heights.append(app.screen.query_one("#codes").region.height)
            return heights, hidden

    (before, during, after), hidden = asyncio.run(scenario())
    assert not hidden
    assert during > before == after


def test_a_code_on_part_of_the_segment_is_marked_partial(interviews):
    from qualcode.store import coding as store_coding
    from qualcode.store import segments

    with interviews.store.atomic("test.passage") as conn:
        segment_id = resolve_segment(conn, "km-a:1")
        start = conn.execute(sa.select(segments.c.start).where(segments.c.id == segment_id)).scalar()
        for name in ("anna", "bram"):
            interviews.store.ensure_coder(conn, name)
        store_coding.insert_codings(conn, [
            {"segment_id": segment_id, "code_id": "KV", "coder": "anna", "start": start, "end": start + 8, "origin": "import"},
            {"segment_id": segment_id, "code_id": "KT", "coder": "bram", "start": start + 3, "end": start + 9, "origin": "import"},
        ])
    interviews.tag("km-a:1", ["KD-COL"], coder="anna")
    shown = drive(coder_app(interviews, show_others=True), then=lambda app: panel(app, "#codings"))
    lines = shown.splitlines()
    assert [line for line in lines if "KV" in line or "KD" in line or "KT" in line] == [
        next(line for line in lines if line.startswith("  KV")), next(line for line in lines if line.startswith("  KD")),
        "  [bram] KT (part)"]
    assert next(line for line in lines if line.startswith("  KV")).endswith("(part)")
    assert not next(line for line in lines if line.startswith("  KD")).endswith("(part)")


def test_blind_screen_is_the_same_whether_or_not_another_coder_coded_the_document(interviews):
    interviews.tag("km-b:1", ["KV-OPL"], coder="anna")

    def screen_of_anna():
        suggester = interviews.suggester(coder="anna")

        async def scenario():
            app = coder_app(interviews, suggest=suggester.suggest_when_ready, retrain=suggester.retrain)
            async with app.run_test() as pilot:
                await app.workers.wait_for_complete()
                await pilot.pause()
                return panel(app, "#suggestions"), panel(app, "#codings"), str(app.screen.query_one("#progress").content)

        return asyncio.run(scenario())

    alone = screen_of_anna()
    interviews.tag("km-a:1", ["KT-WET", "KV-OPL"], coder="bram")
    interviews.add_memo("Twijfel KD-COL of KV-LEER", segment="km-a:1", author="bram")
    assert screen_of_anna() == alone
    assert alone[0].startswith("1 ")
    shown = drive(coder_app(interviews, show_others=True), then=lambda app: panel(app, "#codings"))
    assert "memo (bram): Twijfel KD-COL of KV-LEER" in shown.splitlines()


def test_a_code_that_only_groups_others_is_refused_with_a_notice_and_nothing_is_written(interviews):
    async def scenario():
        app = coder_app(interviews)
        async with app.run_test() as pilot:
            await pilot.press("slash", *"KG", "enter")
            await pilot.pause()
            return [notice.message for notice in app._notifications], app.is_running

    notices, running = asyncio.run(scenario())
    assert notices[-1] == ("code KG only groups other codes and is not codable: apply one of its sub-codes "
                           "(KG-REL, KG-MAAT, KG-REGIE)")
    assert running and coded(interviews, "km-a:1") == {} and not is_reviewed(interviews, "km-a:1")


def test_a_second_child_of_an_exclusive_group_replaces_the_first_and_undo_restores_it(interviews):
    async def scenario():
        app = coder_app(interviews)
        async with app.run_test() as pilot:
            await pilot.press("slash", *"rol-hulp", "enter")
            await pilot.press("slash", *"rol-ctrl", "enter")
            replaced = coded(interviews, "km-a:1")
            await pilot.press("ctrl+z")
            return replaced

    assert asyncio.run(scenario()) == {"ROL-CTRL": "manual"}
    assert coded(interviews, "km-a:1") == {"ROL-HULP": "manual"}
