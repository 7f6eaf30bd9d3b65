#!/usr/bin/env python3
"""Generate labelled spoken development data from many English voices: commands, chatter, noise, silence.

    python scripts/make_dev_audio.py               # into dev_audio/dev (needs scripts/setup.sh --bench)
    python scripts/make_dev_audio.py --extra       # the extended set, into dev_audio/extra

Each voice (espeak-ng voices and variants, flite, festival) speaks one phrasing of every intent,
more of the urgent ones, two names of every exercise and a few chatter sentences, each at its own
tempo (0.85-1.15) and pitch (within 3 semitones). Every command is written clean, with noise at
10 dB, and in one more condition in turn: noise at 20 or 5 dB (white, pink, brown, fan hum or
babble made of other voices), reverberation, far (quiet, reverberant, dull, a little noise), quiet
or loud. Non-commands: chatter, coughs and other noise bursts, breathing, steady noise and
silence. Files come at varied sample rates and channel counts (the recogniser must convert them)
with a ``labels.jsonl`` manifest whose ``voice`` field lets the benchmark leave one voice out;
``f0`` is the median pitch as spoken (Hz) and ``variant`` names a copy's shift.

The extended set (``--extra``) widens the kinds of voice rather than their number of sentences:
every development voice and a few more espeak-ng variants (EXTRA_VOICES), each moved to every
median pitch of PITCH_TARGETS (80-400 Hz: very deep to child) and given shorter and longer vocal
tracts (TRACT_FACTORS), speaking the three urgent intents, one other command, one start and one
chatter sentence, clean and in one other condition. The ``voice`` field stays the voice the copy is
made from, so leaving one voice out leaves out its copies too. Nothing is committed.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from voice.content import Content, load_content
from voice.content.numbers import number_words
from voice.pcm import TARGET_RATE, read_wav, resample
from voice.testing.audio import noise, write_wav
from voice.testing.voices import (
    DEV_VOICES,
    EXTRA_VOICES,
    PITCH_TARGETS,
    TRACT_FACTORS,
    median_pitch,
    missing_packages,
    speak,
)

Audio = npt.NDArray[np.float64]
RATE = TARGET_RATE

VOICES = DEV_VOICES

CHATTER = [
    "what time is it",
    "can you pass me the water",
    "i think it is going to rain today",
    "did you feed the cat this morning",
    "the kids are coming home at four",
    "my phone is ringing somewhere",
    "we need more milk and bread",
    "turn on the kitchen light",
    "i will call my sister later",
    "that was a really good movie",
    "where did i put my keys",
    "the neighbours are very loud tonight",
    "i have a doctor appointment on friday",
    "let me check my email first",
    "it is cold in here",
    "who left the door open",
    "the coffee is ready",
    "i forgot to water the plants",
    "tomorrow is a busy day",
    "can you hear the birds outside",
    "the bus was late again",
    "dinner will be ready soon",
    "i need to buy a birthday present",
    "have you seen my glasses",
    "the dog wants to go out",
    "i like this song",
    "we should paint the bedroom",
    "the game starts at eight",
    "my back feels better than yesterday",
    "i am going to the shop",
    "the train leaves at noon",
    "remind me to call the plumber",
    "what should we cook tonight",
    "the window is stuck",
    "i read a good book last week",
    "she said she would be late",
    "is it sunny outside",
    "the mail has arrived",
    "please close the curtains",
    "the meeting was moved to monday",
    "how was your day at work",
    "the car needs new tyres",
    "i am so tired today",
    "grandma sent us a letter",
    "the oven is still hot",
    "let us watch the news",
    "my knee was sore after the walk",
    "the garden looks lovely",
    "who is at the door",
    "we are out of sugar",
    "i lost my umbrella on the bus",
    "the printer is not working",
    "call me when you get there",
    "the soup needs more salt",
    "i should go to bed early",
    "the baby is finally asleep",
    "where is the remote control",
    "the shops close at six",
    "i got a parking ticket",
    "your tea is getting cold",
    "the wifi is really slow",
    "i cannot find the scissors",
    "it snowed a lot last night",
    "the concert was amazing",
    "do we have any batteries",
    "my brother is moving house",
    "the floor is a bit dusty",
    "the meeting went on forever",
    "let me finish this email",
    "i heard thunder outside",
]
"""Everyday sentences that are not commands."""

FORMATS = [(16000, 1), (22050, 1), (44100, 2), (48000, 1), (16000, 2), (32000, 1)]
"""(rate, channels) the clips are written in, in turn."""
EXTRA_CONDITIONS = ("noise20", "noise5", "reverb", "far", "quiet", "loud")
"""Every command is clean and at 10 dB noise, and in one of these in turn."""
NOISE_SNR = {"noise20": 20.0, "noise10": 10.0, "noise5": 5.0}
NOISE_KINDS = ("white", "pink", "brown", "fan", "babble")
URGENT_EXTRA = ("stop", "pain", "pause")
"""Intents spoken twice per voice: missing them is unsafe, so their recall needs more clips."""
CHATTER_PER_VOICE = 8
NUMBERED = ("stretch", "exercise", "number")
"""Words that number an exercise in commands.toml's numbered_names (only used if phrases hold them)."""


