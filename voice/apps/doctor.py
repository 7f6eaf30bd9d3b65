"""``stretch-coach doctor``: one line per check of what a hands-free session needs, with a fix if it fails."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import IO

import numpy as np

from voice.audio.microphone import Microphone, find_device
from voice.content import Content, load_content
from voice.errors import CoachError
from voice.listening.engines import open_recognizer
from voice.listening.recognizer import VOSK, ListenSettings
from voice.pcm import TARGET_RATE as RATE
from voice.pcm import Int16, Pcm, read_wav_pcm16k
from voice.speech.synthesis import SpeechSettings, Synthesizer

log = logging.getLogger(__name__)

SOUND_CHECK_PHRASE = "this is the stretch coach"
"""Spoken for the speaker and microphone checks when the content, and so a command, cannot be had."""
RECORD_SECONDS = 2.0
"""How long the microphone is recorded (longer while the speaker's test phrase still plays)."""
PLAY_TIMEOUT = 10.0
"""Longest wait for the speaker to finish the test phrase (an idle sound server may start late)."""
QUIET_DBFS = -35.0
"""A microphone whose loudest sound, with the test phrase playing, is below this is too quiet."""
CLIPPED_SHARE = 0.001
"""More than this share of samples at full scale means the microphone gain is too high."""
MIN_AVAILABLE_MB = 300
"""Free memory a session needs: the coach and its recogniser took ~220 MB together once warmed up
(scripts/bench_startup.py), with room to spare."""
MIN_CORES = 2
"""The recogniser runs in a process of its own beside the audio; one core is not enough."""


class Verdict(StrEnum):
    """How a check ended."""

    OK = "ok"
    WARN = "warn"
    FAIL = "FAIL"
    SKIP = "skip"


@dataclass(frozen=True)
class Finding:
    """The outcome of one check, printed as one line."""

    check: str
    """What was checked."""
    verdict: Verdict
    """Passed, passed with advice, failed or could not be run."""
    detail: str
    """What was found."""
    fix: str = ""
    """What to do about it, when something is wrong."""

    def line(self) -> str:
        """The printed line."""
        fix = f" -> {self.fix}" if self.fix else ""
        return f"{self.verdict.value:<4}  {self.check}: {self.detail}{fix}"


@dataclass(frozen=True)
class DoctorSettings:
    """What the doctor checks: the same devices, engine and content a session would use."""

    listen: ListenSettings
    """Engine, model and microphone."""
    output_device: str | None
    """Speaker (name part or number), or None for the default."""
    content_dir: Path | None
    """Content folder, or None for the built-in one."""
    voice: str | None = None
    """The coach's espeak-ng voice."""
    retention: Retention | None = None
    """What is kept on the device, and for how long."""


@dataclass(frozen=True)
class Retention:
    """Where the history and event logs go and how long they are kept (config ``history-days`` ...)."""

    history: Path
    """The history file."""
    days: int
    """Sessions older than this are deleted at the start; 0 keeps them all."""
    events: Path | None
    """The event log, or None when none is written."""
    logs_kept: int
    """Earlier event logs kept beside it."""


def check_kept(retention: Retention) -> Finding:
    """What the coach keeps on the device and for how long (a reminder, never a failure)."""
    days = f"the last {retention.days} days" if retention.days else "until 'history --forget'"
    logs = f"{retention.events} and {retention.logs_kept} earlier" if retention.events else "none written"
    return Finding("kept", Verdict.OK, f"history {retention.history} ({days}); event logs: {logs}")


def _dbfs(level: float) -> float:
    return 20 * np.log10(level / 32768) if level > 0 else float("-inf")


def check_phrase(content: Content | None) -> str:
    """What the checks say: starting the content's first exercise (by its first name), a command."""
    if content is None:
        return SOUND_CHECK_PHRASE
    first = content.exercises[0]
    return content.examples.get("start", "start {exercise}").replace("{exercise}", first.names[0])


def check_espeak(phrase: str) -> tuple[Finding, Pcm | None]:
    """The espeak-ng program speaks the test phrase (it becomes the test speech of later checks)."""
    fix = "install it with: sudo apt-get install espeak-ng"
    program = shutil.which("espeak-ng")
    if program is None:
        return Finding("espeak-ng", Verdict.FAIL, "not found on PATH", fix), None
    with tempfile.TemporaryDirectory(prefix="stretch-coach-doctor-") as folder:
        wav = Path(folder) / "phrase.wav"
        try:
            command = [program, "-w", str(wav), phrase]
            subprocess.run(command, check=True, capture_output=True, timeout=30)
            pcm = np.frombuffer(read_wav_pcm16k(wav), dtype="<i2").astype(np.int16)
        except (OSError, subprocess.SubprocessError, CoachError) as error:
            return Finding("espeak-ng", Verdict.FAIL, f"cannot speak ({error})", fix), None
    speech = Pcm(pcm, RATE)
    return Finding("espeak-ng", Verdict.OK, f"speaks ({speech.duration:.1f} s for '{phrase}')"), speech


def check_voice(voice: str | None) -> Finding:
    """The coach's own voice (pyttsx3 on espeak-ng) renders a line."""
    synthesizer = Synthesizer(SpeechSettings(voice=voice))
    try:
        pcm = synthesizer.synthesize("Hello.")
    except CoachError as error:
        return Finding("coach's voice", Verdict.FAIL, str(error), "check the 'voice' setting")
    finally:
        synthesizer.close()
    return Finding("coach's voice", Verdict.OK, f"pyttsx3 renders with {voice or 'the default voice'} "
                   f"({pcm.duration:.1f} s)")


def check_content(folder: Path | None) -> tuple[Finding, Content | None]:
    """The exercises and command phrases load."""
    try:
        content = load_content(folder)
    except CoachError as error:
        return Finding("content", Verdict.FAIL, str(error), "fix the file named, or remove 'content'"), None
    detail = f"{len(content.exercises)} exercises, {len(content.phrases)} command phrases"
    return Finding("content", Verdict.OK, detail), content


def check_recognizer(content: Content | None, settings: ListenSettings, speech: Pcm | None) -> Finding:
    """The engine and model load, and hear the test phrase (starting the first exercise) fed straight in."""
    from voice.listening.intent import IntentMatcher

    if content is None:
        return Finding("recogniser", Verdict.SKIP, "needs the content to build its grammar")
    try:
        recognizer = open_recognizer(content, settings)
    except CoachError as error:
        fix = "check it with: stretch-coach model verify, or install one with: stretch-coach model download"
        return Finding("recogniser", Verdict.FAIL, str(error), fix)
    name = f"{recognizer.engine} ({recognizer.model})"
    if speech is None:
        return Finding("recogniser", Verdict.SKIP, f"{name} loads; no test speech to hear without espeak-ng")
    pad = np.zeros(RATE // 2, dtype=np.int16)
    recognizer.reset()
    recognizer.accept(np.concatenate([pad, speech.samples, pad]).tobytes())
    transcript = recognizer.final()
    intent = IntentMatcher(content).match(transcript.text, transcript.confidence)
    if (intent.name, intent.exercise) != ("start", content.exercises[0].id):
        heard = f"{name} heard '{transcript.text}' for '{check_phrase(content)}'"
        return Finding("recogniser", Verdict.FAIL, heard,
                       "use the English model: stretch-coach model verify, or set engine = \"pocketsphinx\"")
    return Finding("recogniser", Verdict.OK, f"{name} heard '{transcript.text}'")


def check_profile(content: Content | None, settings: ListenSettings) -> Finding:
    """The voice profile made by ``stretch-coach enrol``: none, not switched on, or loading."""
    from voice.enrolment.store import default_profile_folder, load_adaptation, read_info
    from voice.listening.engines import choose_engine

    folder = default_profile_folder()
    try:
        info, adaptation = read_info(folder), load_adaptation(folder)
    except CoachError as error:
        return Finding("voice profile", Verdict.WARN, str(error), "stretch-coach enrol")
    if info is None:
        return Finding("voice profile", Verdict.OK, "none (optional: stretch-coach enrol learns your voice)")
    if adaptation is None:
        return Finding("voice profile", Verdict.OK, f"{info.method} in {folder}, not switched on (it did not "
                       "help on your held-back recordings)")
    try:
        engine, _ = choose_engine(settings)
        if engine == VOSK:
            return Finding("voice profile", Verdict.OK, f"{info.method} in {folder}; used only with "
                           "PocketSphinx: Vosk adapts to each speaker by itself as it listens")
        if content is not None:
            open_recognizer(content, replace(settings, adaptation=adaptation))
    except CoachError as error:
        return Finding("voice profile", Verdict.FAIL, f"{folder} does not load: {error}",
                       "enrol again, or remove it: stretch-coach enrol --forget")
    built = f"{info.method} from {len(info.sentences)} sentences"
    return Finding("voice profile", Verdict.OK, f"{built} loads ({folder})")


class _Recording:
    """Records the microphone on a thread while the speaker plays."""

    def __init__(self, device: str | None) -> None:
        self.device = device
        self.microphone: Microphone | None = None
        self.blocks: list[bytes] = []
        self.failure: CoachError | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="doctor-microphone", daemon=True)

    def start(self) -> None:
        """Open the microphone (AudioDeviceError when there is none) and record on a thread."""
        self.microphone = Microphone(find_device(self.device))
        self.microphone.start()
        self._thread.start()

    @property
    def seconds(self) -> float:
        """How much has been recorded so far."""
        return float(sum(len(block) for block in self.blocks) / 2 / RATE)

    @property
    def name(self) -> str:
        """The microphone's name."""
        return self.microphone.name if self.microphone else str(self.device)

    def _run(self) -> None:
        assert self.microphone is not None
        try:
            while not self._stop.is_set():
                block = self.microphone.read(timeout=0.2)
                if block:
                    self.blocks.append(block)
        except CoachError as error:
            self.failure = error

    def stop(self) -> Int16:
        """Stop recording; everything recorded, as 16 kHz samples."""
        self._stop.set()
        self._thread.join(timeout=2)
        if self.microphone is not None:
            self.microphone.close()
        return np.frombuffer(b"".join(self.blocks), dtype="<i2").astype(np.int16)


def check_speaker(device: str | None, sound: Pcm) -> Finding:
    """The speaker opens and plays the sound to its end (blocks while it plays)."""
    from voice.audio.speaker import SoundDeviceOutput
    from voice.errors import AudioDeviceError

    fix = "plug in a speaker, or choose one with --output-device (or 'output-device' in the config)"
    try:
        speaker = SoundDeviceOutput(device)
    except AudioDeviceError as error:
        return Finding("speaker", Verdict.FAIL, str(error), fix)
    done = threading.Event()
    cut: list[bool] = []

    def finished(interrupted: bool) -> None:
        cut.append(interrupted)
        done.set()

    speaker.play(sound, finished)
    played = done.wait(PLAY_TIMEOUT)
    failed = speaker.failed
    speaker.close()
    if not played or failed or any(cut):
        return Finding("speaker", Verdict.FAIL, f"'{device or 'default'}' opened but did not play the phrase "
                       f"within {PLAY_TIMEOUT:.0f} s", fix)
    return Finding("speaker", Verdict.OK, f"'{device or 'default'}' played a {sound.duration:.1f} s phrase")


def check_microphone(recorded: Int16, failure: CoachError | None, name: str, played: bool = True) -> Finding:
    """Level and clipping of what the microphone recorded (while the speaker ``played``), with advice."""
    fix = "plug in a microphone, or choose one with --device (see: stretch-coach --list-devices)"
    if failure is not None and len(recorded) == 0:
        return Finding("microphone", Verdict.FAIL, str(failure), fix)
    if len(recorded) < RATE:
        detail = f"{name} sent only {len(recorded) / RATE:.1f} s of audio"
        return Finding("microphone", Verdict.FAIL, detail, fix)
    samples = recorded.astype(np.float64)
    peak = float(np.abs(samples).max())
    rms = float(np.sqrt(np.mean(samples**2)))
    clipped = float(np.mean(np.abs(samples) >= 32767))
    detail = (f"{name}: {len(recorded) / RATE:.1f} s, level {_dbfs(rms):.0f} dBFS, "
              f"peak {_dbfs(peak):.0f} dBFS, {clipped:.1%} clipped")
    if peak == 0 and not played:
        return Finding("microphone", Verdict.WARN, detail + ", only silence (nothing was played)",
                       "check again once the speaker works")
    if peak == 0:
        return Finding("microphone", Verdict.FAIL, detail + ", only silence",
                       "unmute it and raise its gain (alsamixer), or choose another with --device")
    if clipped > CLIPPED_SHARE:
        return Finding("microphone", Verdict.WARN, detail, "turn the gain down (alsamixer)")
    if _dbfs(peak) < QUIET_DBFS:
        return Finding("microphone", Verdict.WARN, detail, "move closer, or turn the gain up (alsamixer)")
    return Finding("microphone", Verdict.OK, detail)


def check_sound(settings: DoctorSettings, speech: Pcm | None) -> list[Finding]:
    """Record the microphone while the speaker plays the test phrase (a tone without espeak-ng)."""
    recording = _Recording(settings.listen.device)
    try:
        recording.start()
    except CoachError as error:
        fix = "plug in a microphone, or choose one with --device (see: stretch-coach --list-devices)"
        return [check_speaker(settings.output_device, speech or _tone()),
                Finding("microphone", Verdict.FAIL, str(error), fix)]
    started = time.monotonic()
    speaker = check_speaker(settings.output_device, speech or _tone())
    while recording.seconds < RECORD_SECONDS and time.monotonic() - started < PLAY_TIMEOUT:
        time.sleep(0.05)
    recorded = recording.stop()
    played = speaker.verdict is Verdict.OK
    return [speaker, check_microphone(recorded, recording.failure, recording.name, played)]


def _tone() -> Pcm:
    t = np.arange(RATE) / RATE
    return Pcm((8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16), RATE)


def check_memory() -> Finding:
    """Enough free memory for a session."""
    try:
        meminfo = Path("/proc/meminfo").read_text()
    except OSError:
        return Finding("memory", Verdict.SKIP, "cannot read /proc/meminfo")
    fields = dict(line.split(":", 1) for line in meminfo.splitlines() if ":" in line)
    available = int(fields.get("MemAvailable", "0 kB").split()[0]) // 1024
    if available < MIN_AVAILABLE_MB:
        return Finding("memory", Verdict.FAIL, f"{available} MB free, {MIN_AVAILABLE_MB} MB needed",
                       "close other programs")
    return Finding("memory", Verdict.OK, f"{available} MB free ({MIN_AVAILABLE_MB} MB needed)")


def check_cores() -> Finding:
    """Enough processor cores for the recogniser beside the audio."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if cores < MIN_CORES:
        return Finding("cores", Verdict.FAIL, f"{cores} core, {MIN_CORES} needed",
                       "use a Raspberry Pi with more cores (3, 4, 5 or Zero 2)")
    return Finding("cores", Verdict.OK, f"{cores} ({MIN_CORES} needed)")


def run_doctor(settings: DoctorSettings, out: IO[str]) -> int:
    """Run every check, printing each line as it is known; 0 only when the coach can run hands-free."""
    findings: list[Finding] = []

    def report(finding: Finding) -> None:
        findings.append(finding)
        out.write(finding.line() + "\n")
        out.flush()

    content_finding, content = check_content(settings.content_dir)
    espeak, speech = check_espeak(check_phrase(content))
    report(espeak)
    report(check_voice(settings.voice))
    report(content_finding)
    report(check_recognizer(content, settings.listen, speech))
    report(check_profile(content, settings.listen))
    for finding in check_sound(settings, speech):
        report(finding)
    report(check_memory())
    report(check_cores())
    if settings.retention is not None:
        report(check_kept(settings.retention))
    failed = [finding.check for finding in findings if finding.verdict is Verdict.FAIL]
    out.write(f"{'not ready: ' + ', '.join(failed) if failed else 'ready: the coach can run hands-free'}\n")
    return 1 if failed else 0
