"""Reading bundles: PEM with any text around it, DER, PKCS#7, PKCS#12 and private keys.

A block that fails to parse becomes an :class:`Unreadable` entry with file and line while the
rest loads; a source that cannot be read at all raises :class:`LoadError` with one plain line.
"""

from __future__ import annotations

import base64
import binascii
import errno
import os
import re
import stat
import sys

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm

from .model import Bundle, CertEntry, KeyEntry, Origin, Unreadable
from .speed import paused_gc

MAX_INPUT_BYTES = 50 * 1024 * 1024
MAX_UNREADABLE = 1000  # damaged blocks recorded one by one per source; the rest are counted
MAX_DER_ELEMENTS = 100_000  # concatenated DER elements; more is not a certificate file

# What cryptography raises for damaged certificates and containers (neither InvalidVersion nor
# UnsupportedAlgorithm, e.g. a PKCS#7 that is not signedData, is a ValueError).
_CERT_ERRORS = (ValueError, x509.InvalidVersion, UnsupportedAlgorithm)

_BEGIN = re.compile(rb"-----BEGIN ([A-Z0-9 #]+)-----")
_CERT_LABELS = {b"CERTIFICATE", b"X509 CERTIFICATE", b"TRUSTED CERTIFICATE"}
_PKCS7_LABELS = {b"PKCS7", b"PKCS #7 SIGNED DATA", b"CMS"}
_KEY_LABELS = {
    b"PRIVATE KEY": "PKCS#8",
    b"RSA PRIVATE KEY": "PKCS#1 RSA",
    b"EC PRIVATE KEY": "SEC1 EC",
    b"DSA PRIVATE KEY": "DSA",
    b"ENCRYPTED PRIVATE KEY": "encrypted PKCS#8",
    b"OPENSSH PRIVATE KEY": "OpenSSH",
}
# Blocks that are legitimately found next to chains and carry no certificate.
_IGNORED_LABELS = {
    b"PUBLIC KEY", b"RSA PUBLIC KEY", b"CERTIFICATE REQUEST", b"NEW CERTIFICATE REQUEST",
    b"X509 CRL", b"DH PARAMETERS", b"EC PARAMETERS", b"PARAMETERS",
}


class LoadError(Exception):
    """A source that could not be read at all; the message is one plain line."""


class PasswordNeeded(LoadError):
    """A PKCS#12 file that opens only with a password: none was given (``wrong`` False) or the one given
    does not open it (``wrong`` True). ``source`` is the name messages use for the file."""

    def __init__(self, message: str, *, source: str, wrong: bool) -> None:
        super().__init__(message)
        self.source, self.wrong = source, wrong


def read_input(path: str | os.PathLike[str], name: str | None = None) -> bytes:
    """The bytes of a regular file of at most 50 MiB; LoadError (one line) for anything else.

    The one way chaindoctor reads an input file (SOURCEs, ``--roots``, ``--search``, ``--cert``,
    ``--key``, ``SSL_CERT_FILE``). The file is opened with O_NONBLOCK and judged by ``fstat`` on
    the open descriptor, so a FIFO (even one swapped in after a check) or a device never blocks
    or streams forever; FIFOs, devices and sockets are refused. ``name`` is what messages call it.
    """
    shown = str(path) if name is None else name
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise LoadError(_open_failure(path, shown, exc)) from None
    except ValueError:  # an embedded NUL: no file can have that name
        raise LoadError(f"{shown}: no such file") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise LoadError(f"{shown}: is a folder, not a certificate file")
        if not stat.S_ISREG(info.st_mode):
            raise LoadError(f"{shown}: {_file_kind(info.st_mode)}, not a regular file; not reading it")
        if info.st_size > MAX_INPUT_BYTES:
            raise LoadError(f"{shown}: larger than 50 MiB, not a certificate bundle")
        chunks: list[bytes] = []
        size = 0
        want = info.st_size + 1  # usually all of it in one read (no copy when joined)
        while size <= MAX_INPUT_BYTES:  # the size may change while we read: stop one byte past the limit
            chunk = os.read(fd, min(max(want, 1 << 16), MAX_INPUT_BYTES + 1 - size))
            want = 1 << 20
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise LoadError(f"{shown}: cannot read ({_reason(exc)})") from None
    finally:
        os.close(fd)
    if size > MAX_INPUT_BYTES:
        raise LoadError(f"{shown}: larger than 50 MiB, not a certificate bundle")
    return b"".join(chunks)


