"""Speech out for a live session: synthesise (cached), play on the speaker, report back."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from voice.clock import Clock
from voice.echo import ReferenceBuffer
from voice.errors import CoachError
from voice.events import Say
from voice.playback import Clip, SpeakerStream
from voice.session import SpeechListener, SpeechPort
from voice.simulate import SilentSpeaker
from voice.tts import SpeechSettings, Synthesizer

log = logging.getLogger(__name__)

Post = Callable[[Callable[[], None]], None]


class SpeechOut:
    """Plays the session's utterances; start and end reports go back through ``post``."""

    def __init__(
        self, synthesizer: Synthesizer, speaker: SpeakerStream, listener: SpeechListener, post: Post
    ) -> None:
        self._synthesizer = synthesizer
        self._speaker = speaker
        self._listener = listener
        self._post = post
        self.lengths: dict[int, float] = {}
        """Playing time of each utterance, by id."""

    def prepare(self, texts: list[str], rate: int) -> None:
        """Render phrases ahead of time (counts, cues) so they start without delay."""
        self._synthesizer.warm_up(texts, rate)

    def say(self, say: Say) -> None:
        pcm = self._synthesizer.synthesize(say.text, say.rate)
        self.lengths[say.utterance] = pcm.duration
        samples = pcm.samples.astype(np.float32) / 32768.0
        if say.interrupt:
            self._speaker.cut()
        self._speaker.play(Clip(
            samples,
            on_start=lambda: self._post(lambda: self._listener.speech_started(say)),
            on_done=lambda cut: self._post(lambda: self._listener.speech_finished(say, cut)),
        ))

    def cut(self) -> None:
        self._speaker.cut()


@dataclass(frozen=True)
class Voice:
    """The speech output chosen for a session."""

    port: SpeechPort
    """Where the session sends utterances."""
    timed: SilentSpeaker | None
    """The silent stand-in when there is no speaker (it needs the loop's timer)."""
    speaker: SpeakerStream | None
    """The real speaker stream, when there is one."""
    synthesizer: Synthesizer | None
    """The synthesiser, when speech works."""

    def prepare_in_background(self, texts: list[str], rate: int) -> None:
        """Render phrases on a helper thread so counts and cues later start without delay."""
        if self.synthesizer is not None:
            synthesizer = self.synthesizer
            threading.Thread(
                target=synthesizer.warm_up, args=(texts, rate), name="warm-up", daemon=True
            ).start()

    def close(self) -> None:
        """Release the speaker and the synthesiser."""
        if self.speaker is not None:
            self.speaker.close()
        if self.synthesizer is not None:
            self.synthesizer.close()


def open_voice(
    settings: SpeechSettings, device: str | int | None, listener: SpeechListener, post: Post,
    clock: Clock, reference: ReferenceBuffer | None = None,
) -> Voice:
    """Real speech on the speaker if possible; otherwise silent timing, said once in the log."""
    synthesizer = Synthesizer(settings)
    try:
        synthesizer.start()
        speaker = SpeakerStream(device, reference)
        speaker.open()
    except CoachError as error:
        log.warning("%s; continuing without sound.", error)
        silent = SilentSpeaker(clock, listener)
        return Voice(silent, silent, None, None)
    return Voice(SpeechOut(synthesizer, speaker, listener, post), None, speaker, synthesizer)
