"""Speaker adaptation of PocketSphinx's model from read sentences: MLLR or MAP, with sphinxtrain.

The recipe and its traps are in docs/recognition.md ("Personal voice enrolment"): features with the
model's own ``feat.params`` and silence kept, ``bw`` with batch mean normalisation, and a weight
floor of 1e-20 for ``map_adapt`` and ``mk_s2sendump`` (their default changes unseen senones).
"""

from __future__ import annotations

import re
import shutil
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from voice.enrolment.base_model import trainable_copy, wheel_dictionary, wheel_model
from voice.enrolment.tools import Tools
from voice.listening.engines.sphinx_engine import dictionary_lines
from voice.pcm import TARGET_RATE

MLLR = "mllr"
MAP = "map"
METHODS = (MLLR, MAP)
"""Adaptation methods: one global MLLR transform of the means (5 KB), or a MAP-adapted model (7 MB)."""

MLLR_FILE = "mllr_matrix"
"""The MLLR transform's file name (the decoder's ``mllr`` option)."""
MAP_FOLDER = "hmm"
"""The MAP-adapted model's folder name (the decoder's ``hmm`` option)."""

MODEL_ARGS = ("-feat", "1s_c_d_dd", "-svspec", "0-12/13-25/26-38", "-agc", "none", "-varnorm", "no")
"""The wheel model's feature settings (its feat.params), as bw takes them."""

MIXTURE_FLOOR = "1e-20"


@dataclass(frozen=True)
class Reading:
    """One recording of one sentence, ready for adaptation."""

    sentence_id: str
    """The sentence's id (content/enrolment.toml)."""
    text: str
    """The sentence as written."""
    pcm: bytes
    """16 kHz mono 16-bit PCM."""


def words_of(text: str) -> list[str]:
    """The dictionary words of a sentence: lower case, punctuation dropped."""
    return re.findall(r"[a-z']+", text.lower())


def write_wav16k(path: Path, pcm: bytes) -> None:
    """16 kHz mono 16-bit PCM as a WAV file."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(TARGET_RATE)
        out.writeframes(pcm)


def _write_inputs(
    readings: Sequence[Reading], work: Path, pronunciations: dict[str, tuple[str, ...]]
) -> None:
    (work / "wav").mkdir(parents=True, exist_ok=True)
    for reading in readings:
        write_wav16k(work / "wav" / f"{reading.sentence_id}.wav", reading.pcm)
    (work / "files.ctl").write_text("".join(f"{r.sentence_id}\n" for r in readings), encoding="utf-8")
    (work / "files.lsn").write_text(
        "".join(f"<s> {' '.join(words_of(r.text))} </s> ({r.sentence_id})\n" for r in readings),
        encoding="utf-8",
    )
    vocabulary = {word for r in readings for word in words_of(r.text)}
    lines = dictionary_lines(wheel_dictionary(), vocabulary)
    known = {line.split(maxsplit=1)[0].split("(", 1)[0] for line in lines}
    for word, variants in pronunciations.items():
        if word in vocabulary and word not in known:
            lines += [
                f"{word if n == 1 else f'{word}({n})'} {phones}\n" for n, phones in enumerate(variants, 1)
            ]
    (work / "words.dict").write_text("".join(lines), encoding="utf-8")


def accumulate(
    tools: Tools, readings: Sequence[Reading], work: Path, pronunciations: dict[str, tuple[str, ...]]
) -> Path:
    """Features and Baum-Welch statistics of the readings under the wheel model; returns the base model."""
    base = trainable_copy(tools, work / "base")
    _write_inputs(readings, work, pronunciations)
    (work / "mfc").mkdir(exist_ok=True)
    tools.run(
        "sphinx_fe",
        "-argfile",
        base / "feat.params",
        "-samprate",
        str(TARGET_RATE),
        "-c",
        work / "files.ctl",
        "-di",
        work / "wav",
        "-do",
        work / "mfc",
        "-ei",
        "wav",
        "-eo",
        "mfc",
        "-mswav",
        "yes",
        "-remove_silence",
        "no",
    )
    (work / "acc").mkdir(exist_ok=True)
    tools.run(
        "bw",
        "-hmmdir",
        base,
        "-moddeffn",
        base / "mdef.txt",
        "-ts2cbfn",
        ".ptm.",
        *MODEL_ARGS,
        "-cmn",
        "batch",
        "-dictfn",
        work / "words.dict",
        "-fdictfn",
        base / "noisedict",
        "-ctlfn",
        work / "files.ctl",
        "-lsnfn",
        work / "files.lsn",
        "-cepdir",
        work / "mfc",
        "-accumdir",
        work / "acc",
    )
    return base


def solve_mllr(tools: Tools, base: Path, accumulated: Path, out: Path) -> Path:
    """One global MLLR transform of the means; returns its file."""
    target = out / MLLR_FILE
    tools.run(
        "mllr_solve",
        "-meanfn",
        base / "means",
        "-varfn",
        base / "variances",
        "-outmllrfn",
        target,
        "-accumdir",
        accumulated,
    )
    return target


def map_model(tools: Tools, base: Path, accumulated: Path, out: Path) -> Path:
    """A MAP-adapted copy of the model, as the decoder takes it (no float weights); returns its folder."""
    folder = out / MAP_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    tools.run(
        "map_adapt",
        "-moddeffn",
        base / "mdef.txt",
        "-ts2cbfn",
        ".ptm.",
        "-meanfn",
        base / "means",
        "-varfn",
        base / "variances",
        "-mixwfn",
        base / "mixture_weights",
        "-tmatfn",
        base / "transition_matrices",
        "-accumdir",
        accumulated,
        "-mapmeanfn",
        folder / "means",
        "-mapvarfn",
        folder / "variances",
        "-mapmixwfn",
        base / "map_mixture_weights",
        "-maptmatfn",
        folder / "transition_matrices",
        "-mwfloor",
        MIXTURE_FLOOR,
    )
    tools.run(
        "mk_s2sendump",
        "-pocketsphinx",
        "yes",
        "-moddeffn",
        base / "mdef.txt",
        "-mixwfn",
        base / "map_mixture_weights",
        "-sendumpfn",
        folder / "sendump",
        "-mwfloor",
        MIXTURE_FLOOR,
    )
    for name in ("mdef", "feat.params", "noisedict"):
        shutil.copyfile(wheel_model() / name, folder / name)
    return folder


def adapt(
    tools: Tools,
    readings: Sequence[Reading],
    method: str,
    work: Path,
    out: Path,
    pronunciations: dict[str, tuple[str, ...]],
) -> Path:
    """Adapt the wheel's model to the readings by ``method``; returns the MLLR file or MAP folder."""
    base = accumulate(tools, readings, work, pronunciations)
    out.mkdir(parents=True, exist_ok=True)
    if method == MAP:
        return map_model(tools, base, work / "acc", out)
    return solve_mllr(tools, base, work / "acc", out)
