"""Speech out for a live session: synthesise (cached), play on the speaker, report back."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from voice.events import Say
from voice.playback import Clip, SpeakerStream
from voice.session import SpeechListener
from voice.tts import Synthesizer

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
