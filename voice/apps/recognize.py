"""The ``recognize`` command's work: WAV files in, one JSON-ready record per file out."""

from __future__ import annotations

import json
import logging
import struct
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from voice.audio.endpointer import speech_span
from voice.audio.frontend import SHIPPED_FRONT_END, cleaned
from voice.content import Content
from voice.errors import AudioFileError
from voice.listening.engines import describe, open_recognizer
from voice.listening.intent import IntentMatcher
from voice.listening.recognizer import ListenSettings, Recognizer
from voice.pcm import TARGET_RATE, read_wav_pcm16k

log = logging.getLogger(__name__)

Record = dict[str, Any]

STREAMED_SIZES = (0, 0xFFFFFFFF)
"""RIFF sizes written by recorders that stream and never go back to fill in the real size."""


EDGE_SILENCE_SECONDS = 0.5
"""Silence added to each end of a recording, so a word at its very edge is found and decoded as live."""


def with_silent_edges(pcm: bytes) -> bytes:
    """The recording (16 kHz mono 16-bit) with ``EDGE_SILENCE_SECONDS`` of silence before and after."""
    silence = bytes(2 * round(EDGE_SILENCE_SECONDS * TARGET_RATE))
    return silence + pcm + silence


def recognize_pcm(pcm: bytes, recognizer: Recognizer, matcher: IntentMatcher) -> Record:
    """Decode one recording (16 kHz mono 16-bit) and match it: the record without its "file"."""
    recognizer.reset()
    speech = speech_span(cleaned(with_silent_edges(pcm), SHIPPED_FRONT_END))
    if speech is not None:
        recognizer.accept(speech)
    transcript = recognizer.final()
    intent = matcher.match(transcript.text, transcript.confidence)
    return {
        "transcript": transcript.text,
        "intent": intent.name,
        "exercise": intent.exercise if intent.name == "start" else None,
        "confidence": round(intent.confidence, 3),
        "decode_ms": round(transcript.decode_ms, 1),
    }


def recognize_file(path: Path, recognizer: Recognizer, matcher: IntentMatcher) -> Record:
    """The record for one WAV file; a file that cannot be used gives an "error" record."""
    try:
        pcm = read_wav_pcm16k(path)
    except AudioFileError as error:
        log.debug("%s", error)
        return {"file": str(path), "error": str(error)}
    missing = missing_bytes(path)
    if missing:
        log.warning("%s: the file is %d bytes shorter than its WAV header says (cut short?); "
                    "decoding the audio that is there", path, missing)
    return {"file": str(path), **recognize_pcm(pcm, recognizer, matcher)}


def missing_bytes(path: Path) -> int:
    """How many bytes a WAV file lacks of the length its RIFF header gives (0 when whole or streamed)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
        size = path.stat().st_size
    except OSError:
        return 0
    if len(head) < 8 or head[:4] != b"RIFF":
        return 0
    (promised,) = struct.unpack("<I", head[4:])
    return 0 if promised in STREAMED_SIZES else max(0, promised + 8 - size)


def recognize_files(
    paths: Iterable[Path], recognizer: Recognizer, matcher: IntentMatcher
) -> Iterator[Record]:
    """Records in input order, one per file, produced as each file is decoded."""
    for path in paths:
        yield recognize_file(path, recognizer, matcher)


def exit_status(records: Iterable[Record]) -> int:
    """1 when any record is an error, else 0."""
    return 1 if any("error" in record for record in records) else 0


def _line(record: Record, as_json: bool) -> str:
    if as_json:
        return json.dumps(record, ensure_ascii=False)
    if "error" in record:
        error = str(record["error"]).removeprefix(f"{record['file']}: ")
        return f"{record['file']}: error: {error}"
    what = record["intent"] + (f" {record['exercise']}" if record["exercise"] else "")
    heard = f'"{record["transcript"]}"'
    return f"{record['file']}: {what} ({record['confidence']:.2f}) {heard} {record['decode_ms']} ms"


def run_recognize(
    paths: Sequence[Path],
    settings: ListenSettings,
    content: Content,
    out: IO[str],
    as_json: bool = True,
) -> int:
    """The ``recognize`` command: a line per file on ``out`` as it is decoded; returns the exit status."""
    recognizer = open_recognizer(content, settings)
    log.info("%s", describe(recognizer))
    matcher = IntentMatcher(content)
    records = []
    for record in recognize_files(paths, recognizer, matcher):
        records.append(record)
        out.write(_line(record, as_json) + "\n")
        out.flush()
    return exit_status(records)