def read_source(spec: str, *, stdin: bytes | None = None) -> tuple[bytes, str]:
    """Read a file path or ``-`` (standard input) with the size limit; return (data, name)."""
    if spec != "-":
        return read_input(spec), spec
    data = stdin if stdin is not None else sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
    if len(data) > MAX_INPUT_BYTES:
        raise LoadError("<stdin>: larger than 50 MiB, not a certificate bundle")
    return data, "<stdin>"


def may_exist(spec: str) -> bool:
    """False only when ``spec`` certainly names nothing (no such file, or a parent is not a folder).

    A path that cannot be looked at (a folder without permission) may exist: reading it then says
    "permission denied" instead of "no such file".
    """
    try:
        os.stat(spec)
    except (FileNotFoundError, NotADirectoryError, ValueError):  # ValueError: an embedded NUL
        return False
    except OSError:  # permission denied, a loop of links ...
        return True
    return True


def _open_failure(path: str | os.PathLike[str], shown: str, exc: OSError) -> str:
    if exc.errno == errno.ENOENT:
        return f"{shown}: no such file"
    if exc.errno == errno.ENOTDIR:
        return f"{shown}: no such file (a part of the path is not a folder)"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"{shown}: cannot read: permission denied"
    if exc.errno == errno.ENXIO:  # opening a socket, or a device without a driver
        try:
            return f"{shown}: {_file_kind(os.stat(path).st_mode)}, not a regular file; not reading it"
        except OSError:
            pass
    return f"{shown}: cannot read ({_reason(exc)})"


def _file_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def _reason(exc: OSError) -> str:
    text = exc.strerror or str(exc) or type(exc).__name__
    return text[:1].lower() + text[1:]


def load_bytes(data: bytes, name: str, *, password: bytes | None = None, container: str | None = None) -> Bundle:
    """Parse one source's bytes into a bundle; raise LoadError when nothing in it is usable."""
    if not data.strip():
        raise LoadError(f"{name}: empty")
    with paused_gc():
        if _BEGIN.search(data):
            bundle = _load_pem_text(data, name, password)
        else:
            bundle = _load_binary(data, name, password, container)
    return Bundle(bundle.certs, bundle.keys, bundle.unreadable, (name,))


def load_file(spec: str, *, password: bytes | None = None, stdin: bytes | None = None) -> Bundle:
    """Read and parse a path or ``-``."""
    data, name = read_source(spec, stdin=stdin)
    return load_bytes(data, name, password=password)


def cert_from_der(der: bytes, origin: Origin) -> CertEntry:
    """One DER certificate from elsewhere (a live server, a URL), checked like a loaded one.

    Raises LoadError (one line) when the certificate or its names cannot be read.
    """
    try:
        return _parse_cert(der, origin)
    except _BlockError as exc:
        raise LoadError(str(exc)) from None


def password_from_env(cli_value: str | None) -> bytes | None:
    """The PKCS#12 password from ``--password`` or ``CHAINDOCTOR_PASSWORD``, as the bytes the user typed.

    Command-line text is turned back into its original bytes (``os.fsencode`` undoes the
    surrogateescape decoding of argv), so a password that is not valid in the locale's encoding
    still reaches OpenSSL unchanged; the environment is read as bytes where the OS keeps bytes.
    """
    if cli_value is not None:
        return os.fsencode(cli_value)
    if os.supports_bytes_environ:
        return os.environb.get(b"CHAINDOCTOR_PASSWORD")
    value = os.environ.get("CHAINDOCTOR_PASSWORD")  # pragma: no cover - Windows keeps text
    return value.encode("utf-8", "surrogatepass") if value is not None else None


