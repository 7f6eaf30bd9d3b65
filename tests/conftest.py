"""Shared fixtures: a private PulseAudio null sink as virtual speaker and microphone, espeak-ng speech."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SINK = "room"
"""Name of the null sink: what is played to it is what its monitor (the microphone) hears."""


@dataclass(frozen=True)
class PulseSink:
    """A running private PulseAudio server whose null sink is both speaker and microphone.

    While the ``pulse_sink`` fixture is active, ``os.environ`` holds ``XDG_RUNTIME_DIR`` and
    ``PULSE_SERVER`` of its server and PortAudio has been re-initialised, so sounddevice's ``pulse``
    device (ALSA's pulse plugin) plays into the sink and records its monitor. A newly opened output
    stream stalls ~2 s before it flows (the idle null sink wakes late); wait for it before timing.
    """

    env: dict[str, str]
    """Full environment that reaches this server (for subprocesses such as paplay or parecord)."""
    runtime_dir: Path
    """The server's private XDG_RUNTIME_DIR."""
    server: str
    """The PULSE_SERVER address (``unix:<runtime_dir>/pulse/native``)."""
    sink: str = SINK
    """The null sink, also the default sink."""
    monitor: str = f"{SINK}.monitor"
    """The sink's monitor source, also the default source."""
    device: str = "pulse"
    """The sounddevice (ALSA) device name for both output and input."""

    @classmethod
    def start(cls, sink: str = SINK) -> PulseSink:
        """Start another private server (its own runtime folder); ``os.environ`` is left alone."""
        runtime = Path(tempfile.mkdtemp(prefix="stretch-coach-pulse-"))
        server = f"unix:{runtime / 'pulse' / 'native'}"
        env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "PULSE_SERVER": server}
        started = cls(env=env, runtime_dir=runtime, server=server, sink=sink, monitor=f"{sink}.monitor")
        try:
            subprocess.run(
                ["pulseaudio", "-D", "--exit-idle-time=-1", "-n", "--load=module-native-protocol-unix",
                 f"--load=module-null-sink sink_name={sink}", "--load=module-always-sink"],
                env=env, check=True, capture_output=True,
            )
            _wait_for_server(env)
            started.pactl("set-default-sink", sink)
            started.pactl("set-default-source", started.monitor)
        except BaseException:
            started.stop()
            raise
        return started

    def stop(self) -> None:
        """Stop the server (by the pid in its runtime folder) and remove the folder."""
        _stop_server(self.runtime_dir)
        shutil.rmtree(self.runtime_dir, ignore_errors=True)

    def play(self, wav: Path) -> subprocess.Popen[bytes]:
        """Play a WAV into the room, as a person speaking, without waiting."""
        return subprocess.Popen(["paplay", f"--device={self.sink}", str(wav)], env=self.env)

    def pactl(self, *args: str) -> str:
        """Run pactl against this server and return its output."""
        done = subprocess.run(["pactl", *args], env=self.env, check=True, capture_output=True, text=True)
        return done.stdout


PulseRoom = PulseSink
"""Earlier name of PulseSink."""


def _wait_for_server(env: dict[str, str]) -> None:
    for _ in range(100):
        if subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode == 0:
            return
        time.sleep(0.1)
    raise RuntimeError("the private PulseAudio server did not start within 10 s")


def _server_pid(runtime: Path) -> int | None:
    try:
        return int((runtime / "pulse" / "pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _stop_server(runtime: Path) -> None:
    pid = _server_pid(runtime)
    if pid is None:
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)


def _set_environ(values: dict[str, str | None]) -> None:
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def _restart_portaudio() -> None:
    """PortAudio (and ALSA's pulse plugin) read the environment and list devices only when
    initialised, which sounddevice does at import; re-initialise so they see the current server.
    Must run while no stream is open."""
    import sounddevice as sd

    sd._terminate()
    sd._initialize()


@pytest.fixture(autouse=True)
def private_data_folder(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Text and live sessions keep their history in a throwaway data folder, never the person's own."""
    folder = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("XDG_DATA_HOME", str(folder))
    return folder


@pytest.fixture(scope="session")
def pulse_sink() -> Iterator[PulseSink]:
    """Start a private PulseAudio with a null sink ``room`` (default sink; ``room.monitor`` is the
    default source); sounddevice's ``pulse`` device then plays into it and records what it plays."""
    if shutil.which("pulseaudio") is None or shutil.which("pactl") is None:
        pytest.skip("needs pulseaudio and pactl (scripts/setup.sh --test installs them)")
    sink = PulseSink.start()
    previous = {name: os.environ.get(name) for name in ("XDG_RUNTIME_DIR", "PULSE_SERVER")}
    try:
        _set_environ({"XDG_RUNTIME_DIR": str(sink.runtime_dir), "PULSE_SERVER": sink.server})
        _restart_portaudio()
        yield sink
    finally:
        sink.stop()
        _set_environ(previous)
        _restart_portaudio()


@pytest.fixture(scope="session")
def pulse_room(pulse_sink: PulseSink) -> PulseSink:
    """Earlier name of ``pulse_sink``."""
    return pulse_sink


requires_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")
"""Marker for tests that need real espeak-ng speech."""


@pytest.fixture(scope="session")
def espeak() -> str:
    """Path of the espeak-ng program; skips the test when it is not installed."""
    path = shutil.which("espeak-ng")
    if path is None:
        pytest.skip("needs espeak-ng (sudo apt-get install espeak-ng)")
    return path


def espeak_wav(folder: Path, text: str, voice: str = "en-us", speed: int = 150, pad: float = 0.0) -> Path:
    """Real espeak-ng speech as a 16 kHz mono 16-bit WAV (converted by sox), with ``pad`` seconds of
    silence on each side."""
    raw = folder / "raw.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text], check=True)
    name = "".join(c if c.isalnum() else "_" for c in f"{text}_{voice}_{speed}")[:60] + ".wav"
    out = folder / name
    convert = ["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(out), "pad", str(pad), str(pad)]
    subprocess.run(convert, check=True)
    return out
