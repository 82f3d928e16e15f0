"""``chaindoctor explain``: what a finding means, why clients fail, what the fix does; the glossary."""

from __future__ import annotations

import argparse
import sys

from .parse import UsageError


def run_explain(args: argparse.Namespace) -> int:
    from ..pki import explain

    try:
        if args.glossary:
            text = explain.render_glossary(args.codes or None)
        elif args.all or args.codes:
            text = explain.render_text(args.codes or None)
        else:
            text = explain.render_index()
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    sys.stdout.write(text)
    return 0
