#!/usr/bin/env python3
"""Train the intent classifier over speech embeddings from speech this script makes itself.

Every class's spoken phrasings (from the content: templates with exercise names; typed-only phrases
left out) are spoken by many voices (espeak-ng voices and variants, the flite and festival voices
that are not reserved), at varied tempo and pitch, with vocal-tract-length changes, reverb and
noise; the ``none`` class is everyday chatter, the content's non-command sentences, noise and
breathing. Each clip goes through the recogniser's front end and is pooled
into one embedding vector. A small MLP is trained (scikit-learn) and saved as plain arrays for
numpy inference, with the content's per-class fingerprints.

    nice -n 10 .venv/bin/python scripts/train_intent_classifier.py            # the shipped model
    .venv/bin/python scripts/train_intent_classifier.py --quick --out /tmp/m.npz

Seeded: the same seed, content and tools give the same data and model. The features are cached
(``--features``) so scripts/bench_fusion.py can train one model per left-out voice from them.
"""

from __future__ import annotations

import argparse
import logging
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from voice.apps.recognize import with_silent_edges
from voice.audio.frontend import SHIPPED_FRONT_END, cleaned
from voice.content import Content, load_content
from voice.listening.classifier import (
    MODEL_FILE,
    NONE_CLASS,
    IntentNetwork,
    content_fingerprints,
    spoken_classes,
)
from voice.listening.embedding import SpeechEmbedder, pcm_samples
from voice.pcm import TARGET_RATE, float_to_pcm16, read_wav
from voice.testing.audio import noise
from voice.testing.voices import DEV_VOICES, synthesiser_command

log = logging.getLogger("train_intent_classifier")

Audio = npt.NDArray[np.float64]
RATE = TARGET_RATE

EXTRA_VOICES = (
    "espeak-ng:en-us+f1", "espeak-ng:en-gb+m2", "espeak-ng:en-us+Annie", "espeak-ng:en-gb-x-rp+f5",
    "espeak-ng:en-029+m4", "espeak-ng:en-us-nyc+grandpa", "espeak-ng:en-gb+Andy", "espeak-ng:en-us+klatt3",
    "espeak-ng:en-gb-x-gbcwmd+m6", "espeak-ng:en-us+Linda", "espeak-ng:en-gb+Michael", "espeak-ng:en-uk+f4",
)
"""espeak-ng voice and variant pairs beyond the development voices (none of them reserved)."""
TRAINING_VOICES = (*DEV_VOICES, *EXTRA_VOICES)
"""Every voice the shipped model is trained on; voices kept for acceptance tests are never used."""

CHATTER = (
    "i am going to make some tea",
    "the weather looks nice this afternoon",
    "have you seen my glasses anywhere",
    "the train leaves at half past six",
    "i really like this song",
    "could you open the window a little",
    "my brother is visiting next week",
    "the garden needs some work",
    "we should paint the hallway",
    "i read a good book last night",
    "the shop closes early on sundays",
    "what are we having for lunch",
    "the dog wants to go outside",
    "it was a long day at work",
    "i need a new pair of shoes",
    "the printer is out of paper",
    "did you remember to lock the car",
    "the match starts in ten minutes",
    "she said she would be here by noon",
    "this floor is a bit cold",
    "i like to go walking by the river",
    "the radio is too quiet",
    "we had pasta yesterday",
    "that reminds me of my holiday",
    "my back felt better this week",
    "the yoga class was full today",
    "i should drink more water",
    "let us watch the news later",
    "the baby is finally asleep",
    "can you believe how fast the year went",
    "there is a parcel at the door",
    "the heating makes a funny noise",
)
"""Everyday talk for the ``none`` class (different sentences from the development set's chatter)."""


@dataclass(frozen=True)
class Config:
    """How much data to make."""

    voices: tuple[str, ...]
    """Voices that speak."""
    per_class: int
    """Phrasings of each class spoken by each voice."""
    chatter: int
    """Chatter sentences per voice."""
    noises: int
    """Noise-only clips (coloured noise, breathing, babble) per voice."""
    hidden: int
    """Units in the hidden layer."""


FULL = Config(TRAINING_VOICES, per_class=3, chatter=8, noises=3, hidden=128)
QUICK = Config(("espeak-ng:en-us+f1", "espeak-ng:en-gb+m2"), per_class=1, chatter=2, noises=1, hidden=32)


