"""How command words sound, for the engines: content/asr.toml read into AsrData."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voice.bounded import parse_nested, read_bounded
from voice.content import default_content_dir
from voice.errors import ContentError


@dataclass(frozen=True)
class AsrData:
    """How command words sound, for the engines (content/asr.toml)."""

    pronunciations: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """PocketSphinx phone strings (ARPAbet) for words its dictionary lacks, most usual first."""
    garbage_words: tuple[str, ...] = ()
    """Everyday words of PocketSphinx's out-of-grammar path (command words are removed from it)."""
    sound_alikes: dict[str, str] = field(default_factory=dict)
    """Vosk spellings to use for words a model's vocabulary lacks."""
    spotting_margins: dict[str, int] = field(default_factory=dict)
    """Least keyword-spotting margin at which PocketSphinx accepts each urgent word (chosen from data)."""
    reviewed_near_urgent: frozenset[str] = frozenset()
    """Short commands that sound near an urgent word and are kept on purpose (see voice/confusable.py)."""


def _table(path: Path, data: dict[str, Any], *keys: str) -> dict[str, Any]:
    for key in keys:
        data = data.get(key, {})
        if not isinstance(data, dict):
            raise ContentError(f"{path}: '{'.'.join(keys)}' must be a table")
    return data


def _strings(path: Path, where: str, value: Any) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(i, str) and i.strip() for i in items):
        raise ContentError(f"{path}: {where} must be a non-empty string or list of strings")
    return tuple(" ".join(item.split()) for item in items)


def load_asr_data(folder: Path | None = None) -> AsrData:
    """Read the content folder's asr.toml (pronunciations, garbage words, sound-alikes); a folder
    without one gets the built-in content's."""
    path = (folder or default_content_dir()) / "asr.toml"
    if folder is not None and not path.exists():
        path = default_content_dir() / "asr.toml"
    try:
        data = parse_nested(tomllib.loads, read_bounded(path).decode("utf-8"))
    except FileNotFoundError:
        raise ContentError(f"{path}: file is missing") from None
    except (OSError, ValueError) as error:  # also not UTF-8, not TOML, too large, nested too deeply
        raise ContentError(f"{path}: cannot be read: {error}") from None
    pronunciations = {
        word.lower(): tuple(p.upper() for p in _strings(path, f"pronunciation of '{word}'", phones))
        for word, phones in _table(path, data, "pocketsphinx", "pronunciations").items()
    }
    garbage = _table(path, data, "pocketsphinx", "garbage").get("words", [])
    sound_alikes = {
        word.lower(): _strings(path, f"sound-alike of '{word}'", spelling)[0].lower()
        for word, spelling in _table(path, data, "vosk", "sound_alikes").items()
    }
    margins = _table(path, data, "pocketsphinx", "spotting_margins")
    bad = [word for word, margin in margins.items() if type(margin) is not int]
    if bad:
        raise ContentError(f"{path}: spotting margin of '{bad[0]}' must be a whole number")
    listed = _table(path, data, "confusable").get("reviewed", [])
    reviewed = frozenset(p.lower() for p in _strings(path, "confusable.reviewed", listed)) if listed else None
    return AsrData(
        pronunciations,
        _strings(path, "garbage words", garbage) if garbage else (),
        sound_alikes,
        {word.lower(): margin for word, margin in margins.items()},
        reviewed or frozenset(),
    )
