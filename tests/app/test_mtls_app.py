"""The mTLS screen: both directions side by side, repairs per side, save; ``chaindoctor mtls --app``."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, RadioButton, Static, TextArea

from tests.app.conftest import FIXED_NOW, SAMPLES, SIZE, SnapCompare, record_notes, screen_text, settle
from tests.app.test_snapshots import press_then_settle
from tui.app.keys import Where, keys_on
from tui.app.mtls_app import MtlsApp, make_mtls_app
from tui.app.screens.dialogs import ChoiceScreen, OpenScreen, SaveScreen
from tui.app.screens.glossary import GlossaryScreen
from tui.app.screens.help import HelpScreen, help_text
from tui.app.screens.mtls import MtlsScreen
from tui.app.screens.settings import SettingsScreen
from tui.cli import build_parser, main
from tui.cli.parse import pair_request_from
from tui.pki.load import load_file

MTLS = SAMPLES / "mtls"
SERVER_CHAIN, CLIENT_CHAIN = str(MTLS / "server-chain.pem"), str(MTLS / "client-chain.pem")
SERVER_ROOT, CLIENT_ROOT = str(MTLS / "server-root.pem"), str(MTLS / "client-root.pem")
BILLING = "CN=billing-service"
CLIENT_CA = "CN=mTLS Client Intermediate CA"


def mtls_app(server_trust: str = CLIENT_ROOT, client_trust: str = SERVER_ROOT, *, server_chain: str = SERVER_CHAIN,
             client_chain: str = CLIENT_CHAIN, extra: tuple[str, ...] = ()) -> MtlsApp:
    """``chaindoctor mtls ... --app`` with a fixed clock (T1 = server_trust, T2 = client_trust)."""
    args = build_parser()["mtls"].parse_args(["--server-chain", server_chain, "--server-trust", server_trust,
                                              "--client-chain", client_chain, "--client-trust", client_trust,
                                              "--app", *extra])
    return make_mtls_app(pair_request_from(args), now=lambda: FIXED_NOW)


def screen_of(app: MtlsApp) -> MtlsScreen:
    assert isinstance(app.screen, MtlsScreen)
    return app.screen


def subjects(app: MtlsApp, side: str) -> list[str]:
    return [e.subject for e in screen_of(app).sides[side].history.current.certs]


def reversed_client_chain(tmp_path: Path) -> str:
    """The client chain with the intermediate first: a wrong order the server side should flag."""
    text = Path(CLIENT_CHAIN).read_text()
    blocks = [b + "-----END CERTIFICATE-----\n" for b in text.split("-----END CERTIFICATE-----") if "BEGIN" in b]
    path = tmp_path / "client-reversed.pem"
    path.write_text("".join(reversed(blocks)))
    return str(path)


async def test_good_pair_is_ok_on_both_sides() -> None:
    app = mtls_app(extra=("--host", "api.mtls.local"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = screen_of(app)
        server, client = screen.sides["server"].report, screen.sides["client"].report
        assert server is not None and client is not None
        assert server.verdict == client.verdict == "ok"
        assert server.policy.purpose == "server" and client.policy.purpose == "client"
        left, right = screen.pane("server").text, screen.pane("client").text
        assert left.startswith("The client validates the server's chain")
        assert "trusting " in left and "server-root.pem (T2), purpose server, host api.mtls.local" in left
        assert right.startswith("The server validates the client's chain")
        assert "client-root.pem (T1), purpose client" in right
        assert "✓ OK" in left and "✓ OK" in right
        assert "billing-service  leaf #1" in right and "mTLS Client Root CA  anchor" in right
        verdict = str(screen.query_one("#pair-verdict").content)
        assert "mTLS pair OK" in verdict
        summary = str(screen.query_one("#pair-summary").content)
        assert "The client will accept the server's chain." in summary
        assert "The server will accept the client's certificate." in summary
        assert screen.check_action("reorder", ()) is None and screen.check_action("back", ()) is False


async def test_swapped_trust_shows_the_missing_issuer_on_the_server_side() -> None:
    app = mtls_app(server_trust=SERVER_ROOT)  # the server trusts its own root, not the clients'
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = screen_of(app)
        client = screen.sides["client"].report
        assert client is not None and client.codes() == {"missing-intermediate"}
        assert screen.sides["server"].report.verdict == "ok"
        right = screen.pane("client").text
        assert "✗ BROKEN — 1 error" in right and "missing-intermediate" in right
        assert "⚠ missing: CN=mTLS Client Root CA" in right
        summary = str(screen.query_one("#pair-summary").content)
        assert "The server will reject the client's certificate: missing-intermediate" in summary
        assert "the server will reject the client's certificate" in str(screen.query_one("#pair-verdict").content)


async def test_repairs_apply_to_the_focused_side_with_its_own_history(tmp_path: Path) -> None:
    app = mtls_app(client_chain=reversed_client_chain(tmp_path))
    notes = record_notes(app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = screen_of(app)
        assert subjects(app, "client") == [CLIENT_CA, BILLING]
        assert screen.sides["client"].report.codes() == {"wrong-order"}
        assert screen.active == "server" and screen.check_action("reorder", ()) is None
        await pilot.press("o")  # the server side has nothing to reorder: nothing happens
        await settle(pilot)
        assert subjects(app, "client") == [CLIENT_CA, BILLING]

        await pilot.press("tab", "tab")  # server served order -> server findings -> client served order
        await pilot.pause()
        assert screen.active == "client" and screen.check_action("reorder", ()) is True
        await pilot.press("o")
        await settle(pilot)
        assert subjects(app, "client") == [BILLING, CLIENT_CA]
        assert screen.sides["client"].report.verdict == "ok"
        assert not screen.sides["server"].history.can_undo and screen.sides["client"].history.dirty
        assert "Reordered the client's chain — u to undo" in notes.text()
        assert "unsaved" in str(screen.query_one("#pair-verdict").content)
        assert "mTLS pair OK" in str(screen.query_one("#pair-verdict").content)

        screen.focus_side("server")
        await pilot.press("u")  # the server side has no history
        await settle(pilot)
        assert subjects(app, "client") == [BILLING, CLIENT_CA]
        screen.focus_side("client")
        await pilot.press("u")
        await settle(pilot)
        assert subjects(app, "client") == [CLIENT_CA, BILLING]
        assert "wrong-order" in screen.pane("client").text
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert subjects(app, "client") == [BILLING, CLIENT_CA]


async def test_save_writes_the_focused_sides_chain(tmp_path: Path) -> None:
    app = mtls_app(client_chain=reversed_client_chain(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = screen_of(app)
        screen.focus_side("client")
        await pilot.press("f")
        await settle(pilot)
        await pilot.press("s")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, SaveScreen)
        assert dialog.default == str(tmp_path / "client-reversed.fixed.pem")
        await pilot.press("enter")
        await settle(pilot)
        saved = load_file(str(tmp_path / "client-reversed.fixed.pem"))
        assert [e.subject for e in saved.certs] == [BILLING, CLIENT_CA]
        assert not screen.sides["client"].history.dirty
        assert not (tmp_path / "server-chain.fixed.pem").exists()


async def test_quit_asks_when_a_side_has_unsaved_repairs(tmp_path: Path) -> None:
    app = mtls_app(client_chain=reversed_client_chain(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen_of(app).focus_side("client")
        await pilot.press("o")
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, MtlsScreen)
        await pilot.press("q")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
    assert app.return_code == 0


async def test_ctrl_q_asks_like_q_and_ctrl_c_names_q(tmp_path: Path) -> None:
    """Ctrl+Q is Textual's quit: here too it asks before unsaved repairs are lost; Ctrl+C names q."""
    app = mtls_app(client_chain=reversed_client_chain(tmp_path))
    notes = record_notes(app)  # type: ignore[arg-type]  # any App notifies
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen_of(app).focus_side("client")
        await pilot.press("o")
        await settle(pilot)
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert notes.items[-1][0] == "Press q to quit chaindoctor (Ctrl+Q quits too)."
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, MtlsScreen) and app.is_running


