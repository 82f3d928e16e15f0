"""What the app works on: the opened bundle, trust anchors, policy and search pool (no Textual here)."""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path

from cryptography import x509

from ..pki.diagnose import Policy, Report, diagnose
from ..pki.fixes import RepairContext
from ..pki.live import LiveChain
from ..pki.load import load_bytes, password_from_env
from ..pki.model import Bundle, CertEntry, Origin
from ..pki.save import default_fixed_name
from ..pki.stores import CertPool, TrustStore, load_trust, search_pool

Clock = Callable[[], datetime]
DEMO_NAME = "demo.pem"
FALLBACK_SAVE_NAME = "chain.fixed.pem"


def system_clock() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Session:
    """The opened bundle and everything it is judged against; the app keeps one for its lifetime."""

    bundle: Bundle
    trust: TrustStore
    policy: Policy
    search: CertPool | None = None
    password: bytes | None = None
    source_file: str | None = None  # the first SOURCE that is a file, for the save name
    label: str = DEMO_NAME  # what the header calls the bundle
    roots_file: str | None = None  # the first --roots file, for the openssl commands
    allow_network: bool = False  # --aia, or the user said yes once
    timeout: float = 10.0
    port: int = 443  # of the first live SOURCE, for the openssl commands
    fetch: Callable[..., list[x509.Certificate]] | None = None  # AIA fetcher override (tests)
    trusted_here: list[CertEntry] = field(default_factory=list)  # roots trusted with `t`
    live: list[LiveChain] = field(default_factory=list)  # what each live SOURCE sent last (R fetches again)
    client_cert: Path | None = None  # --cert/--key, presented again when fetching again
    client_key: Path | None = None

    def policy_at(self, now: datetime) -> Policy:
        """The policy with the validation time fixed (the injected clock when --at is not given)."""
        return self.policy if self.policy.at is not None else dataclasses.replace(self.policy, at=now)

    def analyse(self, bundle: Bundle, now: datetime) -> Report:
        return diagnose(bundle, self.trust, self.policy_at(now))

    def context(self, now: datetime, *, allow_network: bool | None = None, keep_root: bool = False) -> RepairContext:
        network = self.allow_network if allow_network is None else allow_network
        ctx = RepairContext(anchors=self.trust, policy=self.policy_at(now), search=self.search,
                            allow_network=network, keep_root=keep_root, timeout=min(self.timeout, 10.0))
        return ctx if self.fetch is None else dataclasses.replace(ctx, fetch=self.fetch)

    def trust_root(self, entry: CertEntry) -> None:
        """Add a self-signed root to the trust anchors for this session only."""
        anchor = CertEntry(entry.cert, entry.der, Origin("trusted in this session", container="store"))
        self.trust = self.trust.with_extra([anchor])
        self.trusted_here.append(entry)

    def openssl_files(self) -> dict[str, object]:
        """The user's own names for the openssl commands of the explanations."""
        from ..pki.stores import system_bundle_path

        roots = self.roots_file or system_bundle_path() or "roots.pem"
        return {"bundle": self.source_file or "chain.pem", "roots": roots,
                "host": self.policy.host or "example.com", "port": self.port}

    def save_name(self) -> str:
        """``NAME.fixed.pem`` beside the first file SOURCE; ``chain.fixed.pem`` for demo, stdin, live, paste."""
        if self.source_file is None:
            return FALLBACK_SAVE_NAME
        return str(default_fixed_name(Path(self.source_file)))

    def replace_bundle(self, bundle: Bundle, *, source_file: str | None, label: str) -> None:
        """Another bundle was opened (file, paste): it no longer comes from the live endpoints."""
        self.bundle, self.source_file, self.label = bundle, source_file, label
        self.live = []


def demo_bytes() -> tuple[bytes, bytes]:
    """The built-in demo bundle and its private root, read so it works from a wheel."""
    data = resources.files("tui") / "data"
    return (data / "demo.pem").read_bytes(), (data / "demo-root.pem").read_bytes()


def demo_session(args: argparse.Namespace) -> Session:
    """The demo: ``tui/data/demo.pem`` trusted with ``demo-root.pem`` plus --roots and the system roots."""
    demo, root = demo_bytes()
    password = password_from_env(args.password)
    bundle = load_bytes(demo, DEMO_NAME)
    trust = load_trust(args.roots, system=not args.no_system_roots, password=password)
    anchors = [CertEntry(c.cert, c.der, Origin("demo-root.pem", c.origin.line, container="store"))
               for c in load_bytes(root, "demo-root.pem").certs]
    trust = trust.with_extra(anchors)
    search = search_pool(args.search, password=password)[0] if args.search else None
    policy = Policy(host=args.host, purpose=args.purpose, at=args.at)
    return Session(bundle, trust, policy, search, password, None, DEMO_NAME,
                   args.roots[0] if args.roots else "demo-root.pem", args.aia, args.timeout)


def open_session(args: argparse.Namespace) -> Session:
    """Load what the command line names (LoadError/UsageError with one line), or the demo."""
    if not args.sources:
        return demo_session(args)
    from ..cli import prepare

    inputs = prepare(args)
    files = [s for s in args.sources if s != "-" and os.path.isfile(s)]
    label = ", ".join("<stdin>" if s == "-" else s for s in args.sources)
    endpoints = inputs.loaded.endpoints
    return Session(inputs.loaded.bundle, inputs.trust, inputs.policy, inputs.search, inputs.password,
                   files[0] if files else None, label, args.roots[0] if args.roots else None,
                   args.aia, args.timeout, endpoints[0].port if endpoints else 443,
                   live=list(inputs.loaded.live), client_cert=args.cert, client_key=args.key)
