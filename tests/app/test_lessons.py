"""The lessons, done in the real app through Pilot; the glossary; explanations with the user's own names."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.text import Text
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Header

from tests.app.conftest import FIXED_NOW, ROOTS, SAMPLES, SIZE, SnapCompare, new_app, sample, settle
from tests.app.test_hostile import write_hostile_bundle
from tui.app import make_app
from tui.app.app import ChainDoctorApp
from tui.app.forest import Missing
from tui.app.lessons.content import LESSONS
from tui.app.lessons.menu import LessonsScreen
from tui.app.lessons.panel import LessonPanel
from tui.app.lessons.scenes import lesson_bytes
from tui.app.lessons.tutor import Tutor
from tui.app.screens.dialogs import ConfirmScreen, OpenScreen
from tui.app.screens.glossary import GlossaryScreen
from tui.app.screens.help import HelpScreen
from tui.app.screens.mtls import MtlsScreen
from tui.app.widgets.signer_tree import SignerTree
from tui.app.widgets.tables import FindingsTable, ServedOrder
from tui.cli import parse_request
from tui.pki.explain import EXPLANATIONS, GLOSSARY, openssl_commands

REPO = Path(__file__).resolve().parents[2]
GLOSSARY_LINK = re.compile(r"\[\[[^:\]]+:([a-z0-9-]+)\]\]")  # ``[[label:key]]`` in lesson prose
ROOT = "CN=*.local Root CA"
FIN = "CN=*.fin.service.local Intermediate CA"
SERVICE = "CN=*.service.local Intermediate CA"
LEAF = "CN=orders.fin.service.local"


def learn_app() -> ChainDoctorApp:
    """What ``chaindoctor learn`` runs (``launch(args, lessons=True)``), with a fixed clock."""
    app = make_app(parse_request(["--no-system-roots"]), lessons=True, now=lambda: FIXED_NOW)
    assert isinstance(app, ChainDoctorApp)
    return app


def tutor(app: ChainDoctorApp) -> Tutor:
    return app.tutor


def panel_text(app: ChainDoctorApp) -> str:
    return app.default_screen.query_one(LessonPanel).text


async def until(pilot: Pilot[object], condition: Callable[[], bool], what: str = "") -> None:
    """Let the app (and the lesson's checks) run until ``condition`` holds."""
    for _ in range(150):
        await settle(pilot)
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"timed out waiting for {what or condition}")


async def step_done(pilot: Pilot[object], app: ChainDoctorApp, step: int) -> None:
    """Wait until the panel registers step ``step`` (1-based) as done, and the next scene is shown."""
    course = tutor(app).course
    await until(pilot, lambda: course.step >= step, f"step {step} of lesson {course.index + 1}")
    probe = tutor(app).probe
    await until(pilot, lambda: probe is not None and (probe.ready or course.finished), "the next scene")
    await pilot.pause(0.2)  # let the panel catch up: it shows what the tutor knows


async def start(pilot: Pilot[object], app: ChainDoctorApp, index: int) -> None:
    """Open lesson ``index`` (0-based) as the menu does, and wait for its bundle."""
    launched = app.lessons_first  # `learn` opens lesson 1 first: let it
    await until(pilot, lambda: app.view is not None and (tutor(app).started or not launched), "the first lesson")
    tutor(app).start(index)
    await until(pilot, lambda: tutor(app).probe is not None and tutor(app).probe.ready, "the lesson's bundle")


async def highlight(pilot: Pilot[object], app: ChainDoctorApp, wanted: Callable[[ChainDoctorApp], bool],
                    key: str = "up") -> None:
    """Press ``key`` (as a learner would) until ``wanted`` holds (or the lesson already moved on)."""
    course = tutor(app).course
    where = (course.index, course.step)
    for _ in range(12):
        if wanted(app) or (course.index, course.step) != where:
            return
        await pilot.press(key)
        await pilot.pause()
    raise AssertionError("could not highlight the wanted line")


def selected_is(subject: str) -> Callable[[ChainDoctorApp], bool]:
    return lambda app: app.selected is not None and app.selected.subject == subject


def on_missing(app: ChainDoctorApp) -> bool:
    return isinstance(app.query_one(SignerTree).cursor_target(), Missing)


