#!/usr/bin/env python3
"""Benchmark the embedded recogniser leave-one-voice-out over the set made by scripts/make_dev_audio.py.

    python scripts/make_dev_audio.py && python scripts/bench_recognition.py

Every clip goes through the path of ``stretch-coach recognize`` (WAV reading, conversion,
endpointing, engine, intent matching) once per front end and garbage setting in SETTINGS; the
urgent reading is decoded at every level of URGENT_LEVELS in the same pass. The tuned choice
(setting and urgent level) is made on all voices but one and scored on the one left out, and the
figures are averaged over the voices: that is what predicts a stranger's voice. Printed: the
same table for today's shipped tuning, the tuning of ``main`` before this work (OLD), and the
leave-one-voice-out choice; per condition, per intent, urgent recall, non-commands to ``none``,
decode p50/p95 (processor time of the decoding process: what a free core takes, whatever else
the machine runs), peak memory of the decoding process; then the urgent-word curve (urgent recall
against false urgent accepts on non-commands as the urgent level moves). Decoded passes are kept
in ``<set>/.bench/`` so a rerun only decodes new settings (delete it after changing the engine).

Stages (``--stages``, or ``--stages-only`` without decoding, fast): where every clip ends, per
voice, variant (pitch-shifted or vocal-tract-perturbed copy), pitch band and condition: no speech
found (endpointer), beep (tone check), too short, decoded to none, wrong intent, right; with
``--beep old`` the check before issue 19 decides the beeps instead (``both``: each, on the same clips).

Urgent-word spotting (``--spotting``): every clip is also read by the keyword search over the
urgent words, keeping each word's best margin over the phone loop; in every fold each word's least
margin is chosen on the training voices (the most urgent commands found while their non-commands
lose at most SPOTTING_NONE_SPEND of ``none``), and scored on the voice left out. Printed: a
"spotting" column and the spotting curve (the margins tuned on all voices, then one least margin
for every word).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voice.audio.frontend import SHIPPED_FRONT_END, FrontEndSettings, cleaned  # noqa: E402
from voice.listening.engines.sphinx_engine import SphinxTuning  # noqa: E402

CONDITIONS = ("clean", "noise20", "noise10", "noise5", "reverb", "far", "quiet", "loud")
URGENT_INTENTS = ("stop", "pain", "pause")
MOVING_INTENTS = ("next", "skip", "start", "routine")
"""Intents that move the session on: a false one is worse than a missed one."""
URGENT_LEVELS = (0, 5, 6, 8, 12)
"""Fewest garbage words of the urgent reading (0: no urgent reading)."""
BARGE_IN_WORDS = 8
SPOTTING = "spotting"
"""Name of the pass that spots urgent words in every clip (no front end, as the shipped setting)."""
SPOTTING_CURVE = (-1300, -1400, -1500, -1600, -1700, -1800, -1900, -2000, -2200)
"""Least margins, the same for every word, at which the spotting curve is printed."""
SPOTTING_NONE_SPEND = 0.02
"""Share of the training voices' non-commands spotting may take from ``none`` (a false urgent word
only pauses the coach)."""
NONE_SPEND = 0.01
"""Tuning keeps only choices that send to none at least the share of the training voices' non-commands
the old tuning does, less this (a fixed floor would judge the set, not the choice)."""
WRONG_MOVE_COST = 1.0
"""Cost, in lost commands, of a command taken for another that moves on (beyond its own loss)."""
TARGETS = {
    "clean": 0.95,
    "noise10": 0.80,
    "all": 0.80,
    "urgent clean": 0.97,
    "urgent all": 0.90,
    "none": 0.92,
}


@dataclass(frozen=True)
class Setting:
    """A front end and decoder tuning decoded in full (the urgent level is chosen on top)."""

    tuning: SphinxTuning
    """The decoder's settings."""
    front: FrontEndSettings = field(default_factory=FrontEndSettings)
    """The sound cleaning applied to the whole recording before the endpointer."""


