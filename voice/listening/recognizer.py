"""Speech to text: the contract every engine keeps (Transcript, Recognizer) and what to listen with."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

VOSK = "vosk"
POCKETSPHINX = "pocketsphinx"
ENGINES = (VOSK, POCKETSPHINX)
"""Engine names accepted by --engine."""


@dataclass(frozen=True)
class Transcript:
    """What a recogniser heard in one utterance."""

    text: str
    """Lower-case words, or "" when nothing usable was heard (noise, chatter, silence)."""
    confidence: float
    """0..1: how sure the recogniser is of ``text``."""
    decode_ms: float
    """Processor time the engine spent on this utterance, in milliseconds."""


class Recognizer(Protocol):
    """One engine, restricted to the command grammar, decoding one utterance at a time."""

    @property
    def engine(self) -> str:
        """Engine name (one of ENGINES)."""

    @property
    def model(self) -> str:
        """Which model is in use (a path or a description)."""

    def accept(self, pcm: bytes) -> None:
        """Take the next audio of the utterance: 16 kHz mono 16-bit little-endian PCM."""

    def final(self) -> Transcript:
        """The utterance is over: its final result. The recogniser is then ready for the next one."""

    def reset(self) -> None:
        """Drop the audio and state of the current utterance without a result."""


@dataclass(frozen=True)
class Adaptation:
    """A person's voice profile for PocketSphinx (``stretch-coach enrol``): one of the two is set."""

    mllr: Path | None = None
    """An MLLR transform of the model's means (the decoder's ``mllr`` option)."""
    hmm: Path | None = None
    """A MAP-adapted copy of the model (the decoder's ``hmm`` option)."""


@dataclass(frozen=True)
class ListenSettings:
    """Which engine, model and microphone to listen with."""

    engine: str | None = None
    """``vosk``, ``pocketsphinx``, or None to choose: Vosk when an English model is found."""
    model: Path | None = None
    """Vosk model folder (--model); None to search the usual places."""
    device: str | None = None
    """Input device: part of its name or its number; None for the default."""
    adaptation: Adaptation | None = None
    """The person's voice profile to load (PocketSphinx only), or None for the model as it ships."""
    classifier: bool = True
    """Whether PocketSphinx's reading is fused with the speech-embedding intent classifier's."""
