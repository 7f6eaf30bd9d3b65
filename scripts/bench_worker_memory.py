"""The recogniser worker's memory over many utterances, fed as the listener feeds it (in blocks).

    python scripts/bench_worker_memory.py [--utterances 600] [--every 50] [--longest 12]

Utterances are clips of the development set (``dev_audio/dev``, commands and chatter), some joined
into longer ones (up to ``--longest`` seconds, as the coach's own speech or a long remark heard
whole), in a fixed random order. Prints the worker's RSS every ``--every`` utterances and the slope
per 1,000 utterances after the first fifth (the decoder's buffers grow to fit the longest
utterance once, then stay). Set MALLOC_ARENA_MAX in the environment to see the allocator's share.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

from voice.content import load_content
from voice.listening.recognizer import ListenSettings
from voice.listening.worker import RecognizerProcess
from voice.pcm import SAMPLE_BYTES, TARGET_RATE, read_wav_pcm16k

ROOT = Path(__file__).resolve().parent.parent
BLOCK_BYTES = TARGET_RATE // 10 * SAMPLE_BYTES
"""Audio passed on at a time: 100 ms (the listener passes 20 ms in real time; faster than real time,
smaller blocks would fill the sender's queue and the worker would be taken for hung)."""


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def utterances(folder: Path, count: int, longest: float, seed: int) -> list[bytes]:
    """``count`` utterances from the clips in ``folder``: most one clip, a fifth several joined."""
    labels = [json.loads(line) for line in (folder / "labels.jsonl").read_text().splitlines()]
    chooser = random.Random(seed)
    picked = chooser.sample(labels, min(len(labels), 200))
    clips = [read_wav_pcm16k(folder / label["file"]) for label in picked]
    made = []
    for _ in range(count):
        pcm = chooser.choice(clips)
        if chooser.random() < 0.2:
            limit = int(chooser.uniform(3.0, longest) * TARGET_RATE) * SAMPLE_BYTES
            while len(pcm) < limit:
                pcm += chooser.choice(clips)
            pcm = pcm[:limit]
        made.append(pcm)
    return made


def slope_per_thousand(points: list[tuple[int, float]]) -> float:
    n = len(points)
    if n < 3:
        return float("nan")
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    var = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / var * 1000 if var else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--utterances", type=int, default=600)
    parser.add_argument("--every", type=int, default=50)
    parser.add_argument("--longest", type=float, default=12.0, help="seconds of the longest utterance")
    parser.add_argument("--dev", type=Path, default=ROOT / "dev_audio" / "dev")
    parser.add_argument("--seed", type=int, default=20)
    args = parser.parse_args()
    if not (args.dev / "labels.jsonl").exists():
        print(f"no development set in {args.dev}; make it with scripts/make_dev_audio.py or pass --dev")
        return 1
    spoken = utterances(args.dev, args.utterances, args.longest, args.seed)
    points: list[tuple[int, float]] = []
    started = time.monotonic()
    with RecognizerProcess(load_content(), ListenSettings(engine="pocketsphinx")) as recognizer:
        assert recognizer.pid is not None
        print(f"worker {recognizer.pid}: RSS {rss_mb(recognizer.pid):.1f} MB loaded")
        for number, pcm in enumerate(spoken, start=1):
            for at in range(0, len(pcm), BLOCK_BYTES):
                recognizer.accept(pcm[at : at + BLOCK_BYTES])
            recognizer.final()
            recognizer.check()
            if number % args.every == 0:
                points.append((number, rss_mb(recognizer.pid)))
                print(f"{number:6d} utterances: RSS {points[-1][1]:.1f} MB", flush=True)
    settled = points[len(points) // 5 :]
    audio_hours = sum(len(pcm) for pcm in spoken) / (TARGET_RATE * SAMPLE_BYTES) / 3600
    print(f"{len(spoken)} utterances ({audio_hours * 60:.1f} min of audio) in "
          f"{(time.monotonic() - started) / 60:.1f} min; RSS {points[0][1]:.1f} -> {points[-1][1]:.1f} MB; "
          f"slope after the first fifth {slope_per_thousand(settled):+.2f} MB per 1000 utterances")
    return 0


if __name__ == "__main__":
    sys.exit(main())