async def test_a_private_ca_missing_from_a_trust_bundle_names_the_file_and_promises_no_chain_repair() -> None:
    app = mtls_app(server_trust=SERVER_ROOT)  # the server's client-CA bundle holds only the server's own root
    notes = record_notes(app)  # type: ignore[arg-type]  # any App notifies
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = screen_of(app)
        screen.focus_side("client")
        await pilot.pause()
        right = screen.pane("client").text
        assert "press c" not in right and "press f" not in right
        verdict = str(screen.query_one("#pair-verdict").content)
        assert "press f" not in verdict and "fix its chain" not in verdict
        assert "server-root.pem lacks the client's CA: T adds one" in verdict  # the file to change, the key that helps
        explain = screen.query_one("#pair-explain").text
        assert SERVER_ROOT in explain and "ssl_client_certificate" in explain and "--roots" not in explain
        assert "Press c" not in explain and "Press f" not in explain
        assert screen.check_action("repair", ("complete",)) is None
        assert screen.check_action("repair", ("fix_all",)) is None
        assert screen.check_action("trust_file", ()) is True
        await pilot.press("f")  # no chain repair helps: it says why, and changes nothing
        await settle(pilot)
        assert "Nothing changed" not in notes.text()
        assert SERVER_ROOT in notes.text() and subjects(app, "client") == [BILLING, CLIENT_CA]

        await pilot.press("T")  # add a file's CA certificates to the server's client-CA bundle, for this session
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, OpenScreen)
        dialog.query_one("#path", Input).value = CLIENT_ROOT
        await pilot.press("enter")
        await settle(pilot)
        assert screen.sides["client"].report.verdict == "ok"  # type: ignore[union-attr]  # analysed by now
        assert "mTLS pair OK" in str(screen.query_one("#pair-verdict").content)
        assert "CN=mTLS Client Root CA" in notes.text() and SERVER_ROOT in notes.text()
        assert not screen.sides["client"].history.dirty  # the chain did not change: nothing to save


