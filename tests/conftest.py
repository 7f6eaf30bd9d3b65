"""Shared fixtures: a private PulseAudio null sink as virtual speaker and microphone, espeak-ng speech."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from voice.pcm import read_wav


@dataclass(frozen=True)
class PulseRoom:
    """A running private PulseAudio server whose null sink "room" is speaker and microphone."""

    env: dict[str, str]
    """Environment that reaches this server (for subprocesses such as paplay)."""
    device: str
    """The sounddevice name of the ALSA device that goes through PulseAudio."""

    def play(self, wav: Path) -> subprocess.Popen[bytes]:
        """Play a WAV into the room, as a person speaking, without waiting."""
        return subprocess.Popen(["paplay", "--device=room", str(wav)], env=self.env)


def _wait_for_server(env: dict[str, str]) -> None:
    for _ in range(50):
        if subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode == 0:
            return
        time.sleep(0.1)
    raise RuntimeError("PulseAudio did not start")


@pytest.fixture(scope="session")
def pulse_room() -> Iterator[PulseRoom]:
    """Start PulseAudio with a null sink; sounddevice's "pulse" device then plays into it and
    records its monitor, so what the coach plays comes back on the microphone, as in a room."""
    if shutil.which("pulseaudio") is None or shutil.which("pactl") is None:
        pytest.skip("needs pulseaudio and pactl (scripts/setup.sh --test installs them)")
    runtime = tempfile.mkdtemp(prefix="stretch-coach-pulse-")
    env = {**os.environ, "XDG_RUNTIME_DIR": runtime}
    subprocess.run(
        ["pulseaudio", "-D", "--exit-idle-time=-1", "-n", "--load=module-native-protocol-unix",
         "--load=module-null-sink sink_name=room", "--load=module-always-sink"],
        env=env, check=True, capture_output=True,
    )
    _wait_for_server(env)
    subprocess.run(["pactl", "set-default-sink", "room"], env=env, check=True)
    subprocess.run(["pactl", "set-default-source", "room.monitor"], env=env, check=True)
    previous = os.environ.get("XDG_RUNTIME_DIR")
    os.environ["XDG_RUNTIME_DIR"] = runtime
    _restart_portaudio()  # PortAudio lists devices once; let it see the new server
    try:
        yield PulseRoom(env=env, device="pulse")
    finally:
        subprocess.run(["pulseaudio", "--kill"], env=env, capture_output=True)
        if previous is None:
            os.environ.pop("XDG_RUNTIME_DIR", None)
        else:
            os.environ["XDG_RUNTIME_DIR"] = previous
        shutil.rmtree(runtime, ignore_errors=True)


def _restart_portaudio() -> None:
    import sounddevice as sd

    sd._terminate()
    sd._initialize()


requires_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")


def espeak_wav(folder: Path, text: str, voice: str = "en-us", speed: int = 150, pad: float = 0.0) -> Path:
    """Real espeak-ng speech as a 16 kHz mono WAV, with ``pad`` seconds of silence on each side."""
    raw = folder / "raw.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text], check=True)
    samples = read_wav(raw)
    silence = np.zeros(int(pad * 16000), dtype=np.float32)
    samples = np.concatenate([silence, samples, silence])
    name = "".join(c if c.isalnum() else "_" for c in f"{text}_{voice}_{speed}")[:60] + ".wav"
    out = folder / name
    with wave.open(str(out), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16000)
        wav.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return out