# --- PEM text ---------------------------------------------------------------------------------


def _load_pem_text(data: bytes, name: str, password: bytes | None) -> Bundle:
    certs: list[CertEntry] = []
    keys: list[KeyEntry] = []
    bad: list[Unreadable] = []
    more = 0  # damaged blocks beyond MAX_UNREADABLE, counted only

    def damaged(line: int, reason: str) -> None:
        nonlocal more
        if len(bad) < MAX_UNREADABLE:
            bad.append(Unreadable(name, line, reason))
        else:
            more += 1

    line = 1
    pos = 0
    for match in _BEGIN.finditer(data):
        if match.start() < pos:
            continue  # a BEGIN inside a block we already consumed
        line += data.count(b"\n", pos, match.start())
        pos = match.start()
        label = match.group(1)
        end_marker = b"-----END " + label + b"-----"
        next_begin = _BEGIN.search(data, match.end())
        # look for the END only up to the next BEGIN: a file of BEGIN lines stays linear
        limit = next_begin.start() + len(end_marker) if next_begin is not None else len(data)
        end = data.find(end_marker, match.end(), limit)
        if end < 0 or (next_begin is not None and next_begin.start() < end):
            damaged(line, f"{_label_text(label)} block has no END line")
            continue
        body = data[match.end():end]
        block_end = end + len(end_marker)
        origin = Origin(name, line=line, container="pem")
        try:
            _parse_pem_block(label, body, data[pos:block_end], origin, password, certs, keys)
        except _BlockError as exc:
            damaged(line, str(exc))
        line += data.count(b"\n", pos, block_end)
        pos = block_end
    if not certs and not keys and not bad:
        raise LoadError(f"{name}: no certificate or private key found")
    if more:  # thousands of damaged blocks: the first are listed, the rest counted
        bad.append(Unreadable(name, None, f"{more} more damaged block(s) not listed"))
    return Bundle(tuple(certs), tuple(keys), tuple(bad))


def _label_text(label: bytes) -> str:
    """A PEM label for a message, cut short (labels are unbounded in hostile files)."""
    text = label.decode("ascii", errors="replace")
    return text if len(text) <= 40 else text[:37] + "..."


class _BlockError(Exception):
    pass


def _decode_body(body: bytes) -> bytes:
    if b":" not in body:  # the common case: no RFC 1421 headers, decode in one C call
        try:
            return binascii.a2b_base64(body, strict_mode=False)
        except (binascii.Error, ValueError):
            pass
    lines = [ln.strip() for ln in body.splitlines()]
    b64 = b"".join(ln for ln in lines if ln and b":" not in ln)
    try:
        return base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        raise _BlockError("the base64 text is damaged") from None


def _parse_pem_block(
    label: bytes,
    body: bytes,
    block: bytes,
    origin: Origin,
    password: bytes | None,
    certs: list[CertEntry],
    keys: list[KeyEntry],
) -> None:
    if label in _IGNORED_LABELS:
        return
    if label in _KEY_LABELS:
        keys.append(_parse_key(label, body, block, origin))
        return
    der = _decode_body(body)
    if label in _CERT_LABELS:
        if label == b"TRUSTED CERTIFICATE":
            der = _first_der_element(der)
        certs.append(_parse_cert(der, origin))
    elif label in _PKCS7_LABELS:
        for i, cert in enumerate(_parse_pkcs7(der), 1):
            certs.append(CertEntry.from_cert(cert, Origin(origin.source, index=i, container="pkcs7")))
    else:
        raise _BlockError(f"unknown block type {_label_text(label)!r}")


def _parse_cert(der: bytes, origin: Origin) -> CertEntry:
    try:
        return CertEntry(_readable(x509.load_der_x509_certificate(der)), der, origin)
    except _CERT_ERRORS as exc:
        raise _BlockError(f"not a valid certificate ({_short(exc)})") from None


