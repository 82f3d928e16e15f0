"""Teaching text: what every finding code means, why clients fail, how to fix it; the glossary.

Pure data plus plain-text rendering (no terminal libraries), shared by ``chaindoctor explain``,
the app's finding panel and its help screen.

Text conventions used in the prose fields (so front ends can render them as plain text or
Markdown): paragraphs are separated by a blank line, a line starting with ``- `` is a bullet,
and commands, file names and error messages are quoted with backticks.
"""

from __future__ import annotations

import re
import shlex
import textwrap
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from itertools import groupby
from typing import TypeVar

from .vocabulary import SEVERITY, Code

__all__ = [
    "EXPLANATIONS",
    "FINDING_CODES",
    "GLOSSARY",
    "SEVERITY",
    "Explanation",
    "GlossaryTerm",
    "explain",
    "find_term",
    "openssl_commands",
    "render_glossary",
    "render_text",
]

WIDTH = 78
"""Column width of the plain-text rendering."""

FINDING_CODES: tuple[Code, ...] = tuple(Code)
"""Every finding code, in the order of the contract's table."""


@dataclass(frozen=True)
class GlossaryTerm:
    """One glossary entry: a stable ``key``, the displayed ``term`` and a short definition."""

    key: str
    term: str
    definition: str
    see_also: tuple[str, ...] = ()


@dataclass(frozen=True)
class Explanation:
    """The teaching text for one finding code."""

    code: Code
    title: str
    meaning: str
    why_it_breaks: str
    fix: str
    openssl: tuple[str, ...]
    glossary: tuple[str, ...]
    stands_for: str = ""  # the mainstream client family whose behaviour the rule stands for

    @property
    def severity(self) -> str:
        """``error``, ``warning`` or ``info``, per the contract."""
        return SEVERITY[self.code]


# --------------------------------------------------------------------------------------------
# Loading the texts from tui/data
# --------------------------------------------------------------------------------------------

_SECTIONS = {"What it means": "meaning", "Why clients fail": "why_it_breaks", "How to fix it": "fix"}
_FIELD = re.compile(r"([a-z][a-z-]*): (.+)")
_COMMENT = re.compile(r"\s*<!--.*?-->", re.S)  # source notes for maintainers, never shown


class TextError(ValueError):
    """A data file that does not have the shape the loader expects (a packaging mistake)."""


DATA = resources.files("tui") / "data"


def _data(folder: Traversable) -> list[tuple[str, str]]:
    """(stem, text without source notes) of each ``.md`` file in ``folder``, sorted by name."""
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".md")), key=lambda f: f.name)
    return [(f.name[:-3], _COMMENT.sub("", f.read_text(encoding="utf-8"))) for f in files]


def _header(stem: str, text: str) -> tuple[str, dict[str, list[str]], str]:
    """The ``# title`` line, the ``field: value`` lines under it, and the rest of the file."""
    lines = text.splitlines()
    if not lines or not lines[0].startswith("# "):
        raise TextError(f"{stem}.md: the first line must be '# <title>'")
    fields: dict[str, list[str]] = {}
    i = 1
    while i < len(lines) and not lines[i].startswith("## "):
        line = lines[i].strip()
        field = _FIELD.fullmatch(line)
        if line and field is None:
            break
        if field is not None:
            fields.setdefault(field.group(1), []).append(field.group(2).strip())
        i += 1
    return lines[0][2:].strip(), fields, "\n".join(lines[i:])


def _explanation(code: Code, text: str) -> Explanation:
    title, fields, body = _header(code, text)
    parts = re.split(r"^## (.+)$", body, flags=re.M)
    sections = {name.strip(): content.strip() for name, content in zip(parts[1::2], parts[2::2], strict=True)}
    missing = [name for name in _SECTIONS if not sections.get(name)]
    if missing:
        raise TextError(f"{code}.md lacks the section(s) {', '.join(missing)}")
    glossary = tuple(k.strip() for v in fields.get("glossary", []) for k in v.split(",") if k.strip())
    meaning, why_it_breaks, fix = (sections[name] for name in _SECTIONS)
    return Explanation(code, title, meaning, why_it_breaks, fix, tuple(fields.get("openssl", [])), glossary,
                       " ".join(fields.get("stands-for", [])))


def _term(key: str, text: str) -> GlossaryTerm:
    term, fields, body = _header(key, text)
    see = tuple(k.strip() for v in fields.get("see", []) for k in v.split(",") if k.strip())
    return GlossaryTerm(key, term, body.strip(), see)