OLD = SphinxTuning(
    garbage_min_words=4,
    urgent_garbage_words=0,
    streaming=False,
    urgent_grammar_words=0,
    max_hmms_per_frame=30000,
    frequency_warp=1.0,
    noisy_suppression=0,
)
"""The tuning of main before the leave-one-voice-out work: no front end, no second readings but the
barge-in one. Every setting below starts from it, so each names what it changes."""
SETTINGS = {
    "plain": Setting(OLD),
    "ns1": Setting(OLD, FrontEndSettings(noise_suppression=1)),
    "ns2": Setting(OLD, FrontEndSettings(noise_suppression=2)),
    "ns2-gain3": Setting(OLD, FrontEndSettings(noise_suppression=2, auto_gain=3)),
    "ns3-gain3": Setting(OLD, FrontEndSettings(noise_suppression=3, auto_gain=3)),
    "plain-g6": Setting(replace(OLD, garbage_min_words=6)),
    "plain-w8": Setting(replace(OLD, garbage_weight=1e-8)),
    "urgent-only8": Setting(replace(OLD, urgent_grammar_words=8)),
    "urgent-only8-h2000": Setting(replace(OLD, urgent_grammar_words=8, max_hmms_per_frame=2000)),
    "urgent-only8-h1000": Setting(replace(OLD, urgent_grammar_words=8, max_hmms_per_frame=1000)),
    "urgent-only8-h600": Setting(replace(OLD, urgent_grammar_words=8, max_hmms_per_frame=600)),
    "urgent-only8-noisy-ns2": Setting(replace(OLD, urgent_grammar_words=8, noisy_suppression=2)),
    "urgent-only8-noisy-ns1": Setting(replace(OLD, urgent_grammar_words=8, noisy_suppression=1)),
    "urgent-only8-noisy-ns3": Setting(replace(OLD, urgent_grammar_words=8, noisy_suppression=3)),
    "urgent-only8-noisy-ns4": Setting(replace(OLD, urgent_grammar_words=8, noisy_suppression=4)),
    "urgent-only8-noisy-ns3-warp108": Setting(
        replace(OLD, urgent_grammar_words=8, noisy_suppression=3, frequency_warp=1.08)
    ),
    "urgent-only8-warp104": Setting(replace(OLD, urgent_grammar_words=8, frequency_warp=1.04)),
    "urgent-only8-warp108": Setting(replace(OLD, urgent_grammar_words=8, frequency_warp=1.08)),
    "ns2-g5": Setting(replace(OLD, garbage_min_words=5), FrontEndSettings(noise_suppression=2)),
    "stream": Setting(replace(OLD, streaming=True)),
    "stream-ns2": Setting(replace(OLD, streaming=True), FrontEndSettings(noise_suppression=2)),
    "stream-ns1": Setting(replace(OLD, streaming=True), FrontEndSettings(noise_suppression=1)),
    "stream-gain3": Setting(replace(OLD, streaming=True), FrontEndSettings(auto_gain=3)),
    "stream-ns2-gain3": Setting(
        replace(OLD, streaming=True), FrontEndSettings(noise_suppression=2, auto_gain=3)
    ),
}
"""Settings the benchmark can decode (--settings picks them; each costs a full pass over the set)."""


@dataclass(frozen=True)
class Choice:
    """One tuning the benchmark can pick: a decoded setting and an urgent level."""

    setting: str
    """Key of SETTINGS."""
    urgent: int
    """Fewest garbage words of the urgent reading, 0 for none."""
    margins: tuple[tuple[str, int], ...] = ()
    """Least spotting margin of each spotted urgent word (none: no spotting)."""


def _decode_clip(recognizer: Any, matcher: Any, pcm: bytes, front: FrontEndSettings) -> dict[str, Any]:
    """The recogniser's result, and the urgent readings at every level, of one recording.

    The speech is handed over in 100 ms blocks as the live listener does; "first" is the time
    from the end of the utterance to the result.
    """
    from voice.audio.endpointer import speech_span
    from voice.confidence import URGENT_CONFIDENCE

    speech = speech_span(cleaned(pcm, front)) or b""
    record: dict[str, Any] = {"heard": bool(speech), "intent": "none", "exercise": None, "urgent": {}}
    recognizer.reset()
    for start in range(0, len(speech), 3200):
        recognizer.accept(speech[start : start + 3200])
    started = time.process_time()
    transcript = recognizer.final()
    record["ms"] = {"first": (time.process_time() - started) * 1000}
    record["text"] = transcript.text
    if transcript.text:
        intent = matcher.match(transcript.text, transcript.confidence)
        record.update(intent=intent.name, exercise=intent.exercise if intent.name == "start" else None)
        return record
    prepared = recognizer.prepared(speech)
    if prepared is None or len(prepared) > recognizer.tuning.barge_in_max_seconds * 32000:
        return record
    for level in set(URGENT_LEVELS) - {0}:
        began = time.process_time()
        words = recognizer.command_words(recognizer.reading(prepared, level))
        record["ms"][str(level)] = (time.process_time() - began) * 1000
        if recognizer.urgent_words & set(words.split()):
            record["urgent"][str(level)] = matcher.match(words, URGENT_CONFIDENCE).name
    return record


