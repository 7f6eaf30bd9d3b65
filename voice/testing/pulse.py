"""A private PulseAudio server whose null sink is a virtual speaker and microphone."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

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


def set_environ(values: dict[str, str | None]) -> None:
    """Set (or, for None, remove) environment variables of this process."""
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def restart_portaudio() -> None:
    """PortAudio (and ALSA's pulse plugin) read the environment and list devices only when
    initialised, which sounddevice does at import; re-initialise so they see the current server.
    Must run while no stream is open."""
    import sounddevice as sd

    sd._terminate()  # sounddevice has no public way to re-initialise PortAudio
    sd._initialize()
