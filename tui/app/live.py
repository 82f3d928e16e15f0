"""Live SOURCEs in the app: what the servers said, and ``R`` to fetch their chains again."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import App

from ..pki.diagnose import Report
from ..pki.endpoints import LiveChain
from ..pki.model import Bundle
from ..pki.session import refreshed_bundle
from ..pki.wire import LiveError
from . import render
from .jobs import JobRunner, Outcome, one_line
from .keys import key_of
from .model import Workspace
from .screens.dialogs import confirm_then
from .view import View

if TYPE_CHECKING:
    from ..pki.livecheck import LiveFacts

MAX_CA_NAMES = 6  # a server may name a hundred acceptable CAs: show the first few
MAX_NOTES = 2
ASKS = "The server asks for a client certificate"  # how livecheck.describe begins that sentence


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


def facts(chains: Sequence[LiveChain], report: Report | None = None) -> Text:
    """Per endpoint, what the engine knows about the connection (:func:`livecheck.describe`), made inert:
    sent N certificates, TLS version and cipher, STARTTLS, ALPN, the SNI sent; the OCSP staple; whether
    the certificate served without SNI differs; whom the server wants a client certificate from.

    ``report`` (the diagnosis of the bundle holding the chains) supplies the leaf's issuer and the
    validation time for judging the staple.
    """
    from ..pki.livecheck import describe, live_facts  # OCSP and the rest load only for live sources

    out = Text()
    for i, chain in enumerate(chains):
        if i:
            out.append("\n")
        known = live_facts(chain, report)
        lines = describe(known)
        names = list(known["acceptable_client_ca_names"]) if known["client_cert_requested"] else []
        notes = lines[len(lines) - len(known["notes"]):] if known["notes"] else []
        head, *sentences = lines[:len(lines) - len(names) - len(notes)]
        out.append("live ", style="bold")
        out.append(render.safe(head, 300))
        out.append(f" · {key_of('refetch')} refetches", style="dim")
        # the staple and SNI sentences share a line; the client-certificate request has its own
        for n, sentence in enumerate(sentences):
            asks = sentence.startswith(ASKS)
            out.append("\n  " if n == 0 or asks else " ")
            out.append(render.safe(sentence, 300), style=_style(sentence, known))
        if names:
            shown = "; ".join(render.safe(n, 80) for n in names[:MAX_CA_NAMES])
            more = len(names) - MAX_CA_NAMES
            out.append(" " + shown + (f"; … {more} more" if more > 0 else ""))
        for note in notes[:MAX_NOTES]:
            out.append("\n  " + render.safe(note, 160), style="dim")
    return out


def _style(sentence: str, known: LiveFacts) -> str:
    """Red for a revoked staple, yellow for what a client may stumble on, plain otherwise."""
    ocsp, without = known["ocsp"], known["without_sni"]
    if sentence.startswith("Stapled OCSP response"):
        return "bold red" if ocsp["status"] == "revoked" else "yellow" if ocsp["problems"] else "green"
    if sentence.startswith("Without SNI"):
        return "yellow" if without is not None and without["same"] is not True else ""
    if sentence.startswith(ASKS):
        return "yellow"
    return ""


def served_title(chains: Sequence[LiveChain], bundle: Bundle) -> str:
    """The served-order pane's title: the wire order for a chain that came only from servers."""
    if chains and bundle.certs and all(e.origin.container == "live" for e in bundle.certs):
        return "Served order (as the server sent it)"
    return "Served order (as in the file)"


class LiveKeys:
    """``R``: connect to the live SOURCE(s) of the main screen's workspace again and show what they send now.

    ``show`` puts the new view on screen; ``restore`` redraws the status line after a failed fetch.
    """

    def __init__(self, app: App[Any], jobs: JobRunner, workspace: Workspace,
                 show: Callable[[Workspace, View], None], restore: Callable[[], None]) -> None:
        self.app, self.jobs, self.workspace, self.show, self.restore = app, jobs, workspace, show, restore

    def available(self) -> bool:
        return bool(self.workspace.session.live)

    def refetch(self) -> None:
        if self.jobs.defer("refetch") or not self.available():
            return
        confirm_then(self.app, self._refetch,
                     "The repairs you made are not saved. Fetch the chain again and discard them?",
                     ask=self.workspace.history.dirty, yes="Fetch again", no="Keep working")

    def _refetch(self) -> None:
        workspace = self.workspace
        session, now = workspace.session, workspace.now()
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
            now_live = [fresh[c.endpoint.label] for c in chains]
            return Outcome(view=workspace.compute(bundle, now, live=now_live), bundle=bundle)

        def done(outcome: Outcome) -> None:
            if problem or outcome.bundle is None or outcome.view is None:
                self.restore()
                self.app.notify(render.safe(problem[0] if problem else "nothing was fetched", 300) +
                                " — the chain shown is the one fetched before.",
                                title="Could not fetch again", severity="error", markup=False)
                return
            workspace.replace(outcome.bundle, outcome.view, source_file=session.source_file, label=session.label,
                              live=[fresh[c.endpoint.label] for c in session.live])
            self.show(workspace, outcome.view)
            lines = [change_line(old.get(label), chain) for label, chain in fresh.items()]
            self.app.notify("\n".join(lines), title="Fetched again", markup=False, timeout=8)

        labels = ", ".join(render.safe(c.endpoint.label, 60) for c in chains)
        self.jobs.start(job, done, f"Fetching the chain from {labels} again…", on=(workspace,))
