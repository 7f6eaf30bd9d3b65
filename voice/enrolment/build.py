"""Build a voice profile from a folder of read sentences (ID.wav): check, hold back, adapt, judge, store."""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from voice.enrolment.adapt import MLLR, Reading, adapt, words_of
from voice.enrolment.checks import CheckSettings, recording_problem
from voice.enrolment.prompts import Prompt, load_prompts
from voice.enrolment.reader import SentenceReader, word_errors
from voice.enrolment.store import (
    PROFILE_VERSION,
    ProfileInfo,
    load_adaptation,
    profile_size,
    recordings_folder,
    save_profile,
    save_recording,
)
from voice.enrolment.tools import find_tools
from voice.errors import AudioFileError, CoachError
from voice.listening.engines.asr_data import load_asr_data
from voice.listening.recognizer import Adaptation
from voice.pcm import read_wav_pcm16k

log = logging.getLogger(__name__)

FEWEST_USABLE = 10
"""Fewest usable recordings a profile is built from (10 sentences gave nearly all of the gain)."""
HOLD_BACK_EVERY = 5
"""Every fifth usable recording (20 %) is held back to judge the profile built from the others."""


class EnrolmentError(CoachError):
    """Enrolment cannot go on (too few usable recordings, nothing to read)."""


@dataclass(frozen=True)
class BuildSettings:
    """How a profile is built."""

    method: str = MLLR
    """``mllr`` (shipped: see docs/recognition.md) or ``map``."""
    force: bool = False
    """Switch the profile on even if the held-back recordings came out worse (benchmarks only)."""
    checks: CheckSettings = field(default_factory=CheckSettings)
    """Limits of a usable recording."""
    content_dir: Path | None = None
    """Content folder with enrolment.toml and asr.toml; None for the built-in one."""


@dataclass(frozen=True)
class Built:
    """The outcome of a build."""

    adaptation: Adaptation | None
    """The profile as the decoder takes it, None when it was not switched on."""
    improves: bool
    """Whether the held-back recordings came out no worse with it."""
    held_back_before: float
    """Word error rate on the held-back recordings without a profile."""
    held_back_after: float
    """The same with the profile built from the other recordings."""
    usable: int
    """How many recordings were used."""
    size_bytes: int
    """Size of the adaptation (without the kept recordings)."""


def new_reader(
    prompts: Sequence[Prompt], content_dir: Path | None, adaptation: Adaptation | None = None
) -> SentenceReader:
    """A reader that hears the enrolment sentences' words and everyday words."""
    return SentenceReader([p.text for p in prompts], load_asr_data(content_dir).garbage_words, adaptation)


def gather(
    source: Path,
    prompts: Sequence[Prompt],
    reader: SentenceReader,
    checks: CheckSettings,
    report: Callable[[str], None],
) -> list[Reading]:
    """The usable recordings of ``source``/ID.wav; one line to ``report`` per missing or refused file."""
    usable = []
    for prompt in prompts:
        path = source / f"{prompt.sentence_id}.wav"
        if not path.exists():
            report(f"{path}: missing")
            continue
        try:
            pcm = read_wav_pcm16k(path)
        except AudioFileError as error:
            report(str(error) if str(path) in str(error) else f"{path}: {error}")
            continue
        problem = recording_problem(pcm, prompt.text, reader, checks)
        if problem is not None:
            report(f"{path}: refused: {problem}")
            continue
        usable.append(Reading(prompt.sentence_id, prompt.text, pcm))
    return usable


def error_rate(reader: SentenceReader, readings: Sequence[Reading]) -> float:
    """Word errors per word said over the readings."""
    errors = sum(word_errors(reader.heard(r.pcm), words_of(r.text)) for r in readings)
    return errors / max(1, sum(len(words_of(r.text)) for r in readings))


def build_profile(
    source: Path,
    folder: Path,
    settings: BuildSettings | None = None,
    report: Callable[[str], None] = log.warning,
) -> Built:
    """Build and store the profile from ``source``/ID.wav into ``folder`` (EnrolmentError: too few usable)."""
    settings = settings or BuildSettings()
    tools = find_tools()
    prompts = load_prompts(settings.content_dir)
    pronunciations = load_asr_data(settings.content_dir).pronunciations
    plain = new_reader(prompts, settings.content_dir)
    readings = gather(source, prompts, plain, settings.checks, report)
    if len(readings) < FEWEST_USABLE:
        raise EnrolmentError(
            f"only {len(readings)} usable recordings of {len(prompts)}; at least {FEWEST_USABLE} are needed"
        )
    held = readings[HOLD_BACK_EVERY - 1 :: HOLD_BACK_EVERY]
    kept = [r for r in readings if r not in held]
    with tempfile.TemporaryDirectory(prefix="stretch-coach-enrol-") as work:
        trial = adapt(
            tools, kept, settings.method, Path(work) / "trial", Path(work) / "trial-out", pronunciations
        )
        before = error_rate(plain, held)
        after = error_rate(new_reader(prompts, settings.content_dir, _as_adaptation(trial)), held)
        improves = after <= before
        log.info("held-back recordings: word errors %.2f without the profile, %.2f with it", before, after)
        final = trial
        if improves or settings.force:
            final = adapt(
                tools, readings, settings.method, Path(work) / "all", Path(work) / "all-out", pronunciations
            )
        _keep_recordings(source, folder, readings)
        info = ProfileInfo(
            PROFILE_VERSION,
            settings.method,
            improves or settings.force,
            {r.sentence_id: r.text for r in readings},
            round(before, 4),
            round(after, 4),
        )
        save_profile(folder, info, final)
    return Built(load_adaptation(folder), improves, before, after, len(readings), profile_size(folder))


def _as_adaptation(path: Path) -> Adaptation:
    return Adaptation(hmm=path) if path.is_dir() else Adaptation(mllr=path)


def _keep_recordings(source: Path, folder: Path, readings: Sequence[Reading]) -> None:
    """The used recordings, kept in the profile (those of an earlier enrolment go)."""
    target = recordings_folder(folder)
    if source.resolve() == target.resolve():
        return
    if target.exists():
        shutil.rmtree(target)
    for reading in readings:
        save_recording(folder, reading.sentence_id, reading.pcm)