@dataclass(frozen=True)
class Dataset:
    """Pooled features with their class and voice."""

    features: npt.NDArray[np.float32]
    """One pooled embedding vector per clip."""
    labels: npt.NDArray[np.str_]
    """Class of each clip."""
    voices: npt.NDArray[np.str_]
    """Voice of each clip ("" for noise)."""

    def save(self, path: Path) -> None:
        """Write to a .npz file."""
        np.savez_compressed(path, features=self.features, labels=self.labels, voices=self.voices)

    @staticmethod
    def load(path: Path) -> Dataset:
        """Read from a .npz file."""
        with np.load(path) as data:
            return Dataset(data["features"], data["labels"], data["voices"])


def synthesise(voice: str, text: str, workdir: Path, rng: random.Random) -> Audio:
    """``text`` spoken by ``voice``, with random tempo, pitch, vocal-tract length and reverb."""
    raw, shaped = workdir / "raw.wav", workdir / "shaped.wav"
    command, stdin = synthesiser_command(voice, text, raw)
    subprocess.run(command, input=stdin, text=True, check=True, capture_output=True)
    tract = rng.uniform(0.88, 1.12)  # sox speed moves formants and pitch; pitch puts the pitch back
    cents = round(-1200 * np.log2(tract)) + rng.randint(-300, 300)
    effects = ["speed", f"{tract:.3f}", "pitch", str(cents), "tempo", "-s", f"{rng.uniform(0.8, 1.25):.3f}"]
    if rng.random() < 0.35:
        effects += ["reverb", str(rng.randint(20, 80)), "50", str(rng.randint(30, 100))]
    subprocess.run(["sox", str(raw), "-r", str(TARGET_RATE), str(shaped), *effects],
                   check=True, capture_output=True)
    samples = read_wav(shaped).astype(np.float64)
    loud = np.flatnonzero(np.abs(samples) > 1e-4)
    return samples[loud[0] : loud[-1] + 1] if len(loud) else samples


def breathing(rng: np.random.Generator) -> Audio:
    """Two or three breaths: noise under a slow swell."""
    parts = []
    for _ in range(int(rng.integers(2, 4))):
        count = int(rng.uniform(0.6, 1.2) * TARGET_RATE)
        swell = np.sin(np.linspace(0, np.pi, count)) ** 2
        parts += [noise(count / TARGET_RATE, -30, "pink", rng) * swell, np.zeros(int(0.3 * TARGET_RATE))]
    return np.concatenate(parts)


