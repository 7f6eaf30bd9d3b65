"""The enrolment sentences (content/enrolment.toml): what a person reads aloud, each with its id."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from voice.bounded import parse_nested, read_bounded
from voice.content import default_content_dir
from voice.errors import ContentError

ID_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
"""Sentence ids are file names too (ID.wav): lower-case letters, digits and underscores."""


@dataclass(frozen=True)
class Prompt:
    """One sentence to read aloud."""

    sentence_id: str
    """Its id, also the name of its recording (ID.wav)."""
    text: str
    """The sentence as written and spoken."""


def load_prompts(folder: Path | None = None) -> tuple[Prompt, ...]:
    """The sentences of the content folder's enrolment.toml (the built-in one when it has none)."""
    path = (folder or default_content_dir()) / "enrolment.toml"
    if folder is not None and not path.exists():
        path = default_content_dir() / "enrolment.toml"
    try:
        data = parse_nested(tomllib.loads, read_bounded(path).decode("utf-8"))
    except FileNotFoundError:
        raise ContentError(f"{path}: file is missing") from None
    except (OSError, ValueError) as error:
        raise ContentError(f"{path}: cannot be read: {error}") from None
    sentences = data.get("sentences")
    if not isinstance(sentences, dict) or not sentences:
        raise ContentError(f'{path}: needs a [sentences] table of id = "sentence"')
    prompts = []
    for key, text in sentences.items():
        if not ID_PATTERN.fullmatch(key) or not isinstance(text, str) or not text.strip():
            raise ContentError(f"{path}: '{key}' must be a lower-case id with a sentence as its value")
        prompts.append(Prompt(key, " ".join(text.split())))
    return tuple(prompts)
