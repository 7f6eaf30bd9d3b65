#!/usr/bin/env python3
"""The urgent curve: urgent recall (leave-one-voice-out) against false urgents per hour of everyday talk.

Everyday talk is scripts/bench_live.py's seeded chatter recording (sentences by the development
voices over changing noise, with coughs, claps and breathing), one per seed. It is cut into
utterances by the live front end and endpointer in 0.25 s blocks, each utterance is decoded by
PocketSphinx and embedded once, and every fusion rule is scored on these readings: how many
utterances would be taken as stop, pause or pain, per hour. Urgent recall comes from
scripts/bench_fusion.py's cache of the development set, read by models that never heard the clip's
voice. Rules: the urgent threshold (``P(stop)+P(pause)+P(pain)``) and the longest utterance the
classifier may call urgent (urgent words are short; chatter is long).

    nice -n 10 .venv/bin/python scripts/bench_urgent_chatter.py --features /tmp/features.npz \
        --seeds 1,2,3,4,5,6 --minutes 5
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_live
import make_dev_audio
from bench_fusion import DEV, left_out_probabilities
from train_intent_classifier import Dataset

from voice.apps.recognize import with_silent_edges
from voice.audio.endpointer import Endpointer, Kind, speech_span
from voice.audio.frontend import SHIPPED_FRONT_END, FrontEnd, cleaned
from voice.content import URGENT_INTENTS, Content, load_content
from voice.listening.classifier import class_label, load_network
from voice.listening.embedding import SpeechEmbedder, pcm_samples
from voice.listening.engines import open_recognizer
from voice.listening.fusion import ANY_LENGTH, NEVER, FusionRule, Reading, fuse
from voice.listening.intent import IntentMatcher
from voice.listening.recognizer import ListenSettings
from voice.pcm import SAMPLE_BYTES, TARGET_RATE, read_wav_pcm16k
from voice.testing.audio import write_wav

THRESHOLDS = (NEVER, 0.98, 0.95, 0.9, 0.8, 0.7, 0.5)
LONGEST = (0.8, 1.0, 1.2, 1.5, 2.0, 3.0, ANY_LENGTH)
"""Seconds of audio above which the classifier's urgent reading is not used."""
BLOCK = int(0.25 * TARGET_RATE) * SAMPLE_BYTES


def chatter_recording(content: Content, minutes: float, folder: Path, seed: int) -> Path:
    """bench_live.py's chatter recording; that script imports its audio makers only when run itself
    (its recogniser worker re-imports it), so they are handed to it here."""
    makers = ("CHATTER", "RATE", "VOICES", "Spoken", "Audio", "at_level", "breathing", "clap", "cough",
              "make_noise", "speech_power", "synthesise")
    for name in makers:
        setattr(bench_live, name, getattr(make_dev_audio, name))
    bench_live.np = np  # type: ignore[attr-defined]
    bench_live.write_wav = write_wav  # type: ignore[attr-defined]
    wav, _ = bench_live.chatter_recording(content, minutes, folder, seed)
    return wav


def chatter_utterances(pcm: bytes) -> list[bytes]:
    """The utterances the live listener would hand to the recogniser, in 0.25 s blocks."""
    front, endpointer = FrontEnd(SHIPPED_FRONT_END), Endpointer()
    found: list[bytes] = []
    current = bytearray()
    for start in range(0, len(pcm), BLOCK):
        for event in endpointer.push(front.process(pcm[start : start + BLOCK])):
            if event.kind is Kind.END:
                found.append(bytes(current))
                current = bytearray()
            else:
                current += event.audio
    return found


def read_chatter(
    content: Content, seeds: Sequence[int], minutes: float
) -> tuple[list[dict[str, Any]], float]:
    """Every chatter utterance's engine class, classifier probabilities and length; the hours played."""
    sphinx = open_recognizer(content, ListenSettings(engine="pocketsphinx", classifier=False))
    matcher, embedder, network = IntentMatcher(content), SpeechEmbedder(), load_network()
    readings = []
    for seed in seeds:
        with tempfile.TemporaryDirectory(prefix="urgent-chatter-") as folder:
            wav = chatter_recording(content, minutes, Path(folder), seed)
            pcm = read_wav_pcm16k(wav)
        for audio in chatter_utterances(pcm):
            sphinx.reset()
            sphinx.accept(audio)
            heard = sphinx.final()
            intent = matcher.match(heard.text, heard.confidence)
            probabilities = network.probabilities(embedder.pooled(pcm_samples(audio)))
            readings.append({"sphinx": class_label(intent.name, intent.exercise), "text": heard.text,
                             "p": [float(p) for p in probabilities],
                             "seconds": len(audio) / SAMPLE_BYTES / TARGET_RATE})
        print(f"  seed {seed}: {len(readings)} utterances so far", file=sys.stderr)
    return readings, len(seeds) * minutes / 60


