#!/usr/bin/env python3
"""Generate labelled spoken test data with espeak-ng: commands, chatter, noises and silence.

    python scripts/make_dev_audio.py                       # dev set into dev_audio/dev
    python scripts/make_dev_audio.py --set heldout         # other voices, sentences and rooms

Every intent and every exercise (by several of its names) is spoken by varied voices, speeds
and pitches, then put through conditions: clean, noise at 10 dB and 5 dB SNR (white, pink,
brown, fan hum or babble), reverberation (sox reverb), quiet, and far (quiet, reverberant,
dull, a little noise). Non-commands: everyday chatter, coughs and other noise bursts,
breathing, steady noise and silence. Files are written at varied sample rates and channel
counts (the recogniser must convert them) with a ``labels.jsonl`` manifest; nothing is committed.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import wave
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from voice.content import Content, load_content
from voice.numbers import number_words
from voice.pcm import TARGET_RATE, read_wav, resample

Audio = npt.NDArray[np.float64]
RATE = TARGET_RATE

VOICES = {
    "dev": ["en-us", "en-gb", "en-us+f3", "en-gb+m3", "en-us+m3", "en-gb+f2", "en-us+f4", "en-gb-x-rp"],
    "heldout": [
        "en-gb-scotland",
        "en-029",
        "en-us-nyc",
        "en-us+klatt",
        "en+m7",
        "en-gb-x-rp+f5",
        "en-us+Annie",
        "en-gb-x-gbclan+m2",
    ],
}
"""espeak-ng voices per set; the held-out set shares none with the dev set."""

CHATTER = {
    "dev": [
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
    ],
    "heldout": [
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
    ],
}
"""Everyday sentences that are not commands (at least 30 per set, none shared)."""

SPEEDS = {"dev": [130, 150, 170, 185], "heldout": [120, 145, 165, 195]}
PITCHES = {"dev": [35, 50, 65], "heldout": [25, 45, 75]}
FORMATS = [(16000, 1), (22050, 1), (44100, 2), (48000, 1), (16000, 2), (32000, 1)]
"""(rate, channels) the clips are written in, in turn."""
COMMAND_CONDITIONS = ("clean", "noise10", "noise5", "reverb", "quiet", "far")
CHATTER_CONDITIONS = ("clean", "noise10", "reverb")
NOISE_KINDS = ("white", "pink", "brown", "fan", "babble")
NUMBERED = ("stretch", "exercise", "number")
"""Words that number an exercise in commands.toml's numbered_names (only used if phrases hold them)."""


@dataclass(frozen=True)
class Spoken:
    """One sentence to synthesise, with what it means."""

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
    voice: str = ""
    """espeak-ng voice."""
    speed: int = 150
    """espeak-ng words per minute."""
    pitch: int = 50
    """espeak-ng pitch (0-99)."""


@dataclass(frozen=True)
class Clip:
    """One labelled file of the manifest."""

    file: str
    """Path relative to the manifest."""
    kind: str
    """``command``, ``chatter``, ``noise`` or ``silence``."""
    condition: str
    """Recording condition (clean, noise10, noise5, reverb, quiet, far, or the noise's name)."""
    intent: str
    """Expected intent (``none`` unless a command)."""
    exercise: str | None
    """Expected exercise id for ``start``."""
    text: str
    """What was said ("" for noises)."""
    voice: str
    """espeak-ng voice ("" for noises)."""
    speed: int
    """Words per minute (0 for noises)."""
    pitch: int
    """Pitch (0 for noises)."""
    rate: int
    """Sample rate the file is written at."""
    channels: int
    """Channels the file is written with."""
    noise: str
    """Noise type mixed in, or ""."""


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
        phrases = [p.text for p in content.phrases if p.exercise == exercise_id]
        for name in rng.sample(names, min(per_exercise, len(names))):
            using = [text for text in phrases if f" {name} " in f" {text} "]
            if using:
                chosen.append((rng.choice(using), exercise_id))
    return chosen