@dataclass(frozen=True)
class Spoken:
    """One sentence to synthesise, with what it means and how it is said."""

    id: str
    """Stable name, used in file names."""
    text: str
    """The words."""
    intent: str
    """Intent it should give (``none`` for chatter)."""
    exercise: str | None
    """Exercise id for ``start``."""
    kind: str
    """``command`` or ``chatter``."""
    voice: str = "espeak-ng:en-us"
    """Synthesiser and voice, as in VOICES."""
    tempo: float = 1.0
    """Speed factor applied after synthesis (sox tempo: pitch kept)."""
    cents: int = 0
    """Pitch shift in cents (sox pitch: tempo kept)."""
    tract: float = 1.0
    """Vocal-tract-length factor (formants scaled, pitch kept)."""
    variant: str = ""
    """Name of the copy's shift ("pitch 330 Hz", "tract 1.15"; "" for the voice as it is)."""
    f0: int = 0
    """Median pitch as spoken (Hz)."""


@dataclass(frozen=True)
class Clip:
    """One labelled file of the manifest."""

    file: str
    """Path relative to the manifest."""
    kind: str
    """``command``, ``chatter``, ``noise`` or ``silence``."""
    condition: str
    """Recording condition (clean, noise20/10/5, reverb, far, quiet, loud, or the noise's name)."""
    intent: str
    """Expected intent (``none`` unless a command)."""
    exercise: str | None
    """Expected exercise id for ``start``."""
    text: str
    """What was said ("" for noises)."""
    voice: str
    """Synthesiser and voice ("" for noises: they belong to no voice)."""
    tempo: float
    """Speed factor (0 for noises)."""
    cents: int
    """Pitch shift in cents (0 for noises)."""
    rate: int
    """Sample rate the file is written at."""
    channels: int
    """Channels the file is written with."""
    noise: str
    """Noise type mixed in, or ""."""
    variant: str = ""
    """Shift of a copy of the voice ("pitch 330 Hz", "tract 1.15"), "" for the voice as it is."""
    f0: int = 0
    """Median pitch of the speech as spoken, Hz (0 for noises)."""


def _exercise_names(content: Content) -> dict[str, list[str]]:
    """Every exercise's names, plus its numbered names ("stretch two") when phrases use them."""
    return {
        exercise.id: [*exercise.names, *(f"{word} {number_words(exercise.order)}" for word in NUMBERED)]
        for exercise in content.exercises
    }