def _spot_clip(recognizer: Any, matcher: Any, pcm: bytes) -> dict[str, Any]:
    """Each urgent word's best spotting margin in one recording, the time it took, the words' intents."""
    from voice.audio.endpointer import speech_span
    from voice.confidence import URGENT_CONFIDENCE

    prepared = recognizer.prepared(speech_span(pcm) or b"")
    if prepared is None:
        return {}
    started = time.process_time()
    margins = recognizer.spotting(prepared)
    spent = (time.process_time() - started) * 1000
    intents = {word: matcher.match(word, URGENT_CONFIDENCE).name for word in recognizer.urgent_words}
    return {"margins": margins, "ms": spent, "intents": intents}


def run_worker(setting: str, folder: Path, shard: int, shards: int, every: int = 1) -> dict[str, Any]:
    """Decode every ``shards``-th clip of the manifest with one setting (runs in a child process)."""
    from voice.content import load_content
    from voice.errors import CoachError
    from voice.listening.engines.asr_data import load_asr_data
    from voice.listening.engines.sphinx_engine import SphinxRecognizer
    from voice.listening.intent import IntentMatcher
    from voice.pcm import read_wav_pcm16k

    content = load_content()
    tuning = SETTINGS[setting].tuning if setting != SPOTTING else OLD
    recognizer = SphinxRecognizer.for_content(content, load_asr_data(), tuning)
    matcher = IntentMatcher(content)
    labels = _labels(folder)
    results = {}
    for label in labels[::every][shard::shards]:
        try:
            pcm = read_wav_pcm16k(folder / label["file"])
        except CoachError as error:
            results[label["file"]] = {"error": str(error)}
            continue
        if setting == SPOTTING:
            results[label["file"]] = _spot_clip(recognizer, matcher, pcm)
        else:
            results[label["file"]] = _decode_clip(recognizer, matcher, pcm, SETTINGS[setting].front)
    return {"rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "results": results}


def _stage_worker(job: tuple[Path, list[dict[str, Any]]]) -> list[list[str]]:
    """The early stage of each clip under today's beep check and the old one (runs in a child process)."""
    from voice.content import load_content
    from voice.listening.engines.asr_data import load_asr_data
    from voice.listening.engines.sphinx_engine import SphinxRecognizer
    from voice.pcm import read_wav_pcm16k
    from voice.testing.stages import early_stages, old_is_tone

    folder, labels = job
    recognizer = SphinxRecognizer.for_content(load_content(), load_asr_data(), SphinxTuning())

    def clean(pcm: bytes) -> bytes:
        return cleaned(pcm, SHIPPED_FRONT_END)

    return [
        early_stages(read_wav_pcm16k(folder / label["file"]), recognizer, clean, (None, old_is_tone))
        for label in labels
    ]


def stages(
    folder: Path,
    labels: list[dict[str, Any]],
    jobs: int,
    beeps: Sequence[str],
    decoded_pass: dict[str, Any] | None,
) -> str:
    """The stage tables of the shipped recogniser over the clips, one per beep check in ``beeps`` ("new",
    "old"), decoded outcomes from ``decoded_pass``."""
    from concurrent.futures import ProcessPoolExecutor

    from voice.testing.stages import DECODER, StageRecord, decoded_stage, stage_report

    shards = [(folder, labels[i::jobs]) for i in range(jobs)]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        found = list(pool.map(_stage_worker, shards))
    ends = {
        label["file"]: stage
        for (_, part), stage_list in zip(shards, found, strict=True)
        for label, stage in zip(part, stage_list, strict=True)
    }
    reports = []
    for beep in beeps:
        records = []
        for label in labels:
            stage = ends[label["file"]][0 if beep == "new" else 1]
            if stage == DECODER and decoded_pass is not None:
                record = decoded_pass["results"][label["file"]]
                intent, exercise, _ = outcome(record, SphinxTuning().urgent_garbage_words)
                stage = decoded_stage(label, intent, exercise)
            records.append(StageRecord(label, stage))
        reports.append(f"beep check: {beep}\n" + stage_report(records, decoded_pass is not None))
    return "\n".join(reports)


def learn_cmn(folder: Path, voices: set[str] | None = None) -> str:
    """Mean cepstrum of the clean commands (of some voices): where a streamed utterance should start."""
    import numpy as np

    from voice.audio.endpointer import speech_span
    from voice.content import load_content
    from voice.listening.engines.asr_data import load_asr_data
    from voice.listening.engines.sphinx_engine import SphinxRecognizer
    from voice.pcm import read_wav_pcm16k

    recognizer = SphinxRecognizer.for_content(load_content(), load_asr_data(), OLD)
    means = []
    for label in _labels(folder):
        if label["kind"] != "command" or label["condition"] != "clean":
            continue
        if voices is not None and label["voice"] not in voices:
            continue
        prepared = recognizer.prepared(speech_span(read_wav_pcm16k(folder / label["file"])) or b"")
        if prepared is not None:
            recognizer.reading(prepared, OLD.garbage_min_words)
            means.append([float(v) for v in recognizer.cepstral_mean().split(",")])
    return ",".join(f"{v:.2f}" for v in np.mean(means, axis=0))


def _labels(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (folder / "labels.jsonl").read_text().splitlines() if line.strip()]


def _pass_key(setting: str, folder: Path) -> str:
    """Cache name of a pass: the setting, the urgent levels, the pronunciations and the set."""
    from voice.listening.engines.asr_data import load_asr_data

    asr = repr(replace(load_asr_data(), spotting_margins={})).encode()  # margins act after decoding
    labels = (folder / "labels.jsonl").read_bytes()
    from voice.listening.engines.sphinx_engine import SPOTTING_FLOOR

    what = repr(SETTINGS[setting]) if setting != SPOTTING else f"{SPOTTING} {SPOTTING_FLOOR}"
    parts = [what.encode(), repr(URGENT_LEVELS).encode(), asr, labels]
    digest = hashlib.sha256(b"\0".join(parts)).hexdigest()[:12]
    return f"{setting}-{digest}"


def decoded(setting: str, folder: Path, jobs: int, every: int = 1) -> dict[str, Any]:
    """One setting's pass over (every ``every``-th clip of) the set: cached, else decoded now."""
    key = _pass_key(setting, folder)
    for name in dict.fromkeys([key, f"{key}-every{every}" if every > 1 else key]):
        if (folder / ".bench" / f"{name}.json").is_file():
            loaded: dict[str, Any] = json.loads((folder / ".bench" / f"{name}.json").read_text())
            return loaded
    cache = folder / ".bench" / (f"{key}-every{every}.json" if every > 1 else f"{key}.json")
    command = [sys.executable, __file__, "--audio", str(folder), "--worker", setting, "--shards", str(jobs)]
    command += ["--every", str(every)]
    workers = [
        subprocess.Popen([*command, "--shard", str(i)], stdout=subprocess.PIPE, text=True)
        for i in range(jobs)
    ]
    reports = [json.loads(worker.communicate()[0]) for worker in workers]
    merged = {
        "rss_mb": max(r["rss_mb"] for r in reports),
        "results": {k: v for r in reports for k, v in r["results"].items()},
    }
    cache.parent.mkdir(exist_ok=True)
    cache.write_text(json.dumps(merged))
    return merged


def outcome(
    record: dict[str, Any], urgent: int, margins: tuple[tuple[str, int], ...] = ()
) -> tuple[str, str | None, float]:
    """(intent, exercise, decode ms) of a clip under an urgent level, as the engine would give them."""
    if "error" in record:
        return "error", None, 0.0
    times = record["ms"]
    spent = times["first"]
    if record["intent"] != "none" or "text" not in record or record["text"]:
        return record["intent"], record["exercise"], spent
    if margins and _spotting_reached(record):
        spent += record["spotting"]["ms"]
        word = _spotted(record["spotting"]["margins"], dict(margins))
        if word:
            return record["spotting"]["intents"][word], None, spent
    if urgent and str(urgent) in record["urgent"]:
        return record["urgent"][str(urgent)], None, spent + times.get(str(urgent), 0.0)
    readings = {str(urgent), str(BARGE_IN_WORDS)} - {"0"}  # one decode when the levels are the same
    return "none", None, spent + sum(times.get(level, 0.0) for level in readings)


def _spotting_reached(record: dict[str, Any]) -> bool:
    """Whether the engine would spot urgent words in this clip: the first reading called it garbage."""
    garbage = "error" not in record and record["intent"] == "none" and record.get("text") == ""
    return garbage and bool(record.get("spotting"))


Scored = list[tuple[dict[str, Any], str, str | None, float]]
"""(label, intent, exercise, decode ms) per clip."""


def score(labels: list[dict[str, Any]], passes: dict[str, Any], choice: Choice) -> Scored:
    """Every clip's outcome under one choice."""
    results = passes[choice.setting]["results"]
    return [(label, *outcome(results[label["file"]], choice.urgent, choice.margins)) for label in labels]


def _spotted(found: dict[str, int], least: dict[str, int]) -> str:
    """The word spotted most clearly over its least margin, or "" (as the engine chooses)."""
    over = {
        word: margin - least[word]
        for word, margin in found.items()
        if word in least and margin >= least[word]
    }
    return max(over, key=lambda word: over[word]) if over else ""


def _right(item: tuple[dict[str, Any], str, str | None, float]) -> bool:
    label, intent, exercise, _ = item
    return (intent, exercise) == (label["intent"], label["exercise"])


def _where(
    commands: bool, condition: str | None = None, intents: tuple[str, ...] | None = None
) -> Callable[[dict[str, Any]], bool]:
    """A filter on labels: commands or non-commands, optionally of one condition and some intents."""

    def keep(label: dict[str, Any]) -> bool:
        return (
            (label["kind"] == "command") == commands
            and (condition is None or label["condition"] == condition)
            and (intents is None or label["intent"] in intents)
        )

    return keep


def _share(items: Scored, keep: Callable[[dict[str, Any]], bool]) -> float | None:
    chosen = [item for item in items if keep(item[0])]
    return sum(_right(item) for item in chosen) / len(chosen) if chosen else None


def metrics(items: Scored) -> dict[str, float | None]:
    """Accuracy per condition and intent, urgent recall, non-commands to none, false urgent/moving."""
    out: dict[str, float | None] = {c: _share(items, _where(True, c)) for c in CONDITIONS}
    out["all"] = _share(items, _where(True))
    out["urgent clean"] = _share(items, _where(True, "clean", URGENT_INTENTS))
    out["urgent all"] = _share(items, _where(True, None, URGENT_INTENTS))
    out["none"] = _share(items, _where(False))
    others = [item for item in items if item[0]["kind"] != "command"]
    commands = [item for item in items if item[0]["kind"] == "command"]
    if commands:
        out["wrong moving"] = sum(item[1] in MOVING_INTENTS and not _right(item) for item in commands) / len(
            commands
        )
    if others:
        out["false urgent"] = sum(item[1] in URGENT_INTENTS for item in others) / len(others)
        out["false moving"] = sum(item[1] in MOVING_INTENTS for item in others) / len(others)
    for intent in sorted({item[0]["intent"] for item in items if item[0]["kind"] == "command"}):
        out[f"intent {intent}"] = _share(items, _where(True, None, (intent,)))
    return out


def objective(items: Scored, none_floor: float) -> float:
    """What tuning maximises, if non-commands stay none: command accuracy, plus half the urgent recall,
    less the commands taken for another that moves on (a wrong move costs a lost command and its undoing)."""
    found = metrics(items)
    if (found["none"] or 0.0) < none_floor:
        return -2.0 + (found["none"] or 0.0)
    accuracy = (found["all"] or 0.0) + 0.5 * (found["urgent all"] or 0.0)
    return accuracy - WRONG_MOVE_COST * (found["wrong moving"] or 0.0)


def leave_one_voice_out(
    labels: list[dict[str, Any]], passes: dict[str, Any], choices: list[Choice]
) -> tuple[list[dict[str, float | None]], list[float], dict[str, Choice]]:
    """Per left-out voice: its metrics under the choice tuned on the others; decode times; the choices."""
    voices = sorted({label["voice"] for label in labels} - {""})
    scored = {choice: score(labels, passes, choice) for choice in choices}
    old = score(labels, passes, Choice("plain", 0))
    folds, times, picked = [], [], {}
    for voice in voices:
        floor = (metrics([item for item in old if item[0]["voice"] != voice])["none"] or 0.0) - NONE_SPEND
        best = max(
            choices,
            key=lambda c: objective([item for item in scored[c] if item[0]["voice"] != voice], floor),
        )
        held = [item for item in scored[best] if item[0]["voice"] in (voice, "")]
        folds.append(metrics(held))
        times += [item[3] for item in held if item[0]["kind"] == "command" and item[0]["voice"] == voice]
        picked[voice] = best
    return folds, times, picked


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.fmean(present) if present else None


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))] if ordered else float("nan")