def _command_sentences(
    content: Content, rng: random.Random, per_intent: int, per_exercise: int
) -> list[Spoken]:
    sentences = []
    for intent in sorted({p.intent for p in content.phrases} - {"start", "none"}):
        texts = sorted({p.text for p in content.phrases if p.intent == intent}, key=len)
        picked = [texts[0], *rng.sample(texts[1:], min(per_intent - 1, len(texts) - 1))]
        sentences += [Spoken(f"{intent}-{i}", text, intent, None, "command") for i, text in enumerate(picked)]
    for i, (text, exercise) in enumerate(_start_phrases(content, rng, per_exercise)):
        sentences.append(Spoken(f"start-{exercise}-{i}", text, "start", exercise, "command"))
    return sentences


def _assign_voices(sentences: list[Spoken], which: str, rng: random.Random) -> list[Spoken]:
    voices = VOICES[which]
    return [
        replace(
            s,
            voice=voices[i % len(voices)],
            speed=rng.choice(SPEEDS[which]),
            pitch=rng.choice(PITCHES[which]),
        )
        for i, s in enumerate(sentences)
    ]


def synthesise(spoken: Spoken, workdir: Path) -> Audio:
    """espeak-ng speech as 16 kHz float samples (exact digital silence trimmed off the ends)."""
    raw = workdir / f"{spoken.id}.raw.wav"
    subprocess.run(
        [
            "espeak-ng",
            "-v",
            spoken.voice,
            "-s",
            str(spoken.speed),
            "-p",
            str(spoken.pitch),
            "-w",
            str(raw),
            spoken.text,
        ],
        check=True,
        capture_output=True,
    )
    samples = read_wav(raw).astype(np.float64)
    raw.unlink()
    loud = np.flatnonzero(np.abs(samples) > 1e-4)
    return samples[loud[0] : loud[-1] + 1] if len(loud) else samples


def _pad(samples: Audio, rng: random.Random) -> Audio:
    before, after = rng.uniform(0.25, 0.6), rng.uniform(0.3, 0.7)
    return np.concatenate([np.zeros(int(before * RATE)), samples, np.zeros(int(after * RATE))])


def _coloured(kind: str, count: int, rng: np.random.Generator) -> Audio:
    """Unit-power noise of a colour: white, pink (1/f) or brown (1/f^2), via the spectrum."""
    spectrum = np.fft.rfft(rng.normal(size=count))
    freqs = np.maximum(np.fft.rfftfreq(count, 1 / RATE), 20.0)
    spectrum *= {"white": 1.0, "pink": freqs**-0.5, "brown": 1 / freqs}[kind]
    noise: Audio = np.fft.irfft(spectrum, count)
    unit: Audio = noise / (np.sqrt(np.mean(noise**2)) + 1e-12)
    return unit


def _babble(count: int, workdir: Path, rng: np.random.Generator, chatter: Sequence[str]) -> Audio:
    """Several voices of reversed chatter at once: speech-like, but no words."""
    mix = np.zeros(count)
    for i in range(4):
        text = chatter[int(rng.integers(len(chatter)))]
        spoken = Spoken(
            f"babble{i}-{rng.integers(1 << 30)}", text, "none", None, "chatter", "en-us", 170, 40 + 10 * i
        )
        speech = synthesise(spoken, workdir)[::-1]
        speech = np.tile(speech, count // len(speech) + 1)[:count]
        mix += np.roll(speech, int(rng.integers(count)))
    unit: Audio = mix / (np.sqrt(np.mean(mix**2)) + 1e-12)
    return unit


def make_noise(
    kind: str, count: int, workdir: Path, rng: np.random.Generator, chatter: Sequence[str]
) -> Audio:
    """Unit-power background noise of one of NOISE_KINDS."""
    if kind == "babble":
        return _babble(count, workdir, rng, chatter)
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
    write_wav(source, samples, RATE, 1)
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
) -> Audio:
    """One recording condition applied to padded speech at a normal level."""
    nrng = np.random.default_rng(rng.randrange(1 << 30))
    floor = make_noise("pink", len(samples) + RATE, workdir, nrng, chatter)
    if condition == "clean":
        return samples
    if condition in ("noise10", "noise5"):
        background = make_noise(noise, len(samples), workdir, nrng, chatter)
        return add_noise(samples, background, 10.0 if condition == "noise10" else 5.0)
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


