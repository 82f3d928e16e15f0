"""Checking many live endpoints: fetch each chain, diagnose it, add the live findings; one verdict each.

:func:`read_targets` turns arguments and the lines of an endpoints file (``HOST[:PORT]`` a line,
``#`` comments, blank lines) into :class:`Target`s, or raises :class:`TargetError` with one line
naming the bad entry. :func:`scan` checks them with at most ``jobs`` at a time (so never more than
``jobs`` sockets are open: each check opens one connection at a time and closes it) and yields the
results in the order given, each as soon as it and all before it are done.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime

from . import starttls as _starttls
from .diagnose import Policy, Report, diagnose
from .endpoints import Endpoint, LiveChain, LiveOptions, not_an_endpoint, parse_endpoint
from .findings import Finding
from .live import fetch_with
from .livecheck import add_live_findings, live_facts
from .sources import bundle_from_live
from .stores import TrustStore
from .text import inert, shorten
from .wire import LiveError

__all__ = ["DEFAULT_JOBS", "ScanResult", "ScanSettings", "Target", "TargetError", "read_targets", "scan"]

DEFAULT_JOBS = 16
MAX_JOBS = 256
MAX_TARGETS = 100_000
_QUOTE = 80

Progress = Callable[[int, int], None]


class TargetError(ValueError):
    """An entry that is not ``HOST[:PORT]``; ``str()`` is one line naming it (and its file and line)."""


@dataclass(frozen=True)
class Target:
    """One endpoint to check; ``url`` when given as ``https://...`` (TLS from the first byte)."""

    endpoint: Endpoint
    url: bool = False


def parse_target(text: str, *, default_port: int = 443) -> Target:
    """``HOST``, ``HOST:PORT``, ``[V6]:PORT`` or ``https://HOST[:PORT]``; TargetError (no location) otherwise.

    A bare HOST (or IP address) takes ``default_port``.
    """
    text = text.strip()
    endpoint = parse_endpoint(text)
    if endpoint is None:
        bare = text[1:-1] if text.startswith("[") and text.endswith("]") else text
        if ":" in bare and _is_ip(bare):  # a bare IPv6 address
            endpoint = parse_endpoint(f"[{bare}]:{default_port}")
        elif ":" not in text:
            endpoint = parse_endpoint(f"{text}:{default_port}")
    if endpoint is None:
        reason = not_an_endpoint(text) if ":" in text else "not a DNS name or IP address"
        raise TargetError(f"'{shorten(inert(text), _QUOTE)}' is not HOST[:PORT] ({reason})")
    return Target(endpoint, url="://" in text)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def read_targets(arguments: Iterable[str] = (), file_text: str | None = None, file_name: str = "-", *,
                 default_port: int = 443) -> list[Target]:
    """The targets of ``arguments``, then those of an endpoints file's text (``file_name`` for messages).

    A file holds one ``HOST[:PORT]`` a line; ``#`` starts a comment (at the start of a line or
    after a space); blank lines are skipped. TargetError names the first bad entry.
    """
    targets: list[Target] = []
    for n, text in enumerate(arguments, 1):
        try:
            targets.append(parse_target(text, default_port=default_port))
        except TargetError as exc:
            raise TargetError(f"endpoint {n}: {exc}") from None
    for number, line in enumerate((file_text or "").splitlines(), 1):
        entry = line.split(" #", 1)[0].split("\t#", 1)[0].strip()
        if not entry or entry.startswith("#"):
            continue
        try:
            targets.append(parse_target(entry, default_port=default_port))
        except TargetError as exc:
            raise TargetError(f"{file_name}:{number}: {exc}") from None
        if len(targets) > MAX_TARGETS:
            raise TargetError(f"{file_name}: more than {MAX_TARGETS} endpoints")
    return targets


