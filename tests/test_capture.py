"""Audio in: device choice by name, and real capture through the virtual sound card (PulseAudio null sink)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import requires_espeak
from voice.apps.cli import main
from voice.apps.recognize import recognize_pcm
from voice.audio.microphone import InputDevice, Microphone, find_device, format_devices, input_devices
from voice.content import load_content
from voice.errors import AudioDeviceError
from voice.listening.engines.asr_data import load_asr_data
from voice.listening.engines.sphinx_engine import SphinxRecognizer
from voice.listening.intent import IntentMatcher
from voice.pcm import TARGET_RATE, read_wav
from voice.testing.audio import espeak_wav, write_wav
from voice.testing.pulse import PulseSink

DEVICES = [
    InputDevice(0, "HDA Intel PCH: ALC257 Analog (hw:0,0)", 2, 48000, False),
    InputDevice(1, "USB PnP Sound Device: Audio (hw:1,0)", 1, 44100, False),
    InputDevice(2, "USB Camera: Audio (hw:2,0)", 2, 16000, False),
    InputDevice(3, "pulse", 32, 44100, True),
]


def test_device_by_part_of_its_name() -> None:
    assert find_device("pnp", DEVICES) == DEVICES[1]
    assert find_device("PULSE", DEVICES) == DEVICES[3]
    assert find_device("2", DEVICES) == DEVICES[2]
    assert find_device(None, DEVICES) is None


def test_ambiguous_name_lists_the_candidates() -> None:
    with pytest.raises(
        AudioDeviceError, match=r"'usb' matches several input devices: 'USB PnP.*', 'USB Camera.*'"
    ):
        find_device("usb", DEVICES)


def test_missing_name_lists_every_device() -> None:
    with pytest.raises(
        AudioDeviceError, match="no input device matches 'blue yeti'; input devices: 'HDA Intel"
    ):
        find_device("blue yeti", DEVICES)


def test_device_list_marks_the_default() -> None:
    listing = format_devices(DEVICES)
    assert "*   3  pulse  (32 ch, 44100 Hz)" in listing
    assert format_devices([]) == "no input devices found"


@pytest.mark.pulse
def test_list_devices_shows_the_virtual_microphone(
    pulse_sink: PulseSink, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--list-devices"]) == 0
    assert "pulse" in capsys.readouterr().out
    assert any(device.name == pulse_sink.device for device in input_devices())


def room_wav(folder: Path, text: str) -> Path:
    """A person's command with a second of quiet room around it (a real microphone is never silent)."""
    speech = read_wav(espeak_wav(folder, text)).astype(np.float64)
    samples = np.concatenate([np.zeros(TARGET_RATE), speech, np.zeros(TARGET_RATE)])
    samples += np.random.default_rng(0).normal(0, 3e-4, len(samples))
    return write_wav(folder / "person.wav", samples)


def record_while(microphone: Microphone, player: subprocess.Popen[bytes], tail: float = 0.5) -> bytes:
    """Everything the microphone hears while ``player`` runs, and ``tail`` seconds of audio after."""
    audio = bytearray()
    after = 0
    while after < tail * TARGET_RATE * 2:
        block = microphone.read(0.5) or b""
        audio += block
        if player.poll() is not None:
            after += len(block)
    return bytes(audio)


@requires_espeak
@pytest.mark.audio
@pytest.mark.pulse
def test_command_played_into_the_room_is_recognised_from_the_pulse_device(
    pulse_sink: PulseSink,
    tmp_path: Path,
) -> None:
    content = load_content()
    recognizer = SphinxRecognizer.for_content(content, load_asr_data())
    matcher = IntentMatcher(content)
    wav = room_wav(tmp_path, "start the hamstring stretch")
    with Microphone(find_device("pulse")) as microphone:
        audio = record_while(microphone, pulse_sink.play(wav))
    assert microphone.dropped == 0
    record = recognize_pcm(audio, recognizer, matcher)
    assert (record["intent"], record["exercise"]) == ("start", "hamstring")
