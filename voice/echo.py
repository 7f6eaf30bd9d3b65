"""Acoustic echo cancellation: remove the coach's own voice from the microphone signal."""

from __future__ import annotations

import threading

import numpy as np
import numpy.typing as npt

Samples = npt.NDArray[np.float32]

RATE = 16_000
"""The echo canceller works on 16 kHz mono."""


class ReferenceBuffer:
    """What the speaker played, sample by sample, at 16 kHz; written by the playback callback."""

    def __init__(self, seconds: float = 8.0) -> None:
        self._ring = np.zeros(int(seconds * RATE), dtype=np.float32)
        self._written = 0
        self._lock = threading.Lock()

    @property
    def written(self) -> int:
        """How many samples have been played since the start."""
        return self._written

    def write(self, samples: Samples) -> None:
        """Append played samples (silence included, so positions stay aligned)."""
        with self._lock:
            size = len(self._ring)
            if len(samples) > size:
                self._written += len(samples) - size
                samples = samples[-size:]
            start = self._written % size
            end = start + len(samples)
            if end <= size:
                self._ring[start:end] = samples
            else:
                split = size - start
                self._ring[start:] = samples[:split]
                self._ring[: end - size] = samples[split:]
            self._written += len(samples)

    def read(self, start: int, count: int) -> Samples:
        """Samples ``start`` .. ``start + count`` of the played stream; zeros where unknown."""
        out = np.zeros(count, dtype=np.float32)
        with self._lock:
            size = len(self._ring)
            first = max(start, self._written - size, 0)
            last = min(start + count, self._written)
            for index in range(first, last, size):
                chunk_end = min(last, index + size)
                ring_start = index % size
                ring_end = ring_start + (chunk_end - index)
                if ring_end <= size:
                    out[index - start : chunk_end - start] = self._ring[ring_start:ring_end]
                else:
                    split = size - ring_start
                    out[index - start : index - start + split] = self._ring[ring_start:]
                    out[index - start + split : chunk_end - start] = self._ring[: ring_end - size]
        return out


def estimate_delay(mic: Samples, reference: Samples, max_lag: int) -> tuple[int, float]:
    """The lag L with ``mic[i] ~ reference[i + L]``, and how strong that match is (0..1)."""
    size = 1 << (len(mic) + len(reference)).bit_length()
    spectrum = np.fft.rfft(reference, size) * np.conj(np.fft.rfft(mic, size))
    spectrum /= np.abs(spectrum) + 1e-9  # PHAT weighting sharpens the peak for speech
    correlation = np.fft.irfft(spectrum, size)[: max_lag + 1]
    lag = int(np.argmax(np.abs(correlation)))
    return lag, float(np.abs(correlation[lag]))


class EchoCanceller:
    """Partitioned-block frequency-domain NLMS filter aligned to the played reference.

    The microphone and the speaker run as continuous streams, so a fixed lag links their sample
    counts. The lag is found by cross-correlation while the coach speaks; the adaptive filter then
    models the room (or the sound server's resampler) over ``partitions * block`` samples.
    """

    def __init__(
        self, reference: ReferenceBuffer, block: int = 256, partitions: int = 4,
        max_lag_seconds: float = 0.5, step: float = 0.25,
    ) -> None:
        self._reference = reference
        self._block = block
        self._partitions = partitions
        self._max_lag = int(max_lag_seconds * RATE)
        self._step = step
        bins = block + 1
        self._weights = np.zeros((partitions, bins), dtype=np.complex128)
        self._history = np.zeros((partitions, bins), dtype=np.complex128)
        self._power = np.full(bins, 1e-3)
        self._previous_ref = np.zeros(block, dtype=np.float32)
        self._mic_index = 0
        self._received = 0
        self._offset: int | None = None
        self._pending = np.zeros(0, dtype=np.float32)
        self._mic_history = np.zeros(0, dtype=np.float32)

    @property
    def offset(self) -> int | None:
        """Reference sample index minus microphone sample index, once found."""
        return self._offset

    def process(self, mic: Samples) -> Samples:
        """Cancel echo from a block of 16 kHz microphone samples (any length; output is as long)."""
        mic = mic.astype(np.float32)
        self._received += len(mic)
        self._mic_history = np.concatenate([self._mic_history, mic])[-RATE:]
        if self._offset is None and len(self._mic_history) == RATE:
            self._find_offset()
        self._pending = np.concatenate([self._pending, mic])
        out = []
        while len(self._pending) >= self._block:
            chunk, self._pending = self._pending[: self._block], self._pending[self._block :]
            out.append(self._process_block(chunk))
        return np.concatenate(out) if out else np.zeros(0, dtype=np.float32)

    def _find_offset(self) -> None:
        """Find how the two streams' sample counts line up, from the last second of both."""
        ref_start = self._reference.written - RATE - self._max_lag
        reference = self._reference.read(ref_start, RATE + self._max_lag)
        if float(np.mean(reference**2)) < 1e-6 or float(np.mean(self._mic_history**2)) < 1e-6:
            return
        lag, strength = estimate_delay(self._mic_history, reference, self._max_lag)
        if strength < 0.05:
            return
        mic_start = self._received - len(self._mic_history)
        # Read the reference `block` samples early so the main echo tap sits inside the filter.
        self._offset = ref_start + lag - mic_start + self._block

    def _process_block(self, mic: Samples) -> Samples:
        start = self._mic_index
        self._mic_index += self._block
        if self._offset is None:
            return mic
        ref = self._reference.read(start + self._offset, self._block)
        frame = np.concatenate([self._previous_ref, ref])
        self._previous_ref = ref
        spectrum = np.fft.rfft(frame)
        self._history = np.roll(self._history, 1, axis=0)
        self._history[0] = spectrum
        echo = np.fft.irfft(np.sum(self._history * self._weights, axis=0))[self._block :]
        error = mic - echo
        self._adapt(error)
        return error.astype(np.float32)

    def _adapt(self, error: npt.NDArray[np.float64]) -> None:
        frame_power = np.abs(self._history[0]) ** 2
        self._power = 0.9 * self._power + 0.1 * frame_power
        if float(np.sum(frame_power)) < 1e-4:
            return  # nothing played: nothing to learn from
        error_spectrum = np.fft.rfft(np.concatenate([np.zeros(self._block), error]))
        total_power = self._power * self._partitions + 1e-6
        gradient = np.conj(self._history) * error_spectrum / total_power
        self._weights += self._step * gradient
        # Keep each partition's impulse response causal and `block` long.
        taps = np.fft.irfft(self._weights, axis=1)
        taps[:, self._block :] = 0
        self._weights = np.fft.rfft(taps, axis=1)
