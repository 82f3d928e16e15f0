"""A 10,000-certificate bundle: analysed in a worker behind a loading indicator, the tree built lazily."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests import factory
from tests.app.conftest import SIZE, new_app, settle
from tui.app.screens.help import HelpScreen
from tui.app.widgets.signer_tree import CHUNK, SignerTree
from tui.app.widgets.tables import MAX_ROWS, ServedOrder

COUNT = 10_000


@pytest.fixture(scope="module")
def big_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """10,000 leaves signed by one CA (one shared key keeps generation quick), the CA last."""
    ca = factory.ca("Big CA", key=ec.generate_private_key(ec.SECP256R1()))
    blocks = [factory.same_key_children(ca, [f"host{i}.example" for i in range(COUNT - 1)], ca=False), ca.pem]
    path = tmp_path_factory.mktemp("big") / "big.pem"
    path.write_bytes(b"".join(blocks))
    return path


async def test_ten_thousand_certificates_open_without_freezing(big_bundle: Path) -> None:
    app = new_app(str(big_bundle))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        if app.busy:  # the analysis runs in a thread: the UI still answers keys meanwhile
            assert app.query_one("#body").loading
            assert "Analysing 10,000 certificates" in str(app.query_one("#verdict").content)
            await pilot.press("question_mark")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            await pilot.press("escape")
        await settle(pilot)
        assert not app.busy and not app.query_one("#body").loading
        assert app.view is not None and len(app.view.report.bundle.certs) == COUNT

        tree = app.query_one(SignerTree)
        root, extras = tree.root.children
        assert len(root.children) == 1  # only the leaf on the chain hangs below the CA
        assert str(extras.label).startswith("Extra and duplicate certificates")
        assert not extras.is_expanded and not extras.children  # nothing built until asked for
        extras.expand()
        await pilot.pause()
        assert len(extras.children) == CHUNK + 1
        more = extras.children[-1]
        assert "more" in str(more.label)
        more.expand()
        await pilot.pause()
        assert len(extras.children) == 2 * CHUNK + 1

        assert app.query_one(ServedOrder).row_count == MAX_ROWS + 1
        await pilot.press("x")  # drop the 9,999 extras, in a worker too
        await settle(pilot)
        assert len(app.history.current.certs) == 2
