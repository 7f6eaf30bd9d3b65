"""The speech-embedding intent classifier: its model, the fusion rule with PocketSphinx, changed content."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import ROOT, add_calf, copy_content, requires_espeak, spoken
from voice.apps.recognize import recognize_pcm
from voice.content import URGENT_INTENTS, load_content
from voice.listening.classifier import (
    NONE_CLASS,
    IntentNetwork,
    content_fingerprints,
    load_network,
    spoken_classes,
    usable_classes,
    whole_fingerprint,
)
from voice.listening.embedding import POOLED, SpeechEmbedder
from voice.listening.engines import open_recognizer
from voice.listening.fusion import (
    ENGINE_ALONE,
    NEVER,
    SHIPPED_RULE,
    FusedRecognizer,
    FusionRule,
    Reading,
    fuse,
)
from voice.listening.intent import IntentMatcher
from voice.listening.recognizer import ListenSettings, Transcript
from voice.testing.voices import speak

LABELS = ("next", NONE_CLASS, "pain", "pause", "start:hamstring", "stop")
ALL = frozenset(LABELS)
RULE = FusionRule(confident=0.8, urgent=0.6)


def probabilities(**given: float) -> list[float]:
    return [given.get(label.replace(":", "_"), 0.0) for label in LABELS]


def test_an_urgent_engine_reading_always_stands() -> None:
    engine = Reading("stop", 0.4, False)
    assert fuse(engine, probabilities(next=1.0), LABELS, ALL, RULE) is engine


def test_the_urgent_classes_together_make_an_urgent_reading() -> None:
    engine = Reading(NONE_CLASS, 0.5, False)
    fused = fuse(engine, probabilities(stop=0.3, pause=0.2, pain=0.15, next=0.35), LABELS, ALL, RULE)
    assert (fused.label, fused.confidence, fused.by_classifier) == ("stop", pytest.approx(0.65), True)
    assert fuse(engine, probabilities(stop=0.3, pause=0.2, next=0.5), LABELS, ALL, RULE) is engine


def test_the_classifier_calls_only_a_short_utterance_urgent() -> None:
    engine = Reading(NONE_CLASS, 0.5, False)
    rule = FusionRule(confident=0.8, urgent=0.6, urgent_longest=1.5)
    assert fuse(engine, probabilities(pain=0.95), LABELS, ALL, rule, seconds=1.2).label == "pain"
    assert fuse(engine, probabilities(pain=0.95), LABELS, ALL, rule, seconds=2.5) is engine
    said = Reading("pain", 0.5, False)  # the engine's own urgent reading stands at any length
    assert fuse(said, probabilities(none=1.0), LABELS, ALL, rule, seconds=4.0) is said


def test_a_confident_classifier_decides_and_an_unsure_one_leaves_the_engine() -> None:
    engine = Reading("start:hamstring", 0.7, False)
    assert fuse(engine, probabilities(none=0.85, next=0.15), LABELS, ALL, RULE).label == NONE_CLASS
    assert fuse(engine, probabilities(next=0.75, none=0.25), LABELS, ALL, RULE) is engine


def test_the_engine_alone_rule_never_changes_a_reading() -> None:
    engine = Reading("next", 0.2, False)
    assert fuse(engine, probabilities(stop=1.0), LABELS, ALL, ENGINE_ALONE) is engine


def test_with_a_class_unusable_the_classifier_only_adds_urgent_readings() -> None:
    usable = ALL - {"start:hamstring"}
    engine = Reading(NONE_CLASS, 0.5, False)
    assert fuse(engine, probabilities(next=0.99), LABELS, usable, RULE) is engine
    assert fuse(engine, probabilities(pause=0.99), LABELS, usable, RULE).label == "pause"
    assert fuse(engine, probabilities(start_hamstring=0.99), LABELS, usable, RULE) is engine


def test_the_shipped_model_is_small_and_knows_every_class_of_the_shipped_content() -> None:
    network = load_network()
    content = load_content()
    assert set(spoken_classes(content)) | {NONE_CLASS} <= set(network.labels)
    assert network.weights[0].shape[0] == POOLED
    assert (ROOT / "voice" / "listening" / "intent_classifier.npz").stat().st_size < 400_000


def test_a_new_exercise_file_leaves_the_classifier_only_its_unchanged_classes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = copy_content(tmp_path)
    add_calf(folder)
    network = load_network()
    changed = load_content(folder)
    with caplog.at_level(logging.WARNING):
        usable = usable_classes(network, changed)
    assert "start:calf" not in usable and {"stop", "pause", "pain", NONE_CLASS} <= usable
    assert [r.message for r in caplog.records].count(caplog.records[0].message) == 1
    assert "start:calf" in caplog.records[0].message
    assert content_fingerprints(changed)["stop"] == content_fingerprints(load_content())["stop"]


def test_the_unchanged_content_leaves_every_class_usable(caplog: pytest.LogCaptureFixture) -> None:
    network = load_network()
    with caplog.at_level(logging.WARNING):
        assert usable_classes(network, load_content()) == frozenset(network.labels)
    assert not caplog.records


class FakeEngine:
    """A stand-in grammar engine that always hears the same transcript (fake: the fusion is under test)."""

    engine = "fake"
    model = "fake"

    def __init__(self, text: str) -> None:
        self.text = text

    def accept(self, pcm: bytes) -> None:
        pass

    def final(self) -> Transcript:
        return Transcript(self.text, 0.9, 1.0)

    def reset(self) -> None:
        pass


def constant_network(label: str, labels: tuple[str, ...], prints: dict[str, str]) -> IntentNetwork:
    """A network whose reading is always ``label`` at 0.9-ish (a fake model: only the fusion is tested)."""
    bias = np.where(np.array(labels) == label, 8.0, 0.0).astype(np.float32)
    return IntentNetwork(labels, (np.zeros((POOLED, len(labels)), np.float32),), (bias,),
                         np.zeros(POOLED, np.float32), np.ones(POOLED, np.float32), prints)


def test_the_fused_recogniser_turns_the_classifiers_reading_into_a_phrase_of_its_class() -> None:
    content = load_content()
    labels = tuple(sorted(spoken_classes(content)))
    network = constant_network("pause", labels, content_fingerprints(content))
    fused = FusedRecognizer(FakeEngine("tell me a story"), content, network, SpeechEmbedder())
    fused.accept(bytes(32000))
    heard = fused.final()
    assert IntentMatcher(content).match(heard.text).name == "pause"
    assert heard.confidence > 0.9 and heard.decode_ms >= 1.0
    fused.accept(bytes(100))  # too short to classify: the engine's transcript stands
    assert fused.final().text == "tell me a story"


class CountingEmbedder(SpeechEmbedder):
    """The real embedder, counting its runs (the count is the only addition)."""

    runs = 0

    def pooled(self, samples: np.ndarray) -> np.ndarray:  # type: ignore[override]
        self.runs += 1
        return super().pooled(samples)


def test_a_long_utterance_is_not_embedded_when_the_classifier_could_not_change_it() -> None:
    content = load_content()
    labels = tuple(sorted(spoken_classes(content)))
    embedder = CountingEmbedder()
    rule = FusionRule(confident=NEVER, urgent=0.9, urgent_longest=1.5)
    fused = FusedRecognizer(FakeEngine("tell me a story"), content,
                            constant_network("pause", labels, content_fingerprints(content)), embedder, rule)
    fused.accept(bytes(3 * 32000))
    assert fused.final().text == "tell me a story" and embedder.runs == 0
    fused.accept(bytes(32000))
    assert IntentMatcher(content).match(fused.final().text).name == "pause" and embedder.runs == 1
    urgent = FusedRecognizer(FakeEngine("stop"), content,
                             constant_network("next", labels, content_fingerprints(content)), embedder, rule)
    urgent.accept(bytes(32000))
    assert urgent.final().text == "stop" and embedder.runs == 1


UNHEARD_VOICES = ("espeak-ng:en-gb+m4", "espeak-ng:en-us+m2", "espeak-ng:en+m7", "espeak-ng:en-gb-x-rp+f4")
"""Voices neither the training, the development set nor the seed choice used."""


@requires_espeak
@pytest.mark.audio
def test_the_classifier_hears_urgent_words_in_voices_it_never_heard(tmp_path: Path) -> None:
    network, embedder = load_network(), SpeechEmbedder()
    labels = list(network.labels)
    urgent = []
    for voice in UNHEARD_VOICES:
        for text in ("stop", "stop it", "wait", "hold on", "ouch", "it hurts"):
            samples = speak(voice, text, tmp_path / "said.wav")
            padded = np.concatenate([np.zeros(4000), samples / np.abs(samples).max() * 0.5, np.zeros(4000)])
            reading = network.probabilities(embedder.pooled(padded.astype(np.float32)))
            urgent.append(sum(reading[labels.index(name)] for name in URGENT_INTENTS) >= SHIPPED_RULE.urgent)
    assert np.mean(urgent) >= 0.7, f"{sum(urgent)} of {len(urgent)} read as urgent"


@requires_espeak
@pytest.mark.audio
@pytest.mark.parametrize(("text", "intent"), [("stop", "stop"), ("ouch", "pain"), ("wait", "pause")])
def test_the_fused_recogniser_hears_urgent_words(tmp_path: Path, text: str, intent: str) -> None:
    content = load_content()
    fused = open_recognizer(content, ListenSettings(engine="pocketsphinx"))
    assert isinstance(fused, FusedRecognizer)
    pcm = spoken(tmp_path, text, voice="en-gb+m4")
    assert recognize_pcm(pcm, fused, IntentMatcher(content))["intent"] == intent


@requires_espeak
@pytest.mark.audio
def test_a_new_exercise_is_heard_by_pocketsphinx_with_the_classifier_in_place(tmp_path: Path) -> None:
    folder = copy_content(tmp_path)
    add_calf(folder)
    content = load_content(folder)
    recognizer = open_recognizer(content, ListenSettings(engine="pocketsphinx"))
    record = recognize_pcm(spoken(tmp_path, "start the calf stretch"), recognizer, IntentMatcher(content))
    assert (record["intent"], record["exercise"]) == ("start", "calf")


@requires_espeak
@pytest.mark.audio
def test_the_training_script_runs_end_to_end_on_a_tiny_set(tmp_path: Path) -> None:
    out = tmp_path / "model.npz"
    features = tmp_path / "features.npz"
    result = subprocess.run(
        [sys.executable, "scripts/train_intent_classifier.py", "--quick", "--out", str(out),
         "--features", str(features)], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )
    assert result.returncode == 0, result.stderr
    network = load_network(out)
    assert {"stop", "pause", "pain", NONE_CLASS} <= set(network.labels)
    assert network.fingerprint() == whole_fingerprint(content_fingerprints(load_content()))
    assert "clips" in result.stdout and features.is_file()
