"""Is a recording of a sentence fit to learn a voice from? Level, clipping, length, and what was heard."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from voice.enrolment.adapt import words_of
from voice.enrolment.reader import SentenceReader, matched_words
from voice.pcm import TARGET_RATE

FRAME = TARGET_RATE // 100
"""10 ms frames for levels."""


@dataclass(frozen=True)
class CheckSettings:
    """Limits of a usable recording, set on synthetic and recorded speech."""

    quietest_peak_db: float = -40.0
    """A recording whose loudest 10 ms is below this (dB full scale) is silence or far too quiet."""
    clipped_share: float = 0.002
    """More of the samples than this at full scale: the microphone was overdriven."""
    voiced_above_db: float = 25.0
    """Frames this far below the loudest are not speech."""
    shortest_speech: float = 0.8
    """Seconds of speech the shortest sentence takes at least."""
    longest_recording: float = 30.0
    """Seconds: longer recordings are not one sentence."""
    heard_share: float = 0.2
    """Least share of the sentence's words heard in order: music and French 0, German 0.13; a voice the
    model hears badly (espeak-ng en-029) 0 to 0.38 on its right sentences, so some of those are refused."""


def _frame_db(samples: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    frames = samples[: len(samples) // FRAME * FRAME].reshape(-1, FRAME)
    power = np.mean(frames**2, axis=1)
    levels: npt.NDArray[np.float64] = 10 * np.log10(np.maximum(power, 1e-12))
    return levels


def sound_problem(pcm: bytes, settings: CheckSettings) -> str | None:
    """What is wrong with the recording's sound (one phrase), or None."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64) / 32768.0
    if len(samples) < FRAME:
        return "empty recording"
    if len(samples) > settings.longest_recording * TARGET_RATE:
        return f"longer than {settings.longest_recording:.0f} s: record one sentence per file"
    if np.mean(np.abs(samples) >= 32767 / 32768) > settings.clipped_share:
        return "clipped (too loud for the microphone): record it again a little further away"
    levels = _frame_db(samples)
    if float(levels.max()) < settings.quietest_peak_db:
        return "silent or far too quiet"
    voiced = np.count_nonzero(levels > levels.max() - settings.voiced_above_db) / 100
    if voiced < settings.shortest_speech:
        return "too short for the sentence"
    return None


def recording_problem(pcm: bytes, text: str, reader: SentenceReader, settings: CheckSettings) -> str | None:
    """What makes this recording of ``text`` unusable (one phrase), or None."""
    problem = sound_problem(pcm, settings)
    if problem is not None:
        return problem
    said = words_of(text)
    heard = reader.heard(pcm)
    if matched_words(heard, said) < settings.heard_share * len(said):
        return "does not sound like the sentence (another sentence, language, or music?)"
    return None
