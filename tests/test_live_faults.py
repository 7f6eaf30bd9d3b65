"""Faults in the live session that need no sound card: a signal at a bad moment, a crashing listener."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

FAKES = '''
import time
from voice.listening.recognizer import Transcript

class FakeRecognizer:
    """A fake recogniser (the test is about signals, not hearing): hears nothing."""
    engine = "fake"
    model = "none"
    def accept(self, pcm): pass
    def reset(self): pass
    def final(self): return Transcript("", 0.0, 0.0)

class FakeMicrophone:
    """A fake microphone giving silence in 20 ms blocks."""
    name = "fake microphone"
    def start(self): pass
    def read(self, timeout=0.5):
        time.sleep(0.02)
        return bytes(640)
    def close(self): pass
'''


def run_script(body: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    script = FAKES + textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def test_sigterm_while_the_loop_holds_its_queue_lock_still_ends_the_session() -> None:
    done = run_script('''
        import os, signal
        from voice.listening.recognizer import ListenSettings
        from voice.content import load_content
        from voice.apps.live import LiveSession, LiveSettings
        from voice.coach.settings import CoachSettings
        from voice.speech.synthesis import SpeechSettings

        settings = LiveSettings(CoachSettings(), SpeechSettings(), ListenSettings(), output_device="no-such")
        live = LiveSession(load_content(), settings, FakeRecognizer(), FakeMicrophone, None, None)

        def signal_inside_the_queue_lock():
            with live.loop._inbox.mutex:  # the main thread in the middle of a queue operation
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(0.2)  # the handler runs here, on this thread, while the lock is held

        live.loop.post(signal_inside_the_queue_lock)
        print("status", live.run(FakeMicrophone()))
    ''', timeout=20)
    assert "status 0" in done.stdout, done.stderr[-2000:]


class FakeSpeakerStream:
    """A fake output stream (no device needed to race two failure reports): opens, abandons, closes."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.abandoned = 0

    def open(self) -> None:
        pass

    def abandon(self) -> None:
        self.abandoned += 1

    def close(self) -> None:
        pass


def test_a_speaker_failure_reported_by_two_threads_at_once_is_handled_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from voice.audio import speaker as playback

    class SlowNullOutput(playback.NullOutput):
        """The real stand-in, made slow to build so that two reports overlap for certain."""

        def __init__(self) -> None:
            time.sleep(0.05)
            super().__init__()

    monkeypatch.setattr(playback, "SpeakerStream", FakeSpeakerStream)
    monkeypatch.setattr(playback, "NullOutput", SlowNullOutput)
    lost: list[str] = []
    output = playback.SoundDeviceOutput("fake", on_lost=lost.append)
    reporters = [threading.Thread(target=output._failed, args=(why,)) for why in ("stopped", "stalled")]
    for reporter in reporters:
        reporter.start()
    for reporter in reporters:
        reporter.join()
    assert len(lost) == 1, lost
    assert output.stream.abandoned == 1  # type: ignore[attr-defined]


class FakeMicrophoneThatBreaks:
    """A fake microphone (a bug cannot be summoned in real PortAudio): silence in 20 ms blocks; the
    first opening raises an unexpected error (not AudioDeviceError) on its fifth read."""

    name = "fake microphone"

    def __init__(self, openings: list[int]) -> None:
        self.openings = openings

    def start(self) -> None:
        self.openings.append(0)
        self.number = len(self.openings)

    def read(self, timeout: float = 0.5) -> bytes | None:
        self.openings[-1] += 1
        if self.number == 1 and self.openings[-1] == 5:
            raise ZeroDivisionError("a bug somewhere in the audio path")
        time.sleep(0.02)
        return bytes(640)

    def close(self) -> None:
        pass