@dataclass(frozen=True)
class ScanSettings:
    """What every endpoint is judged against, and how it is reached.

    ``host`` is the name every leaf must be valid for; by default the name sent as SNI (``--sni``),
    else each endpoint's own HOST.
    """

    trust: TrustStore
    purpose: str = "server"
    at: datetime | None = None
    host: str | None = None
    timeout: float = 10.0
    live: LiveOptions = field(default_factory=LiveOptions)

    def policy_for(self, endpoint: Endpoint) -> Policy:
        return Policy(host=self.host or self.live.sni or endpoint.host, purpose=self.purpose, at=self.at)


@dataclass
class ScanResult:
    """One endpoint's outcome: a report (with the live findings) or a one-line error."""

    index: int
    target: Target
    report: Report | None = None
    chain: LiveChain | None = None
    error: str | None = None

    @property
    def label(self) -> str:
        return self.target.endpoint.label

    @property
    def verdict(self) -> str:
        """``ok``, ``broken``, or ``unreachable`` (no chain could be fetched)."""
        return "unreachable" if self.report is None else self.report.verdict

    @property
    def first_error(self) -> Finding | None:
        errors = self.report.errors if self.report is not None else []
        return errors[0] if errors else None

    @property
    def days_left(self) -> int | None:
        """Whole days from the validation time until the leaf expires (negative once expired)."""
        if self.report is None or self.report.leaf is None:
            return None
        left = self.report.leaf.not_after - self.report.policy.when
        return int(left.total_seconds() // 86400)

    def to_json(self) -> dict[str, object]:
        """The ``check --json`` report plus ``endpoint`` (and ``live``, ``expires_in_days``), or the error."""
        if self.report is None or self.chain is None:
            return {"endpoint": self.label, "error": self.error or "no chain was fetched"}
        return {"endpoint": self.label, **self.report.to_json(), "expires_in_days": self.days_left,
                "live": [live_facts(self.chain, self.report)]}


def check_target(target: Target, settings: ScanSettings, index: int = 0) -> ScanResult:
    """Fetch, load, diagnose and add the live findings for one target; never raises for a bad endpoint."""
    result = ScanResult(index, target)
    try:
        chain = fetch_with(settings.live, target.endpoint, url=target.url, timeout=settings.timeout)
    except LiveError as exc:
        result.error = str(exc)
        return result
    report = diagnose(bundle_from_live(chain), settings.trust, settings.policy_for(target.endpoint))
    add_live_findings(report, [chain])
    result.chain, result.report = chain, report
    return result


def _guarded(target: Target, settings: ScanSettings, index: int) -> ScanResult:
    try:
        return check_target(target, settings, index)
    except Exception as exc:  # noqa: BLE001 - one odd endpoint must not end the scan
        first = str(exc).splitlines()[0] if str(exc) else ""
        return ScanResult(index, target, error=f"internal error: {type(exc).__name__}: {first}")


def scan(targets: Sequence[Target], settings: ScanSettings, *, jobs: int = DEFAULT_JOBS,
         progress: Progress | None = None) -> Iterator[ScanResult]:
    """Check every target, ``jobs`` at a time; yield results in the order given, as soon as possible.

    ``progress(done, total)`` is called from the consuming thread after each completion.
    """
    jobs = max(1, min(jobs, MAX_JOBS))
    total, done, next_index = len(targets), 0, 0
    ready: dict[int, ScanResult] = {}
    pending = iter(enumerate(targets))
    running: set[Future[ScanResult]] = set()
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="chaindoctor-scan") as pool:
        try:
            while True:
                while len(running) < jobs and (item := next(pending, None)) is not None:  # feed the pool lazily
                    running.add(pool.submit(_guarded, item[1], settings, item[0]))
                if not running:
                    break
                finished, running = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    result = future.result()
                    ready[result.index] = result
                    done += 1
                    if progress is not None:
                        progress(done, total)
                while next_index in ready:
                    yield ready.pop(next_index)
                    next_index += 1
        finally:
            for future in running:
                future.cancel()


def default_port(live: LiveOptions) -> int:
    """The port of a bare HOST: the STARTTLS protocol's (``--starttls smtp``: 25), else 443."""
    if live.starttls is not None and live.starttls != _starttls.IMPLICIT:
        return _starttls.DEFAULT_PORTS[live.starttls]
    return 443
