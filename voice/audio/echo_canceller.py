"""Acoustic echo cancellation: remove the coach's own voice from the microphone signal."""

from __future__ import annotations

import logging
import threading

import numpy as np
import numpy.typing as npt

from voice.pcm import TARGET_RATE

log = logging.getLogger(__name__)

Samples = npt.NDArray[np.float32]
Doubles = npt.NDArray[np.float64]

SEARCH_EVERY = TARGET_RATE // 8
"""How often (in microphone samples) the lag is looked for until it is found."""
CHECK_EVERY = TARGET_RATE
"""How often the found lag is checked again (a stream that restarted or dropped samples moves it)."""
ACTIVE_LEVEL = 0.003
"""A reference sample above this (of 1.0) counts as sound for the lag search."""
MIN_ACTIVE = 0.2
"""Share of the searched second in which the microphone must have heard the played sound."""
MIN_PROMINENCE = 12.0
"""Correlation peak over the correlation's RMS for a lag to count as found."""
MIN_LEAK = 0.005
"""Smallest share of the echo estimate assumed to remain in the residual (-23 dB)."""
SILENT_POWER = 1e-7
"""Mean-square reference level per sample below which nothing counts as played."""
TRAIN_SECONDS = 1.0
"""Seconds of cancelled coach sound after which the filter's leftover estimate is trusted."""
LEAK_MARGIN = 2.0
"""The leak estimate lags the filter early on: the expected leftover counts twice (+3 dB) of it."""
HARM_BLOCKS = 16
"""Blocks of cancelling before a residual louder than the microphone counts as harm."""
LEFTOVER_RELEASE = 0.1
"""Time constant (s) with which the expected leftover falls after a loud block (echo tails, onsets)."""


class ReferenceBuffer:
    """What the speaker played, sample by sample, at 16 kHz; written by the playback callback."""

    def __init__(self, seconds: float = 8.0) -> None:
        self._ring = np.zeros(int(seconds * TARGET_RATE), dtype=np.float32)
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


def _correlation(mic: Samples, reference: Samples, max_lag: int) -> Doubles:
    """PHAT-weighted cross-correlation of the two signals for lags 0 .. ``max_lag``."""
    size = 1 << (len(mic) + len(reference)).bit_length()
    spectrum = np.fft.rfft(reference, size) * np.conj(np.fft.rfft(mic, size))
    spectrum /= np.abs(spectrum) + 1e-9  # PHAT weighting sharpens the peak for speech
    correlation: Doubles = np.abs(np.fft.irfft(spectrum, size)[: max_lag + 1])
    return correlation


class _LagSearch:
    """Finds how the microphone's and the speaker's sample counts line up, and keeps checking it.

    A lag counts once two searches in a row agree, each with a clear correlation peak and with the
    played sound covering enough of the searched second (so a person talking before the coach, or
    the coach's very first syllable, cannot fix a wrong lag).
    """

    def __init__(self, reference: ReferenceBuffer, max_lag: int) -> None:
        self._reference = reference
        self._max_lag = max_lag
        self._last: int | None = None

    def search(self, mic: Samples, mic_start: int) -> int | None:
        """Reference index minus microphone index of the same sound, from the latest microphone
        samples ``mic`` (the first is sample ``mic_start``), once two searches in a row agree."""
        candidate = self._candidate(mic, mic_start)
        previous, self._last = self._last, candidate
        if candidate is None or previous is None or abs(candidate - previous) > 2:
            return None
        return candidate

    def _candidate(self, mic: Samples, mic_start: int) -> int | None:
        ref_start = self._reference.written - len(mic) - self._max_lag
        reference = self._reference.read(ref_start, len(mic) + self._max_lag)
        if float(np.mean(mic**2)) < SILENT_POWER or float(np.mean(reference**2)) < SILENT_POWER:
            return None
        correlation = _correlation(mic, reference, self._max_lag)
        lag = int(np.argmax(correlation))
        prominence = float(correlation[lag] / (np.sqrt(np.mean(correlation**2)) + 1e-12))
        heard = float(np.mean(np.abs(reference[lag : lag + len(mic)]) > ACTIVE_LEVEL))
        if prominence < MIN_PROMINENCE or heard < MIN_ACTIVE:
            return None
        return ref_start + lag - mic_start