def _cell(value: float | None) -> str:
    return f"{value:6.2f}" if value is not None else "     -"


def table(columns: dict[str, tuple[list[dict[str, float | None]], list[float]]], rss: float) -> str:
    """Rows of figures (averaged over left-out voices), one column per tuning."""
    names = list(columns)
    keys = [*CONDITIONS, "all", "urgent clean", "urgent all", "wrong moving"]
    keys += ["none", "false urgent", "false moving"]
    keys += sorted(
        {k for folds, _ in columns.values() for fold in folds for k in fold if k.startswith("intent ")}
    )
    lines = [f"  {'':<22}" + "".join(f" {name:>12}" for name in names) + "   target"]
    for key in keys:
        cells = "".join(f"{_cell(_mean([fold.get(key) for fold in columns[n][0]])):>13}" for n in names)
        target = f">= {TARGETS[key]:.2f}" if key in TARGETS else ""
        lines.append(f"  {key:<22}{cells}   {target}")
    for q in (50, 95):
        cells = "".join(f"{_percentile(columns[n][1], q):>11.0f}ms" for n in names)
        lines.append(f"  {f'decode p{q}':<22}{cells}   {'<= 200 ms' if q == 95 else ''}")
    lines.append(f"  peak RSS of a decoding process: {rss:.0f} MB (target: coach and recogniser <= 200 MB)")
    return "\n".join(lines)


