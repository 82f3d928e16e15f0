"""What the lesson panel says: progress, the lesson's text and its step checklist (Rich ``Text``)."""

from __future__ import annotations

from rich.text import Text

from ..keys import key_of
from .course import Course
from .text import prose

DONE, NOW, TODO = "✓", "▶", "○"


def heading(course: Course) -> Text:
    """``Lesson 3 of 7 · step 2 of 3``, the title, and one dot per lesson (the final exercise last)."""
    lesson = course.lesson
    total = course.numbered
    out = Text()
    out.append("Final exercise" if lesson.final else f"Lesson {course.index + 1} of {total}", style="bold")
    if course.finished:
        out.append(" · complete", style="bold green")
    else:
        out.append(f" · step {course.step + 1} of {len(lesson.steps)}", style="dim")
    out.append("\n" + lesson.title + "\n", style="bold magenta")
    for i in range(len(course.lessons)):
        mark = "●" if i in course.completed else ("◉" if i == course.index else "○")
        style = "green" if i in course.completed else ("bold magenta" if i == course.index else "dim")
        out.append(("  " if i == total else " " if i else "") + mark, style=style)
    return out


def story(course: Course) -> Text:
    """The intro, then the checklist: what happened for done steps and the titles of the steps to come (the
    current step is pinned below the story, see :func:`task`)."""
    lesson = course.lesson
    out = Text()
    out.append_text(prose(lesson.intro))
    out.append("\n")
    for i, step in enumerate(lesson.steps):
        out.append("\n")
        if i < course.step:
            out.append(f"{DONE} {step.title}\n", style="bold green")
            out.append_text(prose(step.done))
            out.append("\n")
        elif i == course.step and not course.finished:
            continue  # the task of the moment: pinned below the story
        else:
            out.append(f"{TODO} {step.title}\n", style="dim")
    return out


def task(course: Course, *, off_track: bool = False) -> Text:
    """What to do now, always in view: the current step's task, or how the lesson ended and what is next."""
    out = Text()
    if off_track:
        out.append("The app no longer shows this lesson's bundle (another file was opened, or the lesson's "
                   f"screen closed). {key_of('restart_lesson')} starts the lesson again; {key_of('lessons')}, "
                   "then x, leaves the lessons.\n\n", style="bold yellow")
    if course.finished:
        out.append_text(_closing(course))
        return out
    step = course.current
    if step is None:
        return out
    out.append(f"{NOW} {step.title}\n", style="bold yellow")
    out.append_text(prose(step.task))
    left = course.memory.get("left")
    if isinstance(left, int) and left:
        out.append(f"\n{left} to go", style="italic")
    return out


def _closing(course: Course) -> Text:
    lesson = course.lesson
    out = Text()
    out.append("✓ Well done!\n" if lesson.final else "✓ Lesson complete\n", style="bold green")
    out.append_text(prose(lesson.outro))
    out.append("\n\n")
    index = course.next_index
    next_key = key_of("next_lesson")
    if index is None:
        out.append(f"{next_key} leaves the lessons and gives you your own bundle back.", style="bold")
    elif course.lessons[index].final:
        out.append_text(prose(f"That was the last lesson. Now the real thing: press `{next_key}` to open the "
                              "demo's broken chain (certificates out of order, the root pasted in, an "
                              "intermediate twice) and fix it on your own.",
                              style="bold"))
    else:
        out.append(f"{next_key}: lesson {index + 1}, {course.lessons[index].title}", style="bold")
    return out


def keys() -> Text:
    """The panel's keys, each one clickable."""
    out = Text()
    links = (("next_lesson", "next", "next"), ("restart_lesson", "restart", "restart"), ("lessons", "lessons", "menu"))
    for i, (name, what, command) in enumerate(links):
        key = key_of(name)
        if i:
            out.append(" · ", style="dim")
        start = len(out)
        out.append(key, style="bold")
        out.append(" " + what)
        out.apply_meta({"@click": f"app.lesson({command!r})"}, start, len(out))
    return out
