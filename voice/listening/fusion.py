"""The grammar engine and the embedding classifier heard together: one reading per utterance.

Asymmetric by design: a missed stop is dangerous, a false one only pauses. So an urgent reading
from either recogniser is taken (the classifier's when its urgent classes together pass a
threshold); otherwise the classifier decides when it is confident, and the engine when it is not.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from voice.content import URGENT_INTENTS, Content
from voice.errors import ModelError
from voice.listening.classifier import NONE_CLASS, IntentNetwork, class_label, load_network, usable_classes
from voice.listening.embedding import SpeechEmbedder, pcm_samples
from voice.listening.intent import IntentMatcher
from voice.listening.recognizer import Recognizer, Transcript
from voice.pcm import SAMPLE_BYTES, TARGET_RATE

log = logging.getLogger(__name__)

NEVER = 2.0
"""A threshold no probability reaches: that part of the rule is off."""
ANY_LENGTH = 99.0
"""An utterance length no command reaches: the classifier may call an utterance of any length urgent."""
MAX_UTTERANCE_BYTES = 8 * TARGET_RATE * SAMPLE_BYTES
"""Audio kept for the classifier per utterance (8 s); a command is far shorter."""


@dataclass(frozen=True)
class FusionRule:
    """When the classifier's reading replaces the engine's."""

    confident: float
    """Top class probability from which the classifier decides any intent (``NEVER``: it never does)."""
    urgent: float
    """P(stop)+P(pause)+P(pain) from which the utterance is urgent (``NEVER``: only the engine's)."""
    urgent_longest: float = ANY_LENGTH
    """Seconds of audio above which the classifier's urgent reading is not used: urgent words are short,
    and everyday talk is what the classifier most often takes for pain."""


SHIPPED_RULE = FusionRule(confident=NEVER, urgent=0.8, urgent_longest=1.5)
"""Chosen leave-one-voice-out on the development set and on half an hour of everyday talk
(scripts/bench_fusion.py, scripts/bench_urgent_chatter.py; docs/recognition.md): the classifier only
adds urgent readings, and only to utterances of 1.5 s or less; deciding other intents cost non-commands
kept (0.90 to 0.83 at best), and longer utterances added false urgents in everyday talk."""
ENGINE_ALONE = FusionRule(NEVER, NEVER)
"""The grammar engine's reading, untouched."""


@dataclass(frozen=True)
class Reading:
    """The fused result for one utterance."""

    label: str
    """Class (``start:<exercise>``, another intent name, or ``none``)."""
    confidence: float
    """0..1; the engine's own when its reading stands."""
    by_classifier: bool
    """Whether the classifier's reading replaced the engine's."""


def fuse(
    engine: Reading, probabilities: Sequence[float], labels: Sequence[str], usable: frozenset[str],
    rule: FusionRule, seconds: float = 0.0,
) -> Reading:
    """One reading from the engine's and the classifier's; classes not in ``usable`` are never given by
    the classifier, and with any class unusable (changed content) it only adds urgent readings."""
    if engine.label in URGENT_INTENTS:
        return engine
    urgent = [(p, label) for p, label in zip(probabilities, labels, strict=True)
              if label in URGENT_INTENTS and label in usable]
    urgent_sum = float(sum(p for p, _ in urgent))
    short = seconds <= rule.urgent_longest
    if urgent and urgent_sum >= rule.urgent and short:
        return Reading(max(urgent)[1], min(1.0, urgent_sum), True)
    best = int(np.argmax(probabilities))
    if labels[best] in URGENT_INTENTS and not short:
        return engine
    if len(usable) == len(labels) and probabilities[best] >= rule.confident:
        return Reading(labels[best], float(probabilities[best]), labels[best] != engine.label)
    return engine


class FusedRecognizer:
    """A recogniser that also runs the classifier on the same audio and gives the fused reading.

    When the classifier's reading wins, the transcript becomes a phrase of its class (the shortest
    the matcher reads as that class), so everything after the recogniser works as before."""

    def __init__(self, inner: Recognizer, content: Content, network: IntentNetwork,
                 embedder: SpeechEmbedder, rule: FusionRule = SHIPPED_RULE) -> None:
        self._inner = inner
        self._network = network
        self._embedder = embedder
        self._rule = rule
        self._matcher = IntentMatcher(content)
        self._usable = usable_classes(network, content)
        self._phrases = self._class_phrases(content)
        self._audio = bytearray()

    def _class_phrases(self, content: Content) -> dict[str, str]:
        found: dict[str, str] = {NONE_CLASS: ""}
        for phrase in sorted((p for p in content.phrases if p.spoken), key=lambda p: len(p.text)):
            heard = self._matcher.match(phrase.text)
            found.setdefault(class_label(heard.name, heard.exercise), phrase.text)
        return found

    @property
    def engine(self) -> str:
        """The grammar engine's name."""
        return self._inner.engine

    @property
    def model(self) -> str:
        """The engine's model, and the classifier."""
        return f"{self._inner.model}, with the speech-embedding intent classifier"

    def accept(self, pcm: bytes) -> None:
        """Audio for both recognisers."""
        self._inner.accept(pcm)
        room = MAX_UTTERANCE_BYTES - len(self._audio)
        if room > 0:
            self._audio += pcm[:room]

    def final(self) -> Transcript:
        """The engine's transcript, or a phrase of the classifier's class when the rule says so."""
        heard = self._inner.final()
        audio, self._audio = bytes(self._audio), bytearray()
        if len(audio) < SAMPLE_BYTES * TARGET_RATE // 10:
            return heard
        started = time.process_time()
        intent = self._matcher.match(heard.text, heard.confidence)
        engine = Reading(class_label(intent.name, intent.exercise), heard.confidence, False)
        seconds = len(audio) / SAMPLE_BYTES / TARGET_RATE
        if not self._could_change(engine, seconds):
            return heard
        probabilities = self._network.probabilities(self._embedder.pooled(pcm_samples(audio)))
        reading = fuse(engine, list(probabilities), self._network.labels, self._usable, self._rule, seconds)
        spent = heard.decode_ms + 1000 * (time.process_time() - started)
        if not reading.by_classifier or reading.label == engine.label:
            return Transcript(heard.text, heard.confidence, spent)
        log.debug("classifier: %s (%.2f) over the engine's %s",
                  reading.label, reading.confidence, engine.label)
        return Transcript(self._phrases.get(reading.label, ""), reading.confidence, spent)

    def _could_change(self, engine: Reading, seconds: float) -> bool:
        """Whether the classifier could change this reading; if not, its embedding is not worth its
        time and memory (a long utterance's embedding costs the most)."""
        if engine.label in URGENT_INTENTS:
            return False
        return self._rule.confident < NEVER or seconds <= self._rule.urgent_longest

    def reset(self) -> None:
        """Drop the current utterance in both."""
        self._inner.reset()
        self._audio = bytearray()


def with_classifier(inner: Recognizer, content: Content) -> Recognizer:
    """``inner`` fused with the shipped classifier; ``inner`` alone (logged) if the classifier cannot load."""
    try:
        return FusedRecognizer(inner, content, load_network(), SpeechEmbedder())
    except ModelError as error:
        log.warning("listening with %s alone: %s", inner.engine, error)
        return inner
