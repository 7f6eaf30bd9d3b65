"""Audio in: pick a microphone by name, capture at a rate it supports, hand out 16 kHz mono PCM."""

from __future__ import annotations

import logging
import queue
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from voice.audio import portaudio
from voice.errors import AudioDeviceError
from voice.pcm import TARGET_RATE, PcmConverter

log = logging.getLogger(__name__)

BLOCK_SECONDS = 0.02
"""Length of one captured microphone block."""
SILENT_DEVICE_SECONDS = 3.0
"""A running input stream that delivers nothing for this long has failed."""
OPENING_SECONDS = 6.0
"""A newly opened stream, microphone or speaker, is not checked for silence or stalls this long: an idle
PulseAudio source may take seconds to deliver, and a sink, after PortAudio fills its buffer at once,
to ask for more."""
QUEUE_BLOCKS = 250
"""Blocks the capture queue holds (5 s) before new blocks are dropped and counted."""


@dataclass(frozen=True)
class InputDevice:
    """A capture device as PortAudio lists it."""

    index: int
    """PortAudio device number."""
    name: str
    """Device name."""
    channels: int
    """Most input channels it offers."""
    default_rate: int
    """Its preferred sample rate."""
    is_default: bool
    """Whether it is the system's default input."""


def _sounddevice() -> Any:
    try:
        import sounddevice
    except OSError as error:  # the PortAudio library itself is missing
        raise AudioDeviceError(f"cannot use audio devices: {error} (install libportaudio2)") from None
    return sounddevice


def input_devices() -> list[InputDevice]:
    """Every device with at least one input channel."""
    sd = _sounddevice()
    try:
        devices = sd.query_devices()
        default = sd.default.device[0]
    except sd.PortAudioError as error:
        raise AudioDeviceError(f"cannot list audio devices: {error}") from None
    return [
        InputDevice(
            index,
            str(info["name"]),
            int(info["max_input_channels"]),
            int(info["default_samplerate"]),
            index == default,
        )
        for index, info in enumerate(devices)
        if int(info["max_input_channels"]) > 0
    ]


def format_devices(devices: list[InputDevice]) -> str:
    """The device list for ``--list-devices`` (default marked with *)."""
    if not devices:
        return "no input devices found"
    lines = [
        f"{'*' if device.is_default else ' '} {device.index:3d}  {device.name}  "
        f"({device.channels} ch, {device.default_rate} Hz)"
        for device in devices
    ]
    return "\n".join(["input devices (* = default):", *lines])


def _names(devices: list[InputDevice]) -> str:
    return ", ".join(f"'{device.name}'" for device in devices) or "none"


def find_device(wanted: str | None, devices: list[InputDevice] | None = None) -> InputDevice | None:
    """The input device whose name holds ``wanted`` (or with that number); None means the default."""
    if wanted is None:
        return None
    devices = input_devices() if devices is None else devices
    if wanted.isdigit():
        by_number = [device for device in devices if device.index == int(wanted)]
        if by_number:
            return by_number[0]
    exact = [device for device in devices if device.name.lower() == wanted.lower()]
    matches = exact or [device for device in devices if wanted.lower() in device.name.lower()]
    if not matches:
        raise AudioDeviceError(f"no input device matches '{wanted}'; input devices: {_names(devices)}")
    if len(matches) > 1:
        raise AudioDeviceError(
            f"'{wanted}' matches several input devices: {_names(matches)}; give more of the name"
        )
    return matches[0]


def capture_rate(device: InputDevice | None, channels: int = 1) -> int:
    """16 kHz when the device takes it, else the device's own rate (converted afterwards)."""
    sd = _sounddevice()
    index = None if device is None else device.index
    try:
        sd.check_input_settings(device=index, channels=channels, dtype="int16", samplerate=TARGET_RATE)
        return TARGET_RATE
    except (sd.PortAudioError, ValueError):
        pass
    try:
        info = sd.query_devices(index, "input")
    except (sd.PortAudioError, ValueError) as error:
        name = "the default input device" if device is None else f"input device {device.name}"
        raise AudioDeviceError(f"cannot use {name}: {error}") from None
    return int(info["default_samplerate"])


class Microphone:
    """Captures from one device; the PortAudio callback only copies bytes into a bounded queue."""

    def __init__(self, device: InputDevice | None = None, block_seconds: float = BLOCK_SECONDS) -> None:
        self.device = device
        self.channels = 1
        self.rate = capture_rate(device, self.channels)
        self._block = max(1, round(self.rate * block_seconds))
        self._queue: queue.Queue[bytes] = queue.Queue(maxsize=QUEUE_BLOCKS)
        self._converter = PcmConverter(self.rate, self.channels)
        self._stream: Any = None
        self._last_block = 0.0
        self.dropped = 0
        """Blocks lost because the reader fell behind."""

    @property
    def name(self) -> str:
        """Name of the device in use."""
        return self.device.name if self.device else "default input"

    def _callback(self, indata: Any, frames: int, when: Any, status: Any) -> None:
        try:
            self._queue.put_nowait(bytes(indata))
        except queue.Full:
            self.dropped += 1

    def start(self) -> None:
        """Open the device and start capturing."""
        sd = _sounddevice()
        try:
            with portaudio.LOCK:
                stream = sd.RawInputStream(
                    samplerate=self.rate,
                    blocksize=self._block,
                    device=None if self.device is None else self.device.index,
                    channels=self.channels,
                    dtype="int16",
                    callback=self._callback,
                )
                portaudio.STREAMS.opened()
                self._stream = stream
                stream.start()
            self._last_block = time.monotonic() + OPENING_SECONDS
        except (sd.PortAudioError, ValueError) as error:
            raise AudioDeviceError(f"cannot open input device {self.name}: {error}") from None
        log.debug("capturing from %s at %d Hz", self.name, self.rate)

    def read(self, timeout: float = 0.5) -> bytes | None:
        """The next captured audio as 16 kHz mono 16-bit PCM, or None if nothing came in time.

        Raises AudioDeviceError when the device has failed: its stream stopped, or it has sent
        nothing for ``SILENT_DEVICE_SECONDS`` (an unplugged USB microphone may just go quiet)."""
        try:
            raw = self._queue.get(timeout=timeout)
        except queue.Empty:
            self._check_alive()
            return None
        self._last_block = time.monotonic()
        return self._converter.push(raw)

    def _check_alive(self) -> None:
        stream = self._stream
        if stream is None or not stream.active:
            raise AudioDeviceError(f"the input device {self.name} stopped")
        if time.monotonic() - self._last_block > SILENT_DEVICE_SECONDS:
            raise AudioDeviceError(f"the input device {self.name} sends no audio")

    def close(self) -> None:
        """Stop capturing and close the device."""
        if self._stream is not None:
            stream, self._stream = self._stream, None
            try:
                stream.stop()
            finally:
                stream.close()  # never raises; the stream is closed after it
                portaudio.STREAMS.closed()

    def __enter__(self) -> Microphone:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
