"""Certificate text is attacker-controlled: markup, terminal escapes and bidi overrides stay inert."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import NameOID
from rich.segment import Segment
from textual.geometry import Region
from textual.widget import Widget

from tests import factory
from tests.app.conftest import SIZE, new_app, record_notes, settle
from tui.app.widgets.signer_tree import SignerTree
from tui.app.widgets.tables import FindingsTable, ServedOrder

MARKUP = ("[bold red]x[/]", "[link=http://evil]click[/link]", "[@click=app.quit]q[/]")
ESCAPES = ("\x1b]52;c;aGFja2Vk\x07", "\x1b[2J", "\u202e")


def hostile_name(tag: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, f"{tag} [bold red]x[/] \u202eevil", _validate=False),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "[link=http://evil]click[/link]", _validate=False),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "[@click=app.quit]q[/] \x1b]52;c;aGFja2Vk\x07",
                           _validate=False),
        x509.NameAttribute(NameOID.LOCALITY_NAME, "\x1b[2J", _validate=False),
    ])


def write_hostile_bundle(folder: Path) -> Path:
    """An untrusted root and a leaf, both with hostile subjects; plus an unrelated hostile extra."""
    root = factory.ca("hostile root", issuer_name=hostile_name("root"))
    root = factory.Issued(_resubject(root, hostile_name("root")), root.key)
    leaf = factory.make("leaf", root, dns=["[@click=app.quit]x.example"], aia="http://evil/[link=x]y[/link]")
    leaf = factory.Issued(_resubject(leaf, hostile_name("leaf"), issuer=root), leaf.key)
    extra = factory.ca("other", issuer_name=hostile_name("extra"))
    extra = factory.Issued(_resubject(extra, hostile_name("extra")), extra.key)
    path = folder / "hostile.pem"
    path.write_bytes(factory.pem_of(root, leaf, extra))
    return path


def _resubject(issued: factory.Issued, subject: x509.Name, issuer: factory.Issued | None = None) -> x509.Certificate:
    """The same certificate with a hostile subject (and the issuer's hostile subject as issuer name)."""
    from cryptography.hazmat.primitives import hashes

    cert = issued.cert
    builder = (x509.CertificateBuilder().subject_name(subject)
               .issuer_name(issuer.cert.subject if issuer is not None else subject)
               .public_key(cert.public_key()).serial_number(cert.serial_number)
               .not_valid_before(cert.not_valid_before_utc).not_valid_after(cert.not_valid_after_utc))
    for ext in cert.extensions:
        if isinstance(ext.value, x509.AuthorityKeyIdentifier) and issuer is not None:
            continue
        builder = builder.add_extension(ext.value, ext.critical)
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), False)
    signer = issuer.key if issuer is not None else issued.key
    return builder.sign(signer, hashes.SHA256())


def segments(widget: Widget) -> list[Segment]:
    """What the widget actually paints."""
    width, height = widget.size
    return [seg for strip in widget.render_lines(Region(0, 0, width, height)) for seg in strip]


def assert_inert(widget: Widget) -> str:
    segs = segments(widget)
    text = "".join(s.text for s in segs)
    for raw in ("\x1b", "\x07", "\u202e"):
        assert raw not in text, (widget, repr(raw))
    for seg in segs:
        style = seg.style
        if style is None:
            continue
        assert not style.link, (widget, seg)
        assert "@click" not in (style.meta or {}), (widget, seg)
    return text


async def test_hostile_subjects_are_shown_literally_and_nothing_fires(tmp_path: Path) -> None:
    source = write_hostile_bundle(tmp_path)
    app = new_app(str(source))
    notes = record_notes(app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.view is not None
        assert {"untrusted-root", "extra-cert"} <= app.view.report.codes()

        tree = app.query_one(SignerTree)
        labels = []
        stack = list(tree.root.children)
        while stack:
            node = stack.pop()
            labels.append(str(node.label))
            stack.extend(node.children)
        joined = "\n".join(labels)
        assert "leaf [bold red]x[/] \\u202eevil" in joined
        assert "root [bold red]x[/]" in joined

        details = app.query_one("#details").text
        for literal in (*MARKUP, "\\x1b]52\\;c\\;aGFja2Vk\\x07",  # RFC 4514 escapes ";"
                         "\\x1b[2J", "\\u202e", "[@click=app.quit]x.example",
                        "http://evil/[link=x]y[/link]"):
            assert literal in details, literal
        for raw in ESCAPES:
            assert raw not in details

        findings = app.query_one(FindingsTable)
        cells = " ".join(str(c) for r in range(findings.row_count) for c in findings.get_row_at(r))
        assert "[bold red]x[/]" in cells and "\x1b" not in cells
        explanation = app.query_one("#explain").text
        assert "[link=http://evil]click[/link]" in explanation and "\x1b" not in explanation

        painted = " ".join(assert_inert(w) for w in (tree, app.query_one(ServedOrder), findings,
                                                     app.query_one("#details"), app.query_one("#explain")))
        assert "[bold red]x[/]" in painted

        # click the leaf and the details; press keys that put certificate text into notifications
        await pilot.click(SignerTree, offset=(10, 1))
        await pilot.click("#details", offset=(20, 3))
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("y")
        await pilot.pause()
        assert app.is_running
        assert len(app.screen_stack) == 1
        assert any("[link=http://evil]click[/link]" in m for m, _, _ in notes.items)
        assert all("\x1b" not in m and "\u202e" not in m for m, _, _ in notes.items)
        assert app.sub_title.endswith("hostile.pem")
        assert_inert(app.query_one(SignerTree))
