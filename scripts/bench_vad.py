#!/usr/bin/env python3
"""Benchmark the endpointer's voice-activity detectors: speech found in noise, false starts, edges, cost.

    nice -n 10 python scripts/bench_vad.py [--set dev_audio/dev] [--per-voice 12] [--variants ...]

The micro variants need ``pip install pymicro-vad`` (not a dependency of the coach; without it they
run the energy endpointer, as the header of each table says).

Speech: clean clips of the development set (commands and chatter, ``--per-voice`` of each voice,
picked with ``--seed``), with LEAD seconds of silence before and TAIL after, then pink noise or
babble (four other voices' chatter, reversed) mixed in over the whole recording at 20, 10 and 5 dB
below the speech (seeded), or left clean. The speech's true span is where its 10 ms frames are within
30 dB of its loudest. Negatives: steady noise (pink, white, brown, fan hum, babble) at three levels,
music made with sox ``synth`` (chords and plucked, square and sine melodies), silence (digital and
the set's room and hiss) and the set's coughs, breathing and claps; each starts after a second of quiet
room, as a fan or a radio switched on does.

Every variant runs the shipped ``Endpointer`` (10 ms frames, hangover, pre-roll) with its own
settings. Printed per variant: speech found per condition (an utterance overlaps the speech),
the first word kept (the utterance, with its pre-roll, starts before the speech), the end kept, the
median time from the end of speech to the end decision, utterances split; false starts on each kind of
negative (utterances opened, and clips with any); processor time per 10 ms frame. With ``--decode``,
the chosen conditions are also decoded as ``stretch-coach recognize`` does (front end, speech span,
PocketSphinx, intent matching) and the share with the right intent is printed.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voice.audio.endpointer import Endpointer, EndpointSettings, Kind  # noqa: E402
from voice.pcm import TARGET_RATE as RATE  # noqa: E402
from voice.pcm import float_to_pcm16, read_wav  # noqa: E402
from voice.testing.audio import noise  # noqa: E402

Audio = npt.NDArray[np.float64]
LEAD, TAIL = 1.0, 1.0
"""Seconds of silence (then noise) before and after each speech clip."""
ENERGY = EndpointSettings(detector="energy")
VARIANTS = {
    "energy": ENERGY,
    "silero": EndpointSettings(detector="silero"),
    "silero+energy": EndpointSettings(detector="silero", with_energy=True),
    "silero-keep35": EndpointSettings(detector="silero", keep_probability=0.35),
    "micro": EndpointSettings(detector="micro"),
    "micro+energy": EndpointSettings(detector="micro", with_energy=True),
}
"""Endpointer settings measured (``--variants`` picks some): energy is the endpointer before the
detectors (and the fallback without one), silero the shipped one."""
SPEECH_CONDITIONS: dict[str, tuple[str, float] | None] = {
    "clean": None,
    **{f"{kind}{snr}": (kind, float(snr)) for kind in ("pink", "babble") for snr in (20, 10, 5)},
}
"""Each speech condition: the noise mixed in and the speech's level above it (dB), or None for clean."""
NOISE_KINDS = ("pink", "white", "brown", "fan", "babble")
NOISE_LEVELS = (-50.0, -35.0, -20.0)
"""RMS levels (dB full scale) of the noise-only negatives."""
NEGATIVE_SECONDS = 6.0
FIRST_WORD_SLACK = 0.02
"""An utterance may start this late (seconds) and still hold the first word whole."""


@dataclass(frozen=True)
class Clip:
    """One recording to run through the endpointer."""

    group: str
    """Condition (speech) or kind (negative) it is counted under."""
    pcm: bytes
    """16 kHz mono 16-bit audio."""
    span: tuple[float, float] | None
    """Seconds where the speech starts and ends; None for a negative."""
    intent: str = ""
    """What the speech asks (``none`` for chatter); empty for a negative."""


@dataclass(frozen=True)
class Heard:
    """An utterance the endpointer found."""

    start: float
    """Stream time where its audio (with the pre-roll) begins."""
    audio_end: float
    """Stream time where its audio ends."""
    decided: float
    """Stream time where the end was decided."""