async def focus(pilot: Pilot[object], app: ChainDoctorApp, kind: type[Widget]) -> None:
    """Press tab until a ``kind`` pane has the focus."""
    for _ in range(10):
        if isinstance(app.focused, kind):
            return
        await pilot.press("tab")
        await pilot.pause()
    raise AssertionError(f"tab never reached {kind.__name__}")


def codes(app: ChainDoctorApp) -> set[str]:
    assert app.view is not None
    return app.view.report.codes()


def subjects(app: ChainDoctorApp) -> list[str]:
    return [e.subject for e in app.history.current.certs]


# --- chaindoctor learn, progress, restart, skip ----------------------------------------------------------


async def test_learn_opens_lesson_one_in_the_real_app() -> None:
    app = learn_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(app.default_screen.query(LessonPanel)) and tutor(app).probe is not None
                    and tutor(app).probe.ready, "lesson 1")
        assert not isinstance(app.screen, LessonsScreen)  # straight into lesson 1, no menu
        text = panel_text(app)
        assert "Lesson 1 of 7 · step 1 of 3" in text and "Anatomy of a certificate" in text
        assert "▶ Find who signed the leaf" in text and "○ Find the root" in text
        # the main screen itself shows the lesson's chain: tree, served order, details, findings
        assert app.sub_title == "lesson 1: good-chain.pem"
        assert subjects(app) == [LEAF, FIN, SERVICE]
        assert app.query_one(SignerTree).cursor_target()[0].subject == LEAF
        assert app.query_one(ServedOrder).row_count == 3
        assert "orders.fin.service.local" in app.query_one("#details").text
        assert app.title == "chaindoctor — OK"


async def test_lesson_1_anatomy() -> None:
    app = learn_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: tutor(app).probe is not None and tutor(app).probe.ready, "lesson 1")
        # the tree's cursor starts on the leaf once the tree is drawn
        await until(pilot, lambda: app.selected is not None and app.selected.subject == LEAF, "the leaf highlighted")
        await pilot.press("up")  # the leaf's issuer, just above it in the tree
        await step_done(pilot, app, 1)
        assert app.selected is not None and app.selected.subject == FIN
        assert "✓ Find who signed the leaf" in panel_text(app) and "(signature verified)" in panel_text(app)
        await highlight(pilot, app, selected_is(ROOT))
        await step_done(pilot, app, 2)
        assert "(from the trust store)" in panel_text(app)
        await pilot.press("g")
        await pilot.pause()
        assert isinstance(app.screen, GlossaryScreen)
        await pilot.press(*"SAN")
        await step_done(pilot, app, 3)
        assert app.screen.current == "san"
        await pilot.press("escape")
        await pilot.pause()
        text = panel_text(app)
        assert "✓ Lesson complete" in text and "not the subject's CN" in text
        assert "ctrl+n: lesson 2, How a client checks a server" in text
        assert "Lesson 1 of 7 · complete" in text
        assert tutor(app).course.completed == {0}


async def test_lesson_2_how_a_client_checks_a_server() -> None:
    app = learn_app()
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot, app, 1)
        assert codes(app) == {"untrusted-root"}
        await highlight(pilot, app, selected_is(ROOT))
        await pilot.press("t")
        await step_done(pilot, app, 1)
        assert app.session.trusted_here == [] and "Trust comes from the client's CA bundle" in panel_text(app)
        # the next scene: a chain with an expired intermediate
        assert codes(app) == {"expired"} and app.sub_title == "lesson 2: expired-intermediate.pem"
        await highlight(pilot, app, selected_is(FIN))
        await step_done(pilot, app, 2)
        assert "valid now, intermediates too" in panel_text(app)
        # the last scene: the right chain for the wrong name
        assert codes(app) == {"hostname-mismatch"} and app.session.policy.host == "billing.fin.service.local"
        await focus(pilot, app, FindingsTable)
        await step_done(pilot, app, 3)
        assert "hostname-mismatch" in app.query_one("#explain").text
        assert "✓ Lesson complete" in panel_text(app)


async def test_lesson_3_intermediates() -> None:
    app = learn_app()
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot, app, 2)
        await pilot.press("up")
        await until(pilot, lambda: "2 to go" in panel_text(app), "the walk's progress")
        await pilot.press("up", "up")
        await step_done(pilot, app, 1)
        assert "each one signed the one below it" in panel_text(app)
        await focus(pilot, app, ServedOrder)
        await highlight(pilot, app, selected_is(SERVICE), key="down")
        await step_done(pilot, app, 2)
        assert "the root, is already on every client" in panel_text(app)
        assert tutor(app).course.completed == {2}


