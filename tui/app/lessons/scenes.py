"""The lessons' bundles, read from the package (so they work from a wheel), as app sessions."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from ...pki.diagnose import Policy
from ...pki.load import load_bytes
from ...pki.model import CertEntry, Origin
from ...pki.peer import Judge
from ...pki.session import DEMO_NAME, Clock, Session, demo_bytes
from ...pki.stores import CertPool, TrustStore
from ...pki.vocabulary import Purpose
from ..model import Workspace
from ..screens.mtls import MtlsScreen


@dataclass(frozen=True)
class Scene:
    """One bundle as a lesson shows it: what is served, what the client trusts, what it checks."""

    bundle: str
    roots: tuple[str, ...] = ("local-root.pem",)
    host: str | None = "orders.fin.service.local"
    purpose: Purpose = Purpose.SERVER
    search: tuple[str, ...] = ()
    side: str | None = None  # one side of an mTLS pair ("server" or "client"): its trust bundle is the other's


DEMO = Scene(DEMO_NAME, roots=(), host=None)  # the built-in demo, trusted with its own root


def lesson_bytes(name: str) -> bytes:
    """A file of ``tui/data/lessons``."""
    return (resources.files("tui") / "data" / "lessons" / name).read_bytes()


def _entries(name: str, container: str) -> list[CertEntry]:
    data = demo_bytes()[1] if name == "demo-root.pem" else lesson_bytes(name)
    return [CertEntry(c.cert, c.der, Origin(name, c.origin.line, container=container))
            for c in load_bytes(data, name).certs]


def session_for(scene: Scene, label: str) -> Session:
    """A fresh session on ``scene``: its own trust store (no system roots), no network."""
    data = demo_bytes()[0] if scene is DEMO else lesson_bytes(scene.bundle)
    bundle = load_bytes(data, scene.bundle)
    roots = ("demo-root.pem",) if scene is DEMO else scene.roots
    trust = TrustStore([e for name in roots for e in _entries(name, "store")],
                       ", ".join(roots) or "no trust anchors")
    search = CertPool([e for name in scene.search for e in _entries(name, "search")]) if scene.search else None
    policy = Policy(host=scene.host, purpose=scene.purpose)
    roots_file = roots[0] if roots else "roots.pem"
    judge = Judge(scene.side, roots_file) if scene.side is not None else None
    return Session(bundle, trust, policy, search, label=label, roots_file=roots_file, judge=judge)


@dataclass(frozen=True)
class PairScene:
    """Both directions of an mTLS handshake, for the mTLS screen."""

    server_chain: str
    client_trust: str  # the CA bundle the client checks the server with
    client_chain: str
    server_trust: str  # the client-CA bundle the server checks the client with
    host: str | None = None


def pair_screen_for(scene: PairScene, now: Clock) -> MtlsScreen:
    """The mTLS screen on ``scene``, each side a workspace of its own."""

    def side(name: str, chain: str, trust: str, policy: Policy) -> Workspace:
        store = TrustStore(_entries(trust, "store"), trust)
        session = Session(load_bytes(lesson_bytes(chain), chain), store, policy, source_file=chain, label=chain,
                          roots_file=trust, judge=Judge(name, trust))
        return Workspace(session, now)

    return MtlsScreen(side("server", scene.server_chain, scene.client_trust, Policy(host=scene.host)),
                      side("client", scene.client_chain, scene.server_trust, Policy(purpose=Purpose.CLIENT)))