def _start_phrases(content: Content, rng: random.Random, per_exercise: int) -> list[tuple[str, str]]:
    """(text, exercise) pairs using ``per_exercise`` different names of every exercise."""
    chosen = []
    for exercise_id, names in _exercise_names(content).items():
        phrases = [p.text for p in content.spoken_phrases if p.exercise == exercise_id]
        usable = [name for name in names if any(f" {name} " in f" {text} " for text in phrases)]
        for name in rng.sample(usable, min(per_exercise, len(usable))):
            chosen.append((rng.choice([t for t in phrases if f" {name} " in f" {t} "]), exercise_id))
    return chosen


def _command_sentences(content: Content, voice: str, rng: random.Random, per_exercise: int) -> list[Spoken]:
    """One phrasing of every intent (two of the urgent ones) and ``per_exercise`` starts of every exercise."""
    tag = _voice_tag(voice)
    sentences = []
    for intent in sorted({p.intent for p in content.spoken_phrases} - {"start", "none"}):
        texts = sorted({p.text for p in content.spoken_phrases if p.intent == intent})
        picked = rng.sample(texts, min(2 if intent in URGENT_EXTRA else 1, len(texts)))
        sentences += [
            Spoken(f"{tag}-{intent}-{i}", text, intent, None, "command") for i, text in enumerate(picked)
        ]
    for i, (text, exercise) in enumerate(_start_phrases(content, rng, per_exercise)):
        sentences.append(Spoken(f"{tag}-start-{exercise}-{i}", text, "start", exercise, "command"))
    return sentences


def _voice_tag(voice: str) -> str:
    return voice.replace(":", "-").replace("+", "_")


def _spoken_by(
    voice: str, content: Content, rng: random.Random, per_exercise: int, f0: float
) -> list[Spoken]:
    """Everything one voice says, each sentence at its own tempo and pitch (``f0``: the voice's own)."""
    tag = _voice_tag(voice)
    talk = [
        Spoken(f"{tag}-chatter-{i}", text, "none", None, "chatter")
        for i, text in enumerate(rng.sample(CHATTER, CHATTER_PER_VOICE))
    ]
    spoken = []
    for s in _command_sentences(content, voice, rng, per_exercise) + talk:
        tempo, cents = round(rng.uniform(0.85, 1.15), 2), rng.randint(-300, 300)
        spoken.append(replace(s, voice=voice, tempo=tempo, cents=cents, f0=_shifted(f0, cents)))
    return spoken


def _shifted(f0: float, cents: int) -> int:
    return round(f0 * 2 ** (cents / 1200))


EXTRA_INTENTS = ("stop", "pain", "pause")
"""Intents every copy in the extended set says (one other command, a start and chatter besides)."""


def _variants(voice: str, f0: float, rng: random.Random) -> list[tuple[str, int, float]]:
    """(name, cents, tract) of every copy of a voice in the extended set."""
    copies = [("", rng.randint(-100, 100), 1.0)] if voice in EXTRA_VOICES else []
    copies += [
        (f"pitch {t} Hz", round(1200 * np.log2(t / f0)) + rng.randint(-30, 30), 1.0) for t in PITCH_TARGETS
    ]
    copies += [(f"tract {f:g}", rng.randint(-200, 200), f) for f in TRACT_FACTORS]
    return copies


def _extra_spoken_by(voice: str, content: Content, rng: random.Random, f0: float) -> list[Spoken]:
    """What one voice and its copies say in the extended set."""
    spoken = []
    for name, cents, tract in _variants(voice, f0, rng):
        tag = _voice_tag(voice) + ("-" + name.replace(" ", "") if name else "")
        commands = _command_sentences(content, voice, rng, 1)
        chosen = [rng.choice([s for s in commands if s.intent == intent]) for intent in EXTRA_INTENTS]
        chosen.append(rng.choice([s for s in commands if s.intent not in (*EXTRA_INTENTS, "start")]))
        chosen.append(rng.choice([s for s in commands if s.intent == "start"]))
        chosen.append(Spoken(f"{_voice_tag(voice)}-chatter-0", rng.choice(CHATTER), "none", None, "chatter"))
        for s in chosen:
            tempo = round(rng.uniform(0.9, 1.1), 2)
            spoken.append(
                replace(
                    s,
                    id=s.id.replace(_voice_tag(voice), tag, 1),
                    voice=voice,
                    tempo=tempo,
                    cents=cents,
                    tract=tract,
                    variant=name,
                    f0=_shifted(f0, cents),
                )
            )
    return spoken


