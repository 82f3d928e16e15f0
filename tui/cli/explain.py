"""``chaindoctor explain``: what a finding means, why clients fail, what the fix does; the glossary."""

from __future__ import annotations

import argparse
import sys

from .parse import UsageError


def run_explain(args: argparse.Namespace) -> int:
    from ..pki import explain

    if args.glossary:
        sys.stdout.write(explain.render_glossary())
        return 0
    try:
        sys.stdout.write(explain.render_text(args.codes or None))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return 0