def speech_span(samples: Audio) -> tuple[float, float]:
    """First and last 10 ms frame within 30 dB of the loudest, in seconds."""
    frames = samples[: len(samples) // 160 * 160].reshape(-1, 160)
    power = np.mean(frames**2, axis=1)
    active = np.flatnonzero(power > power.max() * 1e-3)
    return active[0] / 100, (active[-1] + 1) / 100


def speech_power(samples: Audio) -> float:
    """Mean power of the frames within 30 dB of the loudest."""
    frames = samples[: len(samples) // 320 * 320].reshape(-1, 320)
    power = np.mean(frames**2, axis=1)
    return float(np.mean(power[power > power.max() * 1e-3]))


def unit(samples: Audio) -> Audio:
    scaled: Audio = samples / (np.sqrt(np.mean(samples**2)) + 1e-12)
    return scaled


def babble(count: int, chatter: Sequence[Audio], rng: np.random.Generator) -> Audio:
    """Unit-power babble: four chatter clips reversed (speech-like, no words), looped and shifted."""
    mix = np.zeros(count)
    for _ in range(4):
        speech = chatter[int(rng.integers(len(chatter)))][::-1]
        mix += np.roll(np.tile(speech, count // len(speech) + 1)[:count], int(rng.integers(count)))
    return unit(mix)


def fan(count: int, rng: np.random.Generator) -> Audio:
    """Unit-power fan: rumble and hiss with a 100 Hz hum and its harmonic."""
    t = np.arange(count) / RATE
    hum = np.sin(2 * np.pi * 100 * t) + 0.5 * np.sin(2 * np.pi * 200 * t)
    seconds = count / RATE
    return unit(noise(seconds, 0.0, "brown", rng) + 0.5 * noise(seconds, 0.0, "pink", rng) + 0.3 * hum)


def background(kind: str, count: int, chatter: Sequence[Audio], rng: np.random.Generator) -> Audio:
    """Unit-power noise of one of NOISE_KINDS."""
    if kind == "babble":
        return babble(count, chatter, rng)
    if kind == "fan":
        return fan(count, rng)
    return noise(count / RATE, 0.0, kind, rng)


def pcm(samples: Audio) -> bytes:
    return float_to_pcm16(np.clip(samples, -1.0, 1.0).astype(np.float32))


def speech_clips(labels: list[dict[str, str]], folder: Path, per_voice: int, seed: int) -> list[Clip]:
    """Every speech condition of ``per_voice`` clean clips of each voice."""
    rng, noise_rng = random.Random(seed), np.random.default_rng(seed)
    clean = [x for x in labels if x["condition"] == "clean" and x["kind"] in ("command", "chatter")]
    by_voice: dict[str, list[dict[str, str]]] = defaultdict(list)
    for label in clean:
        by_voice[label["voice"]].append(label)
    chatter = {
        v: [read_wav(folder / x["file"]) for x in xs if x["kind"] == "chatter"] for v, xs in by_voice.items()
    }
    clips = []
    for voice, voice_labels in sorted(by_voice.items()):
        others = [c.astype(np.float64) for v, cs in chatter.items() if v != voice for c in cs]
        for label in rng.sample(voice_labels, min(per_voice, len(voice_labels))):
            said = read_wav(folder / label["file"]).astype(np.float64)
            padded = np.concatenate([np.zeros(round(LEAD * RATE)), said, np.zeros(round(TAIL * RATE))])
            start, end = speech_span(padded)
            power = speech_power(said)
            for condition, mix in SPEECH_CONDITIONS.items():
                mixed = padded
                if mix is not None:
                    kind, snr = mix
                    scale = np.sqrt(power / 10 ** (snr / 10))
                    mixed = padded + background(kind, len(padded), others, noise_rng) * scale
                clips.append(Clip(condition, pcm(mixed), (start, end), label["intent"]))
    return clips


def sox_music(path: Path, rng: random.Random, index: int) -> Audio:
    """A few seconds of music made by sox ``synth``: held chords, or a melody of short notes."""
    out = path / f"music{index}.wav"
    sox = ["sox", "-V1", "-n", "-r", str(RATE), "-c", "1", "-b", "16"]
    if index % 2 == 0:
        roots = rng.sample([48, 50, 52, 53, 55, 57], 3)
        parts = []
        for n, root in enumerate(roots):
            part = path / f"chord{index}-{n}.wav"
            tones = [
                x
                for step in (0, 4, 7, 12)
                for x in (rng.choice(["pluck", "sine", "triangle"]), f"%{root + step - 69}")
            ]
            subprocess.run(
                [*sox, str(part), "synth", "2", *tones, "remix", "-", "fade", "0.02", "2", "0.3"],
                check=True,
            )
            parts.append(str(part))
        subprocess.run(["sox", "-V1", *parts, str(out), "reverb", "30"], check=True)
    else:
        wave = rng.choice(["pluck", "square", "sine", "sawtooth"])
        notes = []
        for n in range(24):
            note = path / f"note{index}-{n}.wav"
            pitch = rng.choice([60, 62, 64, 65, 67, 69, 71, 72, 74, 76]) - 69
            length = rng.choice([0.125, 0.25, 0.25, 0.5])
            subprocess.run(
                [
                    *sox,
                    str(note),
                    "synth",
                    str(length),
                    wave,
                    f"%{pitch}",
                    "fade",
                    "0.01",
                    str(length),
                    "0.05",
                ],
                check=True,
            )
            notes.append(str(note))
        subprocess.run(["sox", "-V1", *notes, str(out), "reverb", "20"], check=True)
    return unit(read_wav(out).astype(np.float64))


def negative_clips(labels: list[dict[str, str]], folder: Path, seed: int) -> list[Clip]:
    """Noise only, music, silence, and the set's coughs, breathing and claps."""
    rng, pyrng = np.random.default_rng(seed + 1), random.Random(seed + 1)
    chatter = [
        read_wav(folder / x["file"]).astype(np.float64)
        for x in labels
        if x["kind"] == "chatter" and x["condition"] == "clean"
    ]
    count = round(NEGATIVE_SECONDS * RATE)
    room = noise(1.0, -70.0, "pink", rng)
    clips = []
    for kind in NOISE_KINDS:
        for level in NOISE_LEVELS:
            for _ in range(2):
                sound = background(kind, count, chatter, rng) * 10 ** (level / 20)
                clips.append(Clip(kind, pcm(np.concatenate([room, sound])), None))
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(8):
            for level in (-35.0, -20.0):
                music = sox_music(Path(tmp), pyrng, index) * 10 ** (level / 20)
                clips.append(Clip("music", pcm(np.concatenate([room, music])), None))
    clips.append(Clip("silence", bytes(2 * count), None))
    for label in labels:
        if label["kind"] == "silence":
            clips.append(Clip("silence", pcm(read_wav(folder / label["file"]).astype(np.float64)), None))
        elif label["kind"] == "noise" and label["noise"].rstrip("23") in ("cough", "breathing", "clap"):
            sound = read_wav(folder / label["file"]).astype(np.float64)
            clips.append(Clip("cough/breath", pcm(np.concatenate([room, sound])), None))
    return clips


def heard(clip: Clip, settings: EndpointSettings) -> tuple[list[Heard], str]:
    """Utterances the endpointer finds in the clip, fed in 10 ms blocks as a live stream; its detector."""
    endpointer = Endpointer(settings)
    found: list[Heard] = []
    start, length = 0.0, 0
    for offset in range(0, len(clip.pcm) + 320, 320):
        block = clip.pcm[offset : offset + 320]
        for event in endpointer.push(block) if block else endpointer.flush():
            if event.kind is Kind.START:
                start, length = event.time, len(event.audio)
            elif event.kind is Kind.AUDIO:
                length += len(event.audio)
            else:
                found.append(Heard(start, start + length / (2 * RATE), event.time))
    return found, endpointer.detector


@dataclass
class Tally:
    """What one variant did, summed."""

    counts: dict[str, list[int]]
    """Per group: [clips, found (or clips with a false start), first word kept, end kept, split, starts]."""
    lags: dict[str, list[float]]
    """Per speech condition: seconds from the end of speech to the end decision."""
    frames: int = 0
    cpu: float = 0.0
    detector: str = ""
    """The detector the endpointer really used (energy when the variant's package is missing)."""


def score(clips: Sequence[Clip], settings: EndpointSettings) -> Tally:
    tally = Tally(defaultdict(lambda: [0] * 6), defaultdict(list))
    for clip in clips:
        began = time.process_time()
        found, tally.detector = heard(clip, settings)
        tally.cpu += time.process_time() - began
        tally.frames += len(clip.pcm) // 320
        row = tally.counts[clip.group]
        row[0] += 1
        row[5] += len(found)
        if clip.span is None:
            row[1] += bool(found)
            continue
        start, end = clip.span
        hits = [h for h in found if h.start < end and h.audio_end > start]
        if not hits:
            continue
        row[1] += 1
        row[2] += hits[0].start <= start + FIRST_WORD_SLACK
        row[3] += hits[-1].audio_end >= end
        row[4] += len(hits) > 1
        tally.lags[clip.group].append(hits[-1].decided - end)
    return tally


def decoded(clips: Sequence[Clip], settings: EndpointSettings, conditions: Sequence[str]) -> None:
    """Decode the speech of ``conditions`` as ``stretch-coach recognize`` does, with these endpointer
    settings; print the share of clips whose intent is right."""
    from voice.apps.recognize import with_silent_edges
    from voice.audio.endpointer import speech_span
    from voice.audio.frontend import SHIPPED_FRONT_END, cleaned
    from voice.content import load_content
    from voice.listening.engines.asr_data import load_asr_data
    from voice.listening.engines.sphinx_engine import SphinxRecognizer
    from voice.listening.intent import IntentMatcher

    content = load_content()
    recognizer, matcher = SphinxRecognizer.for_content(content, load_asr_data()), IntentMatcher(content)
    right: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for clip in clips:
        if clip.group not in conditions:
            continue
        recognizer.reset()
        speech = speech_span(cleaned(with_silent_edges(clip.pcm), SHIPPED_FRONT_END), settings)
        if speech is not None:
            recognizer.accept(speech)
        transcript = recognizer.final()
        intent = matcher.match(transcript.text, transcript.confidence).name
        row = right[clip.group]
        row[0] += 1
        row[1] += speech is not None
        row[2] += intent == clip.intent
    for group in conditions:
        clips_in, reached, good = right[group]
        print(
            f"decoded {group:10} {clips_in:5d} reached the decoder {reached / max(clips_in, 1):.3f}"
            f"  intent right {good / max(clips_in, 1):.3f}"
        )


def report(name: str, tally: Tally) -> None:
    print(
        f"\n== {name} ({tally.detector} detector):"
        f" {tally.cpu / max(tally.frames, 1) * 1e6:.0f} us of processor time per 10 ms frame"
    )
    print(
        f"{'speech':10} {'clips':>5} {'found':>6} {'1st word':>8} {'end kept':>8} {'split':>6}"
        f" {'end lag p50/p95 s':>18}"
    )
    for group in SPEECH_CONDITIONS:
        clips, found, first, last, split, _ = tally.counts[group]
        lags = sorted(tally.lags[group]) or [float("nan")]
        p95 = lags[min(len(lags) - 1, round(0.95 * (len(lags) - 1)))]
        share = found / max(clips, 1)
        print(
            f"{group:10} {clips:5d} {share:6.3f} {first / max(found, 1):8.3f} {last / max(found, 1):8.3f}"
            f" {split:6d} {statistics.median(lags):9.2f}/{p95:.2f}"
        )
    print(f"{'negative':12} {'clips':>5} {'with a start':>12} {'starts':>6}")
    negatives = [g for g in tally.counts if g not in SPEECH_CONDITIONS]
    for group in negatives:
        clips, any_start, *_, starts = tally.counts[group]
        print(f"{group:12} {clips:5d} {any_start:12d} {starts:6d}")
    noise_music = [tally.counts[g] for g in negatives if g in (*NOISE_KINDS, "music")]
    print(
        f"{'noise+music':12} {sum(r[0] for r in noise_music):5d} {sum(r[1] for r in noise_music):12d}"
        f" {sum(r[5] for r in noise_music):6d}"
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=ROOT / "dev_audio" / "dev", help="development set folder")
    parser.add_argument("--per-voice", type=int, default=12, help="clean clips taken from each voice")
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--variants", nargs="+", choices=sorted(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--no-negatives", action="store_true", help="speech clips only")
    parser.add_argument(
        "--decode",
        nargs="*",
        choices=list(SPEECH_CONDITIONS),
        default=[],
        help="also decode these speech conditions with PocketSphinx (intent right per variant)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    labels_path = args.set / "labels.jsonl"
    if not labels_path.is_file():
        print(f"no development set at {args.set}: make it with scripts/make_dev_audio.py", file=sys.stderr)
        return 2
    labels = [json.loads(line) for line in labels_path.read_text().splitlines() if line.strip()]
    clips = speech_clips(labels, args.set, args.per_voice, args.seed)
    if not args.no_negatives:
        clips += negative_clips(labels, args.set, args.seed)
    print(f"{len(clips)} recordings; seed {args.seed}, {args.per_voice} clean clips per voice")
    for name in args.variants:
        report(name, score(clips, VARIANTS[name]))
        if args.decode:
            decoded(clips, VARIANTS[name], args.decode)
    return 0


if __name__ == "__main__":
    sys.exit(main())
