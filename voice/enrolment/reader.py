"""What PocketSphinx hears in a read sentence: a loop over the sentences' and everyday words.

Used to check that a recording holds roughly its sentence (music, silence or another language give
few of its words in order), and to score a profile on held-back recordings (word errors)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from voice.enrolment.adapt import words_of
from voice.enrolment.base_model import wheel_dictionary, wheel_model
from voice.errors import ModelError
from voice.listening.engines.sphinx_engine import dictionary_lines
from voice.listening.recognizer import Adaptation

SEARCH = "sentences"


def matched_words(heard: Sequence[str], said: Sequence[str]) -> int:
    """How many words of ``said`` were heard in order (longest common subsequence)."""
    previous = [0] * (len(said) + 1)
    for word in heard:
        current = [0]
        for index, target in enumerate(said):
            current.append(
                previous[index] + 1 if word == target else max(previous[index + 1], current[index])
            )
        previous = current
    return previous[-1]


def word_errors(heard: Sequence[str], said: Sequence[str]) -> int:
    """Substitutions, insertions and deletions between what was heard and what was said."""
    previous = list(range(len(said) + 1))
    for row, word in enumerate(heard, start=1):
        current = [row]
        for index, target in enumerate(said):
            current.append(
                min(previous[index] + (word != target), previous[index + 1] + 1, current[index] + 1)
            )
        previous = current
    return previous[-1]


class SentenceReader:
    """PocketSphinx over a loop of known words, with or without a voice profile."""

    def __init__(
        self, texts: Iterable[str], extra_words: Iterable[str], adaptation: Adaptation | None = None
    ) -> None:
        import pocketsphinx

        adaptation = adaptation or Adaptation()
        vocabulary = {word for text in texts for word in words_of(text)} | set(extra_words)
        with tempfile.TemporaryDirectory(prefix="stretch-coach-enrol-") as folder:
            words = Path(folder) / "words.dict"
            lines = dictionary_lines(wheel_dictionary(), vocabulary)
            words.write_text("".join(lines), encoding="utf-8")
            known = sorted({line.split(maxsplit=1)[0].split("(", 1)[0] for line in lines})
            options: dict[str, Any] = {"mllr": str(adaptation.mllr)} if adaptation.mllr else {}
            try:
                self._decoder = pocketsphinx.Decoder(
                    hmm=str(adaptation.hmm or wheel_model()),
                    dict=str(words),
                    lm=None,
                    loglevel="FATAL",
                    bestpath=False,
                    beam=1e-30,
                    wbeam=1e-20,
                    pbeam=1e-30,
                    maxhmmpf=4000,
                    **options,
                )
            except (RuntimeError, ValueError) as error:
                raise ModelError(f"PocketSphinx cannot load the voice profile: {error}") from None
        loop = " | ".join(word.replace("'", "\\'") for word in known)
        self._decoder.add_jsgf_string(SEARCH, f"#JSGF V1.0;\ngrammar loop;\npublic <loop> = ({loop})+;\n")
        self._decoder.activate_search(SEARCH)

    def heard(self, pcm: bytes) -> list[str]:
        """The words heard in one recording (16 kHz mono 16-bit)."""
        self._decoder.start_utt()
        self._decoder.process_raw(pcm, full_utt=True)
        self._decoder.end_utt()
        hypothesis = self._decoder.hyp()
        return hypothesis.hypstr.split() if hypothesis is not None else []
