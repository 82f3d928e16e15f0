"""The mTLS screen: both directions side by side, repairs per side, save; ``chaindoctor mtls --app``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app.conftest import FIXED_NOW, SAMPLES, SIZE, record_notes, settle
from tests.app.test_snapshots import press_then_settle
from tui.app.mtls_app import MtlsApp, make_mtls_app
from tui.app.screens.dialogs import ChoiceScreen, ConfirmScreen, SaveScreen
from tui.app.screens.mtls import MtlsScreen
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
        assert screen.sides["server"].report.verdict == "ok"  # type: ignore[union-attr]
        right = screen.pane("client").text
        assert "✗ BROKEN — 1 error" in right and "missing-intermediate" in right and "press c" in right
        assert "⚠ missing: CN=mTLS Client Root CA" in right
        summary = str(screen.query_one("#pair-summary").content)
        assert "The server will reject the client's certificate: missing-intermediate" in summary
        assert "the server will reject the client's certificate" in str(screen.query_one("#pair-verdict").content)


async def test_repairs_apply_to_the_focused_side_with_its_own_history(tmp_path: Path) -> None:
    app = mtls_app(client_chain=reversed_client_chain(tmp_path))
    notes = record_notes(app)  # type: ignore[arg-type]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = screen_of(app)
        assert subjects(app, "client") == [CLIENT_CA, BILLING]
        assert screen.sides["client"].report.codes() == {"wrong-order"}  # type: ignore[union-attr]
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
        assert screen.sides["client"].report.verdict == "ok"  # type: ignore[union-attr]
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


async def test_complete_asks_before_fetching_and_can_go_without_network() -> None:
    app = mtls_app(server_trust=SERVER_ROOT)
    notes = record_notes(app)  # type: ignore[arg-type]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen_of(app).focus_side("client")
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)  # the client root is only reachable through its AIA URL
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, MtlsScreen)
        assert subjects(app, "client") == [BILLING, CLIENT_CA]
        assert "Nothing changed" in notes.text()


def test_mtls_app_flag_and_json_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["mtls", "--server-chain", SERVER_CHAIN, "--server-trust", CLIENT_ROOT, "--client-chain",
                   CLIENT_CHAIN, "--client-trust", SERVER_ROOT, "--app", "--json"])
    assert status == 2 and "--app and --json" in capsys.readouterr().err


def test_mtls_without_app_still_prints_the_text_report(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["mtls", "--server-chain", SERVER_CHAIN, "--server-trust", CLIENT_ROOT, "--client-chain",
                   CLIENT_CHAIN, "--client-trust", SERVER_ROOT])
    out = capsys.readouterr().out
    assert status == 0 and "mTLS pair: OK" in out


def test_mtls_screen_snapshot(snap_compare, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
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
