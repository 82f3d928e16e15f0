"""Live SOURCEs in the app: what the servers said, and ``R`` to fetch their chains again."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.text import Text

from ..pki.endpoints import LiveChain
from ..pki.model import Bundle
from ..pki.session import refreshed_bundle
from ..pki.wire import LiveError
from . import render
from .jobs import Outcome, one_line
from .screens.dialogs import ConfirmScreen
from .view import make_view

if TYPE_CHECKING:
    from .app import ChainDoctorApp

MAX_CA_NAMES = 6  # a server may name a hundred acceptable CAs: show the first few
MAX_NOTES = 2


def _plural(n: int, word: str = "certificate") -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def change_line(old: LiveChain | None, new: LiveChain) -> str:
    """``127.0.0.1:8443 sent 3 certificates (was 2)``, or that it sent the same ones."""
    label = render.safe(new.endpoint.label, 80)
    now = list(new.certificates_der)
    before = list(old.certificates_der) if old is not None else []
    if now == before:
        return f"{label} sent the same {_plural(len(now))} as before."
    if Counter(now) == Counter(before):
        return f"{label} sent the same {_plural(len(now))} in a different order."
    added = len(set(now) - set(before))
    extra = f", {added} new" if added and len(now) == len(before) else ""
    return f"{label} sent {_plural(len(now))} (was {len(before)}{extra})."


def facts(chains: Sequence[LiveChain]) -> Text:
    """One line per endpoint (sent, TLS version, cipher), then who the server wants a client certificate from."""
    out = Text()
    for i, chain in enumerate(chains):
        if i:
            out.append("\n")
        out.append("live ", style="bold")
        out.append(render.safe(chain.endpoint.label, 80), style="bold")
        out.append(f" sent {_plural(len(chain.certificates_der))} · {render.safe(chain.tls_version, 20)} · "
                   f"{render.safe(chain.cipher, 60)}")
        out.append(" · R fetches again", style="dim")
        if chain.client_cert_requested:
            names = [render.safe(n, 80) for n in chain.acceptable_client_ca_names]
            out.append("\n  the server asks for a client certificate", style="yellow")
            if names:
                shown = "; ".join(names[:MAX_CA_NAMES])
                more = len(names) - MAX_CA_NAMES
                out.append(" issued by: ", style="yellow")
                out.append(shown + (f"; … {more} more" if more > 0 else ""))
            else:
                out.append(" (it names no acceptable CA)", style="yellow")
        for note in chain.notes[:MAX_NOTES]:
            out.append("\n  " + render.safe(note, 160), style="dim")
    return out


def served_title(chains: Sequence[LiveChain], bundle: Bundle) -> str:
    """The served-order pane's title: the wire order for a chain that came only from servers."""
    if chains and bundle.certs and all(e.origin.container == "live" for e in bundle.certs):
        return "Served order (as the server sent it)"
    return "Served order (as in the file)"


class LiveActions:
    """``R``: connect to the live SOURCE(s) again and show what they send now (mixed into the app)."""

    def _show_live(self: ChainDoctorApp) -> None:
        """Refresh the live facts line and the served-order title (after any change of bundle)."""
        from .widgets.live import LiveBar
        from .widgets.tables import ServedOrder

        self.query_one(LiveBar).show(facts(self.session.live))
        self.query_one(ServedOrder).border_title = served_title(self.session.live, self.session.bundle)

    def action_refetch(self: ChainDoctorApp) -> None:
        if self._queued("refetch") or not self.session.live:
            return
        if not self.history.dirty:
            self._refetch()
            return
        question = Text("The repairs you made are not saved. Fetch the chain again and discard them?")
        self._dialog(ConfirmScreen(question, yes="Fetch again", no="Keep working"),
                     lambda yes: self._refetch() if yes else None)

    def _refetch(self: ChainDoctorApp) -> None:
        session, now = self.session, self.now()
        old = {c.endpoint.label: c for c in session.live}
        chains = list(old.values())
        fresh: dict[str, LiveChain] = {}
        problem: list[str] = []

        def job() -> Outcome:
            for chain in chains:
                endpoint = chain.endpoint
                try:
                    fresh[endpoint.label] = session.fetch_again(chain)
                except LiveError as exc:
                    text = one_line(exc)
                    problem.append(text if endpoint.label in text else f"{endpoint.label}: {text}")
                    return Outcome()
            bundle = refreshed_bundle(session.bundle, fresh)
            if not bundle.certs:
                problem.append("no certificate could be read from what the server sent")
                return Outcome()
            return Outcome(view=make_view(session, bundle, now), bundle=bundle)

        def done(outcome: Outcome) -> None:
            if problem or outcome.bundle is None or outcome.view is None:
                self._show_verdict()
                self.notify(render.safe(problem[0] if problem else "nothing was fetched", 300) +
                            " — the chain shown is the one fetched before.",
                            title="Could not fetch again", severity="error", markup=False)
                return
            session.bundle = outcome.bundle
            session.live = [fresh[c.endpoint.label] for c in session.live]
            self.history.reset(outcome.bundle)
            self._remember(outcome.bundle, outcome.view)
            self._show(outcome.view)
            lines = [change_line(old.get(label), chain) for label, chain in fresh.items()]
            self.notify("\n".join(lines), title="Fetched again", markup=False, timeout=8)

        labels = ", ".join(render.safe(c.endpoint.label, 60) for c in chains)
        self._start(job, done, f"Fetching the chain from {labels} again…")