def urgent_curve(labels: list[dict[str, Any]], passes: dict[str, Any], setting: str) -> str:
    """Urgent recall against false urgent accepts on non-commands, over the urgent levels."""
    lines = [f"  urgent-word curve on setting {setting} (all voices): level, urgent recall, false urgent"]
    for level in URGENT_LEVELS:
        found = metrics(score(labels, passes, Choice(setting, level)))
        others = sum(label["kind"] != "command" for label in labels)
        lines.append(
            f"    {level or 'off':>4}  recall {_cell(found['urgent all'])}"
            f"  clean {_cell(found['urgent clean'])}"
            f"  false urgent {_cell(found.get('false urgent'))} of {others} non-commands"
        )
    return "\n".join(lines)


class SpottingTuner:
    """Chooses each urgent word's least spotting margin on some voices (coordinate ascent)."""

    def __init__(self, labels: list[dict[str, Any]], records: dict[str, Any]) -> None:
        import numpy as np

        self.labels = labels
        spots = [records[label["file"]].get("spotting", {}) for label in labels]
        self.words = sorted({word for spot in spots for word in spot.get("intents", {})})
        base = [outcome(records[label["file"]], 0) for label in labels]
        self.base_right = np.array(
            [(i, e) == (lb["intent"], lb["exercise"]) for lb, (i, e, _) in zip(labels, base, strict=True)]
        )
        self.open = np.array([_spotting_reached(records[label["file"]]) for label in labels])
        self.margins = np.array(
            [[spot.get("margins", {}).get(word, -np.inf) for word in self.words] for spot in spots],
            dtype=float,
        )
        self.word_right = np.array(
            [
                [
                    lb["kind"] == "command" and lb["exercise"] is None and spot["intents"][w] == lb["intent"]
                    for w in self.words
                ]
                if spot
                else [False] * len(self.words)
                for lb, spot in zip(labels, spots, strict=True)
            ]
        )
        self.command = np.array([lb["kind"] == "command" for lb in labels])
        self.urgent = self.command & np.array([lb["intent"] in URGENT_INTENTS for lb in labels])

    def right(self, least: Any) -> Any:
        """Which clips come out right with these least margins (one per word; inf: not spotted)."""
        import numpy as np

        over = self.margins - least
        fired = self.open & (over.max(axis=1) >= 0)
        chosen = self.word_right[np.arange(len(self.labels)), over.argmax(axis=1)]
        return np.where(fired, chosen, self.base_right)

    def _objective(self, least: Any, keep: Any, floor: float) -> float:
        right = self.right(least)
        none = float(right[keep & ~self.command].mean())
        if none < floor:
            return -2.0 + none
        return float(right[keep & self.command].mean()) + 0.5 * float(right[keep & self.urgent].mean())

    def tune(self, keep: Any) -> tuple[tuple[str, int], ...]:
        """Least margins chosen on the clips in ``keep``; words that never help stay unspotted."""
        import numpy as np

        least = np.full(len(self.words), np.inf)
        floor = float(self.base_right[keep & ~self.command].mean()) - SPOTTING_NONE_SPEND
        candidates: list[list[float]] = []
        for column in range(len(self.words)):
            found = self.margins[keep & self.open & self.word_right[:, column], column]
            candidates.append([np.inf, *sorted(np.unique(found[np.isfinite(found)]), reverse=True)])
        for _ in range(3):
            for column, steps in enumerate(candidates):
                best, best_score = least[column], self._objective(least, keep, floor)
                for step in steps:
                    least[column] = step
                    score_here = self._objective(least, keep, floor)
                    if score_here > best_score:
                        best, best_score = step, score_here
                least[column] = best
        return tuple((w, int(m)) for w, m in zip(self.words, least, strict=True) if np.isfinite(m))


