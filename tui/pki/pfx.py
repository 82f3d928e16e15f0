"""Opening PKCS#12 (PFX) files with bounded work.

A PKCS#12 file names its own key-derivation cost: every MAC, every encrypted layer and every
shrouded key bag carries an iteration count, and OpenSSL runs all of them before it can say
"wrong password". A 2.5 KB file asking for 2^31 - 1 rounds holds a core for minutes.

Two bounds, in this order:

1. :func:`visible_rounds` sums the iteration counts that can be read without decrypting anything
   (the MAC and the parameters of the outer layers) with a bounded scan; more than
   :data:`MAX_PKCS12_ROUNDS` is refused at once with the number.
2. :func:`open_pfx` then decrypts in a child process that is stopped after
   :data:`PKCS12_TIME_LIMIT` seconds. This is what bounds the real work: a key bag inside the
   encrypted data has its iteration count behind the encryption, so the only way to read it is to
   do the expensive decryption first. Refusing large counts "wherever they appear" would mean a
   second implementation of PBES1/PBES2, RC2, 3DES and the PKCS#12 KDF next to OpenSSL's; a time
   limit covers every path (MAC, outer layers, any number of inner bags, algorithms added later)
   with OpenSSL itself doing the work. The price is the start of one Python interpreter per
   PKCS#12 file (about 0.1 s); ordinary files (2048 - 600,000 rounds, AES or 3DES) take well
   under a second in total, far inside the limit.

The child is started with ``subprocess`` (fork and exec in C, safe in the app's threaded process),
limits its own CPU time and address space (so it ends by itself even if this process dies), and is
always killed and reaped before :func:`open_pfx` returns.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

MAX_PKCS12_ROUNDS = 5_000_000  # visible key-derivation iterations a PKCS#12 file may ask for, summed
PKCS12_TIME_LIMIT = 5.0  # seconds the child may spend opening one PKCS#12 file (start-up included)
_CHILD_MEMORY = 1 << 30  # bytes of address space for the child (inputs are at most 50 MiB)
_SCAN_ELEMENTS = 50_000  # BER elements (chunks included) the visible-rounds scan looks at
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]
_WORKER = "from tui.pki.pfx import worker_main; worker_main()"


@dataclass(frozen=True)
class Opened:
    """What the child found: the certificates (DER, in file order) and the key (PKCS#8 DER) if any."""

    certs: tuple[bytes, ...]
    key: bytes | None


class PfxError(Exception):
    """The file could not be opened; ``kind`` is ``password``, ``format``, ``work``, ``memory`` or ``failed``."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(detail or kind)
        self.kind = kind


def looks_like_pfx(data: bytes) -> bool:
    """SEQUENCE { INTEGER, SEQUENCE { OID pkcs7-* ... } }: the shape of a PFX (RFC 7292 section 4).

    Cheap, and false for keys, certificates and random data, so those never start a child.
    """
    outer = _ber_header(data, 0, len(data))
    if outer is None:
        return False
    version = _ber_header(data, outer[1], len(data))
    if version is None or version[0] != 0x02 or version[2] is None:
        return False
    auth = _ber_header(data, version[2], len(data))
    if auth is None or auth[0] != 0x30:
        return False
    # 06 09 2a 86 48 86 f7 0d 01 07 xx: 1.2.840.113549.1.7.x (PKCS#7 content types)
    return data[auth[1]:auth[1] + 10] == bytes.fromhex("06092a864886f70d0107")


def _ber_header(buf: bytes, pos: int, end: int) -> tuple[int, int, int | None] | None:
    """(tag, content start, content end or None when indefinite) of the BER element at ``pos``."""
    if pos + 2 > end or buf[pos] & 0x1F == 0x1F:  # high tag numbers do not occur in PKCS#12
        return None
    tag, first = buf[pos], buf[pos + 1]
    if first == 0x80:
        return (tag, pos + 2, None) if tag & 0x20 else None
    if first < 0x80:
        length, start = first, pos + 2
    else:
        n = first & 0x7F
        if n > 4 or pos + 2 + n > end:
            return None
        length, start = int.from_bytes(buf[pos + 2:pos + 2 + n], "big"), pos + 2 + n
    return (tag, start, start + length) if start + length <= end else None


def visible_rounds(data: bytes) -> int:
    """The key-derivation iterations a PFX asks for where they can be read, summed.

    MacData, PBKDF2 and PKCS#12-PBE parameters all put the iteration count right after the salt
    (an INTEGER following an OCTET STRING), so every such INTEGER is added up. BER indefinite
    lengths and chunked OCTET STRINGs are followed and OCTET STRINGs wrapping DER are searched.
    The scan is bounded: at most ``_SCAN_ELEMENTS`` elements, chunks included, 24 levels deep,
    and at most twice the input in bytes joined from chunks; past a bound the sum so far is
    returned (the child's time limit still bounds the real work). Parameters inside encrypted
    contents cannot be seen.
    """
    if not looks_like_pfx(data):
        return 0
    total = 0
    budget = _SCAN_ELEMENTS
    copy_budget = 2 * len(data)

    def octets(buf: bytes, pos: int, end: int, depth: int) -> tuple[bytes, int]:
        """The joined content of a chunked OCTET STRING whose chunks start at ``pos``; (content, next)."""
        nonlocal budget, copy_budget
        parts: list[bytes] = []
        while pos < end and depth < 2:
            budget -= 1
            if budget < 0:
                break
            if buf[pos:pos + 2] == b"\0\0":
                return b"".join(parts), pos + 2
            head = _ber_header(buf, pos, end)
            if head is None or head[0] not in (0x04, 0x24):
                break
            tag, start, stop = head
            if tag == 0x04 and stop is not None:
                copy_budget -= stop - start
                if copy_budget < 0:
                    break
                parts.append(buf[start:stop])
                pos = stop
            else:
                inner, nxt = octets(buf, start, stop if stop is not None else end, depth + 1)
                parts.append(inner)
                pos = stop if stop is not None else nxt
        return b"".join(parts), end

    def walk(buf: bytes, pos: int, end: int, depth: int) -> int:
        """Scan the elements of buf[pos:end]; return where they stop (after an end-of-contents)."""
        nonlocal total, budget
        after_salt = False
        while pos < end:
            budget -= 1
            if budget < 0 or depth > 24:
                return end
            if buf[pos:pos + 2] == b"\0\0":
                return pos + 2
            head = _ber_header(buf, pos, end)
            if head is None:
                return end
            tag, start, stop = head
            limit = stop if stop is not None else end
            if tag == 0x24:
                content, nxt = octets(buf, start, limit, 0)
                if content[:1] == b"\x30":
                    walk(content, 0, len(content), depth + 1)
            elif tag & 0x20:
                nxt = walk(buf, start, limit, depth + 1)
            else:
                nxt = limit
                if tag == 0x04 and buf[start:start + 1] == b"\x30":
                    walk(buf, start, limit, depth + 1)
                elif tag == 0x02 and after_salt:
                    total += int.from_bytes(buf[start:limit], "big") if limit - start <= 8 else 1 << 64
            pos = stop if stop is not None else nxt
            after_salt = tag in (0x04, 0x24)
        return pos

    walk(data, 0, len(data), 0)
    return total


def open_pfx(data: bytes, passwords: list[bytes | None], *, limit: float | None = None) -> Opened:
    """Decrypt ``data`` with the first password that works, in a child stopped after ``limit`` s
    (default :data:`PKCS12_TIME_LIMIT`).

    Raises :class:`PfxError`: ``password`` (no password fits), ``format`` (not PKCS#12 after
    all), ``work`` (the time limit was reached), ``memory`` (the child's 1 GiB was not enough) or
    ``failed`` (the child could not run or answer).
    """
    limit = PKCS12_TIME_LIMIT if limit is None else limit
    header = json.dumps({"passwords": [None if p is None else base64.b64encode(p).decode() for p in passwords],
                         "limit": limit}).encode()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_PACKAGE_ROOT), env.get("PYTHONPATH")]))
    try:
        proc = subprocess.Popen([sys.executable, "-P", "-c", _WORKER], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    except OSError as exc:
        reason = str(exc.strerror or exc)
        raise PfxError("failed", f"cannot start the PKCS#12 reader: {reason[:1].lower()}{reason[1:]}") from None
    with proc:  # closes the pipes and reaps the child, also when interrupted
        try:
            out, _ = proc.communicate(header + b"\n" + data, timeout=limit)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise PfxError("work", f"stopped after {limit:g} s") from None
        except BaseException:
            proc.kill()
            raise
    try:
        answer = json.loads(out)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        if proc.returncode in (-signal.SIGKILL, -getattr(signal, "SIGXCPU", signal.SIGKILL)):  # its own CPU limit
            raise PfxError("work", f"stopped after {limit:g} s")
        raise PfxError("failed", f"the PKCS#12 reader stopped (exit status {proc.returncode})")
    if "error" in answer:
        kind = str(answer["error"])
        raise PfxError(kind if kind in ("password", "format", "memory") else "failed", str(answer.get("detail", "")))
    try:
        certs = tuple(base64.b64decode(c) for c in answer["certs"])
        return Opened(certs, base64.b64decode(answer["key"]) if answer["key"] else None)
    except (KeyError, TypeError, ValueError):
        raise PfxError("failed", "the PKCS#12 reader gave no usable answer") from None


# --- the child ----------------------------------------------------------------------------------


def worker_main() -> None:
    """The child: read ``header\\n data`` on stdin, answer one JSON object on stdout."""
    request = sys.stdin.buffer.read()
    line, _, data = request.partition(b"\n")
    header = json.loads(line)
    _limit_self(float(header["limit"]))
    passwords = [None if p is None else base64.b64decode(p) for p in header["passwords"]]
    try:
        answer = _decrypt(data, passwords)
    except MemoryError:
        answer = {"error": "memory", "detail": f"more than {_CHILD_MEMORY >> 30} GiB"}
    sys.stdout.write(json.dumps(answer))
    sys.stdout.flush()


def _limit_self(limit: float) -> None:
    """CPU seconds and address space for this process, so it ends even if its parent is gone."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows: the parent's time limit still applies
        return
    cpu = int(limit) + 2
    for which, value in ((resource.RLIMIT_CPU, cpu), (resource.RLIMIT_CORE, 0), (resource.RLIMIT_AS, _CHILD_MEMORY)):
        try:
            soft, hard = resource.getrlimit(which)
            if hard != resource.RLIM_INFINITY:
                value = min(value, hard)
            resource.setrlimit(which, (value, hard))
        except (ValueError, OSError):
            pass


def _as_utf8(password: bytes | None) -> bytes | None:
    """cryptography takes PKCS#12 passwords as UTF-8 only; bytes that are not UTF-8 are read one
    byte per character, as OpenSSL itself does (crypto/pkcs12/p12_utl.c ``OPENSSL_utf82uni`` falls
    back to ``OPENSSL_asc2uni``): a Latin-1 terminal's "café" opens a file made with "café"."""
    if password is None:
        return None
    try:
        password.decode("utf-8")
    except UnicodeDecodeError:
        return password.decode("latin-1").encode("utf-8")
    return password


def _decrypt(data: bytes, passwords: list[bytes | None]) -> dict[str, object]:
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    last = ""
    for password in passwords:
        try:
            key, cert, extra = pkcs12.load_key_and_certificates(data, _as_utf8(password))
        except (ValueError, x509.InvalidVersion, UnsupportedAlgorithm, TypeError) as exc:
            last = str(exc).lower()
            continue
        certs = [c.public_bytes(serialization.Encoding.DER) for c in ([cert] if cert is not None else []) + list(extra)]
        key_der = None
        if key is not None:
            try:
                key_der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption())
            except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
                return {"error": "format", "detail": f"its private key cannot be read: {exc}"[:200]}
        return {"certs": [base64.b64encode(c).decode() for c in certs],
                "key": base64.b64encode(key_der).decode() if key_der else None}
    if "password" in last or "mac" in last or "decrypt" in last:
        return {"error": "password", "detail": last[:200]}
    return {"error": "format", "detail": last[:200]}