def write_wav(path: Path, samples: Audio, rate: int, channels: int) -> None:
    """Write float samples (16 kHz) as 16-bit PCM at another rate and channel count."""
    if rate != RATE:
        samples = resample(samples.astype(np.float32), RATE, rate).astype(np.float64)
    pcm = np.clip(np.rint(samples * 32767), -32768, 32767).astype("<i2")
    if channels > 1:
        pcm = np.repeat(pcm[:, None], channels, axis=1).reshape(-1)
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(channels)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(pcm.tobytes())


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
            noise = NOISE_KINDS[(seed + index) % len(NOISE_KINDS)] if condition.startswith("noise") else ""
            samples = _fit(apply_condition(speech, condition, noise, workdir, spoken.id, rng, chatter))
            rate, channels = FORMATS[(seed + index) % len(FORMATS)]
            relative = f"{spoken.kind}/{condition}/{spoken.id}.wav"
            write_wav(out / relative, samples, rate, channels)
            clips.append(
                Clip(
                    relative,
                    spoken.kind,
                    condition,
                    spoken.intent,
                    spoken.exercise,
                    spoken.text,
                    spoken.voice,
                    spoken.speed,
                    spoken.pitch,
                    rate,
                    channels,
                    noise,
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
                write_wav(out / relative, _fit(samples), rate, channels)
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
        write_wav(out / relative, samples, RATE, 1)
        clips.append(Clip(relative, "silence", name, "none", None, "", "", 0, 0, RATE, 1, ""))
    return clips


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, help="output folder (default: dev_audio/<set>)")
    parser.add_argument(
        "--set", dest="which", choices=sorted(VOICES), default="dev", help="which voices and sentences"
    )
    parser.add_argument("--seed", type=int, help="random seed (default: fixed per set)")
    parser.add_argument("--per-intent", type=int, default=4, help="phrases per intent other than start")
    parser.add_argument("--per-exercise", type=int, default=6, help="names spoken per exercise")
    parser.add_argument("--jobs", type=int, default=2, help="parallel workers")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Generate the set and its manifest; returns the exit status."""
    args = parse_args(argv)
    for program in ("espeak-ng", "sox"):
        if shutil.which(program) is None:
            print(f"make_dev_audio: needs {program} (sudo apt-get install {program})", file=sys.stderr)
            return 1
    seed = args.seed if args.seed is not None else {"dev": 1, "heldout": 2}[args.which]
    out = args.out or Path(__file__).resolve().parent.parent / "dev_audio" / args.which
    rng = random.Random(seed)
    chatter = CHATTER[args.which]
    commands = _command_sentences(load_content(), rng, args.per_intent, args.per_exercise)
    talk = [Spoken(f"chatter-{i}", text, "none", None, "chatter") for i, text in enumerate(chatter)]
    spoken = _assign_voices(commands, args.which, rng) + _assign_voices(
        talk, args.which, random.Random(seed + 1)
    )
    for kind, conditions in (("command", COMMAND_CONDITIONS), ("chatter", CHATTER_CONDITIONS)):
        for condition in conditions:
            (out / kind / condition).mkdir(parents=True, exist_ok=True)
    for folder in ("noise", "silence"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    jobs = [
        (s, COMMAND_CONDITIONS if s.kind == "command" else CHATTER_CONDITIONS, out, seed * 10007 + i, chatter)
        for i, s in enumerate(spoken)
    ]
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        clips = [clip for batch in pool.map(_render_spoken, jobs) for clip in batch]
    clips += _render_noises(out, seed, chatter)
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
