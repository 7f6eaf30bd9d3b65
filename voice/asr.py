"""Speech to text: the Transcript and Recognizer contract, recogniser data, and the choice of engine."""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from voice.content import Content, default_content_dir
from voice.errors import ContentError, ModelError

log = logging.getLogger(__name__)

VOSK = "vosk"
POCKETSPHINX = "pocketsphinx"
ENGINES = (VOSK, POCKETSPHINX)
"""Engine names accepted by --engine."""
ALIASES = {"sphinx": POCKETSPHINX}
"""Other spellings of engine names."""


@dataclass(frozen=True)
class Transcript:
    """What a recogniser heard in one utterance."""

    text: str
    """Lower-case words, or "" when nothing usable was heard (noise, chatter, silence)."""
    confidence: float
    """0..1: how sure the recogniser is of ``text``."""
    decode_ms: float
    """Processor time the engine spent on this utterance, in milliseconds."""
    barge_in: str = ""
    """When ``text`` is "": words of a second reading that lets more leftover sound follow a short
    command (the coach's echo under a "stop"), to be trusted for urgent words only; else "".
    Non-empty also says the speech was near a command (one fits once everyday words cost more)."""
    rejected: str = ""
    """When ``text`` is "": the everyday words the recogniser took the speech for (speech was heard,
    no command matched); "" for silence, noise, or when ``text`` holds a command."""


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
class AsrData:
    """How command words sound, for the engines (content/asr.toml)."""

    pronunciations: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """PocketSphinx phone strings (ARPAbet) for words its dictionary lacks, most usual first."""
    garbage_words: tuple[str, ...] = ()
    """Everyday words of PocketSphinx's out-of-grammar path (command words are removed from it)."""
    sound_alikes: dict[str, str] = field(default_factory=dict)
    """Vosk spellings to use for words a model's vocabulary lacks."""
    spotting_margins: dict[str, int] = field(default_factory=dict)
    """Least keyword-spotting margin at which PocketSphinx accepts each urgent word (chosen from data)."""


def _table(path: Path, data: dict[str, Any], *keys: str) -> dict[str, Any]:
    for key in keys:
        data = data.get(key, {})
        if not isinstance(data, dict):
            raise ContentError(f"{path}: '{'.'.join(keys)}' must be a table")
    return data


def _strings(path: Path, where: str, value: Any) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(i, str) and i.strip() for i in items):
        raise ContentError(f"{path}: {where} must be a non-empty string or list of strings")
    return tuple(" ".join(item.split()) for item in items)


def load_asr_data(folder: Path | None = None) -> AsrData:
    """Read content/asr.toml (pronunciations, garbage words, sound-alikes)."""
    path = (folder or default_content_dir()) / "asr.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ContentError(f"{path}: file is missing") from None
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ContentError(f"{path}: cannot be read: {error}") from None
    pronunciations = {
        word.lower(): tuple(p.upper() for p in _strings(path, f"pronunciation of '{word}'", phones))
        for word, phones in _table(path, data, "pocketsphinx", "pronunciations").items()
    }
    garbage = _table(path, data, "pocketsphinx", "garbage").get("words", [])
    sound_alikes = {
        word.lower(): _strings(path, f"sound-alike of '{word}'", spelling)[0].lower()
        for word, spelling in _table(path, data, "vosk", "sound_alikes").items()
    }
    margins = _table(path, data, "pocketsphinx", "spotting_margins")
    bad = [word for word, margin in margins.items() if type(margin) is not int]
    if bad:
        raise ContentError(f"{path}: spotting margin of '{bad[0]}' must be a whole number")
    return AsrData(
        pronunciations,
        _strings(path, "garbage words", garbage) if garbage else (),
        sound_alikes,
        {word.lower(): margin for word, margin in margins.items()},
    )


@dataclass(frozen=True)
class ListenSettings:
    """Which engine, model and microphone to listen with."""

    engine: str | None = None
    """``vosk``, ``pocketsphinx``, or None to choose: Vosk when an English model is found."""
    model: Path | None = None
    """Vosk model folder (--model); None to search the usual places."""
    device: str | None = None
    """Input device: part of its name or its number; None for the default."""


def engine_name(name: str) -> str:
    """The canonical engine name for what was typed, or a ModelError listing the choices."""
    canonical = ALIASES.get(name.lower(), name.lower())
    if canonical not in ENGINES:
        raise ModelError(f"unknown engine '{name}'; choose one of: {', '.join(ENGINES)}")
    return canonical


def choose_engine(settings: ListenSettings) -> tuple[str, Path | None]:
    """(engine, Vosk model folder or None) for these settings."""
    from voice.models import find_model

    wanted = engine_name(settings.engine) if settings.engine else None
    if wanted == POCKETSPHINX:
        return POCKETSPHINX, None
    model = find_model(settings.model)
    if model is not None:
        return VOSK, model
    if wanted == VOSK:
        raise ModelError(
            "no English Vosk model found; get one with 'stretch-coach model download' or use --model"
        )
    return POCKETSPHINX, None


def open_recognizer(content: Content, settings: ListenSettings, asr: AsrData | None = None) -> Recognizer:
    """Load the chosen engine with the command grammar compiled from ``content``."""
    engine, model = choose_engine(settings)
    asr = asr if asr is not None else load_asr_data()
    if engine == VOSK:
        from voice.engines.vosk_engine import VoskRecognizer

        assert model is not None
        return VoskRecognizer.for_content(content, asr, model)
    from voice.engines.sphinx_engine import SphinxRecognizer

    return SphinxRecognizer.for_content(content, asr)


def describe(recognizer: Recognizer) -> str:
    """The startup line naming the engine and model in use."""
    return f"listening with {recognizer.engine} ({recognizer.model})"