async def test_lesson_4_order_matters() -> None:
    app = learn_app()
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot, app, 3)
        assert subjects(app) == [SERVICE, FIN, LEAF] and "wrong-order" in codes(app)
        await focus(pilot, app, ServedOrder)
        await step_done(pilot, app, 1)  # row #1 is the one not signed by the next
        assert "#1 is an intermediate" in panel_text(app)
        await pilot.press("o")
        await step_done(pilot, app, 2)
        assert subjects(app) == [LEAF, FIN, SERVICE] and "wrong-order" not in codes(app)
        assert "Nothing was added or removed" in panel_text(app)


async def test_lesson_5_missing_intermediate() -> None:
    app = learn_app()
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot, app, 4)
        assert "missing-intermediate" in codes(app)
        await highlight(pilot, app, on_missing)
        await step_done(pilot, app, 1)
        await pilot.press("c")
        await step_done(pilot, app, 2)
        assert not isinstance(app.screen, ConfirmScreen)  # found in the lesson's search path: no network
        assert subjects(app) == [LEAF, FIN, SERVICE] and app.view is not None and app.view.report.verdict == "ok"
        assert "came from the search path" in panel_text(app)


async def test_lesson_6_root_in_the_chain() -> None:
    app = learn_app()
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot, app, 5)
        assert codes(app) == {"contains-root"}
        await focus(pilot, app, ServedOrder)
        await highlight(pilot, app, selected_is(ROOT), key="down")
        await step_done(pilot, app, 1)
        await pilot.press("r")
        await step_done(pilot, app, 2)
        assert subjects(app) == [LEAF, FIN, SERVICE] and not codes(app)
        assert "Three certificates are served now" in panel_text(app)


async def test_lesson_7_mtls_then_the_demo_on_your_own_then_home() -> None:
    app = learn_app()
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot, app, 6)
        assert app.session.policy.purpose == "server"
        await highlight(pilot, app, selected_is("CN=mTLS Server Root CA"))
        await step_done(pilot, app, 1)
        assert app.session.policy.purpose == "client" and subjects(app)[0] == "CN=billing-service"
        await highlight(pilot, app, selected_is("CN=mTLS Client Root CA"))
        await step_done(pilot, app, 2)
        assert "Each side needs the other side's root" in panel_text(app)
        assert "missing-intermediate" in codes(app)  # the server trusts the wrong root
        await highlight(pilot, app, on_missing)
        await step_done(pilot, app, 3)
        await until(pilot, lambda: isinstance(app.screen, MtlsScreen), "the mTLS screen")
        screen = app.screen

        def own_panel() -> str:
            panels = screen.query(LessonPanel)
            return panels.first().text if panels else ""

        await until(pilot, lambda: own_panel().count("✓") == 3, "the mTLS screen's own lesson panel")
        await until(pilot, lambda: not screen.busy, "the pair's analysis")
        for _ in range(8):
            if screen.active == "client":
                break
            await pilot.press("tab")
            await pilot.pause()
        await pilot.press("o")
        await step_done(pilot, app, 4)
        text = panel_text(app)
        assert "✓ Lesson complete" in text and "chaindoctor mtls" in text
        header = screen.query_one(Header).screen_title  # the pair's verdict, not the main screen's
        assert "OK" in header and "BROKEN" not in header
        assert "mTLS pair OK" in str(screen.query_one("#pair-verdict").content)
        assert "press ctrl+n to open the demo's broken chain" in text
        # the closing exercise: the demo, fixed alone
        await pilot.press("ctrl+n")
        await until(pilot, lambda: tutor(app).probe is not None and tutor(app).probe.ready, "the demo")
        assert not isinstance(app.screen, LessonsScreen) and app.sub_title == "final: demo.pem"
        assert "Final exercise · step 1 of 1" in panel_text(app)
        assert codes(app) == {"wrong-order", "contains-root", "duplicate-cert"}
        await pilot.press("f")
        await step_done(pilot, app, 1)
        assert "✓ Well done!" in panel_text(app)
        await pilot.press("ctrl+n")  # after the last: back to the learner's own bundle (here the demo)
        await until(pilot, lambda: not app.default_screen.query(LessonPanel) and not app.busy, "leaving")
        assert app.sub_title == "demo.pem" and not tutor(app).running


