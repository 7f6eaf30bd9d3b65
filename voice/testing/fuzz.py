"""Fuzz targets (tests, scripts/fuzz.py): each file the coach reads, mutated, loads or fails in one line."""

from __future__ import annotations

import json
import math
import re
import shutil
import sqlite3
import struct
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from contextlib import closing, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from voice.content import Content, default_content_dir, load_content
from voice.errors import CoachError

TRIED: Counter[str] = Counter()
"""Cases each target has run (scripts/fuzz.py reports them)."""

BUDGET_SECONDS = 20.0
"""Most time one case may take (the real files load in a fraction of a second; runaways took minutes)."""

BUDGET_BYTES = 400 << 20
"""Most memory one case may allocate at its peak (runaways took gigabytes)."""

CONTENT_FILES = (
    "commands.toml", "pain.toml", "speech.toml", "asr.toml", "exercises/hamstring.toml",
    "exercises/gluteus_medius.toml", "exercises/transversus_abdominis.toml",
)
"""The real content files mutated."""


class OverBudget(AssertionError):
    """A case took more time or memory than any file should cost."""


@dataclass(frozen=True)
class Outcome:
    """What one case came to: loaded, or one CoachError line."""

    error: str | None
    """The error's line, or None when it loaded."""


def within_budget(name: str, work: Callable[[], object]) -> Outcome:
    """Run ``work``: a result or one CoachError line (others propagate), within time and memory."""
    TRIED[name] += 1
    tracemalloc.start()
    started = time.monotonic()
    try:
        work()
        outcome = Outcome(None)
    except CoachError as error:
        outcome = Outcome(str(error))
    finally:
        elapsed = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    if elapsed > BUDGET_SECONDS or peak > BUDGET_BYTES:
        raise OverBudget(f"{name}: {elapsed:.1f} s, {peak / 1e6:.0f} MB")
    if outcome.error is not None and ("\n" in outcome.error or not outcome.error.strip()):
        raise AssertionError(f"{name}: not one line: {outcome.error!r}")
    return outcome


# ----- mutations ----------------------------------------------------------------------------------

Mutation = tuple[str, float, bytes, int]
"""(operation, where as a fraction of the length, bytes, count)."""

mutations = st.lists(
    st.tuples(
        st.sampled_from(["flip", "insert", "delete", "repeat", "truncate"]),
        st.floats(0, 1), st.binary(min_size=1, max_size=8), st.integers(1, 4000),
    ),
    min_size=1, max_size=4,
)
"""Byte-level changes to a file."""


def mutate(data: bytes, changes: list[Mutation]) -> bytes:
    """``data`` with ``changes`` applied in order."""
    for operation, where, chunk, count in changes:
        at = min(len(data), int(where * len(data)))
        if operation == "flip" and data:
            at = min(at, len(data) - 1)
            data = data[:at] + bytes([data[at] ^ chunk[0]]) + data[at + 1 :]
        elif operation == "insert":
            data = data[:at] + chunk + data[at:]
        elif operation == "delete":
            data = data[:at] + data[at + count :]
        elif operation == "repeat":
            data = data[:at] + chunk * count + data[at:]
        else:
            data = data[:at]
    return data


toml_scalars = st.one_of(
    st.integers(-(2**70), 2**70), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    st.text(max_size=40), st.sampled_from(["{seconds}", "{side}", "{nope}", "{title:>99999}", "{", "[a | b"]),
)


def toml_text(value: Any) -> str:
    """``value`` written as TOML (json strings are TOML strings, astral characters aside)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_text(item) for item in value) + "]"
    return json.dumps(value)


toml_values = st.one_of(
    toml_scalars,
    st.lists(toml_scalars, max_size=6),
    st.builds(lambda depth: "[" * depth + "]" * depth, st.integers(1, 3000)),
    st.builds(lambda item, count: [item] * count, toml_scalars, st.integers(0, 3000)),
)
"""Values put in place of a key's value."""

KEY_LINE = re.compile(rb"(?m)^(\s*[\w.\-\"]+\s*=\s*)(.*)$")


def replace_value(data: bytes, which: float, value: Any) -> bytes:
    """The ``which``-th (as a fraction) ``key = value`` line given another value."""
    lines = list(KEY_LINE.finditer(data))
    if not lines:
        return data
    line = lines[min(len(lines) - 1, int(which * len(lines)))]
    text = value if isinstance(value, str) and value.startswith("[") else toml_text(value)
    return data[: line.start(2)] + text.encode("utf-8", "surrogatepass") + data[line.end(2) :]


