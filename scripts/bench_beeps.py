#!/usr/bin/env python3
"""Measure the beep check on household tones: how many are kept from the decoder.

    python scripts/bench_beeps.py

Tones (voice.testing.beeps: timer beeps, two-tone and dual-tone alarms, chirps, square-ish microwave
beeps), each family in four rooms (clean, pink noise 20 dB below the tone, reverberant, quiet), go
the way of ``stretch-coach recognize``: front end, endpointer, noise suppression, then the check.
Printed per family and room: how many never reach the decoder (endpointer or check) under today's
check (``voice.audio.tones``) and under the check before issue 19 (``old``; target >= 0.95). The
other side, speech dropped as a beep per voice, copy and condition (target 0), is printed by
``scripts/bench_recognition.py --stages-only --beep both``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voice.audio.frontend import SHIPPED_FRONT_END, cleaned  # noqa: E402
from voice.pcm import TARGET_RATE, float_to_pcm16  # noqa: E402
from voice.testing.audio import noise  # noqa: E402
from voice.testing.beeps import tone_families  # noqa: E402
from voice.testing.stages import BEEP, DECODER, NO_SPEECH, early_stages, old_is_tone  # noqa: E402

ROOMS = ("clean", "noise20", "reverb", "quiet")


def _recognizer() -> Any:
    from voice.content import load_content
    from voice.listening.engines.asr_data import load_asr_data
    from voice.listening.engines.sphinx_engine import SphinxRecognizer, SphinxTuning

    return SphinxRecognizer.for_content(load_content(), load_asr_data(), SphinxTuning())


def in_room(tone: Any, room: str, rng: np.random.Generator) -> bytes:
    """A tone half a second into a faint room, as heard in ``room``, as 16-bit PCM."""
    pad = np.zeros(TARGET_RATE // 2)
    clip = np.concatenate([pad, tone * 10 ** (rng.uniform(-9, -3) / 20) / np.max(np.abs(tone)), pad])
    if room == "reverb":
        tail = rng.normal(0, 1, int(0.4 * TARGET_RATE)) * np.exp(-np.arange(int(0.4 * TARGET_RATE)) / 1600)
        tail[0] = 8.0
        clip = np.convolve(clip, tail)[: len(clip)]
        clip = clip / np.max(np.abs(clip)) * 0.5
    if room == "quiet":
        clip = clip * 10 ** (-30 / 20)
    sounding = clip[len(pad) : len(clip) - len(pad)]
    level = 10 * np.log10(float(np.mean(sounding**2)) + 1e-12) - (20 if room == "noise20" else 60)
    clip = clip + noise(len(clip) / TARGET_RATE, level, "pink", rng)
    return float_to_pcm16(np.clip(clip, -1, 1).astype(np.float32))


def tone_figures(per_maker: int, seed: int) -> str:
    """The table of tones kept from the decoder, per family and room, today's check and the old."""
    recognizer = _recognizer()
    rng = np.random.default_rng(seed)
    lines = [f"  {'tones':<16}{'room':<9}{'sounds':>7}{'no speech':>10}{'check':>7}{'kept out':>9}{'old':>7}"]
    totals = {"n": 0, "new": 0, "old": 0}
    for family, makers in tone_families(rng).items():
        for room in ROOMS:
            ends, old_ends = [], []
            for maker in makers:
                for _ in range(per_maker):
                    pcm = in_room(maker(), room, rng)
                    clean = lambda pcm: cleaned(pcm, SHIPPED_FRONT_END)  # noqa: E731
                    new, old = early_stages(pcm, recognizer, clean, (None, old_is_tone))
                    ends.append(new)
                    old_ends.append(old)
            kept_out = sum(end != DECODER for end in ends) / len(ends)
            old = sum(end != DECODER for end in old_ends) / len(ends)
            lines.append(
                f"  {family:<16}{room:<9}{len(ends):>7}{ends.count(NO_SPEECH):>10}{ends.count(BEEP):>7}"
                f"{kept_out:>9.2f}{old:>7.2f}"
            )
            totals["n"] += len(ends)
            totals["new"] += sum(end != DECODER for end in ends)
            totals["old"] += sum(end != DECODER for end in old_ends)
    lines.append(
        f"  all tones kept from the decoder: {totals['new'] / totals['n']:.3f} of {totals['n']}"
        f" (old check {totals['old'] / totals['n']:.3f}; target >= 0.95)"
    )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--per-maker", type=int, default=10, help="sounds drawn per kind of tone and room")
    parser.add_argument("--seed", type=int, default=19, help="random seed of the tones")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the figures; returns the exit status."""
    args = parse_args(argv)
    print(f"tones kept from the decoder ({args.per_maker} of each kind per room, seed {args.seed}):")
    print(tone_figures(args.per_maker, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
