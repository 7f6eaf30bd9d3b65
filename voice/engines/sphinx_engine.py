"""PocketSphinx engine: the command word graph as a finite-state grammar with a garbage path.

Measured choices (scripts/bench_recognition.py over dev_audio/):
- The grammar is the minimal word graph of the compiled phrases, loaded as an FSG. The same
  graph written as JSGF (voice.grammar.to_jsgf) decodes identically but about six times slower,
  because PocketSphinx expands every JSGF rule reference into copies joined by empty links.
- Other speech is caught by a garbage path beside the commands: a loop of everyday words
  (content/asr.toml) that chatter fits better than any command.
- Each utterance is decoded whole with its own cepstral mean (``full_utt``); carrying the mean
  over from the previous utterance (live CMN) loses many first words after a change of voice.
- Digital silence (exact zeros, as from synthesis or a muted virtual microphone) upsets the
  front end's normalisation, so a faint noise floor 55 dB under the utterance's peak is added.
- Out-of-grammar rejection trades against accuracy in noise: the garbage path takes noisy
  commands too (dev set: chatter to "none" 6 % -> 90 %, clean commands 95 % -> 91 %, 10 dB
  noise 77 % -> 60 %). A phone loop as garbage, or a likelihood ratio against a phone decode,
  separated chatter from commands worse; spectral subtraction helped 5 dB noise but hurt far speech.
- Lattice rescoring (``bestpath``) is off: on FSG searches it returned truncated hypotheses.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from voice.asr import POCKETSPHINX, AsrData, Transcript
from voice.content import Content
from voice.errors import ContentError, ModelError
from voice.grammar import WordGraph, word_graph

log = logging.getLogger(__name__)

SEARCH = "commands"


@dataclass(frozen=True)
class SphinxTuning:
    """Decoder settings, measured on the dev set."""

    beam: float = 1e-60
    """HMM pruning beam (wider than the default 1e-48: fewer lost commands, a little slower)."""
    word_beam: float = 1e-45
    """Word-exit pruning beam."""
    phone_beam: float = 1e-60
    """Phone-transition pruning beam."""
    garbage_weight: float = 1e-6
    """Prior probability of the garbage path against the commands."""
    garbage_loop: float = 1e-8
    """Probability of each further word on the garbage path."""
    garbage_min_words: int = 2
    """Fewest words on the garbage path, so a short command is never taken for a garbage word."""
    floor_db: float = 55.0
    """Level, below the utterance's peak, of the noise floor added against digital silence."""


def _transitions(
    graph: WordGraph, garbage: tuple[str, ...], tuning: SphinxTuning
) -> tuple[int, int, list[Any]]:
    """(start, final, transitions) of the FSG: commands, and beside them the garbage loop."""
    count = len(graph.edges)
    start, final = count, count + 1
    weight = tuning.garbage_weight if garbage else 0.0
    transitions: list[Any] = [(start, graph.start, 1.0 - weight)]
    for state, edges in enumerate(graph.edges):
        ways = len(edges) + (state in graph.final)
        transitions += [(state, edge.target, 1.0 / ways, edge.word) for edge in edges]
        if state in graph.final:
            transitions.append((state, final, 1.0 / ways))
    if garbage:
        transitions += _garbage_path(start, final, count + 2, garbage, weight, tuning)
    return start, final, transitions


def _garbage_path(
    start: int,
    final: int,
    first: int,
    garbage: tuple[str, ...],
    weight: float,
    tuning: SphinxTuning,
) -> list[Any]:
    """At least ``garbage_min_words`` everyday words, every word after the first costing ``garbage_loop``."""
    count = max(1, tuning.garbage_min_words)
    before = [first + 2 * i for i in range(count)]
    after = [state + 1 for state in before]
    transitions: list[Any] = [(start, before[0], weight)]
    for here, there in zip(before, after, strict=True):
        transitions += [(here, there, 1.0 / len(garbage), word) for word in garbage]
    transitions += [
        (done, following, tuning.garbage_loop) for done, following in zip(after, before[1:], strict=False)
    ]
    transitions += [
        (after[-1], before[-1], tuning.garbage_loop),
        (after[-1], final, 1.0 - tuning.garbage_loop),
    ]
    return transitions