def _readable(cert: x509.Certificate) -> x509.Certificate:
    """Parse the names now: cryptography parses them lazily, and every check needs them."""
    try:
        len(cert.subject)
        len(cert.issuer)
    except Exception as exc:  # noqa: BLE001 - damaged names raise ValueError or TypeError
        raise ValueError(f"its subject or issuer name cannot be read: {_short(exc)}") from None
    return cert


def _parse_key(label: bytes, body: bytes, block: bytes, origin: Origin) -> KeyEntry:
    kind = _KEY_LABELS[label]
    text = block.decode("ascii", errors="replace").strip() + "\n"
    if label == b"ENCRYPTED PRIVATE KEY" or b"ENCRYPTED" in body[:200]:
        return KeyEntry(text, origin, kind, encrypted=True)
    if label == b"OPENSSH PRIVATE KEY":
        try:
            from cryptography.hazmat.primitives.serialization import load_ssh_private_key

            ssh_key = load_ssh_private_key(block.strip(), password=None)
        except (ValueError, TypeError) as exc:
            if "encrypted" in str(exc).lower() or isinstance(exc, TypeError):
                return KeyEntry(text, origin, kind, encrypted=True)
            raise _BlockError(f"not a valid private key ({_short(exc)})") from None
        return KeyEntry.from_key(ssh_key, origin, kind, pem=text)
    try:
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        key = load_pem_private_key(block.strip() + b"\n", password=None)
    except TypeError:
        return KeyEntry(text, origin, kind, encrypted=True)
    except Exception as exc:  # noqa: BLE001 - an unsupported algorithm raises its own type
        raise _BlockError(f"not a valid private key ({_short(exc)})") from None
    return KeyEntry.from_key(key, origin, kind, pem=text)


def _parse_pkcs7(der: bytes) -> list[x509.Certificate]:
    try:
        from cryptography.hazmat.primitives.serialization import pkcs7  # PKCS#7 (and email) only when needed

        return [_readable(c) for c in pkcs7.load_der_pkcs7_certificates(der)]
    except _CERT_ERRORS as exc:
        raise _BlockError(f"not a valid PKCS#7 bundle ({_short(exc)})") from None


# --- binary -----------------------------------------------------------------------------------


def _load_binary(data: bytes, name: str, password: bytes | None, container: str | None) -> Bundle:
    elements = _der_elements(data)
    if elements:
        certs: list[CertEntry] = []
        for i, der in enumerate(elements, 1):
            try:
                cert = _readable(x509.load_der_x509_certificate(der))
            except _CERT_ERRORS:
                certs = []
                break
            origin = Origin(name, index=i if len(elements) > 1 else None, container=container or "der")
            certs.append(CertEntry(cert, der, origin))
        if certs:
            return Bundle(tuple(certs))
    try:
        from cryptography.hazmat.primitives.serialization import pkcs7

        p7 = [_readable(c) for c in pkcs7.load_der_pkcs7_certificates(data)]
    except _CERT_ERRORS:
        p7 = None
    if p7 is not None:
        if not p7:
            raise LoadError(f"{name}: the PKCS#7 bundle holds no certificate")
        return Bundle(tuple(CertEntry.from_cert(c, Origin(name, index=i, container="pkcs7"))
                            for i, c in enumerate(p7, 1)))
    p12 = _try_pkcs12(data, name, password)
    if p12 is not None:
        return p12
    from cryptography.hazmat.primitives.serialization import load_der_private_key

    try:
        key = load_der_private_key(data, password=None)
    except TypeError:
        return Bundle(keys=(KeyEntry("", Origin(name, container="der"), "DER", encrypted=True),))
    except Exception:  # noqa: BLE001 - any parse failure means "not a key"
        key = None
    if key is not None:
        return Bundle(keys=(KeyEntry.from_key(key, Origin(name, container="der"), "DER"),))
    if _looks_like_text(data):
        raise LoadError(f"{name}: no certificate or private key found (no PEM block, not DER, PKCS#7 or PKCS#12)")
    raise LoadError(f"{name}: not a certificate file (binary data that is neither DER, PKCS#7 nor PKCS#12)")