def spotting_folds(
    labels: list[dict[str, Any]], passes: dict[str, Any], setting: str
) -> tuple[list[dict[str, float | None]], list[float], dict[str, Choice]]:
    """Per left-out voice: its metrics with least spotting margins tuned on the other voices."""
    import numpy as np

    tuner = SpottingTuner(labels, passes[setting]["results"])
    voices = sorted({label["voice"] for label in labels} - {""})
    folds, times, picked = [], [], {}
    for voice in voices:
        keep = np.array([label["voice"] != voice for label in labels])
        choice = Choice(setting, 0, tuner.tune(keep))
        held = [item for item in score(labels, passes, choice) if item[0]["voice"] in (voice, "")]
        folds.append(metrics(held))
        times += [item[3] for item in held if item[0]["kind"] == "command" and item[0]["voice"] == voice]
        picked[voice] = choice
    return folds, times, picked


def spotting_curve(labels: list[dict[str, Any]], passes: dict[str, Any], setting: str) -> str:
    """Urgent recall against false urgent accepts: margins tuned on all voices, then one for every word."""
    import numpy as np

    tuner = SpottingTuner(labels, passes[setting]["results"])
    least = tuner.tune(np.ones(len(labels), dtype=bool))
    others = sum(label["kind"] != "command" for label in labels)
    lines = [f"  least spotting margins tuned on all voices: {dict(least) or 'none (spotting off)'}"]
    lines.append(
        "  spotting curve (all voices): least margin of every word, urgent recall, false urgent, none"
    )
    steps: list[tuple[str, tuple[tuple[str, int], ...]]] = [("off", ()), ("tuned", least)]
    steps += [(str(m), tuple((word, m) for word in tuner.words)) for m in SPOTTING_CURVE]
    for name, margins in steps:
        found = metrics(score(labels, passes, Choice(setting, 0, margins)))
        lines.append(
            f"    {name:>6}  recall {_cell(found['urgent all'])}  clean {_cell(found['urgent clean'])}"
            f"  false urgent {_cell(found['false urgent'])} of {others}  none {_cell(found['none'])}"
        )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--audio", type=Path, default=ROOT / "dev_audio" / "dev", help="set folder with labels.jsonl"
    )
    parser.add_argument(
        "--settings",
        default="stream,ns2",
        help="comma-separated keys of SETTINGS to decode besides the old tuning",
    )
    parser.add_argument("--jobs", type=int, default=2, help="decoding processes")
    parser.add_argument("--every", type=int, default=1, help="only every N-th clip (a quick comparison)")
    parser.add_argument(
        "--spotting", action="store_true", help="also spot urgent words and tune their least margins"
    )
    parser.add_argument("--stages", action="store_true", help="print where clips end, stage by stage")
    parser.add_argument(
        "--stages-only", action="store_true", help="only the stages before the decoder (no decoding: fast)"
    )
    parser.add_argument(
        "--beep",
        choices=("new", "old", "both"),
        default="new",
        help="beep check in the stage tables (old: before issue 19; both: old, then new)",
    )
    parser.add_argument("--learn-cmn", action="store_true", help="print the clean commands' mean cepstrum")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--shard", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--shards", type=int, default=1, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; returns the exit status."""
    args = parse_args(argv)
    if args.worker:
        json.dump(run_worker(args.worker, args.audio, args.shard, args.shards, args.every), sys.stdout)
        return 0
    if args.learn_cmn:
        print(learn_cmn(args.audio))
        return 0
    if not (args.audio / "labels.jsonl").is_file():
        print(f"no test set in {args.audio}; make it with: python scripts/make_dev_audio.py", file=sys.stderr)
        return 1
    if args.stages_only:
        labels = _labels(args.audio)[:: args.every]
        print(f"stages before the decoder, {args.audio}, {len(labels)} clips:")
        print(stages(args.audio, labels, max(1, args.jobs), _beeps(args.beep), None))
        return 0
    names = args.settings.split(",")
    unknown = [n for n in names if n not in SETTINGS]
    if unknown:
        print(f"unknown setting {unknown[0]}; choose from {', '.join(SETTINGS)}", file=sys.stderr)
        return 1
    labels = _labels(args.audio)[:: args.every]
    passes = {
        name: decoded(name, args.audio, args.jobs, args.every) for name in dict.fromkeys(["plain", *names])
    }
    if args.spotting:
        spots = decoded(SPOTTING, args.audio, args.jobs, args.every)["results"]
        for record_file, record in passes["plain"]["results"].items():
            if spots.get(record_file):
                record["spotting"] = spots[record_file]
    shipped = Setting(SphinxTuning(), SHIPPED_FRONT_END)
    current = next((n for n in passes if _same_pass(SETTINGS[n], shipped)), None)
    choices = [Choice(n, level) for n in passes for level in URGENT_LEVELS]
    print(
        f"test set: {args.audio}, {len(labels)} clips, "
        f"{len({label['voice'] for label in labels} - {''})} voices; figures are means over left-out voices"
    )
    old = leave_one_voice_out(labels, passes, [Choice("plain", 0)])
    tuned = leave_one_voice_out(labels, passes, choices)
    columns = {"old": old[:2]}
    for name in passes:
        if name != "plain":  # each other setting as it is, without an urgent reading
            columns[name] = leave_one_voice_out(labels, passes, [Choice(name, 0)])[:2]
    if current is not None:
        columns["shipped"] = leave_one_voice_out(
            labels, passes, [Choice(current, shipped.tuning.urgent_garbage_words)]
        )[:2]
    columns["LOVO-tuned"] = tuned[:2]
    if args.spotting:
        spotting = spotting_folds(labels, passes, "plain")
        columns["spotting"] = spotting[:2]
    print(table(columns, max(p["rss_mb"] for p in passes.values())))
    picks: dict[Choice, int] = {}
    for choice in tuned[2].values():
        picks[choice] = picks.get(choice, 0) + 1
    print(
        "  tuned choices (folds): "
        + ", ".join(f"{c.setting} urgent {c.urgent or 'off'} ({n})" for c, n in picks.items())
    )
    print(f"  shipped tuning: {asdict(shipped)}")
    for name in passes:
        print(urgent_curve(labels, passes, name))
    if args.spotting:
        print(spotting_curve(labels, passes, "plain"))
    if args.stages and current is not None:
        print("stages of the shipped recogniser:")
        print(stages(args.audio, labels, max(1, args.jobs), _beeps(args.beep), passes[current]))
    elif args.stages:
        print("stages need the shipped setting decoded: add urgent-only8-noisy-ns4 to --settings")
    return 0


def _beeps(choice: str) -> tuple[str, ...]:
    """The beep checks a --beep choice names."""
    return ("old", "new") if choice == "both" else (choice,)


def _same_pass(setting: Setting, shipped: Setting) -> bool:
    """Whether a decoded setting is the shipped one but for the urgent level (chosen on top)."""

    def plain(tuning: SphinxTuning) -> SphinxTuning:
        return replace(tuning, urgent_garbage_words=0)

    return setting.front == shipped.front and plain(setting.tuning) == plain(shipped.tuning)


if __name__ == "__main__":
    sys.exit(main())
