"""Speech embeddings: 16 kHz audio to Google's 96-number speech embedding every 80 ms, pooled per utterance.

The two ONNX models (a mel spectrogram and the embedding network, Apache-2.0) come inside the
``openwakeword`` package; only the files are used, run here with onnxruntime.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from voice.errors import ModelError
from voice.pcm import TARGET_RATE

Floats = npt.NDArray[np.float32]

MODELS_PACKAGE = "openwakeword"
"""The package whose resources hold the two ONNX files."""
MEL_FILE = "resources/models/melspectrogram.onnx"
EMBEDDING_FILE = "resources/models/embedding_model.onnx"
WINDOW_FRAMES = 76
"""Mel frames (10 ms each) the embedding network looks at for one embedding."""
STEP_FRAMES = 8
"""Mel frames between two embeddings (80 ms)."""
BATCH = 16
"""Windows the embedding network takes at once: bounds its working memory on a long utterance."""
EDGE_SECONDS = 0.25
"""Silence put before and after an utterance, so its first and last words are inside a window."""
MIN_SECONDS = 1.2
"""Shortest audio embedded (padded with silence): enough for a few embeddings even for "stop"."""
SEGMENTS = 3
"""Equal parts of the utterance whose mean embeddings are pooled (beginning, middle, end)."""
DIMENSIONS = 96
"""Numbers in one embedding."""
POOLED = (2 + SEGMENTS) * DIMENSIONS
"""Numbers in one pooled utterance: mean, max and one mean per segment."""


@dataclass(frozen=True)
class ModelFiles:
    """Where the two ONNX models are."""

    mel: Path
    """The mel spectrogram model."""
    embedding: Path
    """The speech embedding model."""


def shipped_model_files() -> ModelFiles:
    """The ONNX files inside the installed ``openwakeword`` package; a ModelError when it is missing.

    The package is found, never imported: importing it loads scipy and scikit-learn (about 100 MB)."""
    spec = importlib.util.find_spec(MODELS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"the speech embedding needs the '{MODELS_PACKAGE}' package: "
                         f"pip install {MODELS_PACKAGE}==0.4.0")
    root = Path(next(iter(spec.submodule_search_locations)))
    files = ModelFiles(root / MEL_FILE, root / EMBEDDING_FILE)
    for path in (files.mel, files.embedding):
        if not path.is_file():
            raise ModelError(f"{path} is missing; reinstall {MODELS_PACKAGE}==0.4.0")
    return files


class SpeechEmbedder:
    """Turns one utterance into embedding frames and a pooled feature vector; not thread-safe."""

    def __init__(self, files: ModelFiles | None = None, threads: int = 1) -> None:
        try:
            import onnxruntime as ort
        except ImportError as error:
            raise ModelError(f"the speech embedding needs onnxruntime ({error})") from error
        files = files or shipped_model_files()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.enable_cpu_mem_arena = False  # the arena keeps its peak (about 20 MB) for good
        try:
            cpu = ["CPUExecutionProvider"]
            self._mel = ort.InferenceSession(str(files.mel), options, providers=cpu)
            self._net = ort.InferenceSession(str(files.embedding), options, providers=cpu)
        except Exception as error:  # onnxruntime raises its own untyped errors for unreadable models
            raise ModelError(f"cannot load the speech embedding models: {error}") from error
        self._mel_input = self._mel.get_inputs()[0].name
        self._net_input = self._net.get_inputs()[0].name

    def frames(self, samples: npt.NDArray[Any]) -> Floats:
        """Embeddings (n, 96) of int16-scaled 16 kHz samples, padded with silence as ``padded`` does."""
        audio = padded(np.asarray(samples, dtype=np.float32))
        mel = np.squeeze(self._mel.run(None, {self._mel_input: audio[None, :]})[0]).astype(np.float32)
        mel = mel / 10.0 + 2.0  # the scaling the embedding network was trained with
        starts = range(0, mel.shape[0] - WINDOW_FRAMES + 1, STEP_FRAMES)
        windows = np.stack([mel[start : start + WINDOW_FRAMES] for start in starts])[..., None]
        out = [self._net.run(None, {self._net_input: windows[at : at + BATCH]})[0]
               for at in range(0, len(windows), BATCH)]
        return np.concatenate(out).astype(np.float32).reshape(len(windows), DIMENSIONS)

    def pooled(self, samples: npt.NDArray[Any]) -> Floats:
        """The utterance as one vector of ``POOLED`` numbers."""
        return pool(self.frames(samples))


def padded(samples: Floats) -> Floats:
    """Samples with ``EDGE_SECONDS`` of silence each side, and more at the end up to ``MIN_SECONDS``."""
    edge = round(EDGE_SECONDS * TARGET_RATE)
    tail = max(edge, round(MIN_SECONDS * TARGET_RATE) - len(samples) - edge)
    return np.concatenate([np.zeros(edge, np.float32), samples, np.zeros(tail, np.float32)])


def pool(frames: Floats) -> Floats:
    """Mean, max and the mean of each of ``SEGMENTS`` equal parts of the embedding frames."""
    parts = np.array_split(frames, SEGMENTS) if len(frames) >= SEGMENTS else [frames] * SEGMENTS
    pieces = [frames.mean(axis=0), frames.max(axis=0), *(part.mean(axis=0) for part in parts)]
    return np.concatenate(pieces).astype(np.float32)


def pcm_samples(pcm: bytes) -> Floats:
    """16-bit little-endian PCM as int16-scaled float samples."""
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32)
