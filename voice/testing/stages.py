"""Where each clip of a labelled set ends on its way through the recogniser, stage by stage, as tables."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

NO_SPEECH = "no speech"
BEEP = "beep"
TOO_SHORT = "too short"
DECODER = "decoder"
"""Reached the decoder (split into the three outcomes below when decoded)."""
NONE = "none"
WRONG = "wrong"
RIGHT = "right"
EARLY_STAGES = (NO_SPEECH, BEEP, TOO_SHORT)
"""Stages before the decoder, in the order the recogniser passes them."""
DECODED_STAGES = (NONE, WRONG, RIGHT)
"""Outcomes of decoding: nothing heard (``none``), another intent, the labelled one."""
SPEECH_KINDS = ("command", "chatter")
"""Kinds of clip that hold speech: none of them may end as a beep."""


@dataclass(frozen=True)
class StageRecord:
    """One clip's path: the label and where it ended."""

    label: dict[str, Any]
    """Its line of ``labels.jsonl``."""
    stage: str
    """One of EARLY_STAGES, DECODER, or one of DECODED_STAGES."""


def early_stages(
    pcm: bytes,
    recognizer: Any,
    clean: Callable[[bytes], bytes],
    checks: Sequence[Callable[[bytes], bool] | None] = (None,),
) -> list[str]:
    """The stage where a recording ends before the decoder, or DECODER, as ``recognizer.final`` goes:
    one per beep check in ``checks`` (None: the recogniser's own), to compare them on the same clips.

    ``clean`` is the front end applied before the endpointer."""
    from voice.audio.endpointer import speech_span

    speech = speech_span(clean(pcm))
    if not speech:
        return [NO_SPEECH] * len(checks)
    utterance = recognizer.denoised(speech)
    why = recognizer.rejection(utterance)
    stages = []
    for check in checks:
        if why == TOO_SHORT or check is None:
            stages.append(why or DECODER)
        else:
            stages.append(BEEP if check(utterance) else DECODER)
    return stages


def decoded_stage(label: dict[str, Any], intent: str, exercise: str | None) -> str:
    """NONE, WRONG or RIGHT for a decoded clip (a non-command is right when it comes out as none)."""
    if (intent, exercise) == (label["intent"], label["exercise"]):
        return RIGHT
    return NONE if intent == "none" else WRONG


def _group_name(label: dict[str, Any], key: str) -> str:
    if key == "voice":
        return label["voice"] or "(no voice: noises)"
    if key == "variant":
        return label.get("variant") or "natural"
    if key == "f0":
        return _f0_band(int(label.get("f0", 0)), label["kind"])
    return str(label[key])


F0_BANDS = (0, 100, 140, 190, 250, 320, 1000)
"""Edges of the pitch bands (Hz) the tables group speech by."""


def _f0_band(f0: int, kind: str) -> str:
    if kind not in SPEECH_KINDS or not f0:
        return "unknown" if kind in SPEECH_KINDS else "(noises)"
    index = int(np.searchsorted(F0_BANDS, f0, side="right")) - 1
    low, high = F0_BANDS[index], F0_BANDS[index + 1]
    return f"F0 {low}-{high} Hz" if high < 1000 else f"F0 >= {low} Hz"


def stage_table(records: Sequence[StageRecord], key: str, stages: Sequence[str], kinds: Sequence[str]) -> str:
    """Counts of clips of ``kinds`` ending at each stage, one row per value of ``key``, and a total row."""
    chosen = [record for record in records if record.label["kind"] in kinds]
    groups: dict[str, list[StageRecord]] = {}
    for record in chosen:
        groups.setdefault(_group_name(record.label, key), []).append(record)
    head = f"  {key:<28}{'clips':>7}" + "".join(f"{stage:>11}" for stage in stages)
    lines = [head]
    for name in [*sorted(groups), "all"]:
        rows = chosen if name == "all" else groups[name]
        cells = "".join(f"{sum(r.stage == stage for r in rows):>11}" for stage in stages)
        lines.append(f"  {name[:28]:<28}{len(rows):>7}{cells}")
    return "\n".join(lines)


def stage_report(records: Sequence[StageRecord], decoded: bool) -> str:
    """Tables of where clips end: speech per voice, variant, pitch band and condition; non-speech per kind."""
    stages = [*EARLY_STAGES, *(DECODED_STAGES if decoded else (DECODER,))]
    parts = []
    for kinds, title in (
        (("command",), "commands"),
        (("chatter",), "chatter (right = kept as none)"),
    ):
        for key in ("voice", "variant", "f0", "condition"):
            values = {_group_name(r.label, key) for r in records if r.label["kind"] in kinds}
            if len(values) > 1 or key in ("voice", "condition"):
                parts.append(f" {title}, per {key}:\n" + stage_table(records, key, stages, kinds))
    parts.append(" noises and silence (right = kept as none), per condition:")
    parts.append(stage_table(records, "condition", stages, ("noise", "silence")))
    speech = [r for r in records if r.label["kind"] in SPEECH_KINDS]
    beeps = sum(r.stage == BEEP for r in speech)
    parts.append(f" speech clips dropped as a beep: {beeps} of {len(speech)} (target: 0)")
    return "\n".join(parts)


def labels_of(folder: Path) -> list[dict[str, Any]]:
    """The lines of a set's ``labels.jsonl``."""
    import json

    text = (folder / "labels.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def old_tone_share(samples: Any) -> float:
    """The beep check before issue 19, kept only to compare: share of the power within 40 Hz of the
    strongest frequency (a beep when over 0.8). It dropped steady high voices."""
    spectrum = np.abs(np.fft.rfft(samples - samples.mean())) ** 2
    total = float(spectrum.sum())
    if total <= 0.0:
        return 0.0
    peak = int(np.argmax(spectrum))
    width = max(1, round(40 * len(samples) / 16000))
    return float(spectrum[max(0, peak - width) : peak + width + 1].sum()) / total


OLD_MAX_TONE_SHARE = 0.8


def old_is_tone(pcm: bytes) -> bool:
    """The old check's verdict on a 16 kHz 16-bit utterance."""
    return old_tone_share(np.frombuffer(pcm, dtype="<i2").astype(np.float64)) > OLD_MAX_TONE_SHARE
