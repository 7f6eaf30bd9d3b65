"""The content under ``content/``: exercises, command phrases and coach lines, loaded and checked once."""

from voice.content.compiler import load_content
from voice.content.model import (
    INTENTS,
    URGENT_INTENTS,
    Content,
    Exercise,
    IntentName,
    PainWords,
    Phrase,
    Step,
    StepKind,
    UrgentWords,
    default_content_dir,
)

__all__ = [
    "INTENTS",
    "URGENT_INTENTS",
    "Content",
    "Exercise",
    "IntentName",
    "PainWords",
    "Phrase",
    "Step",
    "StepKind",
    "UrgentWords",
    "default_content_dir",
    "load_content",
]