async def test_settings_on_the_focused_side_change_only_its_trust_and_name_its_bundle() -> None:
    """S on the client's side: the server's client-CA bundle becomes the file the user names; the
    server's side keeps its own; the trust-gap text then names the new file."""
    app = mtls_app(server_trust=SERVER_ROOT)  # the server's client-CA bundle lacks the client's root
    notes = record_notes(app)  # type: ignore[arg-type]  # any App notifies
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = screen_of(app)
        screen.focus_side("client")
        await pilot.press("S")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, SettingsScreen)
        assert str(dialog.query_one(".question", Static).content) == "Settings for the client's chain"
        roots = dialog.query_one("#roots", TextArea)
        assert roots.text == SERVER_ROOT
        assert dialog.query_one("#purpose-client", RadioButton).value  # the client's chain is judged for clientAuth
        roots.load_text(CLIENT_ROOT)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, SettingsScreen)
        client, server = screen.sides["client"].session, screen.sides["server"].session
        assert client.request.roots == (CLIENT_ROOT,) and client.judge is not None
        assert client.judge.trust_file == CLIENT_ROOT
        assert server.request.roots == (SERVER_ROOT,) and server.judge is not None  # the other side: unchanged
        assert server.judge.trust_file == SERVER_ROOT
        assert screen.sides["client"].report.verdict == "ok"  # type: ignore[union-attr]  # analysed by now
        assert "mTLS pair OK" in str(screen.query_one("#pair-verdict").content)
        assert "Settings applied" in [title for _, title, _ in notes.items]


async def test_every_key_that_would_do_nothing_on_a_side_says_why() -> None:
    app = mtls_app(extra=("--host", "api.mtls.local"))  # a good pair: no repair has anything to do
    notes = record_notes(app)  # type: ignore[arg-type]  # any App notifies
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = screen_of(app)
        idle = [k for k in keys_on(Where.PAIR) if k.group.acts_on_chain and screen.unavailable(k.name)]
        assert {k.name for k in idle} >= {"reorder", "complete", "drop_extras", "toggle_root", "fix_all", "undo",
                                         "trust"}
        for key in idle:
            notes.items.clear()
            await pilot.press(key.key)
            await settle(pilot)
            assert notes.items, f"{key.name} did nothing and said nothing"
            assert app.screen is screen


async def test_t_trusts_a_root_the_clients_chain_carries(tmp_path: Path) -> None:
    carried = tmp_path / "client-with-root.pem"
    carried.write_text(Path(CLIENT_CHAIN).read_text() + Path(CLIENT_ROOT).read_text())
    app = mtls_app(server_trust=SERVER_ROOT, client_chain=str(carried))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = screen_of(app)
        assert "untrusted-root" in screen.sides["client"].report.codes()  # type: ignore[union-attr]  # analysed by now
        screen.focus_side("client")
        await pilot.pause()
        assert screen.check_action("trust", ()) is None  # the leaf is highlighted
        await pilot.press("down", "down")  # the root, last in the client's served order
        await pilot.pause()
        assert screen.sides["client"].selected is not None
        assert screen.sides["client"].selected.subject == "CN=mTLS Client Root CA"
        assert "CN=mTLS Client Root CA" in screen.query_one("#pair-details").text
        assert screen.check_action("trust", ()) is True
        await pilot.press("t")
        await settle(pilot)
        assert "untrusted-root" not in screen.sides["client"].report.codes()  # type: ignore[union-attr]  # analysed by now


