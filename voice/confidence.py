"""Every confidence and closeness threshold (0..1) in one place, so their order can be seen and checked.

A recogniser's confidence times the closeness of the words to a command phrase is the confidence of
an intent; the coach confirms an exercise name heard with less than ``CONFIRM_BELOW``.
"""

GRAMMAR_HIT_CONFIDENCE = 0.9
"""PocketSphinx's grammar search gives no usable confidence of its own. A command that beat the garbage
path is taken as this sure: at least ``CONFIRM_BELOW``, so an exercise name heard exactly is not asked
about again."""

URGENT_CONFIDENCE = 0.6
"""Confidence of an urgent word found by PocketSphinx's urgent reading (no question is asked of urgent
words, whatever their confidence)."""

VOSK_SURE = 0.5
"""Vosk's mean word confidence from which its grammar result is taken unchecked (untuned: no English
model here)."""

NEAR_MISS_FROM = 0.68
"""A ``none`` whose best phrase scores at least this came close to a command: worth a "say again"."""

CLEAR_ATTEMPT_FROM = 0.72
"""A ``none`` scoring at least this is clearly a command attempt, worth answering even mid-hold."""

NOT_A_COMMAND_BELOW = 0.78
"""A transcript whose best phrase scores under this is not a command."""

CONFIRM_BELOW = 0.85
"""An exercise name heard with less confidence than this is confirmed first."""