def _try_pkcs12(data: bytes, name: str, password: bytes | None) -> Bundle | None:
    """A PKCS#12 file, opened with bounded work (see :mod:`tui.pki.pfx`); None when it is not one."""
    from . import pfx  # the child-process machinery only for PKCS#12 files

    if not pfx.looks_like_pfx(data):
        return None
    rounds = pfx.visible_rounds(data)
    if rounds > pfx.MAX_PKCS12_ROUNDS:  # visible: refuse at once, with the number
        raise LoadError(f"{name}: this PKCS#12 file asks for {rounds:,} key-derivation rounds "
                        f"(more than {pfx.MAX_PKCS12_ROUNDS:,}); not opening it")
    try:
        # the given password first; a file made without one opens too (--password covers every SOURCE)
        opened = pfx.open_pfx(data, [password, None, b""] if password else [None, b""])
    except pfx.PfxError as exc:
        if exc.kind == "password":
            if password is None:
                raise PasswordNeeded(f"{name}: this PKCS#12 file needs a password (--password or CHAINDOCTOR_PASSWORD)",
                                     source=name, wrong=False) from None
            raise PasswordNeeded(f"{name}: wrong PKCS#12 password", source=name, wrong=True) from None
        why = {"work": "asks for too much key-derivation work", "memory": "needs too much memory to open",
               "failed": "could not be opened"}.get(exc.kind)
        if why is None:  # "format": not PKCS#12 after all
            return None
        raise LoadError(f"{name}: this PKCS#12 file {why} ({exc})") from None
    try:
        certs = [_readable(x509.load_der_x509_certificate(der)) for der in opened.certs]
    except _CERT_ERRORS as exc:
        raise LoadError(f"{name}: a certificate in the PKCS#12 file is damaged ({_short(exc)})") from None
    entries = tuple(CertEntry.from_cert(c, Origin(name, index=i, container="pkcs12")) for i, c in enumerate(certs, 1))
    keys: tuple[KeyEntry, ...] = ()
    if opened.key is not None:
        from cryptography.hazmat.primitives.serialization import load_der_private_key

        key = load_der_private_key(opened.key, password=None)
        keys = (KeyEntry.from_key(key, Origin(name, container="pkcs12"), "PKCS#12"),)
    if not entries and not keys:
        raise LoadError(f"{name}: the PKCS#12 file holds no certificate or key")
    return Bundle(entries, keys)


def _der_elements(data: bytes) -> list[bytes]:
    """Split concatenated DER SEQUENCEs; [] when the data is not exactly that."""
    out: list[bytes] = []
    pos = 0
    while pos < len(data):
        if data[pos] != 0x30 or pos + 2 > len(data):
            return []
        length_byte = data[pos + 1]
        if length_byte < 0x80:
            length, header = length_byte, 2
        else:
            n = length_byte & 0x7F
            if n == 0 or n > 4 or pos + 2 + n > len(data):
                return []
            length, header = int.from_bytes(data[pos + 2:pos + 2 + n], "big"), 2 + n
        end = pos + header + length
        if end > len(data):
            return []
        out.append(data[pos:end])
        if len(out) > MAX_DER_ELEMENTS:
            return []
        pos = end
    return out


def _first_der_element(der: bytes) -> bytes:
    """OpenSSL's TRUSTED CERTIFICATE is a certificate followed by trust settings."""
    elements = _der_elements(der)
    return elements[0] if elements else der


def _looks_like_text(data: bytes) -> bool:
    sample = data[:4096]
    return b"\x00" not in sample and sum(32 <= b < 127 or b in b"\r\n\t" for b in sample) > 0.95 * len(sample)


def _short(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:120]
