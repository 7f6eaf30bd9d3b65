"""The choice of speech recognition engine; each engine is loaded only when chosen."""

from __future__ import annotations

from pathlib import Path

from voice.content import Content
from voice.errors import ModelError
from voice.listening.engines.asr_data import AsrData, load_asr_data
from voice.listening.recognizer import ENGINES, POCKETSPHINX, VOSK, ListenSettings, Recognizer

ALIASES = {"sphinx": POCKETSPHINX}
"""Other spellings of engine names."""


def engine_name(name: str) -> str:
    """The canonical engine name for what was typed, or a ModelError listing the choices."""
    canonical = ALIASES.get(name.lower(), name.lower())
    if canonical not in ENGINES:
        raise ModelError(f"unknown engine '{name}'; choose one of: {', '.join(ENGINES)}")
    return canonical


def choose_engine(settings: ListenSettings) -> tuple[str, Path | None]:
    """(engine, Vosk model folder or None) for these settings."""
    from voice.listening.models import find_model

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
    from voice.listening.engines.grammar_check import check_near_urgent

    engine, model = choose_engine(settings)
    asr = asr if asr is not None else load_asr_data(content.folder)
    check_near_urgent(content, asr)
    if engine == VOSK:
        from voice.listening.engines.vosk_engine import VoskRecognizer

        assert model is not None
        return VoskRecognizer.for_content(content, asr, model)
    from voice.listening.engines.sphinx_engine import SphinxRecognizer

    sphinx = SphinxRecognizer.for_content(content, asr, adaptation=settings.adaptation)
    if not settings.classifier:
        return sphinx
    from voice.listening.fusion import with_classifier

    return with_classifier(sphinx, content)


def describe(recognizer: Recognizer) -> str:
    """The startup line naming the engine and model in use."""
    return f"listening with {recognizer.engine} ({recognizer.model})"
