"""Every claim the teaching texts make about a client names its source.

The explanations and the glossary tell newcomers what browsers, curl, Go or Java do and print. Each
line that makes such a claim carries a source note (``<!-- source: ... -->``, which the loader strips):
the client's code or test data, an RFC or the CA/Browser Forum Baseline Requirements. Every
explanation also says, in its ``stands-for:`` line, which client family its rule stands for.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tui.pki.explain import DATA, EXPLANATIONS

SOURCE = "<!-- source:"
_NAMES = (r"browsers?|Chrome|Chromium|Edge|Firefox|Safari|Java|keytool|curl|rustls|OpenSSL|Python|nginx|"
          r"Apache|HAProxy|BoringSSL|mbed TLS|Windows|macOS|wget")
CLIENT = re.compile(rf"\b(?:(?i:{_NAMES})|Go|Node(?:\.js)?)\b")
VERB = re.compile(r"\b(?:refus\w*|reject\w*|accept\w*|ignor\w*|fail\w*|requir\w*|sends?|sent|sending|reports?|"
                  r"reported|reporting|says?|said)\b", re.I)
CODE_SPAN = re.compile(r"`[^`]*`")
COMMENT = re.compile(r"<!--.*?-->")
SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")
# "- curl: `...`" or "Chrome and other Chromium browsers: `...`": a client's error message, quoted.
QUOTES_MESSAGE = re.compile(rf"(?:{CLIENT.pattern})[^.;:`]{{0,60}}:\s*`CODE`")
FIELD = re.compile(r"[a-z][a-z-]*: ")


def claims_about_clients(line: str) -> bool:
    """Whether ``line`` says what a client does (a client named, then a verb, in one sentence) or
    quotes a client's message (``Client: `message```). Text in backticks (commands, messages) and
    source notes themselves are not read as prose."""
    prose = CODE_SPAN.sub("`CODE`", COMMENT.sub("", line))
    if QUOTES_MESSAGE.search(prose):
        return True
    for sentence in SENTENCE_END.split(prose):
        name = CLIENT.search(sentence)
        if name and VERB.search(sentence, name.end()):
            return True
    return False


def _prose_lines(folder: str) -> Iterator[tuple[str, int, str]]:
    """(file, line number, text) of every line after the header fields of every ``.md`` in ``folder``."""
    for path in sorted((DATA / folder).iterdir(), key=lambda p: p.name):
        if not path.name.endswith(".md"):
            continue
        in_header = True
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            text = line.strip()
            if number == 1 or not text:
                continue
            if in_header and FIELD.match(text):
                continue
            in_header = False
            if not text.startswith("#"):
                yield f"{folder}/{path.name}", number, text


def _unsourced(folder: str) -> list[str]:
    return [f"{name}:{number}: {text[:100]}" for name, number, text in _prose_lines(folder)
            if claims_about_clients(text) and SOURCE not in text]


@pytest.mark.parametrize("folder", ["explanations", "glossary"])
def test_every_client_claim_has_a_source_note(folder: str) -> None:
    missing = _unsourced(folder)
    assert not missing, "client claims without a <!-- source: ... --> note:\n" + "\n".join(missing)


def test_every_explanation_says_what_it_stands_for() -> None:
    assert EXPLANATIONS
    for code, exp in EXPLANATIONS.items():
        assert exp.stands_for.strip(), f"{code}.md has no stands-for line"
        assert "<!--" not in exp.stands_for, f"{code}.md: the loader must strip the source note"
        raw = (DATA / "explanations" / f"{code}.md").read_text(encoding="utf-8")
        line = next(t for t in raw.splitlines() if t.startswith("stands-for:"))
        assert SOURCE in line, f"{code}.md: the stands-for line names no source"


@pytest.mark.parametrize("line", [
    "Go refuses it.",
    "Browsers accept a non-critical basicConstraints on an intermediate.",
    "- Java: `PKIX path building failed`",
    "- Chrome and other Chromium browsers: `NET::ERR_CERT_INVALID`",
    "Nothing fails here, but curl, once the date passes, reports `certificate has expired`.",
])
def test_the_detector_sees_claims(line: str) -> None:
    assert claims_about_clients(line)


@pytest.mark.parametrize("line", [
    "Keep the key in its own file, readable only by the server (`chmod 600`).",
    "per program (`curl --cacert`, `REQUESTS_CA_BUNDLE`, `NODE_EXTRA_CA_CERTS`); or",
    "A signature is made over a hash of the certificate; the go-between fails nothing.",
    "The failure is in the file. <!-- source: Go refuses it -->",
])
def test_the_detector_leaves_other_prose_alone(line: str) -> None:
    assert not claims_about_clients(line)