class _StepControl:
    """Per-bin adaptation step from how much echo is left in the residual (after J.-M. Valin, 2007).

    The share of the echo estimate still in the residual ("leak") is estimated by regressing the
    residual's spectral power on the echo estimate's. The step in each bin is the expected residual
    echo over the residual's power: large while the filter is off, small once it has converged, and
    small when a person talks over the coach (the residual is then mostly the person), so double
    talk does not wreck the filter.
    """

    def __init__(self, bins: int, block: int, partitions: int, step: float) -> None:
        self._block = block
        self._partitions = partitions
        self._step = step
        self._echo_mean = np.zeros(bins)
        self._error_mean = np.zeros(bins)
        self._cross = 0.0
        self._echo_var = 0.0
        self.leak = 1.0
        """Share of the echo estimate's power expected in the residual."""
        self._warmup = 0.0
        self.adapted = False
        """True once the filter has learnt enough for the leak-based step."""

    def steps(self, error: Doubles, echo: Doubles, error_power: Doubles, echo_power: Doubles) -> Doubles:
        """The step for each bin, given this block's time signals and spectral powers."""
        see = float(np.sum(error**2)) + 1e-9
        syy = float(np.sum(echo**2))
        self._update_leak(see, syy, error_power, echo_power)
        if not self.adapted:
            return self._warmup_steps(see, syy, len(error_power))
        residual_ratio = min(0.5, 3.0 * self.leak * syy / see)
        correlated = float(np.dot(error, echo)) ** 2 / (see * syy + 1e-9)
        residual_ratio = max(residual_ratio, min(correlated, 0.5))
        per_bin = np.minimum(self.leak * echo_power, 0.5 * (error_power + 1e-9)) / (error_power + 1e-9)
        return self._step * 2.0 * (0.7 * per_bin + 0.3 * residual_ratio)  # both ratios are <= 0.5

    def _update_leak(self, see: float, syy: float, error_power: Doubles, echo_power: Doubles) -> None:
        self._error_mean += 0.35 * (error_power - self._error_mean)
        self._echo_mean += 0.35 * (echo_power - self._echo_mean)
        cross = float(np.sum((error_power - self._error_mean) * (echo_power - self._echo_mean)))
        variance = float(np.sum((echo_power - self._echo_mean) ** 2))
        rate = min(2.0 * self._block / TARGET_RATE * syy, 0.5 * self._block / TARGET_RATE * see) / see
        self._cross += rate * (cross - self._cross)
        self._echo_var += rate * (variance - self._echo_var)
        if self._echo_var > 1e-12:
            self.leak = float(np.clip(self._cross / self._echo_var, MIN_LEAK, 1.0))

    def _warmup_steps(self, see: float, syy: float, bins: int) -> Doubles:
        """A fixed step until the filter has taken ``partitions`` full steps and shows its echo."""
        self._warmup += self._step
        if self._warmup > self._partitions and self.leak > 0.03 and syy > 0:
            self.adapted = True
        return np.full(bins, self._step)


class _Watch:
    """How well the filter cancels, and how much of the coach a voice detector should still expect.

    Smoothed microphone and residual power are kept over the blocks in which an echo is estimated;
    the residual louder than the microphone means the filter hurts (a moved lag, divergence).
    """

    def __init__(self, block: int) -> None:
        self._block = block
        self._release = float(np.exp(-block / (LEFTOVER_RELEASE * TARGET_RATE)))
        self.leftover = 0.0
        """Expected leftover echo (mean square), held after loud blocks and then released."""
        self.reset()

    def reset(self) -> None:
        """Forget what was learnt about the filter (a new filter starts)."""
        self.trained = 0
        self._mic = 0.0
        self._residual = 0.0

    @property
    def ready(self) -> bool:
        """True once the filter has cancelled the coach for ``TRAIN_SECONDS``."""
        return self.trained * self._block >= TRAIN_SECONDS * TARGET_RATE

    @property
    def poor(self) -> bool:
        """Less than 6 dB of echo removed lately (a wrong lag, or a person talking)."""
        return self._residual > 0.25 * self._mic

    @property
    def worse(self) -> bool:
        """The residual is louder than the microphone lately (never so when a person talks over the
        coach: the residual is then the person, the microphone the person and the echo)."""
        return self._residual > self._mic

    @property
    def harmful(self) -> bool:
        """The residual is clearly louder than the microphone: the filter adds an echo of its own."""
        return self.trained >= HARM_BLOCKS and self._residual > 1.26 * self._mic

    def note(self, mic: float, residual: float, echo: float, leak: float, playing: bool) -> None:
        """Account for one block: mean squares of microphone, residual and echo estimate."""
        if echo > SILENT_POWER:
            self.trained += 1
            self._mic += 0.1 * (mic - self._mic)
            self._residual += 0.1 * (residual - self._residual)
        if self.ready and not self.worse:
            expected = echo * min(1.0, LEAK_MARGIN * leak)
        else:  # not trusted (yet, or no longer): whatever is heard while the coach plays may be the coach
            expected = max(echo, mic, residual) if playing else 0.0
        self.leftover = max(expected, self.leftover * self._release)


