"""Lessons (``l``, ``chaindoctor learn``): seven guided tasks done in the real app, then the demo to fix alone."""

from __future__ import annotations

__all__ = ["install"]


def install() -> None:
    """Hook the lessons menu into the app's ``l`` key (and ``launch(..., lessons=True)``)."""
    from ..app import ChainDoctorApp
    from .menu import LessonsScreen

    ChainDoctorApp.lessons_screen = LessonsScreen