def load_explanations(folder: Traversable) -> dict[str, Explanation]:
    """The explanations in ``folder`` (one ``CODE.md`` each), in the contract's order.

    TextError when a file names no finding code or lacks a section; a code without a file is left
    out here and caught by the tests.
    """
    found = dict(_data(folder))
    unknown = sorted(set(found) - set(Code))
    if unknown:
        raise TextError(f"explanations for unknown finding codes: {', '.join(unknown)}")
    return {code: _explanation(code, found[code]) for code in Code if code in found}


def load_glossary(folder: Traversable) -> dict[str, GlossaryTerm]:
    """The glossary entries in ``folder`` (one ``KEY.md`` each), by key."""
    return {key: _term(key, text) for key, text in _data(folder)}


K = TypeVar("K", bound=str)
V = TypeVar("V")


class _Shelf(Mapping[K, V]):
    """The texts of one data folder by key, each file read and parsed when first asked for: the app's
    first screen needs one explanation, not all of them (``tests`` read them all with the loaders above)."""

    def __init__(self, folder: Traversable, keys: list[K], parse: Callable[[K, str], V]) -> None:
        self._folder, self._keys, self._parse = folder, keys, parse
        self._known = set(keys)
        self._read: dict[str, V] = {}

    def __getitem__(self, key: str) -> V:
        if key not in self._read:
            if key not in self._known:
                raise KeyError(key)
            text = _COMMENT.sub("", (self._folder / f"{key}.md").read_text(encoding="utf-8"))
            self._read[key] = self._parse(next(k for k in self._keys if k == key), text)
        return self._read[key]

    def __contains__(self, key: object) -> bool:
        return key in self._known

    def __iter__(self) -> Iterator[K]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


def _stems(folder: Traversable) -> list[str]:
    return sorted(f.name[:-3] for f in folder.iterdir() if f.name.endswith(".md"))


def _shelf_of_explanations(folder: Traversable) -> _Shelf[str, Explanation]:
    stems = set(_stems(folder))
    unknown = sorted(stems - set(Code))
    if unknown:
        raise TextError(f"explanations for unknown finding codes: {', '.join(unknown)}")
    codes: list[str] = [code for code in Code if code in stems]
    return _Shelf(folder, codes, lambda key, text: _explanation(Code(key), text))


EXPLANATIONS: Mapping[str, Explanation] = _shelf_of_explanations(DATA / "explanations")
"""Every finding code's explanation, in the contract's order (from ``tui/data/explanations``).

Keyed by the Code members, which hash and compare like the contract's words, so a word looks up too."""

GLOSSARY: Mapping[str, GlossaryTerm] = _Shelf(DATA / "glossary", _stems(DATA / "glossary"), _term)
"""The glossary by key (loaded from ``tui/data/glossary``)."""


# --------------------------------------------------------------------------------------------
# Lookup and rendering
# --------------------------------------------------------------------------------------------


def explain(code: str) -> Explanation:
    """The explanation of ``code`` (any case); ``ValueError`` naming the valid codes when it is unknown."""
    found = EXPLANATIONS.get(code.strip().lower())
    if found is None:
        raise ValueError(f"unknown finding code {str(code)!r}; valid codes: {', '.join(FINDING_CODES)}")
    return found


def find_term(query: str) -> GlossaryTerm | None:
    """The glossary entry whose key, term or part of it ("SAN", "trust anchor") is ``query``."""
    q = query.strip().casefold()
    for term in GLOSSARY.values():
        full = term.term.casefold()
        parts = {p.strip() for p in re.split(r"[/()]", full) if p.strip()}
        if q in {term.key, full, *parts}:
            return term
    return None


_PLACEHOLDER = re.compile(r"\{(bundle|roots|host|port)\}")


def openssl_commands(
    code: str,
    bundle: str = "chain.pem",
    roots: str = "roots.pem",
    host: str = "example.com",
    port: int = 443,
) -> list[str]:
    """The explanation's shell commands with placeholders filled in and shell-quoted."""
    values = {
        "bundle": shlex.quote(str(bundle)),
        "roots": shlex.quote(str(roots)),
        "host": shlex.quote(str(host)),
        "port": str(int(port)),
    }
    return [_PLACEHOLDER.sub(lambda m: values[m.group(1)], cmd) for cmd in explain(code).openssl]


def _wrap(text: str, indent: str = "  ") -> list[str]:
    """Wrap prose (paragraphs split by blank lines, ``- `` bullets) to WIDTH columns."""
    out: list[str] = []
    for block in text.split("\n\n"):
        lines = [ln.strip() for ln in block.strip().splitlines() if ln.strip()]
        for bullets, run in groupby(lines, key=lambda ln: ln.startswith("- ")):
            if bullets:
                for line in run:
                    out.extend(_fill(line[2:], indent + "- ", indent + "  "))
            else:  # consecutive prose lines make one paragraph
                out.extend(_fill(" ".join(run), indent, indent))
        out.append("")
    while out and not out[-1]:
        out.pop()
    return out


