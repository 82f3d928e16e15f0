"""Every ``noqa`` and ``type: ignore`` carries its reason on the same line."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOQA = re.compile(r"#\s*noqa\b(?P<rest>.*)$")
IGNORE = re.compile(r"#\s*type:\s*ignore\b(?P<rest>.*)$")
# e.g. `noqa: E402 - the path is set first` and `type: ignore[arg-type]  # the fields are checked at runtime`
NOQA_WITH_REASON = re.compile(r":\s*[A-Z]+[0-9]+(\s*,\s*[A-Z]+[0-9]+)*\s+-\s+\S")
IGNORE_WITH_REASON = re.compile(r"\[[a-z-]+(\s*,\s*[a-z-]+)*\]\s*#\s*\S")


def _python_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [ROOT / line for line in out.splitlines() if (ROOT / line).exists()]


def test_suppressions_name_what_and_why() -> None:
    bare = []
    for path in _python_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            noqa, ignore = NOQA.search(line), IGNORE.search(line)
            if noqa and not NOQA_WITH_REASON.match(noqa.group("rest")):
                bare.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
            if ignore and not IGNORE_WITH_REASON.match(ignore.group("rest")):
                bare.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert bare == [], "suppressions without a code and a reason:\n" + "\n".join(bare)