def natural_pitch(voice: str) -> float:
    """A voice's median pitch (Hz) speaking a fixed sentence."""
    with tempfile.TemporaryDirectory() as tmp:
        return median_pitch(speak(voice, "please stop the exercise now", Path(tmp) / "pitch.raw.wav"))


def synthesise(spoken: Spoken, workdir: Path) -> Audio:
    """Speech as 16 kHz float samples, tempo and pitch applied (exact silence trimmed off the ends)."""
    raw = workdir / f"{spoken.id}.raw.wav"
    return speak(spoken.voice, spoken.text, raw, spoken.tempo, spoken.cents, spoken.tract)


def _pad(samples: Audio, rng: random.Random) -> Audio:
    before, after = rng.uniform(0.25, 0.6), rng.uniform(0.3, 0.7)
    return np.concatenate([np.zeros(int(before * RATE)), samples, np.zeros(int(after * RATE))])


def _coloured(kind: str, count: int, rng: np.random.Generator) -> Audio:
    """``count`` samples of unit-power noise of a colour: white, pink or brown."""
    return noise(count / RATE, 0.0, kind, rng)


def _babble(
    count: int, workdir: Path, rng: np.random.Generator, chatter: Sequence[str], speaker: str
) -> Audio:
    """Four other voices of reversed chatter at once: speech-like, but no words."""
    others = [v for v in VOICES if v.startswith("espeak-ng:") and v != speaker]
    mix = np.zeros(count)
    for i in range(4):
        text = chatter[int(rng.integers(len(chatter)))]
        voice = others[int(rng.integers(len(others)))]
        spoken = Spoken(f"babble{i}-{rng.integers(1 << 30)}", text, "none", None, "chatter", voice)
        speech = synthesise(spoken, workdir)[::-1]
        speech = np.tile(speech, count // len(speech) + 1)[:count]
        mix += np.roll(speech, int(rng.integers(count)))
    unit: Audio = mix / (np.sqrt(np.mean(mix**2)) + 1e-12)
    return unit


def make_noise(
    kind: str, count: int, workdir: Path, rng: np.random.Generator, chatter: Sequence[str], speaker: str = ""
) -> Audio:
    """Unit-power background noise of one of NOISE_KINDS (babble made of voices other than ``speaker``)."""
    if kind == "babble":
        return _babble(count, workdir, rng, chatter, speaker)
    if kind == "fan":
        t = np.arange(count) / RATE
        hum = np.sin(2 * np.pi * 100 * t) + 0.5 * np.sin(2 * np.pi * 200 * t)
        mix = _coloured("brown", count, rng) + 0.5 * _coloured("pink", count, rng) + 0.3 * hum
        unit: Audio = mix / np.sqrt(np.mean(mix**2))
        return unit
    return _coloured(kind, count, rng)


def speech_power(samples: Audio) -> float:
    """Mean power of the active speech frames (within 30 dB of the loudest 20 ms frame)."""
    frames = samples[: len(samples) // 320 * 320].reshape(-1, 320)
    power = np.mean(frames**2, axis=1)
    active = power[power > power.max() * 1e-3]
    return float(np.mean(active)) if len(active) else 0.0


def add_noise(samples: Audio, noise: Audio, snr_db: float) -> Audio:
    """Mix noise so the speech is ``snr_db`` above it."""
    scale = np.sqrt(speech_power(samples) / 10 ** (snr_db / 10))
    mixed: Audio = samples + noise[: len(samples)] * scale
    return mixed


def sox_effect(samples: Audio, effect: list[str], workdir: Path, name: str) -> Audio:
    """Run a sox effect chain over 16 kHz mono samples."""
    source, target = workdir / f"{name}.in.wav", workdir / f"{name}.out.wav"
    write_wav(source, samples)
    subprocess.run(["sox", str(source), str(target), *effect], check=True, capture_output=True)
    out = read_wav(target).astype(np.float64)
    source.unlink()
    target.unlink()
    return out


def _reverb(samples: Audio, workdir: Path, name: str, rng: random.Random, strong: bool) -> Audio:
    reverberance = rng.randint(60, 90) if strong else rng.randint(35, 70)
    room = rng.randint(70, 100) if strong else rng.randint(40, 90)
    tail = np.concatenate([samples, np.zeros(int(0.6 * RATE))])
    return sox_effect(tail, ["reverb", str(reverberance), "50", str(room)], workdir, name)


def at_level(samples: Audio, peak_db: float) -> Audio:
    """Scale so the peak is at ``peak_db`` dB full scale."""
    peak = np.max(np.abs(samples)) + 1e-12
    scaled: Audio = samples * 10 ** (peak_db / 20) / peak
    return scaled


def apply_condition(
    samples: Audio,
    condition: str,
    noise: str,
    workdir: Path,
    name: str,
    rng: random.Random,
    chatter: Sequence[str],
    speaker: str = "",
) -> Audio:
    """One recording condition applied to padded speech at a normal level."""
    nrng = np.random.default_rng(rng.randrange(1 << 30))
    floor = make_noise("pink", len(samples) + RATE, workdir, nrng, chatter)
    if condition == "clean":
        return samples
    if condition in NOISE_SNR:
        background = make_noise(noise, len(samples), workdir, nrng, chatter, speaker)
        return add_noise(samples, background, NOISE_SNR[condition])
    if condition == "loud":  # close to the microphone: the loudest peaks clip
        loud: Audio = np.clip(at_level(samples, rng.uniform(1.0, 4.0)), -0.98, 0.98)
        return loud
    if condition == "reverb":
        return _reverb(samples, workdir, name, rng, strong=False)
    if condition == "quiet":
        quiet = at_level(samples, rng.uniform(-38, -32))
        return add_noise(quiet, floor, 30.0)
    if condition == "far":
        far = _reverb(samples, workdir, name, rng, strong=True)
        far = sox_effect(far, ["lowpass", "3500", "highpass", "150"], workdir, name)
        return add_noise(at_level(far, rng.uniform(-30, -24)), floor, 18.0)
    raise ValueError(condition)


def _write_at(path: Path, samples: Audio, rate: int, channels: int) -> None:
    """Write 16 kHz float samples as 16-bit PCM at another rate and channel count."""
    write_wav(path, samples if rate == RATE else resample(samples, RATE, rate), rate, channels)


def _fit(samples: Audio) -> Audio:
    """Keep clear of clipping (noise and reverb can push peaks up)."""
    peak = np.max(np.abs(samples))
    return samples * (0.9 / peak) if peak > 0.9 else samples


def _render_spoken(job: tuple[Spoken, tuple[str, ...], Path, int, Sequence[str]]) -> list[Clip]:
    spoken, conditions, out, seed, chatter = job
    rng = random.Random(seed)
    clips = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        speech = at_level(_pad(synthesise(spoken, workdir), rng), rng.uniform(-9, -3))
        for index, condition in enumerate(conditions):
            noise = NOISE_KINDS[(seed + index) % len(NOISE_KINDS)] if condition in NOISE_SNR else ""
            samples = apply_condition(
                speech, condition, noise, workdir, spoken.id, rng, chatter, spoken.voice
            )
            rate, channels = FORMATS[(seed + index) % len(FORMATS)]
            relative = f"{spoken.kind}/{condition}/{spoken.id}.wav"
            _write_at(out / relative, _fit(samples), rate, channels)
            clips.append(
                Clip(
                    relative,
                    spoken.kind,
                    condition,
                    spoken.intent,
                    spoken.exercise,
                    spoken.text,
                    spoken.voice,
                    spoken.tempo,
                    spoken.cents,
                    rate,
                    channels,
                    noise,
                    spoken.variant,
                    spoken.f0,
                )
            )
    return clips


def _envelope(count: int, attack: float, decay: float) -> Audio:
    t = np.arange(count) / RATE
    return np.minimum(1.0, t / attack) * np.exp(-np.maximum(0.0, t - attack) / decay)


def cough(rng: np.random.Generator, count: int = 1) -> Audio:
    """A synthetic cough: a sharp burst of band-limited noise with a short voiced tail, ``count`` times."""
    parts = []
    for _ in range(count):
        length = int(RATE * rng.uniform(0.25, 0.4))
        burst = _coloured("pink", length, rng) * _envelope(length, 0.01, rng.uniform(0.05, 0.09))
        t = np.arange(length) / RATE
        f0 = rng.uniform(100, 220)
        voiced = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 8)) * _envelope(length, 0.03, 0.08)
        parts += [burst + 0.3 * voiced, np.zeros(int(RATE * rng.uniform(0.1, 0.25)))]
    return np.concatenate(parts)