def background(kind: str, count: int, babble: Sequence[Audio], rng: np.random.Generator) -> Audio:
    """``count`` samples of coloured noise or babble (three reversed talkers at once), unit power."""
    if kind == "babble":
        mixed = np.zeros(count)
        for _ in range(3):
            talker = babble[int(rng.integers(len(babble)))][::-1]
            reps = np.tile(talker, count // len(talker) + 2)
            start = int(rng.integers(len(talker)))
            mixed += reps[start : start + count] / (np.sqrt(np.mean(talker**2)) + 1e-9)
        return mixed / (np.sqrt(np.mean(mixed**2)) + 1e-9)
    return noise(count / TARGET_RATE, 0.0, kind, rng)


def placed(speech: Audio, babble: Sequence[Audio], rng: np.random.Generator) -> Audio:
    """Speech at a random level with silence around it, and noise at 0-25 dB below it two times in three."""
    peak = 10 ** (rng.uniform(-24, -3) / 20)
    speech = speech / (np.abs(speech).max() + 1e-9) * peak
    pad = [np.zeros(int(rng.uniform(0.2, 0.6) * TARGET_RATE)) for _ in range(2)]
    clip = np.concatenate([pad[0], speech, pad[1]])
    if rng.random() < 2 / 3:
        kind = str(rng.choice(["white", "pink", "brown", "babble", "babble"]))
        power = np.mean(speech**2) * 10 ** (-rng.uniform(0, 25) / 10)
        clip = clip + background(kind, len(clip), babble, rng) * np.sqrt(power)
    return np.clip(clip, -1.0, 1.0)


def features_of(clip: Audio, embedder: SpeechEmbedder) -> npt.NDArray[np.float32]:
    """The pooled features of ``clip`` after the recogniser's front end. The clip's own silent margins
    stand in for the endpointer's (running it costs more than the embedding)."""
    edge = len(with_silent_edges(b"")) // 2
    pcm = cleaned(with_silent_edges(float_to_pcm16(clip)), SHIPPED_FRONT_END)[edge:-edge]
    return embedder.pooled(pcm_samples(pcm))


def spoken_jobs(content: Content, config: Config, rng: random.Random) -> list[tuple[str, str, str]]:
    """(voice, text, class) of every clip to synthesise."""
    classes = spoken_classes(content)
    jobs = []
    for voice in config.voices:
        for label, texts in classes.items():
            count = config.per_class if label != NONE_CLASS else max(1, config.per_class // 2)
            jobs += [(voice, text, label) for text in rng.sample(texts, min(count, len(texts)))]
        jobs += [(voice, text, NONE_CLASS) for text in rng.sample(CHATTER, config.chatter)]
    return jobs


def make_dataset(content: Content, config: Config, seed: int) -> Dataset:
    """Synthesise, disturb and embed every clip of ``config``."""
    rng, nrng = random.Random(seed), np.random.default_rng(seed)
    embedder = SpeechEmbedder()
    rows: list[tuple[npt.NDArray[np.float32], str, str]] = []
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        babble = [synthesise(rng.choice(config.voices), text, workdir, rng) for text in CHATTER[:8]]
        jobs = spoken_jobs(content, config, rng)
        started = time.monotonic()
        for index, (voice, text, label) in enumerate(jobs):
            speech = synthesise(voice, text, workdir, rng)
            rows += [(features_of(placed(speech, babble, nrng), embedder), label, voice) for _ in range(2)]
            if index % 200 == 199:
                log.info("%d of %d clips, %.0f s", index + 1, len(jobs), time.monotonic() - started)
        for _ in range(config.noises * len(config.voices)):
            kind = str(nrng.choice(["white", "pink", "brown", "babble", "breathing"]))
            sound = breathing(nrng) if kind == "breathing" else background(kind, 2 * RATE, babble, nrng)
            level = 10 ** (nrng.uniform(-30, -6) / 20) / (np.abs(sound).max() + 1e-9)
            rows.append((features_of(sound * level, embedder), NONE_CLASS, ""))
    return Dataset(np.stack([row[0] for row in rows]), np.array([row[1] for row in rows]),
                   np.array([row[2] for row in rows]))


def train(data: Dataset, content: Content, hidden: int, seed: int, iterations: int = 300) -> IntentNetwork:
    """A one-hidden-layer MLP on the standardised features."""
    from sklearn.neural_network import MLPClassifier

    mean = data.features.mean(axis=0)
    scale = data.features.std(axis=0) + 1e-3
    net = MLPClassifier((hidden,), alpha=1e-3, max_iter=iterations, random_state=seed, early_stopping=False)
    net.fit((data.features - mean) / scale, data.labels)
    labels = tuple(str(label) for label in net.classes_)
    weights = tuple(np.asarray(w, np.float32) for w in net.coefs_)
    biases = tuple(np.asarray(b, np.float32) for b in net.intercepts_)
    if len(labels) == 2:  # scikit-learn keeps one logistic output for two classes
        weights = (*weights[:-1], np.concatenate([-weights[-1], weights[-1]], axis=1) / 2)
        biases = (*biases[:-1], np.concatenate([-biases[-1], biases[-1]]) / 2)
    return IntentNetwork(labels, weights, biases, mean.astype(np.float32), scale.astype(np.float32),
                         content_fingerprints(content))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=MODEL_FILE, help="model file to write")
    parser.add_argument("--features", type=Path, help="features cache: read if there, else written")
    parser.add_argument("--content", type=Path, help="content folder (default: the shipped one)")
    parser.add_argument("--seed", type=int, default=19, help="seed of the data")
    parser.add_argument(
        "--train-seed", type=int, default=4,
        help="seed of the network's first weights (shipped: 4, picked by scripts/pick_classifier_seed.py)",
    )
    parser.add_argument("--quick", action="store_true", help="two voices, one phrasing per class")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    content = load_content(args.content)
    config = QUICK if args.quick else FULL
    started = time.monotonic()
    if args.features and args.features.is_file():
        data = Dataset.load(args.features)
    else:
        data = make_dataset(content, config, args.seed)
        if args.features:
            data.save(args.features)
    made = time.monotonic() - started
    network = train(data, content, config.hidden, args.train_seed)
    network.save(args.out)
    print(f"clips {len(data.labels)}  classes {len(network.labels)}  voices {len(set(data.voices) - {''})}  "
          f"data {made:.0f} s  training {time.monotonic() - started - made:.0f} s  "
          f"model {args.out.stat().st_size // 1024} KB  fingerprint {network.fingerprint()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