class EchoCanceller:
    """Partitioned-block frequency-domain NLMS filter aligned to the played reference.

    The microphone and the speaker run as continuous streams, so a fixed lag links their sample
    counts. The lag is found by cross-correlation while the coach speaks (and checked again, more
    often when the filter does poorly); the adaptive filter then models the room (or the sound
    server's resampler) over ``partitions * block`` samples. Until the lag is found the microphone
    passes through unchanged.
    """

    def __init__(
        self, reference: ReferenceBuffer, block: int = 256, partitions: int = 4,
        max_lag_seconds: float = 0.5, step: float = 0.5,
    ) -> None:
        self._reference = reference
        self._block = block
        self._partitions = partitions
        self._step = step
        self._max_lag = int(max_lag_seconds * TARGET_RATE)
        self._search = _LagSearch(reference, self._max_lag)
        self._watch = _Watch(block)
        self._received = 0
        self._since_search = 0
        self._offset: int | None = None
        self._frozen = False
        self._pending = np.zeros(0, dtype=np.float32)
        self._mic_history = np.zeros(0, dtype=np.float32)
        self._mic_index = 0
        self.echo_level = 0.0
        """Mean-square level of the echo estimate over the latest block (0 when nothing is played)."""
        self._reset_filter()

    def _reset_filter(self) -> None:
        bins = self._block + 1
        self._weights = np.zeros((self._partitions, bins), dtype=np.complex128)
        self._history = np.zeros((self._partitions, bins), dtype=np.complex128)
        self._power = np.full(bins, 1e-3)
        self._previous_ref = np.zeros(self._block, dtype=np.float32)
        self._control = _StepControl(bins, self._block, self._partitions, self._step)
        self._watch.reset()

    @property
    def offset(self) -> int | None:
        """Where the filter reads the reference: reference index minus microphone index, ``block``
        samples early so the main echo tap sits inside the filter (None until the lag is found)."""
        return self._offset

    @property
    def lag(self) -> int | None:
        """Speaker sample count minus microphone sample count of the same sound, once found."""
        return None if self._offset is None else self._offset - self._block

    @property
    def ready(self) -> bool:
        """True once the lag is found and the filter has cancelled the coach long enough to trust."""
        return self._offset is not None and self._watch.ready

    @property
    def leftover_level(self) -> float:
        """Mean-square level of the coach's voice to expect in the latest residual block.

        Once ready, the echo estimate times twice the share the filter leaves (at least -20 dB),
        held for ~0.1 s after loud blocks. Before that (and while the filter does harm), as long as
        the coach may be heard, the whole microphone level. A voice detector should believe a person
        spoke only when the residual is clearly louder than this for a while.
        """
        return self._watch.leftover

    def process(self, mic: Samples) -> Samples:
        """Cancel echo from 16 kHz microphone samples (any count). Returns the residual of every
        whole filter block completed so far, so the output lags the input by less than a block."""
        mic = mic.astype(np.float32)
        self._received += len(mic)
        self._mic_history = np.concatenate([self._mic_history, mic])[-TARGET_RATE:]
        self._pending = np.concatenate([self._pending, mic])
        self._since_search += len(mic)
        searching = self._offset is None or self._watch.poor
        if self._since_search >= (SEARCH_EVERY if searching else CHECK_EVERY):
            self._since_search = 0
            self._track_lag()
        out = []
        while len(self._pending) >= self._block:
            chunk, self._pending = self._pending[: self._block], self._pending[self._block :]
            residual = self._process_block(chunk)
            self._note(chunk, residual)
            out.append(chunk if self._watch.worse else residual)
        return np.concatenate(out) if out else np.zeros(0, dtype=np.float32)

    def skip(self, count: int) -> Samples:
        """``count`` microphone samples were lost (a full queue): count them as silence, so the lag
        holds, without learning from them. Returns what ``process`` would, with silence for them."""
        first = self._received
        out_start = self._mic_index
        self._frozen = True
        try:
            out = self.process(np.zeros(count, dtype=np.float32))
        finally:
            self._frozen = False
        out[max(0, first - out_start) :] = 0
        return out

    def _note(self, mic: Samples, residual: Samples) -> None:
        if self._frozen:
            return
        playing = self._recently_played()
        self._watch.note(
            float(np.mean(mic**2)), float(np.mean(residual**2)), self.echo_level, self._control.leak, playing
        )
        if self._watch.harmful:
            log.info("The echo canceller made the sound louder; starting it afresh.")
            self._reset_filter()

    def _recently_played(self) -> bool:
        """Whether the speaker played anything whose echo may still be arriving."""
        span = self._max_lag + 2 * self._block
        recent = self._reference.read(self._reference.written - span, span)
        return float(np.mean(recent**2)) > SILENT_POWER

    def _track_lag(self) -> None:
        """Look for the lag (or check it); a new one resets the filter and trains it on the past second."""
        if len(self._mic_history) < TARGET_RATE:
            return
        found = self._search.search(self._mic_history, self._received - TARGET_RATE)
        if found is None:
            return
        # Read the reference `block` samples early so the main echo tap sits inside the filter.
        offset = found + self._block
        if self._offset is not None and abs(offset - self._offset) <= self._block // 4:
            return
        if self._offset is not None:
            log.info("Echo lag moved by %d samples; re-aligning the echo canceller.", offset - self._offset)
        self._offset = offset
        self._reset_filter()
        self._pretrain()

    def _pretrain(self) -> None:
        """Run the filter twice over the microphone's past second, so it cancels from the start."""
        count = (len(self._mic_history) - len(self._pending)) // self._block
        end = self._mic_index
        history_start = self._received - len(self._mic_history)
        for _ in range(2):
            self._mic_index = end - count * self._block
            self._prime()
            for _ in range(count):
                start = self._mic_index - history_start
                self._process_block(self._mic_history[start : start + self._block])
        self._mic_index = end

    def _prime(self) -> None:
        """Fill the filter's reference history for the blocks before the next one."""
        base = self._mic_index + (self._offset or 0)
        for index in range(self._partitions):
            frame = self._reference.read(base - (index + 2) * self._block, 2 * self._block)
            self._history[index] = np.fft.rfft(frame)
        self._previous_ref = self._reference.read(base - self._block, self._block)
        self._power = np.maximum(np.mean(np.abs(self._history) ** 2, axis=0), 1e-3)

    def _process_block(self, mic: Samples) -> Samples:
        start = self._mic_index
        self._mic_index += self._block
        if self._offset is None:
            return mic
        ref = self._reference.read(start + self._offset, self._block)
        frame = np.concatenate([self._previous_ref, ref])
        self._previous_ref = ref
        self._history = np.roll(self._history, 1, axis=0)
        self._history[0] = np.fft.rfft(frame)
        echo = np.fft.irfft(np.sum(self._history * self._weights, axis=0))[self._block :]
        error = mic - echo
        self.echo_level = float(np.mean(echo**2))
        if not self._frozen:
            self._adapt(error, echo)
        return error.astype(np.float32)

    def _adapt(self, error: Doubles, echo: Doubles) -> None:
        frame_power = np.abs(self._history[0]) ** 2
        self._power = 0.9 * self._power + 0.1 * frame_power
        if float(np.sum(frame_power)) < SILENT_POWER * (2 * self._block) ** 2:
            return  # nothing played: nothing to learn from
        zeros = np.zeros(self._block)
        error_spectrum = np.fft.rfft(np.concatenate([zeros, error]))
        echo_spectrum = np.fft.rfft(np.concatenate([zeros, echo]))
        steps = self._control.steps(error, echo, np.abs(error_spectrum) ** 2, np.abs(echo_spectrum) ** 2)
        total_power = self._power * self._partitions + 1e-6
        self._weights += np.conj(self._history) * (steps * error_spectrum / total_power)
        # Keep each partition's impulse response causal and `block` long.
        taps = np.fft.irfft(self._weights, axis=1)
        taps[:, self._block :] = 0
        self._weights = np.fft.rfft(taps, axis=1)
