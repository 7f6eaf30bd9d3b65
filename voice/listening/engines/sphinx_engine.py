"""PocketSphinx engine: the command word graph as a finite-state grammar with a garbage path.

Why it is built this way, with the figures: docs/recognition.md ("How the PocketSphinx engine
is built").
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from voice.audio.frontend import level_spread_db, suppressed
from voice.audio.tones import is_tone
from voice.confidence import GRAMMAR_HIT_CONFIDENCE, URGENT_CONFIDENCE
from voice.content import URGENT_INTENTS, Content
from voice.errors import ContentError, ModelError
from voice.listening.engines.asr_data import AsrData
from voice.listening.engines.sphinx_fsg import CommandGraphs, command_graphs, fsg_transitions
from voice.listening.grammar import WordGraph, word_graph
from voice.listening.recognizer import POCKETSPHINX, Adaptation, Transcript
from voice.pcm import SAMPLE_BYTES, TARGET_RATE

log = logging.getLogger(__name__)

MIN_DECODE_SECONDS = 0.1
"""Shorter audio holds no command word (the shortest, "ow", lasts longer); it is not decoded."""

SEARCH = "commands"
SPOTTING_SEARCH = "urgent-spotting"
SPOTTING_FLOOR = 1e-50
"""Threshold of the spotting search itself: it reports nearly every candidate, and each word's own
least margin (``AsrData.spotting_margins``) then decides."""


@dataclass(frozen=True)
class SphinxTuning:
    """Decoder settings, measured on the dev set."""

    beam: float = 1e-60
    """HMM pruning beam (wider than the default 1e-48: fewer lost commands, a little slower)."""
    word_beam: float = 1e-45
    """Word-exit pruning beam."""
    phone_beam: float = 1e-60
    """Phone-transition pruning beam."""
    max_hmms_per_frame: int = 30000
    """Most HMMs kept active in a frame (PocketSphinx's ``maxhmmpf``; its default is 30000)."""
    frequency_warp: float = 1.0
    """Frequency warp of the front end (inverse linear; 1.0: none): above 1 fits shorter vocal tracts.
    1.08 gains in 20 dB noise and loses far speech, and takes more commands for another that moves on."""
    noisy_suppression: int = 4
    """WebRTC noise suppression level (1-4; 0: off) for utterances heard in noise (``noisy_below_db``):
    left-out voices in 10 dB noise 0.52 -> 0.57, in 5 dB 0.33 -> 0.37, other conditions unchanged
    (the leave-one-voice-out choice in 10 folds of 14; level 3 gives the same but for 0.01)."""
    noisy_below_db: float = 22.0
    """An utterance is heard in noise when its loud frames are less than this above its quiet ones
    (synthetic speech on the development voices: clean 57-75 dB, far 23-25, 20 dB noise 26-31,
    10 dB noise 15-21)."""
    garbage_weight: float = 1e-6
    """Prior probability of the garbage path against the commands."""
    garbage_loop: float = 1e-8
    """Probability of each further word on the garbage path."""
    garbage_min_words: int = 4
    """Fewest words on the garbage path: chatter fills four easily, a short command in noise does not."""
    barge_in_max_seconds: float = 2.5
    """Only utterances this short get the urgent reading (``urgent_garbage_words``): urgent words
    are short, chatter is not (and each second reading costs as much again as the first)."""
    floor_db: float = 55.0
    """Level, below the utterance's peak, of the noise floor added against digital silence."""
    tone_check: bool = True
    """Utterances that are beeps, alarms or chirps rather than a voice are not decoded
    (``voice.audio.tones``: no speech clip of any development voice or pitch is dropped)."""
    streaming: bool = False
    """Make the first reading while the person speaks (so the result is ready at the endpoint)."""
    cmn_init: str = "50.70,-3.97,-1.64,8.68,-7.51,-2.99,-3.25,-7.55,-2.89,-3.25,0.05,-1.82,-0.17"
    """Cepstral mean a streamed utterance starts from: the clean commands' mean over the development
    voices (``bench_recognition.py --learn-cmn``). Each utterance starts afresh from it: a mean
    carried over loses first words after a change of voice, the model's own start many more."""
    urgent_garbage_words: int = 0
    """Fewest garbage words in the urgent reading: an utterance the first reading called garbage is
    read again with a dearer garbage path, and an urgent word found there is accepted (0: off)."""
    urgent_spotting: bool = False
    """Spot urgent words in utterances the first reading called garbage, each at its own least margin."""
    urgent_grammar_words: int = 8
    """Fewest garbage words of the urgent-only reading: an utterance the first reading called garbage
    is read again with only the urgent intents' phrases beside the garbage path (0: off). Measured
    leave-one-voice-out: urgent recall 0.62 -> 0.69, non-commands to none unchanged (0.94)."""
    urgent_prior: float | None = None
    """How many times likelier the first reading holds an urgent phrase than its share of first words
    makes it: the urgent and the other phrases are then two graphs side by side, and a command that
    wins only narrowly over an urgent phrase loses to it (None: one graph of all phrases). Off: at 300
    (with sound-alike stops) it recovered 17 of 33 stops lost to other commands but made 31 more false
    pauses in 1,092 commands and lost 5 points of other commands; leave-one-voice-out kept it off in 12 of
    14 folds (scripts/bench_urgent_margin.py)."""


def dictionary_lines(dictionary: Path, vocabulary: set[str]) -> list[str]:
    """The lines of a pronouncing dictionary for the words of ``vocabulary``, every variant included.

    The model's dictionary holds some 130,000 words; loaded whole it costs the recogniser about
    25 MB more than the few hundred words the grammars use. It is read a line at a time.
    """
    kept = []
    with dictionary.open(encoding="utf-8") as lines:
        for line in lines:
            head = line.split(maxsplit=1)[0] if line.strip() else ""
            if head.split("(", 1)[0] in vocabulary:
                kept.append(line if line.endswith("\n") else line + "\n")
    return kept


class SphinxRecognizer:
    """PocketSphinx with the US-English model that ships in its wheel."""

    engine = POCKETSPHINX

    def __init__(
        self,
        graph: WordGraph,
        pronunciations: dict[str, tuple[str, ...]],
        garbage_words: tuple[str, ...] = (),
        tuning: SphinxTuning | None = None,
        urgent_words: frozenset[str] = frozenset(),
        spotting_margins: dict[str, int] | None = None,
        urgent_graph: WordGraph | None = None,
        other_graph: WordGraph | None = None,
        adaptation: Adaptation | None = None,
    ) -> None:
        import pocketsphinx

        self.tuning = tuning or SphinxTuning()
        self.adaptation = adaptation or Adaptation()
        self._hmm = str(self.adaptation.hmm or pocketsphinx.get_model_path("en-us/en-us"))
        full = Path(pocketsphinx.get_model_path("en-us/cmudict-en-us.dict"))
        with tempfile.TemporaryDirectory(prefix="stretch-coach-dict-") as folder:
            words = Path(folder) / "words.dict"
            try:
                lines = dictionary_lines(full, {*graph.words, *garbage_words})
            except OSError as error:
                raise ModelError(f"PocketSphinx cannot read {full}: {error.strerror}") from None
            words.write_text("".join(lines), encoding="utf-8")
            self._decoder = self._open_decoder(pocketsphinx, str(words))
        self._add_words(graph.words, pronunciations)
        self.garbage = self._usable_garbage(garbage_words, set(graph.words))
        self.urgent_words = urgent_words
        self.spotting_margins = {w: m for w, m in (spotting_margins or {}).items() if w in urgent_words}
        self._spotting_ready = False
        self._urgent_graph = urgent_graph
        self._urgent_searches: set[str] = set()
        self._graph = graph
        self._commands = command_graphs(graph, urgent_graph, other_graph, self.tuning.urgent_prior)
        self._searches: dict[int, str] = {}
        for min_words in (self.tuning.garbage_min_words, self.tuning.urgent_garbage_words):
            if min_words and (self.garbage or not self._searches):
                self._search(min_words)
        self._audio: list[bytes] = []
        self._streaming = False
        self._peak = 0.0

    def _open_decoder(self, pocketsphinx: Any, dictionary: str) -> Any:
        try:
            return pocketsphinx.Decoder(
                hmm=self._hmm,
                dict=dictionary,
                lm=None,
                loglevel="FATAL",
                bestpath=False,
                beam=self.tuning.beam,
                wbeam=self.tuning.word_beam,
                pbeam=self.tuning.phone_beam,
                maxhmmpf=self.tuning.max_hmms_per_frame,
                **self._warp(),
                **({"mllr": str(self.adaptation.mllr)} if self.adaptation.mllr else {}),
            )
        except (RuntimeError, ValueError) as error:
            raise ModelError(f"PocketSphinx cannot load its model in {self._hmm}: {error}") from None

    def _warp(self) -> dict[str, str]:
        """Decoder settings for the front end's frequency warp (none when it is 1.0)."""
        if self.tuning.frequency_warp == 1.0:
            return {}
        return {"warp_type": "inverse_linear", "warp_params": f"{self.tuning.frequency_warp:g}"}

    def _search(self, min_words: int) -> str:
        """The commands search whose garbage path takes at least ``min_words`` words (made on first use)."""
        if min_words not in self._searches:
            name = f"{SEARCH}-{min_words}"
            self._add_fsg(name, self._commands, min_words)
            self._searches[min_words] = name
        return self._searches[min_words]

    def _add_fsg(self, name: str, graphs: CommandGraphs, min_words: int) -> None:
        """Add the search ``name``: ``graphs`` beside a garbage path of at least ``min_words`` words."""
        tuning = self.tuning
        start, final, transitions = fsg_transitions(
            graphs, self.garbage, tuning.garbage_weight, tuning.garbage_loop, min_words
        )
        self._decoder.add_fsg(name, self._decoder.create_fsg(name, start, final, transitions))

    @classmethod
    def for_content(
        cls, content: Content, asr: AsrData, tuning: SphinxTuning | None = None,
        adaptation: Adaptation | None = None,
    ) -> SphinxRecognizer:
        """A recogniser for every phrase compiled from the content."""
        graph = word_graph(phrase.text for phrase in content.spoken_phrases)
        urgent = frozenset(word for group in content.urgent for word in group.words)
        unknown = sorted(set(asr.spotting_margins) - urgent)
        if unknown:
            raise ContentError(
                f"content/asr.toml: spotting margin for '{unknown[0]}', which is not an urgent word "
                "in content/commands.toml"
            )
        urgent_graph = word_graph(p.text for p in content.spoken_phrases if p.intent in URGENT_INTENTS)
        other_graph = word_graph(p.text for p in content.spoken_phrases if p.intent not in URGENT_INTENTS)
        return cls(
            graph, asr.pronunciations, asr.garbage_words, tuning, urgent, asr.spotting_margins, urgent_graph,
            other_graph, adaptation,
        )

    @property
    def model(self) -> str:
        """The acoustic model folder, and the person's voice profile when one is loaded."""
        mllr = f" with the voice profile {self.adaptation.mllr}" if self.adaptation.mllr else ""
        return f"US-English model {self._hmm}{mllr}"

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
        """Decode the audio as it comes (the first reading), and keep it for a second reading."""
        if self.tuning.streaming:
            if not self._streaming:
                self._start_stream()
            self._decoder.process_raw(self._floored(pcm), full_utt=False)
        self._audio.append(pcm)

    def reset(self) -> None:
        """Forget the current utterance."""
        self._end_stream()
        self._audio.clear()

    def _start_stream(self) -> None:
        self._decoder.activate_search(self._search(self.tuning.garbage_min_words))
        self._decoder.set_cmn(self.tuning.cmn_init)
        self._decoder.start_utt()
        self._streaming, self._peak = True, 0.0

    def _end_stream(self) -> list[str]:
        """Words of the streamed first reading ([] when nothing was streamed)."""
        if not self._streaming:
            return []
        self._streaming = False
        self._decoder.end_utt()
        hypothesis = self._decoder.hyp()
        return hypothesis.hypstr.split() if hypothesis is not None else []

    def _floored(self, pcm: bytes) -> bytes:
        """A block with the faint noise floor, set by the loudest sound of the utterance so far."""
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
        if not len(samples):
            return pcm
        self._peak = max(self._peak, float(np.max(np.abs(samples))))
        spread = max(1.0, self._peak * 10 ** (-self.tuning.floor_db / 20))
        seed = sum(len(block) for block in self._audio)
        noisy = samples + np.random.default_rng(seed).normal(0.0, spread, len(samples))
        return np.clip(np.rint(noisy), -32768, 32767).astype("<i2").tobytes()

    def _conditioned(self, samples: npt.NDArray[np.float64]) -> bytes:
        peak = float(np.max(np.abs(samples)))
        spread = max(1.0, peak * 10 ** (-self.tuning.floor_db / 20))
        noisy = samples + np.random.default_rng(len(samples)).normal(0.0, spread, len(samples))
        return np.clip(np.rint(noisy), -32768, 32767).astype("<i2").tobytes()

    def cepstral_mean(self) -> str:
        """The decoder's cepstral mean after the last utterance (comma-separated)."""
        mean: str = self._decoder.get_cmn()
        return mean

    def _decode(self, search: str, pcm: bytes) -> list[str]:
        self._decoder.activate_search(search)
        self._decoder.start_utt()
        self._decoder.process_raw(pcm, full_utt=True)
        self._decoder.end_utt()
        hypothesis = self._decoder.hyp()
        return hypothesis.hypstr.split() if hypothesis is not None else []

    def urgent_reading(self, prepared: bytes, min_words: int) -> str:
        """The urgent phrase in a prepared utterance read with only the urgent intents' phrases, or ""."""
        if self._urgent_graph is None or not (min_words and self.garbage):
            return ""
        name = f"urgent-{min_words}"
        if name not in self._urgent_searches:
            self._add_fsg(name, ((self._urgent_graph, 1.0),), min_words)
            self._urgent_searches.add(name)
        return self.command_words(self._decode(name, prepared))

    def _add_spotting_search(self) -> None:
        """The keyword search over every urgent word (made on first use)."""
        if self._spotting_ready:
            return
        with tempfile.NamedTemporaryFile("w", suffix=".kws", delete=False, encoding="utf-8") as keys:
            keys.writelines(f"{word} /{SPOTTING_FLOOR}/\n" for word in sorted(self.urgent_words))
        try:
            self._decoder.add_kws(SPOTTING_SEARCH, keys.name)
        finally:
            os.unlink(keys.name)
        self._spotting_ready = True

    def spotting(self, prepared: bytes) -> dict[str, int]:
        """The best margin over the phone loop of every urgent word found in a prepared utterance."""
        if not self.urgent_words:
            return {}
        self._add_spotting_search()
        self._decoder.activate_search(SPOTTING_SEARCH)
        self._decoder.start_utt()
        self._decoder.process_raw(prepared, full_utt=True)
        self._decoder.end_utt()
        logmath = self._decoder.get_logmath()
        best: dict[str, int] = {}
        for segment in self._decoder.seg():
            word = segment.word.strip()
            if segment.prob > 0.0 and word in self.urgent_words:
                best[word] = max(best.get(word, -(2**31)), int(logmath.log(segment.prob)))
        return best

    def spotted(self, margins: dict[str, int]) -> str:
        """The urgent word spotted most clearly over its own least margin, or ""."""
        over = {
            word: margin - self.spotting_margins[word]
            for word, margin in margins.items()
            if word in self.spotting_margins and margin >= self.spotting_margins[word]
        }
        return max(over, key=lambda word: over[word]) if over else ""

    def command_words(self, words: list[str]) -> str:
        """The words, or "" when the garbage path won."""
        garbage = set(self.garbage)
        return "" if any(word in garbage for word in words) else " ".join(words)

    def rejection(self, pcm: bytes) -> str:
        """Why an utterance is not decoded: "too short", "beep", or "" (it is decoded)."""
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
        if len(samples) < MIN_DECODE_SECONDS * TARGET_RATE:
            return "too short"
        return "beep" if self.tuning.tone_check and is_tone(samples) else ""

    def prepared(self, pcm: bytes) -> bytes | None:
        """The utterance as the decoder takes it, or None when it is too short or a beep."""
        if self.rejection(pcm):
            return None
        return self._conditioned(np.frombuffer(pcm, dtype="<i2").astype(np.float64))

    def denoised(self, pcm: bytes) -> bytes:
        """The utterance with its noise suppressed when it was heard in noise, else as it came."""
        if not self.tuning.noisy_suppression or level_spread_db(pcm) >= self.tuning.noisy_below_db:
            return pcm
        return suppressed(pcm, self.tuning.noisy_suppression)

    def reading(self, prepared: bytes, garbage_min_words: int) -> list[str]:
        """The words of a prepared utterance, read with a garbage path of at least that many words."""
        return self._decode(self._search(garbage_min_words), prepared)

    def _second_reading(self, prepared: bytes, min_words: int) -> str:
        if not (min_words and self.garbage):
            return ""
        if len(prepared) > self.tuning.barge_in_max_seconds * TARGET_RATE * SAMPLE_BYTES:
            return ""
        return self.command_words(self.reading(prepared, min_words))

    def final(self) -> Transcript:
        """Decode the collected utterance; garbage-path results come back as "" (with a second reading).

        ``decode_ms`` is the time from here, the end of the utterance, to the result: with
        ``streaming`` the first reading was made while the person spoke.
        """
        started = time.perf_counter()
        streamed = self._end_stream()
        pcm = b"".join(self._audio)
        self._audio.clear()
        prepared = self.prepared(self.denoised(pcm))
        if prepared is None:
            return Transcript("", 0.0, (time.perf_counter() - started) * 1000)
        first = streamed if self.tuning.streaming else self.reading(prepared, self.tuning.garbage_min_words)
        text = self.command_words(first)
        if text:
            return Transcript(text, GRAMMAR_HIT_CONFIDENCE, (time.perf_counter() - started) * 1000)
        spotted = self.spotted(self.spotting(prepared)) if self.tuning.urgent_spotting else ""
        if spotted:
            return Transcript(spotted, URGENT_CONFIDENCE, (time.perf_counter() - started) * 1000)
        urgent_only = self.urgent_reading(prepared, self.tuning.urgent_grammar_words)
        if urgent_only:
            return Transcript(urgent_only, URGENT_CONFIDENCE, (time.perf_counter() - started) * 1000)
        urgent = self._second_reading(prepared, self.tuning.urgent_garbage_words)
        if self.urgent_words & set(urgent.split()):
            return Transcript(urgent, URGENT_CONFIDENCE, (time.perf_counter() - started) * 1000)
        return Transcript("", 0.0, (time.perf_counter() - started) * 1000)