class SphinxRecognizer:
    """PocketSphinx with the US-English model that ships in its wheel."""

    engine = POCKETSPHINX

    def __init__(
        self,
        graph: WordGraph,
        pronunciations: dict[str, tuple[str, ...]],
        garbage_words: tuple[str, ...] = (),
        tuning: SphinxTuning | None = None,
    ) -> None:
        import pocketsphinx

        self.tuning = tuning or SphinxTuning()
        self._hmm = pocketsphinx.get_model_path("en-us/en-us")
        try:
            self._decoder = pocketsphinx.Decoder(
                hmm=self._hmm,
                dict=pocketsphinx.get_model_path("en-us/cmudict-en-us.dict"),
                lm=None,
                loglevel="FATAL",
                bestpath=False,
                beam=self.tuning.beam,
                wbeam=self.tuning.word_beam,
                pbeam=self.tuning.phone_beam,
            )
        except (RuntimeError, ValueError) as error:
            raise ModelError(f"PocketSphinx cannot load its model in {self._hmm}: {error}") from None
        self._add_words(graph.words, pronunciations)
        self.garbage = self._usable_garbage(garbage_words, set(graph.words))
        start, final, transitions = _transitions(graph, self.garbage, self.tuning)
        fsg = self._decoder.create_fsg(SEARCH, start, final, transitions)
        self._decoder.add_fsg(SEARCH, fsg)
        self._decoder.activate_search(SEARCH)
        self._audio: list[bytes] = []

    @classmethod
    def for_content(
        cls, content: Content, asr: AsrData, tuning: SphinxTuning | None = None
    ) -> SphinxRecognizer:
        """A recogniser for every phrase compiled from the content."""
        graph = word_graph(phrase.text for phrase in content.phrases)
        return cls(graph, asr.pronunciations, asr.garbage_words, tuning)

    @property
    def model(self) -> str:
        """The acoustic model folder."""
        return f"US-English model {self._hmm}"

    def _add_words(self, words: tuple[str, ...], pronunciations: dict[str, tuple[str, ...]]) -> None:
        missing = [w for w in words if self._decoder.lookup_word(w) is None and w not in pronunciations]
        if missing:
            raise ContentError(
                f"content/asr.toml: no pronunciation for {', '.join(missing)} "
                "(PocketSphinx's dictionary lacks them)"
            )
        additions = [
            (word if number == 1 else f"{word}({number})", phones)
            for word, variants in pronunciations.items()
            for number, phones in enumerate(variants, start=1)
        ]
        additions = [(name, phones) for name, phones in additions if self._decoder.lookup_word(name) is None]
        for index, (name, phones) in enumerate(additions, start=1):
            try:
                self._decoder.add_word(name, phones, index == len(additions))
            except RuntimeError:
                raise ContentError(f"content/asr.toml: bad pronunciation for '{name}': {phones}") from None

    def _usable_garbage(self, words: tuple[str, ...], command_words: set[str]) -> tuple[str, ...]:
        usable = tuple(
            w for w in dict.fromkeys(words) if w not in command_words and self._decoder.lookup_word(w)
        )
        if len(usable) < len(set(words) - command_words):
            log.debug("garbage words not in the dictionary were left out")
        return usable

    def accept(self, pcm: bytes) -> None:
        """Collect audio; the utterance is decoded whole by ``final`` (one cepstral mean per utterance)."""
        self._audio.append(pcm)

    def reset(self) -> None:
        """Forget the current utterance."""
        self._audio.clear()

    def _conditioned(self, pcm: bytes) -> bytes:
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
        peak = float(np.max(np.abs(samples)))
        spread = max(1.0, peak * 10 ** (-self.tuning.floor_db / 20))
        noisy = samples + np.random.default_rng(len(samples)).normal(0.0, spread, len(samples))
        return np.clip(np.rint(noisy), -32768, 32767).astype("<i2").tobytes()

    def final(self) -> Transcript:
        """Decode the collected utterance; garbage-path results come back as ""."""
        started = time.perf_counter()
        pcm = b"".join(self._audio)
        self._audio.clear()
        if len(pcm) < 3200:
            return Transcript("", 0.0, (time.perf_counter() - started) * 1000)
        self._decoder.start_utt()
        self._decoder.process_raw(self._conditioned(pcm), full_utt=True)
        self._decoder.end_utt()
        hypothesis = self._decoder.hyp()
        words = hypothesis.hypstr.split() if hypothesis is not None else []
        garbage = set(self.garbage)
        text = "" if any(word in garbage for word in words) else " ".join(words)
        confidence = 0.9 if text else 0.0
        return Transcript(text, confidence, (time.perf_counter() - started) * 1000)
