"""Write an SVG screenshot of the app on the demo bundle: ``python -m tui.app.screenshot docs/screenshot.svg``."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from ..pki.request import Request
from ..pki.session import open_session
from .app import ChainDoctorApp

AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


async def _shoot(path: Path, size: tuple[int, int]) -> None:
    app = ChainDoctorApp(open_session(Request(system_roots=False)), now=lambda: AT)
    async with app.run_test(size=size) as pilot:
        while app.busy or app.view is None:
            await pilot.pause(0.01)
        await pilot.pause()
        path.write_text(app.export_screenshot(title="chaindoctor"), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    path = Path(argv[0] if argv else "docs/screenshot.svg")
    path.parent.mkdir(parents=True, exist_ok=True)
    asyncio.run(_shoot(path, (120, 36)))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