_CODE_SPAN = re.compile(r"`[^`]+`")
_NBSP = "\x00"  # stands in for a space that must not become a line break


def _fill(text: str, first: str, rest: str) -> list[str]:
    # Keep short code spans (`--search DIR`) on one line; long quoted messages may break.
    text = _CODE_SPAN.sub(
        lambda m: m.group(0).replace(" ", _NBSP) if len(m.group(0)) <= 32 else m.group(0), text
    )
    lines = textwrap.wrap(
        text,
        width=WIDTH,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return [line.replace(_NBSP, " ") for line in lines]


def _see_also(keys: tuple[str, ...]) -> list[str]:
    names = ", ".join(GLOSSARY[k].term for k in keys if k in GLOSSARY)
    return _fill(f"See also: {names}.", "", "  ") if names else []


def _section(
    exp: Explanation, bundle: str, roots: str, host: str, port: int
) -> list[str]:
    heading = f"{exp.code}: {exp.title} ({exp.severity})"
    lines = [heading, "=" * min(len(heading), WIDTH), ""]
    for label, body in (
        ("What it means", exp.meaning),
        ("Why clients fail", exp.why_it_breaks),
        ("How to fix it", exp.fix),
    ):
        lines += [label, *_wrap(body), ""]
    lines.append("See it for yourself")
    # Commands stay on one line each so they can be copied and pasted.
    lines += [f"  $ {cmd}" for cmd in openssl_commands(exp.code, bundle, roots, host, port)]
    lines.append("")
    lines += _see_also(exp.glossary)
    return lines


def render_text(
    codes: list[str] | None = None,
    bundle: str = "chain.pem",
    roots: str = "roots.pem",
    host: str = "example.com",
    port: int = 443,
) -> str:
    """``chaindoctor explain CODE ...``: each code's explanation, or the glossary entry of a word that
    is no code ("chain", "AIA"); every code when none is given. ValueError names what is valid."""
    chosen = list(FINDING_CODES) if not codes else list(dict.fromkeys(codes))
    parts: list[Explanation | GlossaryTerm] = []
    for query in chosen:  # validate all before rendering
        term = None if query.strip().lower() in EXPLANATIONS else find_term(query)
        if term is not None:
            parts.append(term)
            continue
        try:
            parts.append(explain(query))
        except ValueError as exc:
            raise ValueError(f"{exc}; or a glossary term (chaindoctor explain --glossary)") from None
    sections = ["\n".join(_section(p, bundle, roots, host, port) if isinstance(p, Explanation) else _entry(p))
                for p in parts]
    return "\n\n\n".join(sections) + "\n"


def render_index() -> str:
    """``chaindoctor explain`` without a code: every code with its severity and title, then the glossary's words."""
    lines = ["Finding codes (chaindoctor explain CODE, or --all for every explanation)", ""]
    width = max(len(code) for code in FINDING_CODES)
    for code in FINDING_CODES:
        exp = EXPLANATIONS.get(code)
        lines.append(f"  {code:<{width}}  {SEVERITY[code]:<7}  {exp.title if exp else ''}".rstrip())
    lines += ["", "Glossary (chaindoctor explain --glossary TERM)", ""]
    names = ", ".join(t.term for t in sorted(GLOSSARY.values(), key=lambda t: t.term.casefold()))
    lines += _fill(names, "  ", "  ")
    return "\n".join(lines) + "\n"


def _entry(term: GlossaryTerm) -> list[str]:
    lines = [term.term, *_wrap(term.definition)]
    if term.see_also:
        names = ", ".join(GLOSSARY[k].term for k in term.see_also if k in GLOSSARY)
        lines += _fill(f"See also: {names}.", "  ", "    ")
    return lines


def render_glossary(terms: list[str] | None = None) -> str:
    """The glossary as plain text, sorted by term; only the entries for ``terms`` when given
    (ValueError naming an unknown one)."""
    if terms:
        found = []
        for query in terms:
            term = find_term(query)
            if term is None:
                raise ValueError(f"no glossary entry for {query!r}; chaindoctor explain --glossary lists them all")
            found.append(term)
        entries = list(dict.fromkeys(found))
    else:
        entries = sorted(GLOSSARY.values(), key=lambda t: t.term.casefold())
    lines = ["Glossary", "========", ""]
    for term in entries:
        lines += [*_entry(term), ""]
    return "\n".join(lines).rstrip("\n") + "\n"
