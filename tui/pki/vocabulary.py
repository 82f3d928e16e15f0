"""The closed sets chaindoctor speaks in: finding codes, severities, roles, repairs, path ends, purposes.

Every member is a ``StrEnum``, so it prints and serialises as the contract's word (``"wrong-order"``)
and compares equal to it; code that reads JSON or the contract table can keep using the words.
"""

from __future__ import annotations

from enum import StrEnum

from cryptography.x509.oid import ExtendedKeyUsageOID, ObjectIdentifier


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Code(StrEnum):
    """The finding codes of CONTRACT.md, in the order of its table."""

    UNREADABLE = "unreadable"
    WRONG_ORDER = "wrong-order"
    MISSING_INTERMEDIATE = "missing-intermediate"
    UNTRUSTED_ROOT = "untrusted-root"
    BAD_SIGNATURE = "bad-signature"
    EXPIRED = "expired"
    NOT_YET_VALID = "not-yet-valid"
    HOSTNAME_MISMATCH = "hostname-mismatch"
    WRONG_PURPOSE = "wrong-purpose"
    NO_SUBJECT_ALT_NAME = "no-subject-alt-name"
    NOT_A_CA = "not-a-ca"
    PATH_LENGTH_EXCEEDED = "path-length-exceeded"
    NAME_CONSTRAINTS_VIOLATED = "name-constraints-violated"
    WEAK_SIGNATURE = "weak-signature"
    WEAK_KEY = "weak-key"
    KEY_MISMATCH = "key-mismatch"
    REJECTED = "rejected"
    OCSP_REVOKED = "ocsp-revoked"
    OCSP_UNUSABLE = "ocsp-unusable"
    SNI_DIFFERS = "sni-differs"
    STRICT_CLIENTS_REFUSE = "strict-clients-refuse"
    CONTAINS_ROOT = "contains-root"
    EXTRA_CERT = "extra-cert"
    DUPLICATE_CERT = "duplicate-cert"
    EXPIRES_SOON = "expires-soon"
    PRIVATE_KEY_PRESENT = "private-key-present"
    MULTIPLE_LEAVES = "multiple-leaves"
    NO_LEAF = "no-leaf"

    @property
    def severity(self) -> Severity:
        return SEVERITY[self]

    @property
    def fix(self) -> Repair | None:
        """The repair that addresses this finding, if one does."""
        return FIX_FOR.get(self)


_WARNINGS = {Code.OCSP_UNUSABLE, Code.STRICT_CLIENTS_REFUSE, Code.CONTAINS_ROOT, Code.EXTRA_CERT,
             Code.DUPLICATE_CERT, Code.EXPIRES_SOON, Code.PRIVATE_KEY_PRESENT, Code.MULTIPLE_LEAVES}
_INFOS = {Code.SNI_DIFFERS, Code.NO_LEAF}

# Keyed by str: a Code member and the contract's word for it hash and compare alike, so both look up.
SEVERITY: dict[str, Severity] = {
    code: Severity.WARNING if code in _WARNINGS else Severity.INFO if code in _INFOS else Severity.ERROR
    for code in Code
}
"""Each code's severity, as in the contract's table."""


class Role(StrEnum):
    """What a loaded certificate is to the chain."""

    LEAF = "leaf"
    INTERMEDIATE = "intermediate"
    ROOT = "root"
    EXTRA = "extra"
    DUPLICATE = "duplicate"


class Validity(StrEnum):
    """Where the validation time falls in a certificate's validity period."""

    VALID = "valid"
    EXPIRES_SOON = "soon"
    EXPIRED = "expired"
    NOT_YET_VALID = "future"


class Repair(StrEnum):
    """The repairs; the first four are the JSON ``fix`` values of the contract."""

    REORDER = "reorder"
    COMPLETE = "complete"
    DROP_EXTRAS = "drop-extras"
    DROP_ROOT = "drop-root"
    KEEP_ROOT = "keep-root"
    FIX_ALL = "fix-all"


FIX_FOR: dict[str, Repair] = {  # keyed by str, as SEVERITY
    Code.WRONG_ORDER: Repair.REORDER,
    Code.MISSING_INTERMEDIATE: Repair.COMPLETE,
    Code.EXTRA_CERT: Repair.DROP_EXTRAS,
    Code.DUPLICATE_CERT: Repair.DROP_EXTRAS,
    Code.CONTAINS_ROOT: Repair.DROP_ROOT,
}
"""The repair that addresses each finding code that has one."""


class PathEnd(StrEnum):
    """Where a path from the leaf stops."""

    ANCHOR = "anchor"
    SELF_SIGNED = "self-signed"
    MISSING = "missing"
    LOOP = "loop"
    TOO_LONG = "too-long"


class Purpose(StrEnum):
    """What the leaf is used for (``--purpose``)."""

    SERVER = "server"
    CLIENT = "client"

    @property
    def eku(self) -> ObjectIdentifier:
        """The extended key usage that allows this purpose."""
        return ExtendedKeyUsageOID.SERVER_AUTH if self is Purpose.SERVER else ExtendedKeyUsageOID.CLIENT_AUTH
