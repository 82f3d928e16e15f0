"""SOURCE arguments -> one bundle: files, ``-`` for stdin, and live endpoints ``HOST:PORT``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .load import LoadError, cert_from_der, load_file, may_exist
from .model import Bundle, CertEntry, Origin, Unreadable

if TYPE_CHECKING:
    from .endpoints import Endpoint, LiveChain, LiveOptions


class Loaded:
    """The merged bundle plus what the live sources said about themselves."""

    def __init__(self, bundle: Bundle) -> None:
        self.bundle = bundle
        self.endpoints: list[Endpoint] = []
        self.live: list[LiveChain] = []

    @property
    def default_host(self) -> str | None:
        return self.endpoints[0].host if self.endpoints else None


def is_endpoint(spec: str) -> Endpoint | None:
    """A SOURCE is a live endpoint only when no file of that name exists and it reads as
    ``HOST:PORT`` (a numeric port), ``[V6]:PORT`` or ``https://HOST[:PORT]``."""
    if spec == "-" or may_exist(spec):
        return None
    from .endpoints import parse_endpoint  # only for a SOURCE that is no file

    return parse_endpoint(spec)


def missing_file_message(spec: str) -> str:
    """The one line for a SOURCE that is neither a file nor an endpoint; says why, when it has a colon."""
    if ":" in spec:
        from .endpoints import not_an_endpoint

        return f"{spec}: no such file (not an endpoint: {not_an_endpoint(spec)})"
    return f"{spec}: no such file"


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


def fetch_source(
    spec: str,
    endpoint: Endpoint,
    *,
    live: LiveOptions | None = None,
    timeout: float = 10.0,
    client_cert: Path | None = None,
    client_key: Path | None = None,
) -> LiveChain:
    """Fetch the chain of the live SOURCE ``spec`` (parsed as ``endpoint``); LoadError (one line) on failure.

    A URL (``https://...``) means TLS from the first byte; a bare ``HOST:PORT`` may imply STARTTLS by
    its port (see :class:`~tui.pki.live.LiveOptions`).
    """
    from .endpoints import LiveOptions
    from .live import fetch_with  # the TLS engine loads only when a SOURCE is live
    from .wire import LiveError

    try:
        return fetch_with(live or LiveOptions(), endpoint, url="://" in spec, timeout=timeout, client_cert=client_cert,
                          client_key=client_key)
    except LiveError as exc:
        message = str(exc)
        if exc.kind == "resolve" and "://" not in spec:
            message += f" (there is no file '{spec}', so it was read as HOST:PORT)"
        raise LoadError(message) from None


def load_sources(
    specs: list[str],
    *,
    password: bytes | None = None,
    stdin: bytes | None = None,
    timeout: float = 10.0,
    live: LiveOptions | None = None,
    client_cert: Path | None = None,
    client_key: Path | None = None,
) -> Loaded:
    """Load and merge every SOURCE in order; LoadError (one line) when one cannot be read.

    ``live`` says how to reach live SOURCEs (STARTTLS, SNI).
    """
    loaded = Loaded(Bundle())
    for spec in specs:
        endpoint = is_endpoint(spec)
        if endpoint is None:
            if spec != "-" and not may_exist(spec):
                raise LoadError(missing_file_message(spec))
            loaded.bundle = loaded.bundle.merge(load_file(spec, password=password, stdin=stdin))
            continue
        chain = fetch_source(spec, endpoint, live=live, timeout=timeout, client_cert=client_cert,
                             client_key=client_key)
        loaded.endpoints.append(endpoint)
        loaded.live.append(chain)
        loaded.bundle = loaded.bundle.merge(bundle_from_live(chain))
    return loaded