async def test_restart_and_skip() -> None:
    app = learn_app()
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot, app, 3)
        await focus(pilot, app, ServedOrder)
        await step_done(pilot, app, 1)
        await pilot.press("o")
        await step_done(pilot, app, 2)
        assert "wrong-order" not in codes(app)
        await pilot.press("ctrl+g")  # restart: the lesson's own broken bundle again, from step 1
        await until(pilot, lambda: tutor(app).probe is not None and tutor(app).probe.ready, "the restart")
        await pilot.pause(0.2)
        assert tutor(app).course.step == 0 and "wrong-order" in codes(app) and not app.history.can_undo
        assert "Lesson 4 of 7 · step 1 of 2" in panel_text(app)
        await pilot.press("ctrl+n")  # skip to lesson 5
        await until(pilot, lambda: tutor(app).course.index == 4 and tutor(app).probe.ready, "lesson 5")
        await pilot.pause(0.2)
        assert "Lesson 5 of 7 · step 1 of 2" in panel_text(app) and "missing-intermediate" in codes(app)
        await pilot.press("ctrl+n")
        await until(pilot, lambda: tutor(app).course.index == 5, "lesson 6")
        assert tutor(app).course.completed == {3}  # lesson 4 was done before the restart; skipping 5 ticks nothing


async def test_progress_dots_and_the_menu() -> None:
    app = learn_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: tutor(app).probe is not None and tutor(app).probe.ready, "lesson 1")
        tutor(app).course.completed.update({0, 1})
        await start(pilot, app, 2)
        await pilot.pause(0.2)
        head = panel_text(app).splitlines()[:3]
        assert head[0] == "Lesson 3 of 7 · step 1 of 2"
        assert head[2].split() == ["●", "●", "◉", "○", "○", "○", "○", "○"]
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, LessonsScreen)
        labels = [str(app.screen.query_one("#lesson-list").get_option_at_index(i).prompt) for i in range(8)]
        assert labels[0].startswith("✓ 1.") and labels[2].startswith("▶ 3.") and labels[7].startswith("  Final")
        await pilot.press("down", "down", "enter")  # lesson 5
        await until(pilot, lambda: tutor(app).course.index == 4 and tutor(app).probe.ready, "lesson 5")
        assert not isinstance(app.screen, LessonsScreen) and "missing-intermediate" in codes(app)
        await pilot.press("l")
        await pilot.pause()
        await pilot.press("x")  # leave the lessons
        await until(pilot, lambda: not tutor(app).running and not app.busy, "leaving")
        assert app.sub_title == "demo.pem" and not app.default_screen.query(LessonPanel)


async def test_l_from_your_own_bundle_keeps_your_repairs() -> None:
    app = new_app(sample("reversed.pem"), "--roots", ROOTS)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        history = app.history
        assert history.dirty
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, LessonsScreen)  # not launched with `learn`: the menu, not lesson 1
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)  # unsaved repairs: asks first
        await pilot.press("y")
        await until(pilot, lambda: tutor(app).probe is not None and tutor(app).probe.ready, "lesson 1")
        assert app.sub_title == "lesson 1: good-chain.pem"
        await pilot.press("l")
        await pilot.pause()
        await pilot.press("x")
        await until(pilot, lambda: not tutor(app).running and not app.busy, "leaving")
        assert app.history is history and history.dirty and subjects(app) == [LEAF, FIN, SERVICE]
        assert app.sub_title.endswith("reversed.pem")


async def test_opening_another_file_mid_lesson_is_noticed() -> None:
    app = learn_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: tutor(app).probe is not None and tutor(app).probe.ready, "lesson 1")
        await pilot.press("O")
        await pilot.pause()
        assert isinstance(app.screen, OpenScreen)
        app.screen.query_one("#path").value = sample("shuffled.pem")
        await pilot.press("enter")
        await until(pilot, lambda: "no longer shows this lesson's bundle" in panel_text(app), "the off-track note")
        await pilot.press("up", "up")
        await pilot.pause(0.3)
        assert tutor(app).course.step == 0  # another bundle: nothing is judged
        await pilot.press("ctrl+g")
        await until(pilot, lambda: tutor(app).probe.ready, "the lesson again")
        await pilot.pause(0.2)
        assert "no longer shows this lesson's bundle" not in panel_text(app)
        assert app.sub_title == "lesson 1: good-chain.pem"


