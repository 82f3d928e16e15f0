"""Lessons as data, and the learner's progress through them (no Textual here)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .checks import Check, Memory, Probe
from .scenes import PairScene, Scene


@dataclass(frozen=True)
class Step:
    """One thing to do in the app: ``task`` says what, ``check`` sees it done, ``done`` says what happened."""

    title: str
    task: str
    check: Check
    done: str
    scene: Scene | PairScene | None = None  # open this when the step begins (None: keep the current one)


@dataclass(frozen=True)
class Lesson:
    title: str
    intro: str
    scene: Scene
    steps: tuple[Step, ...]
    outro: str
    final: bool = False  # the closing exercise, not a numbered lesson

    def scene_at(self, step: int) -> Scene | PairScene:
        """The bundle shown during ``step``: the latest scene a step up to it opened."""
        scenes = [s.scene for s in self.steps[: step + 1] if s.scene is not None]
        return scenes[-1] if scenes else self.scene


@dataclass
class Course:
    """Where the learner is: lesson, step, and which lessons are complete."""

    lessons: tuple[Lesson, ...]
    index: int = 0
    step: int = 0
    completed: set[int] = field(default_factory=set)
    memory: Memory = field(default_factory=dict)

    @property
    def lesson(self) -> Lesson:
        return self.lessons[self.index]

    @property
    def numbered(self) -> int:
        """How many numbered lessons there are (the final exercise is not one)."""
        return sum(not lesson.final for lesson in self.lessons)

    @property
    def finished(self) -> bool:
        """Every step of the current lesson is done."""
        return self.step >= len(self.lesson.steps)

    @property
    def current(self) -> Step | None:
        return None if self.finished else self.lesson.steps[self.step]

    def start(self, index: int) -> None:
        """Begin lesson ``index`` from its first step."""
        self.index = max(0, min(index, len(self.lessons) - 1))
        self.step = 0
        self.memory = {}

    def advance(self, probe: Probe) -> bool:
        """Mark the current step done when its check passes; True when it did."""
        step = self.current
        if step is None or not step.check(probe, self.memory):
            return False
        self.step += 1
        self.memory = {}
        if self.finished:
            self.completed.add(self.index)
        return True

    @property
    def next_index(self) -> int | None:
        return self.index + 1 if self.index + 1 < len(self.lessons) else None
