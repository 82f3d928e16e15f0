"""SOURCE arguments -> one bundle: files, ``-`` for stdin, and live endpoints ``HOST:PORT``."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .live import Endpoint, LiveChain, LiveError, fetch_chain, parse_endpoint
from .load import LoadError, cert_from_der, load_file
from .model import Bundle, CertEntry, Origin, Unreadable


@dataclass
class Loaded:
    """The merged bundle plus what the live sources said about themselves."""

    bundle: Bundle
    endpoints: list[Endpoint] = field(default_factory=list)
    live: list[LiveChain] = field(default_factory=list)

    @property
    def default_host(self) -> str | None:
        return self.endpoints[0].host if self.endpoints else None


def is_endpoint(spec: str) -> Endpoint | None:
    """A SOURCE is an endpoint only when no file of that name exists."""
    if spec == "-" or os.path.exists(spec):
        return None
    return parse_endpoint(spec)


def bundle_from_live(chain: LiveChain) -> Bundle:
    """The server's certificates; one it sent that cannot be read becomes an unreadable entry."""
    label = chain.endpoint.label
    certs: list[CertEntry] = []
    bad: list[Unreadable] = []
    for i, der in enumerate(chain.certificates_der, 1):
        try:
            certs.append(cert_from_der(der, Origin(label, index=i, container="live")))
        except LoadError as exc:
            bad.append(Unreadable(f"{label}#{i}", None, str(exc)))
    return Bundle(tuple(certs), (), tuple(bad), sources=(label,))


def load_sources(
    specs: list[str],
    *,
    password: bytes | None = None,
    stdin: bytes | None = None,
    timeout: float = 10.0,
    server_name: str | None = None,
    client_cert: Path | None = None,
    client_key: Path | None = None,
) -> Loaded:
    """Load and merge every SOURCE in order; LoadError (one line) when one cannot be read."""
    loaded = Loaded(Bundle())
    for spec in specs:
        endpoint = is_endpoint(spec)
        if endpoint is None:
            if spec != "-" and not os.path.exists(spec) and ":" not in spec:
                raise LoadError(f"{spec}: no such file")
            loaded.bundle = loaded.bundle.merge(load_file(spec, password=password, stdin=stdin))
            continue
        try:
            chain = fetch_chain(endpoint, server_name=server_name, timeout=timeout,
                                client_cert=client_cert, client_key=client_key)
        except LiveError as exc:
            raise LoadError(str(exc)) from None
        loaded.endpoints.append(endpoint)
        loaded.live.append(chain)
        loaded.bundle = loaded.bundle.merge(bundle_from_live(chain))
    return loaded