def test_the_listener_survives_any_error_logs_it_and_opens_the_microphone_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from voice.clock import MonotonicClock
    from voice.listening.listener import Listener, ListenerHooks
    from voice.listening.recognizer import Transcript

    class FakeRecognizer:
        """A fake recogniser: the test is about the listener's thread, not hearing."""

        engine, model = "fake", "none"

        def accept(self, pcm: bytes) -> None:
            pass

        def reset(self) -> None:
            pass

        def final(self) -> Transcript:
            return Transcript("", 0.0, 0.0)

    openings: list[int] = []
    reports: list[str] = []
    hooks = ListenerHooks(heard=lambda u: None, lost=reports.append, back=lambda name: reports.append(name))
    listener = Listener(lambda: FakeMicrophoneThatBreaks(openings), FakeRecognizer(), MonotonicClock(), hooks,
                        delay=lambda attempt: 0.01)
    listener.start(listener.open_first())
    deadline = time.monotonic() + 5
    while (len(openings) < 2 or openings[-1] < 10) and time.monotonic() < deadline:
        time.sleep(0.02)
    listener.stop()
    assert len(openings) == 2 and openings[-1] >= 10, openings  # reading again after the error
    assert reports == ["listening failed: a bug somewhere in the audio path", "fake microphone"]
    assert "ZeroDivisionError" in caplog.text  # logged with its traceback, for a bug report


class FakeMicrophoneUnplugged:
    """A fake microphone (unplugging a USB device cannot be done here): the first opening reads
    silence, then fails; every later opening fails, as a device that never comes back."""

    name = "fake microphone"

    def __init__(self, openings: list[int]) -> None:
        self.openings = openings

    def start(self) -> None:
        from voice.errors import AudioDeviceError

        self.openings.append(0)
        if len(self.openings) > 1:
            raise AudioDeviceError("no input device matches 'fake microphone'")

    def read(self, timeout: float = 0.5) -> bytes | None:
        from voice.errors import AudioDeviceError

        self.openings[-1] += 1
        if self.openings[-1] > 5:
            raise AudioDeviceError("the input device fake microphone stopped")
        time.sleep(0.02)
        return bytes(640)

    def close(self) -> None:
        pass


def test_a_microphone_gone_for_long_rereads_the_devices_then_ends_the_session_with_status_1(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from voice.apps.live import LiveSession, LiveSettings
    from voice.audio import portaudio
    from voice.audio.portaudio import Patience
    from voice.coach.settings import CoachSettings
    from voice.content import load_content
    from voice.listening.recognizer import ListenSettings, Transcript
    from voice.speech.synthesis import SpeechSettings

    class FakeRecognizer:
        """A fake recogniser: the test is about the microphone."""

        engine, model = "fake", "none"

        def accept(self, pcm: bytes) -> None:
            pass

        def reset(self) -> None:
            pass

        def final(self) -> Transcript:
            return Transcript("", 0.0, 0.0)

    refreshes: list[bool] = []
    real_refresh = portaudio.refresh
    monkeypatch.setattr(portaudio, "refresh", lambda: refreshes.append(real_refresh()) or True)
    openings: list[int] = []
    patience = Patience(refresh_after=0.5, give_up_after=2.0)
    settings = LiveSettings(CoachSettings(), SpeechSettings(), ListenSettings(), output_device="no-such",
                            patience=patience)
    log = io.StringIO()
    live = LiveSession(load_content(), settings, FakeRecognizer(), lambda: FakeMicrophoneUnplugged(openings),
                       log, None)
    first = FakeMicrophoneUnplugged(openings)
    first.start()
    status: list[int] = []
    runner = threading.Thread(target=lambda: status.append(live.run(first)), daemon=True)
    runner.start()
    runner.join(timeout=30)
    if runner.is_alive():
        live.stop()
        runner.join(timeout=10)
    assert status == [1], log.getvalue()[-2000:]
    assert refreshes, "the device list was never read again"
    notices = [json.loads(line)["text"] for line in log.getvalue().splitlines() if '"notice"' in line]
    assert any(text.startswith("giving up (the microphone has been gone for") for text in notices), notices
