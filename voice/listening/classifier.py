"""A second recogniser: a small network over pooled speech embeddings, one reading per utterance.

It knows one class per intent (``start`` once per exercise) and ``none``. It was trained on the
content's spoken phrasings; a fingerprint of those phrasings, whole and per class, is kept in the
model file, so a changed content folder is noticed and the classes whose phrases changed are not used.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from voice.content import Content, IntentName
from voice.errors import ModelError

log = logging.getLogger(__name__)

Floats = npt.NDArray[np.float32]

MODEL_FILE = Path(__file__).with_name("intent_classifier.npz")
"""The trained model shipped with the package (scripts/train_intent_classifier.py writes it)."""
NONE_CLASS = "none"
"""The class of everything that is not a command."""


def class_label(intent: str, exercise: str | None) -> str:
    """The class an intent falls in: ``start:<exercise>`` for a start, else the intent name."""
    return f"{IntentName.START}:{exercise}" if intent == IntentName.START else intent


def spoken_classes(content: Content) -> dict[str, tuple[str, ...]]:
    """Each class's spoken phrasings, sorted; typed-only phrases are left out."""
    by_class: dict[str, list[str]] = {}
    for phrase in content.phrases:
        if phrase.spoken:
            by_class.setdefault(class_label(phrase.intent, phrase.exercise), []).append(phrase.text)
    return {label: tuple(sorted(texts)) for label, texts in sorted(by_class.items())}


def fingerprint(texts: Iterable[str]) -> str:
    """A short SHA-256 of phrases (order as given)."""
    return hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]


def content_fingerprints(content: Content) -> dict[str, str]:
    """Per class, the fingerprint of its spoken phrasings."""
    return {label: fingerprint(texts) for label, texts in spoken_classes(content).items()}


def whole_fingerprint(per_class: dict[str, str]) -> str:
    """One fingerprint for all classes' phrasings."""
    return fingerprint(f"{label}={value}" for label, value in sorted(per_class.items()))


@dataclass(frozen=True)
class IntentNetwork:
    """The trained network and what it was trained on."""

    labels: tuple[str, ...]
    """Class of each output."""
    weights: tuple[Floats, ...]
    """Weight matrix of each layer (inputs x outputs)."""
    biases: tuple[Floats, ...]
    """Bias of each layer."""
    mean: Floats
    """Feature means subtracted before the first layer."""
    scale: Floats
    """Feature scales divided by before the first layer."""
    fingerprints: dict[str, str]
    """Per class, the fingerprint of the phrasings it was trained on."""

    def probabilities(self, features: Floats) -> Floats:
        """P(class) for one pooled utterance, in ``labels`` order."""
        layer = (features - self.mean) / self.scale
        for index, (weight, bias) in enumerate(zip(self.weights, self.biases, strict=True)):
            layer = layer @ weight + bias
            if index < len(self.weights) - 1:
                layer = np.maximum(layer, 0.0)
        shifted = np.exp(layer - layer.max())
        probabilities: Floats = (shifted / shifted.sum()).astype(np.float32)
        return probabilities

    def fingerprint(self) -> str:
        """The fingerprint of everything it was trained on."""
        return whole_fingerprint(self.fingerprints)

    def save(self, path: Path) -> None:
        """Write the network as a compressed .npz file."""
        prints = np.array([f"{label}={value}" for label, value in sorted(self.fingerprints.items())])
        arrays: dict[str, npt.NDArray[Any]] = {
            "labels": np.array(self.labels), "mean": self.mean, "scale": self.scale, "fingerprints": prints,
        }
        arrays |= {f"w{i}": w.astype(np.float16) for i, w in enumerate(self.weights)}
        arrays |= {f"b{i}": b.astype(np.float32) for i, b in enumerate(self.biases)}
        with path.open("wb") as handle:
            np.savez_compressed(handle, allow_pickle=False, **arrays)


def load_network(path: Path = MODEL_FILE) -> IntentNetwork:
    """The network in ``path``; a ModelError when it is missing or damaged."""
    try:
        with np.load(path, allow_pickle=False) as data:
            layers = sum(1 for name in data.files if name.startswith("w"))
            weights = tuple(data[f"w{i}"].astype(np.float32) for i in range(layers))
            biases = tuple(data[f"b{i}"].astype(np.float32) for i in range(layers))
            prints = dict(str(item).split("=", 1) for item in data["fingerprints"])
            return IntentNetwork(tuple(str(label) for label in data["labels"]), weights, biases,
                                 data["mean"].astype(np.float32), data["scale"].astype(np.float32), prints)
    except (OSError, KeyError, ValueError) as error:
        raise ModelError(f"{path}: cannot read the intent classifier ({error})") from error


def usable_classes(network: IntentNetwork, content: Content) -> frozenset[str]:
    """The classes whose phrasings are unchanged since training (all of them for unchanged content);
    ``none`` is always usable. A change is logged once, here."""
    now = content_fingerprints(content)
    same = {label for label in network.labels if now.get(label) == network.fingerprints.get(label)}
    if NONE_CLASS in network.labels:
        same.add(NONE_CLASS)
    if whole_fingerprint(now) != network.fingerprint():
        changed = sorted(set(now) - same)
        log.warning("the content's phrasings differ from those the intent classifier was trained on "
                    "(%s); it is used only for the unchanged ones. Retrain with "
                    "scripts/train_intent_classifier.py", ", ".join(changed) or "none of its classes")
    return frozenset(same)
