"""Vosk engine: streaming recognition restricted to the command phrases; free recognition checks doubts."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from voice.confidence import VOSK_SURE
from voice.content import Content
from voice.errors import ModelError
from voice.listening.engines.asr_data import AsrData
from voice.listening.grammar import UNKNOWN, spell_with, vosk_grammar
from voice.listening.models import find_model
from voice.listening.recognizer import VOSK, Transcript
from voice.pcm import TARGET_RATE

log = logging.getLogger(__name__)

UNKNOWN_TOKENS = (UNKNOWN, "<UNK>", "<unk>")
"""How models spell their unknown word ([unk] in the English models, <UNK> in some others)."""


def _load_model(path: Path) -> Any:
    import vosk

    vosk.SetLogLevel(-1)
    try:
        return vosk.Model(str(path))
    except Exception as error:  # vosk raises a bare Exception when the model cannot be loaded
        raise ModelError(f"{path}: Vosk cannot load this model ({error})") from None


def _finder(model: Any) -> Any:
    return getattr(model, "find_word", None) or model.vosk_model_find_word


def unspell(text: str, sound_alikes: Mapping[str, str]) -> str:
    """Undo ``spell_with``: each sound-alike spelling (longest first) back to its real word."""
    words = text.split()
    spellings = sorted(
        ((alike.split(), word) for word, alike in sound_alikes.items()), key=lambda p: -len(p[0])
    )
    out: list[str] = []
    index = 0
    while index < len(words):
        for alike, word in spellings:
            if words[index : index + len(alike)] == alike:
                out.append(word)
                index += len(alike)
                break
        else:
            out.append(words[index])
            index += 1
    return " ".join(out)


class VoskRecognizer:
    """Vosk with a grammar of every command phrase plus the model's unknown word."""

    engine = VOSK

    def __init__(
        self,
        model_path: Path,
        phrases: Sequence[str],
        sound_alikes: Mapping[str, str],
        free: bool = True,
    ) -> None:
        self._path = model_path
        self._model = _load_model(model_path)
        self._find_word = _finder(self._model)
        self._known: dict[str, bool] = {}
        self.aliases = self._aliases(phrases, sound_alikes)
        self.unknown = next((token for token in UNKNOWN_TOKENS if self._find(token)), None)
        grammar, self._phrase_of = vosk_grammar(phrases, self.aliases, known=self._vocabulary(phrases))
        if self.unknown is None:
            log.warning(
                "%s: the model has no unknown-word token; other speech is checked by free recognition",
                model_path,
            )
        self.grammar = [*grammar[:-1], *([self.unknown] if self.unknown else [])]
        self._free_enabled = free
        self._recognizer = self._new_recognizer(self.grammar)
        self._free: Any = None
        self._segments: list[dict[str, Any]] = []
        self._audio: list[bytes] = []
        self._spent = 0.0

    @classmethod
    def for_content(cls, content: Content, asr: AsrData, model_path: Path | None = None) -> VoskRecognizer:
        """A recogniser for every phrase compiled from the content."""
        path = model_path or find_model(None)
        if path is None:
            raise ModelError("no Vosk model found; get one with 'stretch-coach model download'")
        return cls(path, [phrase.text for phrase in content.spoken_phrases], asr.sound_alikes)

    @property
    def model(self) -> str:
        """The model folder."""
        return str(self._path)

    def _find(self, word: str) -> bool:
        """Whether the model's vocabulary has the word (Model.find_word gives -1 when not)."""
        if word not in self._known:
            self._known[word] = int(self._find_word(word)) != -1
        return self._known[word]

    def _aliases(self, phrases: Sequence[str], sound_alikes: Mapping[str, str]) -> dict[str, str]:
        """Sound-alikes for the words this model lacks; reports every missing word once."""
        missing = sorted({word for phrase in phrases for word in phrase.split() if not self._find(word)})
        aliases = {word: sound_alikes[word] for word in missing if word in sound_alikes}
        for word in missing:
            if word in aliases and all(self._find(part) for part in aliases[word].split()):
                log.warning("Vosk model lacks '%s'; listening for the sound-alike '%s'", word, aliases[word])
            else:
                log.warning(
                    "Vosk model lacks '%s' and has no usable sound-alike; phrases with it are left out", word
                )
        return aliases

    def _vocabulary(self, phrases: Sequence[str]) -> set[str]:
        spoken = {word for phrase in phrases for word in spell_with(phrase, self.aliases).split()}
        return {word for word in spoken if self._find(word)}

    def _new_recognizer(self, grammar: Sequence[str] | None) -> Any:
        import vosk

        if grammar is None:
            recognizer = vosk.KaldiRecognizer(self._model, TARGET_RATE)
        else:
            recognizer = vosk.KaldiRecognizer(
                self._model, TARGET_RATE, json.dumps(list(grammar), ensure_ascii=False)
            )
        recognizer.SetWords(True)
        return recognizer

    def accept(self, pcm: bytes) -> None:
        """Stream audio into the grammar recogniser; completed segments are kept (finals only)."""
        started = time.perf_counter()
        self._audio.append(pcm)
        if self._recognizer.AcceptWaveform(pcm):
            self._segments.append(json.loads(self._recognizer.Result()))
        self._spent += time.perf_counter() - started

    def reset(self) -> None:
        """Forget the current utterance (flushed first: libvosk's Reset alone keeps audio not yet decoded)."""
        if self._audio:
            self._recognizer.FinalResult()
        self._recognizer.Reset()
        self._segments.clear()
        self._audio.clear()
        self._spent = 0.0

    def _words(self, result: dict[str, Any]) -> list[dict[str, Any]]:
        return [word for word in result.get("result", []) if isinstance(word, dict)]

    def _free_text(self) -> str:
        if self._free is None:
            self._free = self._new_recognizer(None)
        self._free.Reset()
        self._free.AcceptWaveform(b"".join(self._audio))
        text = str(json.loads(self._free.FinalResult()).get("text", ""))
        return unspell(" ".join(w for w in text.split() if w not in UNKNOWN_TOKENS), self.aliases)

    def _decide(self, words: list[dict[str, Any]]) -> tuple[str, float]:
        """(text, confidence): the grammar result, or free recognition when it is doubtful."""
        tokens = [str(word["word"]) for word in words]
        known = [token for token in tokens if token not in UNKNOWN_TOKENS]
        confidence = sum(float(word.get("conf", 0.0)) for word in words) / len(words) if words else 0.0
        if known and len(known) == len(tokens) and confidence >= VOSK_SURE:
            spoken = " ".join(known)
            return self._phrase_of.get(spoken, unspell(spoken, self.aliases)), confidence
        if not known or not self._free_enabled:
            return "", confidence
        return self._free_text(), confidence

    def final(self) -> Transcript:
        """Finish the utterance: the final result (segments and the rest), then reset."""
        started = time.perf_counter()
        results = [*self._segments, json.loads(self._recognizer.FinalResult())]
        words = [word for result in results for word in self._words(result)]
        text, confidence = self._decide(words)
        spent = self._spent + time.perf_counter() - started
        self._audio.clear()
        self.reset()
        return Transcript(text, round(confidence, 3), spent * 1000)