file_changes = st.one_of(
    st.tuples(st.just("bytes"), mutations),
    st.tuples(st.just("value"), st.tuples(st.floats(0, 1), toml_values)),
)
"""Either byte changes or one value replaced."""


def changed(data: bytes, change: tuple[str, Any]) -> bytes:
    kind, detail = change
    return mutate(data, detail) if kind == "bytes" else replace_value(data, *detail)


# ----- targets ------------------------------------------------------------------------------------


def content_case(file: str, change: tuple[str, Any]) -> Outcome:
    """A copy of the real content with one file changed: loads (and coaches a routine) or one line."""
    from voice.apps.simulate import Simulation, parse_script
    from voice.coach.plan import phrases_to_prepare
    from voice.coach.settings import CoachSettings, CountCadence
    from voice.listening.engines.asr_data import load_asr_data
    from voice.listening.intent import IntentMatcher

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "content"
        shutil.copytree(default_content_dir(), folder, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
        path = folder / file
        path.write_bytes(changed(path.read_bytes(), change))

        def load() -> None:
            load_asr_data(folder)
            content = load_content(folder)
            IntentMatcher(content).match("start routine")
            phrases_to_prepare(content, CountCadence(), 6.0)
            Simulation(content, CoachSettings(), None).run(parse_script("1 start routine\n3000 stop\n", "s"))

        return within_budget("content", load)


def config_case(data: bytes) -> Outcome:
    """A config file and a state file with these bytes: settings or one line (state: never an error)."""
    from voice.apps.config import Places, read_state, resolve

    with tempfile.TemporaryDirectory() as scratch:
        places = Places(Path(scratch) / "config.toml", Path(scratch) / "state.json")
        places.config.write_bytes(data)
        places.state.write_bytes(data)
        read_state(places.state)
        return within_budget("config", lambda: resolve({}, places))


def real_config(change: tuple[str, Any]) -> bytes:
    """The commented config file ``config --init`` writes, with every option set, then changed."""
    from voice.apps.config import OPTIONS, config_text

    values = {option.key: option.example if option.default is None else option.default for option in OPTIONS}
    return changed(config_text(values).encode(), change)


def script_case(text: str) -> Outcome:
    """A simulate script: the coach runs it or one line."""
    from voice.apps.simulate import Simulation, parse_script
    from voice.coach.settings import CoachSettings

    def run() -> None:
        Simulation(_content(), CoachSettings(), None).run(parse_script(text, "script.txt"))

    return within_budget("script", run)


def wav_case(
    rate: int, channels: int, frames: int, fields: list[tuple[int, int]], change: list[Mutation]
) -> Outcome:
    """A WAV file with header fields overwritten and bytes changed: 16 kHz audio or one line."""
    from voice.pcm import parse_wav, to_pcm16k

    data = bytes(2 * channels * frames)
    header = struct.pack(
        "<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + len(data), b"WAVE", b"fmt ", 16, 1, channels, rate,
        (rate * channels * 2) & 0xFFFFFFFF, channels * 2, 16, b"data", len(data),
    )
    blob = bytearray(header + data)
    for offset, value in fields:  # offsets of the RIFF size, channels, rate, bits, data size...
        struct.pack_into("<I" if offset in (4, 24, 40) else "<H", blob, offset, value)
    return within_budget("wav", lambda: to_pcm16k(parse_wav("case.wav", mutate(bytes(blob), change))))


WAV_FIELDS = st.lists(
    st.one_of(
        st.tuples(st.sampled_from([4, 24, 40]), st.integers(0, 2**32 - 1)),
        st.tuples(st.sampled_from([20, 22, 34]), st.integers(0, 2**16 - 1)),
    ),
    max_size=3,
)
"""Header fields of a WAV file (offset, value)."""

SQLITE_VALUES = st.one_of(
    st.none(), st.integers(-(2**63), 2**63 - 1), st.floats(allow_nan=False), st.text(max_size=30),
    st.binary(max_size=10), st.datetimes().map(datetime.isoformat),
    st.sampled_from(["pain", "hold", "2026-11-23T09:00:00+01:00", "nonsense"]),
)
"""Values an SQLite column may hold, whatever its declared type."""

HISTORY_COLUMNS = (
    "events.t", "events.kind", "events.exercise", "events.side", "events.step", "events.amount",
    "events.words", "sessions.started", "sessions.ended", "sessions.engine", "sessions.started_at",
)


def history_case(updates: list[tuple[str, float, Any]]) -> Outcome:
    """A real history with rows damaged: reports, exports and the spoken week, or one line."""
    from voice.history.report import session_json, spoken_summary, summarise, table, write_csv
    from voice.history.store import HistoryStore

    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "history.sqlite3"
        shutil.copyfile(_recorded_history(), path)
        with closing(sqlite3.connect(path)) as db, db:
            for column, which, value in updates:
                table_name, name = column.split(".")
                ids = [row[0] for row in db.execute(f"SELECT id FROM {table_name} ORDER BY id")]
                if ids:
                    row = ids[min(len(ids) - 1, int(which * len(ids)))]
                    with suppress(sqlite3.IntegrityError):  # a NOT NULL column stays filled
                        db.execute(f"UPDATE {table_name} SET {name} = ? WHERE id = ?", (value, row))

        def report() -> None:
            store = HistoryStore.open(path, readonly=True)
            try:
                summaries = [summarise(record) for record in store.sessions()]
            finally:
                store.close()
            table(summaries)
            [json.dumps(session_json(summary)) for summary in summaries]
            write_csv(summaries, Path(scratch) / "export.csv")
            spoken_summary(summaries, datetime(2026, 11, 24, 12).astimezone(), _content())

        return within_budget("history", report)


def intent_case(text: str) -> Outcome:
    """Anything typed or heard: an intent, never an error."""
    from voice.listening.intent import IntentMatcher

    matcher = _matcher(IntentMatcher)
    outcome = within_budget("intent", lambda: matcher.match(text))
    if outcome.error is not None:
        raise AssertionError(f"matching {text!r} failed: {outcome.error}")
    return outcome


def _script(lines: list[tuple[Any, str]]) -> str:
    return "\n".join(f"{when} {said}" for when, said in lines)


TARGETS: dict[str, tuple[Callable[..., Outcome], tuple[st.SearchStrategy[Any], ...]]] = {
    "content": (content_case, (st.sampled_from(CONTENT_FILES), file_changes)),
    "config": (config_case, (st.one_of(st.binary(max_size=300), file_changes.map(real_config)),)),
    "script": (script_case, (st.lists(
        st.tuples(st.floats(-10, 1e13) | st.text(max_size=6), st.text(max_size=30)), max_size=8
    ).map(_script),)),
    "wav": (wav_case, (
        st.one_of(st.sampled_from([8000, 11025, 16000, 44100, 48000]), st.integers(0, 2**32 - 1)),
        st.integers(1, 3), st.integers(0, 4000), WAV_FIELDS,
        st.lists(st.tuples(st.sampled_from(["flip", "delete", "truncate"]), st.floats(0, 0.2),
                           st.binary(min_size=1, max_size=2), st.integers(1, 8)), max_size=2),
    )),
    "history": (history_case, (st.lists(
        st.tuples(st.sampled_from(HISTORY_COLUMNS), st.floats(0, 1), SQLITE_VALUES), min_size=1, max_size=3
    ),)),
    "intent": (intent_case, (st.text(max_size=200) | st.from_regex(r"[0-9 ]{1,40}", fullmatch=True),)),
}
"""Each target: the case to run and the strategies of its arguments."""


# ----- shared, built once -------------------------------------------------------------------------

_built: dict[str, Any] = {}


def _content() -> Content:
    if "content" not in _built:
        _built["content"] = load_content()
    content: Content = _built["content"]
    return content


def _matcher(kind: Callable[[Content], Any]) -> Any:
    if "matcher" not in _built:
        _built["matcher"] = kind(_content())
    return _built["matcher"]


def _recorded_history() -> Path:
    """A history of three real sessions over two days (made once per process)."""
    from voice.apps.simulate import Simulation, parse_script
    from voice.coach.settings import CoachSettings
    from voice.history.recorder import HistoryTarget

    if "history" not in _built:
        folder = Path(tempfile.mkdtemp(prefix="fuzz-history-"))
        path = folder / "history.sqlite3"
        start = datetime(2026, 11, 22, 9).astimezone()
        for day, script in enumerate(("2 start hamstring\n50 ouch\n55 skip\n", "2 start core exercise\n",
                                      "2 what\n3 start routine\n100 that hurts\n101 stop\n")):
            target = HistoryTarget(path, start + timedelta(days=day), "simulate")
            Simulation(_content(), CoachSettings(), None, target).run(parse_script(script, "s"))
        _built["history"] = path
    history: Path = _built["history"]
    return history