def urgent_reading(engine: str, probabilities: Sequence[float], seconds: float, labels: Sequence[str],
                   threshold: float, longest: float) -> str:
    """The fused class under one rule; the classifier is ignored for utterances longer than ``longest``."""
    rule = FusionRule(NEVER, threshold, longest)
    engine_reading = Reading(engine, 1.0, False)
    return fuse(engine_reading, list(probabilities), labels, frozenset(labels), rule, seconds).label


def dev_lengths(clips: list[dict[str, Any]], dev: Path) -> list[float]:
    """Seconds of speech the endpointer finds in each development clip (0: none)."""
    lengths = []
    for clip in clips:
        pcm = with_silent_edges(read_wav_pcm16k(dev / clip["file"]))
        speech = speech_span(cleaned(pcm, SHIPPED_FRONT_END))
        lengths.append(len(speech or b"") / SAMPLE_BYTES / TARGET_RATE)
    return lengths


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--features", type=Path, required=True, help="training features (from the training)")
    parser.add_argument("--dev", type=Path, default=DEV)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/bench_fusion_dev.npz"),
                        help="scripts/bench_fusion.py's decoded development set")
    parser.add_argument("--seeds", default="1,2,3,4,5,6", help="chatter recordings, one per seed")
    parser.add_argument("--minutes", type=float, default=5.0, help="minutes of each recording (at most 5)")
    parser.add_argument("--seed", type=int, default=4, help="training seed of the left-out models")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    content = load_content()
    if not args.cache.is_file():
        print(f"{args.cache}: run scripts/bench_fusion.py first (it writes this cache)", file=sys.stderr)
        return 1
    with np.load(args.cache) as cached:
        clips, features = json.loads(str(cached["clips"])), cached["features"]
    chatter, hours = read_chatter(content, [int(s) for s in args.seeds.split(",")], args.minutes)
    labels = load_network().labels
    readings, fold_labels, _ = left_out_probabilities(clips, features, Dataset.load(args.features), content,
                                                      args.seed)
    assert tuple(fold_labels) == tuple(labels), "the shipped model and the folds must know the same classes"
    lengths = dev_lengths(clips, args.dev)
    urgent = [i for i, c in enumerate(clips) if c["kind"] == "command" and c["intent"] in URGENT_INTENTS]
    others = [i for i, c in enumerate(clips) if c["kind"] != "command"]
    print(f"\nchatter: {len(chatter)} utterances in {hours:.2f} h; development: {len(urgent)} urgent clips, "
          f"{len(others)} non-commands")
    print(f"{'urgent':>8s}{'longest':>9s}{'recall':>8s}{'dev false':>10s}{'chatter':>14s}{'per hour':>10s}")
    for threshold in THRESHOLDS:
        for longest in LONGEST if threshold < NEVER else (ANY_LENGTH,):
            dev = [str(clips[i]["sphinx"]) if not clips[i]["speech"] else
                   urgent_reading(clips[i]["sphinx"], list(readings[i]), lengths[i], labels,
                                  threshold, longest)
                   for i in range(len(clips))]
            recall = float(np.mean([dev[i] in URGENT_INTENTS for i in urgent]))
            false_dev = sum(dev[i] in URGENT_INTENTS for i in others)
            false_chatter = sum(urgent_reading(c["sphinx"], c["p"], c["seconds"], labels, threshold, longest)
                                in URGENT_INTENTS for c in chatter)
            shown = "off" if threshold >= NEVER else f"{threshold:.2f}"
            print(f"{shown:>8s}{longest:9.1f}{recall:8.3f}{false_dev:6d}/{len(others)}"
                  f"{false_chatter:10d}/{len(chatter)}{false_chatter / hours:10.1f}")
    lengths_urgent = [lengths[i] for i in urgent if lengths[i] > 0]
    print(f"\nspeech length, urgent clips: p50 {np.median(lengths_urgent):.2f} s, p95 "
          f"{np.percentile(lengths_urgent, 95):.2f} s; chatter utterances: p50 "
          f"{np.median([c['seconds'] for c in chatter]):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
