"""The client matrix in the app: who accepts the served chain, why the others refuse, whom they blame;
and a verdict bar that claims only what the matrix says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import TabbedContent

from tests.app.conftest import ROOTS, SAMPLES, SIZE, new_app, sample, settle
from tests.app.test_hostile import assert_inert, write_hostile_bundle
from tui.app.app import ChainDoctorApp
from tui.app.widgets.clients import ClientMatrix
from tui.app.widgets.panes import TextPane, VerdictBar
from tui.app.widgets.signer_tree import SignerTree

FIN = "CN=*.fin.service.local Intermediate CA"


def verdict_text(app: ChainDoctorApp) -> str:
    content = app.query_one(VerdictBar).content
    return getattr(content, "plain", str(content))


def tab_label(app: ChainDoctorApp) -> str:
    return str(app.query_one("#bottom-tabs", TabbedContent).get_tab("clients-tab").label)


async def show_matrix(app: ChainDoctorApp, pilot: Pilot[Any]) -> ClientMatrix:
    app.query_one("#bottom-tabs", TabbedContent).active = "clients-tab"
    matrix = app.query_one(ClientMatrix)
    matrix.focus()
    await settle(pilot)
    return matrix


async def test_every_verifier_accepts_a_good_chain() -> None:
    app = new_app(sample("good-chain.pem"), "--roots", ROOTS)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        matrix = app.query_one(ClientMatrix)
        assert [v.name for v in matrix.verdicts] == ["openssl", "webpki-strict", "openssl-x509-strict"]
        text = matrix.text
        assert text.count("✓ accepts") == 3 and "✗ refuses" not in text
        assert "openssl — curl, Python's ssl, nginx, Apache httpd, Ruby, PHP" in text
        assert "could not set: libssl's security level" in text  # what the clients may set and we could not
        assert "why:" not in text and "blames:" not in text
        assert tab_label(app) == "Who accepts: ✓ all 3 accept"
        bar = verdict_text(app)
        assert bar.startswith("✓ OK") and "refuse" not in bar and "strict clients" not in bar


async def test_a_refusal_says_why_and_blames_a_certificate_and_the_bar_quotes_it() -> None:
    app = new_app(sample("expired-intermediate.pem"), "--roots", ROOTS)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.view is not None and app.view.report.codes() == {"expired"}
        matrix = await show_matrix(app, pilot)
        text = matrix.text
        assert text.count("✗ refuses") == 3
        assert 'why: OpenSSL refuses with "certificate has expired"' in text
        assert "blames: #2 *.fin.service.local Intermediate CA" in text
        assert tab_label(app) == "Who accepts: ✗ 3 of 3 refuse"
        bar = verdict_text(app)
        assert "OpenSSL (curl, Python…) refuses: certificate has expired (#2) · 2 more refuse" in bar
        assert "strict clients (curl, Java, Go, Python)" not in bar  # no claim the report does not back
        explain = app.query_one("#explain", TextPane).text
        assert "✗ openssl refuses the chain as served" in explain and '"certificate has expired"' in explain
        assert "findings about it: expired" in explain and "Could not be set here" in explain


async def test_highlighting_a_refusal_shows_the_blamed_certificate_and_enter_goes_to_it() -> None:
    app = new_app(sample("missing-intermediate.pem"), "--roots", ROOTS)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        tree = app.query_one(SignerTree)
        matrix = await show_matrix(app, pilot)
        matrix.highlighted = 0  # openssl: no issuer of the intermediate
        await settle(pilot)
        blamed = app.selected
        assert blamed is not None and blamed.subject == FIN
        assert "*.fin.service.local Intermediate CA" in app.query_one("#details", TextPane).text
        tree.move_cursor(tree.root.children[0])  # somewhere else first
        await pilot.press("enter")
        await settle(pilot)
        assert app.focused is tree
        target = tree.cursor_target()
        assert isinstance(target, tuple) and target[0].subject == FIN


async def test_when_only_chaindoctors_rules_find_an_error_the_bar_names_its_code() -> None:
    app = new_app(sample("key-mismatch.pem"), "--roots", ROOTS)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.view is not None and all(c.accepts for c in app.view.report.clients)
        bar = verdict_text(app)
        assert bar.startswith("✗ BROKEN")
        assert "key-mismatch: the verifiers here accept the chain as served; chaindoctor's rules do not" in bar
        assert "refuses" not in bar


async def test_a_trust_bundle_runs_no_verifier_and_says_so() -> None:
    app = new_app(sample("regional-cas.pem"), "--roots", str(SAMPLES / "roots" / "regional-root.pem"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        matrix = app.query_one(ClientMatrix)
        assert matrix.verdicts == () and "No verifier ran" in matrix.text
        assert tab_label(app) == "Who accepts: not run"
        assert "refuse" not in verdict_text(app)


async def test_the_matrix_follows_a_repair() -> None:
    app = new_app(sample("reversed.pem"), "--roots", ROOTS)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "✗ refuses" in app.query_one(ClientMatrix).text
        await pilot.press("o")
        await settle(pilot)
        assert app.query_one(ClientMatrix).text.count("✓ accepts") == 3
        assert tab_label(app).endswith("✓ all 3 accept")


async def test_hostile_names_in_the_matrix_stay_inert(tmp_path: Path) -> None:
    app = new_app(str(write_hostile_bundle(tmp_path)))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        matrix = await show_matrix(app, pilot)
        text = matrix.text
        assert "✗ refuses" in text and "[bold red]x[/]" in text and "\\u202e" in text
        assert "\x1b" not in text and "\u202e" not in text
        painted = assert_inert(matrix) + assert_inert(app.query_one("#explain", TextPane))
        assert "[bold red]x[/]" in painted
        assert_inert(app.query_one(VerdictBar))
        await pilot.press("enter")
        await settle(pilot)
        assert app.is_running and len(app.screen_stack) == 1
