"""One engine entry point: a :class:`~tui.pki.request.Request` in, a :class:`Session` out.

A session holds the opened bundle with its repair history, the trust anchors, the search pool and
the policy it is judged by. The command line (check, fix, mtls), the app's main screen, each side of
the mTLS screen and the lessons all work on sessions, so the same bundle reads the same everywhere.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from .diagnose import Policy, Report, diagnose
from .history import History
from .load import LoadError, load_bytes, load_file
from .model import Bundle, CertEntry, Origin, Unreadable
from .request import PairRequest, Request
from .sources import bundle_from_live, load_sources
from .stores import CertPool, TrustStore, load_trust, search_pool, system_bundle_path
from .vocabulary import Purpose

if TYPE_CHECKING:
    from cryptography import x509

    from .endpoints import LiveChain
    from .fixes import RepairContext
    from .peer import Judge

Clock = Callable[[], datetime]
DEMO_NAME = "demo.pem"
FALLBACK_SAVE_NAME = "chain.fixed.pem"


def system_clock() -> datetime:
    return datetime.now(UTC)


class Session:
    """An opened bundle and everything it is judged against, with its repair history."""

    def __init__(self, bundle: Bundle, trust: TrustStore, policy: Policy, search: CertPool | None = None,
                 request: Request | None = None, source_file: str | None = None, label: str = DEMO_NAME,
                 roots_file: str | None = None, allow_network: bool = False, port: int = 443, *,
                 fetch: Callable[..., list[x509.Certificate]] | None = None, live: Sequence[LiveChain] = (),
                 extra_anchors: Sequence[CertEntry] = (), default_host: str | None = None,
                 notes: Sequence[str] = (), judge: Judge | None = None) -> None:
        self.bundle = bundle
        self.trust = trust
        self.policy = policy
        self.search = search
        self.request = request if request is not None else Request()
        self.source_file = source_file  # the first SOURCE that is a file, for the save name
        self.label = label  # what the header calls the bundle
        self.roots_file = roots_file  # the first --roots file, for the openssl commands
        self.allow_network = allow_network  # --aia, or the user said yes once
        self.port = port  # of the first live SOURCE, for the openssl commands
        self.fetch = fetch  # AIA fetcher override (tests)
        self.trusted_here: list[CertEntry] = []  # roots trusted for this session only
        self.extra_anchors = list(extra_anchors)  # trusted beyond the request: the demo's root, `t`
        self.default_host = default_host  # the HOST of the first live SOURCE, when the request names none
        self.live = list(live)  # what each live SOURCE sent last
        self.notes = list(notes)  # what loading skipped (e.g. unreadable files in --search)
        self.judge = judge  # one side of an mTLS pair: the other side's trust bundle file judges this chain
        self.history = History(bundle)

    @property
    def password(self) -> bytes | None:
        return self.request.password

    @property
    def timeout(self) -> float:
        return self.request.timeout

    def policy_at(self, now: datetime) -> Policy:
        """The policy with the validation time fixed (``now`` when the request names no time)."""
        return self.policy if self.policy.at is not None else self.policy._replace(at=now)

    def analyse(self, bundle: Bundle, now: datetime, *, hints: CertPool | None = None,
                live: Sequence[LiveChain] | None = None) -> Report:
        """Diagnose ``bundle`` as served; the search pool (and ``hints``) only say where a missing issuer is.

        The findings about what the servers said (OCSP staple, SNI) come from ``live``, by default what
        the live SOURCEs sent last.
        """
        live = self.live if live is None else live
        if hints is not None and self.search is not None:
            hints = CertPool([*self.search.entries, *hints.entries])
        report = diagnose(bundle, self.trust, self.policy_at(now), hints=hints or self.search)
        if live:  # what the servers said besides their chain: OCSP staple, SNI
            from .livecheck import add_live_findings

            add_live_findings(report, live)
        if self.judge is not None:  # an mTLS side: a missing CA is the trust bundle's to add, not the chain's
            from .peer import explain_trust

            explain_trust(report, self.judge)
        return report

    def check(self, now: datetime) -> tuple[Report, list[str]]:
        """The report on the opened bundle, as ``chaindoctor check`` gives it, and notes for the user.

        With the request's consent to fetch (``aia``), missing issuers are looked up through AIA first:
        the chain is still judged as served, but the finding says where the issuer can be had.
        """
        if not self.allow_network:
            return self.analyse(self.bundle, now), list(self.notes)
        from .fixes import aia_pool

        pool, notes = aia_pool(self.bundle, self.context(now))
        return self.analyse(self.bundle, now, hints=pool), [*self.notes, *notes]

    def context(self, now: datetime, *, allow_network: bool | None = None, keep_root: bool = False) -> RepairContext:
        """What repairs may consult: anchors, policy, search pool and (with consent) the network."""
        from .aia import FETCH_TIMEOUT
        from .fixes import RepairContext  # repairs and the network code load only when a repair runs

        network = self.allow_network if allow_network is None else allow_network
        ctx = RepairContext(anchors=self.trust, policy=self.policy_at(now), search=self.search,
                            allow_network=network, keep_root=keep_root, allow_private=self.request.aia_private,
                            timeout=min(self.request.timeout, FETCH_TIMEOUT))
        if self.fetch is None:
            return ctx
        import dataclasses  # RepairContext is a dataclass; only the tests' fetcher override needs this

        return dataclasses.replace(ctx, fetch=self.fetch)

    def trust_root(self, entry: CertEntry) -> None:
        """Add a self-signed root to the trust anchors for this session only."""
        anchor = CertEntry(entry.cert, entry.der, Origin("trusted in this session", container="store"))
        self.trust = self.trust.with_extra([anchor])
        self.trusted_here.append(entry)
        self.extra_anchors.append(anchor)

    def prepare(self, request: Request) -> Judging:
        """Load the trust anchors, search pool and policy ``request`` names (slow: call it from a worker).

        Nothing changes yet; LoadError with one line when a roots file or search path is unusable. The
        anchors trusted beyond the request (the demo's root, roots trusted with ``t``) stay trusted.
        """
        return judging_for(request, anchors=self.extra_anchors, default_host=self.default_host, policy=self.policy)

    def adopt(self, judging: Judging) -> None:
        """Judge by ``judging`` from now on; the bundle and its repair history stay."""
        request = judging.request
        if request.roots:
            self.roots_file = request.roots[0]
        elif self.roots_file in self.request.roots:  # the user took that file out
            self.roots_file = None
        self.request, self.trust, self.search, self.policy = request, judging.trust, judging.search, judging.policy
        self.allow_network, self.notes = request.aia, list(judging.notes)
        if self.judge is not None and self.roots_file is not None:  # an mTLS side: the bundle now judging it
            self.judge = dataclasses.replace(self.judge, trust_file=self.roots_file)

    def reconfigure(self, request: Request) -> Judging:
        """Load trust and search for ``request`` and judge by them from now on, keeping the bundle and its
        history (LoadError with one line when a file is unusable: then nothing changes)."""
        judging = self.prepare(request)
        self.adopt(judging)
        return judging

    def trust_file(self, path: str) -> list[CertEntry]:
        """Add the CA certificates of the file ``path`` to the trust anchors for this session only.

        Returns the ones added (already trusted ones are left out); LoadError with one line when the file
        cannot be read, ValueError when it holds no CA certificate.
        """
        loaded = load_file(path, password=self.request.password)
        cas = [e for e in loaded.certs if e.is_ca]
        if not cas:
            raise ValueError(f"{path}: holds no CA certificate" + (
                f" ({len(loaded.certs)} certificate(s), none of them a CA)" if loaded.certs else ""))
        new = [e for e in {e.sha256: e for e in cas}.values() if not self.trust.is_anchor(e)]
        anchors = [CertEntry(e.cert, e.der, Origin(path, e.origin.line, container="store")) for e in new]
        if anchors:
            self.trust = self.trust.with_extra(anchors)
            self.trusted_here.extend(new)
            self.extra_anchors.extend(anchors)
        return new

    def openssl_files(self) -> dict[str, str | int]:
        """The user's own names for the openssl commands of the explanations."""
        roots = self.roots_file or system_bundle_path() or "roots.pem"
        return {"bundle": self.source_file or "chain.pem", "roots": roots,
                "host": self.policy.host or "example.com", "port": self.port}

    def save_name(self) -> str:
        """``NAME.fixed.pem`` beside the first file SOURCE; ``chain.fixed.pem`` for demo, stdin, live, paste."""
        if self.source_file is None:
            return FALLBACK_SAVE_NAME
        from .save import default_fixed_name

        return str(default_fixed_name(Path(self.source_file)))

    def fetch_again(self, chain: LiveChain) -> LiveChain:
        """What ``chain``'s endpoint sends now, asked the same way: STARTTLS, SNI, client certificate
        (LiveError with one line on failure)."""
        from .live import refetch

        request = self.request
        return refetch(chain, timeout=request.timeout,
                       client_cert=Path(request.client_cert) if request.client_cert else None,
                       client_key=Path(request.client_key) if request.client_key else None)

    def replace_bundle(self, bundle: Bundle, *, source_file: str | None, label: str) -> None:
        """Another bundle was opened (file, paste): it starts a new history and is no longer live."""
        self.bundle, self.source_file, self.label = bundle, source_file, label
        self.live = []
        self.history.reset(bundle)


class Judging(NamedTuple):
    """What a request's settings load to: trust anchors, search pool and policy (the bundle aside)."""

    request: Request
    trust: TrustStore
    search: CertPool | None
    policy: Policy
    notes: tuple[str, ...] = ()  # files of a search folder that were skipped, each with its reason


def judging_for(request: Request, *, anchors: Sequence[CertEntry] = (), default_host: str | None = None,
                policy: Policy | None = None) -> Judging:
    """Load ``request``'s ``--roots`` (plus ``anchors``), ``--search`` and policy (LoadError with one line).

    ``default_host`` is the host judged when the request names none (a live SOURCE's); ``policy`` gives
    what the request does not set.
    """
    trust = load_trust(request.roots, system=request.system_roots, password=request.password)
    if anchors:
        trust = trust.with_extra(anchors)
    search, notes = search_pool(request.search, password=request.password) if request.search else (None, [])
    policy = (policy or Policy())._replace(host=request.host or request.sni or default_host, purpose=request.purpose,
                                           at=request.at)
    return Judging(request, trust, search, policy, tuple(notes))


def refreshed_bundle(base: Bundle, fresh: dict[str, LiveChain]) -> Bundle:
    """``base`` with each live endpoint's certificates replaced by what it sent now, in place.

    Certificates from files keep their position; an endpoint's run of certificates is replaced by its
    new chain (an endpoint that had no readable certificate before is appended at the end).
    """
    news = {label: bundle_from_live(chain) for label, chain in fresh.items()}
    certs: list[CertEntry] = []
    placed: set[str] = set()
    run: tuple[str, int] | None = None  # (endpoint, last index) of the run being replaced
    for entry in base.certs:
        origin = entry.origin
        if origin.container != "live" or origin.source not in news:
            certs.append(entry)
            run = None
            continue
        index = origin.index or 0
        if run is None or run[0] != origin.source or index <= run[1]:  # a new run (the SOURCE given twice)
            certs.extend(news[origin.source].certs)
            placed.add(origin.source)
        run = (origin.source, index)
    unreadable: list[Unreadable] = [u for u in base.unreadable
                                    if not any(u.source.startswith(f"{label}#") for label in news)]
    for label, bundle in news.items():
        if label not in placed:
            certs.extend(bundle.certs)
        unreadable.extend(bundle.unreadable)
    return Bundle(tuple(certs), base.keys, tuple(unreadable), base.sources)



def open_session(request: Request) -> Session:
    """Load what the request names (LoadError with one line on unusable input), or the demo."""
    if not request.sources:
        return _demo_session(request)
    live = None
    if request.starttls is not None or request.sni is not None or request.no_sni:
        from .endpoints import LiveOptions

        try:
            live = LiveOptions(starttls=request.starttls, sni=request.sni, no_sni=request.no_sni)
        except ValueError as exc:
            raise LoadError(str(exc)) from None
    loaded = load_sources(list(request.sources), password=request.password, stdin=request.stdin,
                          timeout=request.timeout, live=live,
                          client_cert=Path(request.client_cert) if request.client_cert else None,
                          client_key=Path(request.client_key) if request.client_key else None)
    if not loaded.bundle.certs:
        detail = "; ".join(f"{u.label}: {u.reason}" for u in loaded.bundle.unreadable[:3])
        raise LoadError("no certificate could be read" + (f" ({detail})" if detail else ""))
    judging = judging_for(request, default_host=loaded.default_host)
    files = [s for s in request.sources if s != "-" and os.path.isfile(s)]
    label = ", ".join("<stdin>" if s == "-" else s for s in request.sources)
    endpoints = loaded.endpoints
    return Session(loaded.bundle, judging.trust, judging.policy, judging.search, request,
                   files[0] if files else None, label, request.roots[0] if request.roots else None, request.aia,
                   endpoints[0].port if endpoints else 443, live=list(loaded.live), default_host=loaded.default_host,
                   notes=list(judging.notes))


def demo_bytes() -> tuple[bytes, bytes]:
    """The built-in demo bundle and its private root, read so it works from a wheel."""
    from importlib import resources

    data = resources.files("tui") / "data"
    return (data / "demo.pem").read_bytes(), (data / "demo-root.pem").read_bytes()


def _demo_session(request: Request) -> Session:
    """The demo: ``tui/data/demo.pem`` trusted with ``demo-root.pem`` plus the request's roots."""
    demo, root = demo_bytes()
    bundle = load_bytes(demo, DEMO_NAME)
    anchors = [CertEntry(c.cert, c.der, Origin("demo-root.pem", c.origin.line, container="store"))
               for c in load_bytes(root, "demo-root.pem").certs]
    judging = judging_for(request, anchors=anchors)
    return Session(bundle, judging.trust, judging.policy, judging.search, request, None, DEMO_NAME,
                   request.roots[0] if request.roots else "demo-root.pem", request.aia, extra_anchors=anchors,
                   notes=list(judging.notes))


class Pair(NamedTuple):
    """An mTLS pair as two sessions: the server's chain as the client judges it, and the client's."""

    server: Session  # trusting T2 (client_trust), purpose server
    client: Session  # trusting T1 (server_trust), purpose client
    request: PairRequest


def open_pair(request: PairRequest) -> Pair:
    """Read the four files of an mTLS pair (LoadError with one line on unusable input)."""
    from .peer import Judge

    password = request.password
    chains = []
    for name in (request.server_chain, request.client_chain):
        bundle = load_file(name, password=password)
        if not bundle.certs:
            raise LoadError(f"{name}: no certificate could be read")
        chains.append(bundle)
    trusts = []
    for name in (request.client_trust, request.server_trust):
        trust = load_trust([name], system=False, password=password)
        if not len(trust):
            raise LoadError(f"{name}: holds no certificate to trust")
        trusts.append(trust)
    base = Request(at=request.at, password=password, aia=request.aia, aia_private=request.aia_private,
                   timeout=request.timeout)
    server = Session(chains[0], trusts[0], Policy(host=request.host, purpose=Purpose.SERVER, at=request.at),
                     request=base.replace(sources=(request.server_chain,), roots=(request.client_trust,),
                                          host=request.host, system_roots=False),
                     source_file=request.server_chain, label=request.server_chain,
                     roots_file=request.client_trust, allow_network=request.aia,
                     judge=Judge("server", request.client_trust))
    client = Session(chains[1], trusts[1], Policy(purpose=Purpose.CLIENT, at=request.at),
                     request=base.replace(sources=(request.client_chain,), roots=(request.server_trust,),
                                          purpose=Purpose.CLIENT, system_roots=False),
                     source_file=request.client_chain, label=request.client_chain,
                     roots_file=request.server_trust, allow_network=request.aia,
                     judge=Judge("client", request.server_trust))
    return Pair(server, client, request)