def breathing(rng: np.random.Generator) -> Audio:
    """Two slow, soft breaths: band-passed noise swelling and fading."""
    parts = []
    for _ in range(2):
        length = int(RATE * rng.uniform(0.9, 1.3))
        swell = np.sin(np.linspace(0, np.pi, length)) ** 2
        parts += [_coloured("pink", length, rng) * swell * 0.05, np.zeros(int(RATE * 0.4))]
    return np.concatenate(parts)


def clap(rng: np.random.Generator) -> Audio:
    """Three hand claps or knocks: very short bright bursts."""
    parts = []
    for _ in range(3):
        length = int(RATE * 0.06)
        parts += [
            _coloured("white", length, rng) * _envelope(length, 0.001, 0.012),
            np.zeros(int(RATE * 0.3)),
        ]
    return np.concatenate(parts)


def beep(rng: np.random.Generator) -> Audio:
    """A kitchen timer: three short tones."""
    t = np.arange(int(RATE * 0.15)) / RATE
    tone = np.sin(2 * np.pi * rng.uniform(800, 2500) * t) * 0.5
    gap = np.zeros(int(RATE * 0.15))
    return np.concatenate([tone, gap, tone, gap, tone])


def _render_noises(out: Path, seed: int, chatter: Sequence[str]) -> list[Clip]:
    rng = np.random.default_rng(seed)
    pyrng = random.Random(seed)
    clips = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        events: dict[str, Callable[[], Audio]] = {
            "cough": lambda: cough(rng, 1),
            "cough2": lambda: cough(rng, 2),
            "cough3": lambda: cough(rng, 3),
            "breathing": lambda: breathing(rng),
            "clap": lambda: clap(rng),
            "beep": lambda: beep(rng),
            "fan": lambda: make_noise("fan", 2 * RATE, workdir, rng, chatter) * 0.05,
            "brown": lambda: make_noise("brown", 2 * RATE, workdir, rng, chatter) * 0.1,
            "babble": lambda: make_noise("babble", 3 * RATE, workdir, rng, chatter) * 0.1,
        }
        for name, make in events.items():
            for take in range(2):
                samples = _pad(make(), pyrng)
                if name.startswith(("cough", "clap")):
                    samples = at_level(samples, pyrng.uniform(-12, -3))
                samples = samples + make_noise("pink", len(samples), workdir, rng, chatter) * 10 ** (-62 / 20)
                rate, channels = FORMATS[take % len(FORMATS)]
                relative = f"noise/{name}-{take}.wav"
                _write_at(out / relative, _fit(samples), rate, channels)
                clips.append(Clip(relative, "noise", name, "none", None, "", "", 0, 0, rate, channels, name))
        clips += _render_silence(out, rng)
    return clips