def test_lesson_snapshot(snap_compare: SnapCompare) -> None:
    """Lesson 4 with its first step done: the panel beside the real tree, served order and findings."""

    async def run_before(pilot: Pilot[object]) -> None:
        app = pilot.app
        assert isinstance(app, ChainDoctorApp)
        await settle(pilot)
        await start(pilot, app, 3)
        await focus(pilot, app, ServedOrder)
        await step_done(pilot, app, 1)

    assert snap_compare(new_app(), terminal_size=SIZE, run_before=run_before)


# --- the glossary and the explanations -----------------------------------------------------------------


async def test_explanation_uses_your_file_names_and_the_same_text_as_explain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(SAMPLES.parent)  # relative names, as a user would type them
    files = dict(bundle="sample_certs/reversed.pem", roots="sample_certs/roots/local-root.pem",
                 host="orders.fin.service.local")
    app = new_app(files["bundle"], "--roots", files["roots"], "--host", files["host"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        shown = app.query_one("#explain").text
        info = EXPLANATIONS["wrong-order"]
        flat = " ".join(shown.split())
        for command in openssl_commands("wrong-order", **files):
            assert f"$ {command}" in shown
        assert "sample_certs/reversed.pem" in shown and "chain.pem" not in shown and "example.com" not in shown
        for prose in (info.meaning, info.fix):
            assert " ".join(prose.replace("`", "").split())[:120] in flat
        assert "See also" in shown
        assert all(GLOSSARY[key].term in shown for key in info.glossary)


def click_actions(text: Text) -> list[str]:
    return [str(span.style.meta["@click"]) for span in text.spans
            if not isinstance(span.style, str) and "@click" in span.style.meta]


async def test_explanation_links_open_the_glossary_and_certificates_cannot_add_links(tmp_path: Path) -> None:
    app = new_app(str(write_hostile_bundle(tmp_path)))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        pane = app.query_one("#explain")
        content = pane._content
        assert isinstance(content, Text) and "[@click=app.quit]" in content.plain  # shown, as inert text
        actions = click_actions(content)
        assert actions, "the explanation links its glossary words"
        assert all(a.startswith("app.glossary('") and a[14:-2] in GLOSSARY for a in actions)
        await app.run_action(actions[0])  # what a click on the first word does
        await pilot.pause()
        assert isinstance(app.screen, GlossaryScreen) and app.screen.current == actions[0][14:-2]


async def test_g_opens_the_glossary_with_the_findings_words_first_and_search_works() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, GlossaryScreen)
        wanted = EXPLANATIONS["wrong-order"].glossary
        terms = screen.query_one("#glossary-terms")
        first = [terms.get_option_at_index(i).id for i in range(len(wanted))]
        assert first == list(wanted) and screen.current == wanted[0]
        await pilot.press(*"trust anchor")
        await pilot.pause()
        assert screen.current == "root"
        await screen.run_action("show('aki')")  # a "see also" link
        await pilot.pause()
        assert screen.current == "aki" and "SKI" in str(screen.query_one("#glossary-text").content)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, GlossaryScreen)


async def test_help_leads_to_the_searchable_glossary() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("g")
        await pilot.pause()
        assert isinstance(app.screen, GlossaryScreen)
        await pilot.press(*"EKU")
        await pilot.pause()
        assert app.screen.current == "eku"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


# --- the lessons' own data -----------------------------------------------------------------------------


def test_lesson_text_links_only_known_glossary_terms() -> None:
    for lesson in LESSONS:
        texts = [lesson.intro, lesson.outro, *(t for s in lesson.steps for t in (s.task, s.done))]
        for text in texts:
            unknown = [k for k in GLOSSARY_LINK.findall(text) if k not in GLOSSARY]
            assert not unknown, f"{lesson.title}: unknown glossary keys {unknown}"
    assert sum(not lesson.final for lesson in LESSONS) == 7 and LESSONS[-1].final


def test_lesson_bundles_ship_in_the_package_and_match_their_generator() -> None:
    spec = importlib.util.spec_from_file_location("lessons_generate", REPO / "tui/data/lessons/generate.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    assert generator.stale() == [], "run python tui/data/lessons/generate.py"
    for name in generator.FILES:
        assert lesson_bytes(name).startswith(b"-----BEGIN CERTIFICATE-----")  # via importlib.resources
