"""The coach's answers that are only words: help, the list, an exercise's info, and words it missed."""

from __future__ import annotations

from dataclasses import dataclass

from voice.coach.messages import Intent
from voice.coach.plan import Item
from voice.coach.progress import join_words
from voice.coach.settings import CoachSettings
from voice.content import Content, Exercise
from voice.content.numbers import number_words


def help_line(content: Content, offered: tuple[str, ...], item: Item | None) -> str:
    """``help``: an example of each offered command (a start names the current exercise, or the first)."""
    exercise = item.exercise if item else content.exercises[0]
    examples = [content.examples.get(name, name).replace("{exercise}", exercise.names[0]) for name in offered]
    return content.lines.help.format(commands=join_words(examples, "or"))


def list_line(content: Content) -> str:
    """``list``: every exercise's title."""
    return content.lines.list.format(names=join_words([exercise.title for exercise in content.exercises]))


def info_line(content: Content, exercise: Exercise) -> str:
    """``info``: where the exercise works and what it is for."""
    return content.lines.info.format(location=exercise.location, benefit=exercise.benefit)


@dataclass
class MissedWords:
    """Words that were no command since the last command, and when the last was answered."""

    count: int = 0
    """Misses since the last command."""
    last_answer: float | None = None
    """Session time of the last answer to a miss."""

    def answer(
        self, intent: Intent, busy: bool, now: float, settings: CoachSettings, content: Content
    ) -> str | None:
        """What to say to a miss, or None: typed misses always get an answer; spoken ones only near
        misses (clear attempts while the coach talks or counts), not within ``say_again_gap`` of the
        last answer, except the second, which offers the exercises by number."""
        typed = settings.typed
        if not typed and not (intent.clear_attempt if busy else intent.near_miss):
            return None
        self.count += 1
        answered_lately = self.last_answer is not None and now - self.last_answer < settings.say_again_gap
        if not typed and answered_lately and self.count != 2:
            return None
        self.last_answer = now
        lines = content.lines
        if self.count >= 2:
            return lines.offer_numbers.format(last=number_words(len(content.exercises)))
        return lines.not_understood if typed else lines.say_again