def _render_silence(out: Path, rng: np.random.Generator) -> list[Clip]:
    clips = []
    for name, samples in {
        "digital": np.zeros(int(1.5 * RATE)),
        "room": _coloured("pink", int(2 * RATE), rng) * 10 ** (-60 / 20),
        "hiss": _coloured("white", int(2 * RATE), rng) * 10 ** (-50 / 20),
    }.items():
        relative = f"silence/{name}.wav"
        _write_at(out / relative, samples, RATE, 1)
        clips.append(Clip(relative, "silence", name, "none", None, "", "", 0, 0, RATE, 1, ""))
    return clips


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, help="output folder (default: dev_audio/dev)")
    parser.add_argument("--seed", type=int, default=1, help="random seed")
    parser.add_argument("--voices", help="comma-separated subset of the voices (default: all)")
    parser.add_argument("--per-exercise", type=int, default=2, help="names spoken per exercise and voice")
    parser.add_argument("--jobs", type=int, default=2, help="parallel workers")
    parser.add_argument(
        "--extra", action="store_true", help="the extended set: pitch and vocal-tract copies, more voices"
    )
    return parser.parse_args(argv)


def _conditions(spoken: Spoken, index: int, extra: bool = False) -> tuple[str, ...]:
    """Commands: clean, 10 dB noise and one more in turn; chatter: clean and one other in turn (in
    the extended set commands too)."""
    if spoken.kind == "command" and not extra:
        return ("clean", "noise10", EXTRA_CONDITIONS[index % len(EXTRA_CONDITIONS)])
    others = ("noise10", *EXTRA_CONDITIONS)
    return ("clean", others[index % len(others)])


