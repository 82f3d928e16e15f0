"""How fast is ``scan`` over many live endpoints, and how many file descriptors does it hold? Prints a table.

A server process (so its sockets do not count) listens on N loopback ports of 127.0.0.1: 80% serve a
good chain for 127.0.0.1, 10% leave out the intermediate, 5% serve a leaf for another name, and 5% are
closed ports. The scanning process then runs, for each ``--jobs`` value:

* floor: the same endpoints with Python's ``ssl``: connect, handshake, close, nothing checked, on a
  thread pool of the same size (what any scanner must pay at least);
* scan: ``tui.pki.scan.scan`` as ``chaindoctor scan`` runs it: fetch the chain (OCSP staple asked
  for, ALPN offered), load, diagnose with the root as the only anchor, add the live findings;
* scan --sni: the same with a server name sent, so each endpoint gets a second handshake without it.

For each it gives endpoints per second, the ratio to the floor, and the file descriptors the
scanning process held at most above what it held before (sampled from /proc/self/fd every
millisecond), and after (0 when everything was closed).

Usage: ``python benchmarks/bench_scan.py [--endpoints 1000] [--jobs 1,4,16,64]``. Quote the ratios and
the descriptor counts, not absolute rates: the machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from tests.tlsserver import issue, serve_tls_many  # noqa: E402 - sys.path is set first
from tui.pki.endpoints import Endpoint, LiveOptions  # noqa: E402 - sys.path is set first
from tui.pki.load import load_bytes  # noqa: E402 - sys.path is set first
from tui.pki.scan import ScanSettings, Target, scan  # noqa: E402 - sys.path is set first
from tui.pki.stores import TrustStore  # noqa: E402 - sys.path is set first

Served = tuple[bytes, bytes] | None


def fleet(count: int) -> tuple[list[Served], bytes]:
    """What each port serves (None: closed), and the root to trust."""
    root = issue("Bench Root", ca=True, days=365)
    inter = issue("Bench Intermediate", root, ca=True, days=365)
    leaf = issue("loopback", inter, ip_addresses=("127.0.0.1",), days=90)
    other = issue("elsewhere.test", inter, dns_names=("elsewhere.test",), days=90)
    kinds: list[Served] = [(leaf.pem + inter.pem, leaf.key_pem), (leaf.pem, leaf.key_pem),
                           (other.pem + inter.pem, other.key_pem), None]
    weights = [16, 2, 1, 1]  # 80%, 10%, 5%, 5%
    pattern = [kind for kind, weight in zip(kinds, weights, strict=True) for _ in range(weight)]
    return [pattern[(i * 7) % len(pattern)] for i in range(count)], root.pem


def serve(servers: list[Served], pipe: multiprocessing.connection.Connection) -> None:
    """The server process: listen, report the ports, serve until told to stop."""
    with serve_tls_many(servers) as ports:
        pipe.send(ports)
        pipe.recv()


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


class FdPeak:
    """Samples this process's open file descriptors while a block runs."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, open_fds())
            time.sleep(0.001)

    def __enter__(self) -> FdPeak:
        self.base = open_fds()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.after = open_fds() - self.base
        self.above = max(self.peak - self.base, 0)


def floor(targets: list[Target], jobs: int) -> None:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE

    def handshake(target: Target) -> None:
        try:
            with socket.create_connection((target.endpoint.host, target.endpoint.port), timeout=10) as sock:
                with context.wrap_socket(sock):
                    pass
        except OSError:
            pass

    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(handshake, targets))


def scan_all(targets: list[Target], settings: ScanSettings, jobs: int, verdicts: dict[str, int]) -> None:
    """Scan every target, counting the verdicts into ``verdicts``."""
    for result in scan(targets, settings, jobs=jobs):
        verdicts[result.verdict] = verdicts.get(result.verdict, 0) + 1


def measure(run: Callable[[], object]) -> tuple[float, FdPeak]:
    with FdPeak() as fds:
        started = time.perf_counter()
        run()
        elapsed = time.perf_counter() - started
    return elapsed, fds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=int, default=1000)
    parser.add_argument("--jobs", default="1,4,16,64")
    args = parser.parse_args(argv)
    job_counts = [int(j) for j in args.jobs.split(",")]
    servers, root_pem = fleet(args.endpoints)
    context = multiprocessing.get_context("fork")
    ours, theirs = context.Pipe()
    server = context.Process(target=serve, args=(servers, theirs), daemon=True)
    server.start()
    try:
        ports: list[int] = ours.recv()
        targets = [Target(Endpoint("127.0.0.1", port)) for port in ports]
        trust = TrustStore(load_bytes(root_pem, "root.pem").certs)
        plain = ScanSettings(trust=trust, timeout=10)
        named = ScanSettings(trust=trust, timeout=10, host="127.0.0.1", live=LiveOptions(sni="loopback.test"))
        rows = []
        for jobs in job_counts:
            base, base_fds = measure(partial(floor, targets, jobs))
            for label, settings in (("scan", plain), ("scan --sni", named)):
                verdicts: dict[str, int] = {}
                elapsed, fds = measure(partial(scan_all, targets, settings, jobs, verdicts))
                rows.append((jobs, label, len(targets) / elapsed, elapsed / base, fds.above, fds.after, verdicts))
            rows.append((jobs, "floor (ssl handshake)", len(targets) / base, 1.0, base_fds.above, base_fds.after, {}))
        print(f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, "
              f"{args.endpoints} loopback endpoints (server in another process)\n")
        print("| jobs | run | endpoints/s | time vs floor | peak fds above start | fds left after | verdicts |")
        print("|---:|---|---:|---:|---:|---:|---|")
        for jobs, label, rate, ratio, peak, after, counted in rows:
            tally = ", ".join(f"{v} {k}" for k, v in sorted(counted.items()))
            print(f"| {jobs} | {label} | {rate:,.0f} | {ratio:.1f}x | {peak} | {after} | {tally} |")
    finally:
        ours.send("stop")
        server.join(10)
        if server.is_alive():
            server.terminate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
