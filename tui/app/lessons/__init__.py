"""Lessons (``l``, ``chaindoctor learn``): seven guided tasks done in the real app, then the demo to fix alone.

The app owns one :class:`~.tutor.Tutor` (``app.tutor``); the menu, the panel and the checks work through it.
"""