def main(argv: Sequence[str] | None = None) -> int:
    """Generate the set and its manifest; returns the exit status."""
    args = parse_args(argv)
    known = (*VOICES, *EXTRA_VOICES) if args.extra else VOICES
    voices = tuple(args.voices.split(",")) if args.voices else known
    unknown = [v for v in voices if v not in known]
    if unknown:
        print(f"make_dev_audio: unknown voice {unknown[0]}; choose from {', '.join(known)}", file=sys.stderr)
        return 1
    missing = missing_packages(voices)
    if missing:
        print(f"make_dev_audio: needs {' '.join(missing)} (scripts/setup.sh --bench)", file=sys.stderr)
        return 1
    out = args.out or Path(__file__).resolve().parent.parent / "dev_audio" / (
        "extra" if args.extra else "dev"
    )
    rng = random.Random(args.seed)
    content = load_content()
    pitches = {voice: natural_pitch(voice) for voice in voices}
    if args.extra:
        spoken = [s for voice in voices for s in _extra_spoken_by(voice, content, rng, pitches[voice])]
    else:
        spoken = [s for v in voices for s in _spoken_by(v, content, rng, args.per_exercise, pitches[v])]
    jobs = [
        (s, _conditions(s, i, args.extra), out, args.seed * 10007 + i, CHATTER) for i, s in enumerate(spoken)
    ]
    for folder in {f"{s.kind}/{c}" for s, conditions, *_ in jobs for c in conditions} | {"noise", "silence"}:
        (out / folder).mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        clips = [clip for batch in pool.map(_render_spoken, jobs, chunksize=8) for clip in batch]
    clips += _render_noises(out, args.seed, CHATTER)
    with (out / "labels.jsonl").open("w", encoding="utf-8") as manifest:
        for clip in clips:
            manifest.write(json.dumps(asdict(clip)) + "\n")
    counts = {
        kind: sum(clip.kind == kind for clip in clips) for kind in ("command", "chatter", "noise", "silence")
    }
    print(f"{len(clips)} clips in {out} ({', '.join(f'{n} {kind}' for kind, n in counts.items())})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