async def test_help_glossary_and_the_highlighted_things_on_the_mtls_screen() -> None:
    app = mtls_app(server_trust=SERVER_ROOT)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = screen_of(app)
        assert "CN=api.mtls.local" in screen.query_one("#pair-details").text  # the server's leaf, highlighted
        screen.focus_side("client")
        await pilot.press("tab")  # the client's findings
        await pilot.pause()
        explain = screen.query_one("#pair-explain").text
        assert "missing-intermediate" in explain and "See it with openssl" in explain
        assert f"openssl verify -CAfile {SERVER_ROOT}" in explain
        assert CLIENT_CA in screen.query_one("#pair-details").text  # the certificate at fault
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert app.screen.where is Where.PAIR and "help (the mTLS screen)" in screen_text(app)
        assert "trust a file's CA certificates on the focused side" in help_text(Where.PAIR).plain
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("g")
        await pilot.pause()
        assert isinstance(app.screen, GlossaryScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen


async def test_l_on_the_standalone_mtls_screen_leaves_for_the_lessons() -> None:
    app = mtls_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await pilot.pause()
    assert app.then_lessons and app.return_code == 0


def test_launch_mtls_opens_the_lessons_after_l(monkeypatch: pytest.MonkeyPatch) -> None:
    import tui.app as app_package
    from tui.app import mtls_app as module

    launched: list[bool] = []

    def run(self: MtlsApp) -> None:
        self.then_lessons = True

    monkeypatch.setattr(MtlsApp, "run", run)
    monkeypatch.setattr(app_package, "launch", lambda request, *, lessons=False: launched.append(lessons) or 0)
    args = build_parser()["mtls"].parse_args(["--server-chain", SERVER_CHAIN, "--server-trust", CLIENT_ROOT,
                                              "--client-chain", CLIENT_CHAIN, "--client-trust", SERVER_ROOT])
    assert module.launch_mtls(pair_request_from(args)) == 0 and launched == [True]


async def test_the_mtls_screen_is_usable_at_80x24() -> None:
    app = mtls_app(server_trust=SERVER_ROOT)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = screen_of(app)
        for selector in ("#server", "#client", "#pair-details", "#pair-explain"):
            region = screen.query_one(selector).region
            assert region.width >= 20 and region.height >= 5, selector
            assert region.bottom <= 23 and region.right <= 80, selector  # above the footer, on screen
        for selector in ("#server .side-served", "#client .side-served", "#client .side-findings"):
            assert screen.query_one(selector).region.height >= 3, selector
        text = screen_text(app)
        assert "? Help" in text and "q Quit" in text


def test_mtls_app_flag_and_json_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["mtls", "--server-chain", SERVER_CHAIN, "--server-trust", CLIENT_ROOT, "--client-chain",
                   CLIENT_CHAIN, "--client-trust", SERVER_ROOT, "--app", "--json"])
    assert status == 2 and "--app and --json" in capsys.readouterr().err


def test_mtls_without_app_still_prints_the_text_report(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["mtls", "--server-chain", SERVER_CHAIN, "--server-trust", CLIENT_ROOT, "--client-chain",
                   CLIENT_CHAIN, "--client-trust", SERVER_ROOT])
    out = capsys.readouterr().out
    assert status == 0 and "mTLS pair: OK" in out


def test_mtls_screen_snapshot(snap_compare: SnapCompare, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(SAMPLES.parent)  # relative names: nothing machine-specific in the picture
    app = mtls_app("sample_certs/mtls/server-root.pem", "sample_certs/mtls/server-root.pem",
                   server_chain="sample_certs/mtls/server-chain.pem", client_chain="sample_certs/mtls/client-chain.pem")
    assert snap_compare(app, terminal_size=SIZE, run_before=press_then_settle())



async def test_hostile_names_on_the_mtls_screen_are_inert(tmp_path: Path) -> None:
    from tests.tlsserver import issue

    hostile = issue("[link=https://evil.example]me[/link]\x1b]52;c;AAAA\x07\u202eevil", client=True)
    chain = tmp_path / "hostile.pem"
    chain.write_bytes(hostile.pem)
    app = mtls_app(client_chain=str(chain))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = screen_of(app).pane("client").text + str(screen_of(app).query_one("#pair-summary").content)
        assert "[link=https://evil.example]me[/link]" in text  # shown as text, never as a link
        assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
        assert "\\x1b" in text and "\\u202e" in text
