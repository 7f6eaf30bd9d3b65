"""Hands-free enrolment: the coach says each sentence, the person repeats it, the recording is checked.

Stoppable by "stop" at any time; the recordings kept so far stay, and the next ``stretch-coach enrol``
continues with the sentences still missing. Each line said and each outcome is also printed."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from voice.apps.enrol import EnrolOptions, outcome_line
from voice.apps.recognize import recognize_pcm
from voice.audio.endpointer import Endpointer, EndpointSettings, Kind
from voice.audio.microphone import Microphone, find_device
from voice.audio.speaker import AudioOutput, open_output
from voice.content import load_content
from voice.enrolment.build import FEWEST_USABLE, BuildSettings, EnrolmentError, build_profile, new_reader
from voice.enrolment.checks import CheckSettings, recording_problem
from voice.enrolment.prompts import Prompt, load_prompts
from voice.enrolment.reader import SentenceReader
from voice.enrolment.store import default_profile_folder, recordings_folder, save_recording
from voice.enrolment.tools import find_tools
from voice.listening.engines import open_recognizer
from voice.listening.intent import IntentMatcher
from voice.listening.recognizer import ListenSettings, Recognizer
from voice.speech.synthesis import SpeechSettings, Synthesizer

log = logging.getLogger(__name__)

TRIES = 3
"""Each sentence is asked for at most three times (the first, and again at most twice)."""
ANSWER_SECONDS = 12.0
"""How long the person has to start repeating a sentence."""
SETTLE_SECONDS = 0.3
"""Audio thrown away after the coach stops talking (its own voice still fading in the room)."""
ENDPOINT = EndpointSettings(hangover=0.9, max_seconds=20.0)
"""A sentence read aloud has pauses between words: the utterance ends only after 0.9 s of quiet."""

INTRO = (
    "Let's teach me your voice. I will say a sentence, then you say it after me, in your normal voice. "
    "There are {count} sentences; it takes about two minutes. Say stop at any time to finish; "
    "what you have read is kept."
)
ASK = "Please say: {text}"
AGAIN = "I did not catch that clearly. Once more: {text}"
STOPPED = "Stopped. I kept {count} sentences; say enrol again to carry on where we left off."
TOO_FEW = "I have {count} sentences so far; I need at least {needed}. Run enrol again to carry on."
BUILT = "Thank you. I have learned your voice from {count} sentences, and I will use it from now on."
NOT_BETTER = "Thank you. Your recordings did not make recognition better, so I keep listening as before."


@dataclass(frozen=True)
class Parts:
    """What a live enrolment talks and listens with."""

    say: Callable[[str], None]
    """Says a line and returns when it has been played."""
    microphone: Microphone
    """The open microphone."""
    commands: Recognizer
    """The command recogniser (to hear "stop")."""
    matcher: IntentMatcher
    """Turns what it heard into an intent."""
    reader: SentenceReader
    """Checks that a recording holds its sentence."""


def _speaker(
    speech: SpeechSettings, device: str | None, out: IO[str]
) -> tuple[Callable[[str], None], AudioOutput]:
    synthesizer = Synthesizer(speech)
    output = open_output(device)

    def say(text: str) -> None:
        out.write(f"say: {text}\n")
        out.flush()
        done = threading.Event()
        pcm = synthesizer.synthesize(text, speech.rate)
        output.play(pcm, lambda _interrupted: done.set())
        done.wait(timeout=60)

    return say, output


def _utterance(microphone: Microphone) -> bytes | None:
    """The next utterance heard, or None when nobody spoke in time."""
    settle_until = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < settle_until:
        microphone.read(timeout=0.1)
    endpointer = Endpointer(ENDPOINT)
    deadline = time.monotonic() + ANSWER_SECONDS
    audio: list[bytes] = []
    while time.monotonic() < deadline or audio:
        block = microphone.read(timeout=0.5)
        if block is None:
            continue
        for event in endpointer.push(block):
            if event.kind is Kind.END:
                return b"".join(audio)
            audio.append(event.audio)
    return None


def _is_stop(pcm: bytes, parts: Parts) -> bool:
    return bool(recognize_pcm(pcm, parts.commands, parts.matcher)["intent"] == "stop")


def _record(prompt: Prompt, parts: Parts, folder: Path, out: IO[str]) -> bool | None:
    """Ask for one sentence (up to TRIES times): True when kept, False when given up, None on "stop"."""
    for attempt in range(TRIES):
        parts.say((ASK if attempt == 0 else AGAIN).format(text=prompt.text))
        out.write(f"listening: {prompt.sentence_id}\n")
        out.flush()
        pcm = _utterance(parts.microphone)
        if pcm is not None and _is_stop(pcm, parts):
            return None
        problem = (
            "nothing heard"
            if pcm is None
            else recording_problem(pcm, prompt.text, parts.reader, CheckSettings())
        )
        if problem is None and pcm is not None:
            save_recording(folder, prompt.sentence_id, pcm)
            out.write(f"kept: {prompt.sentence_id}\n")
            return True
        out.write(f"again: {prompt.sentence_id}: {problem}\n")
        out.flush()
    return False


def run_enrol_live(
    options: EnrolOptions,
    listen: ListenSettings,
    speech: SpeechSettings,
    output_device: str | None,
    out: IO[str],
) -> int:
    """The spoken enrolment; returns the exit status."""
    find_tools()  # the tools missing: say so before asking anyone to read anything
    folder = options.profile or default_profile_folder()
    prompts = load_prompts(options.content_dir)
    content = load_content(options.content_dir)
    say, output = _speaker(speech, output_device, out)
    microphone = Microphone(find_device(listen.device))
    microphone.start()
    try:
        parts = Parts(
            say,
            microphone,
            open_recognizer(content, listen),
            IntentMatcher(content),
            new_reader(prompts, options.content_dir),
        )
        return _session(prompts, parts, folder, options, out)
    finally:
        microphone.close()
        output.close()


def _session(
    prompts: tuple[Prompt, ...], parts: Parts, folder: Path, options: EnrolOptions, out: IO[str]
) -> int:
    done = {path.stem for path in recordings_folder(folder).glob("*.wav")}
    todo = [p for p in prompts if p.sentence_id not in done]
    parts.say(INTRO.format(count=len(todo)))
    for prompt in todo:
        kept = _record(prompt, parts, folder, out)
        if kept is None:
            parts.say(STOPPED.format(count=len(list(recordings_folder(folder).glob("*.wav")))))
            return 0
    count = len(list(recordings_folder(folder).glob("*.wav")))
    if count < FEWEST_USABLE:
        parts.say(TOO_FEW.format(count=count, needed=FEWEST_USABLE))
        return 1
    settings = BuildSettings(method=options.method, content_dir=options.content_dir)
    try:
        built = build_profile(
            recordings_folder(folder), folder, settings, report=lambda line: log.warning("%s", line)
        )
    except EnrolmentError as error:
        parts.say(TOO_FEW.format(count=count, needed=FEWEST_USABLE))
        raise error
    out.write(outcome_line(built, folder) + "\n")
    parts.say((BUILT if built.adaptation is not None else NOT_BETTER).format(count=built.usable))
    return 0
