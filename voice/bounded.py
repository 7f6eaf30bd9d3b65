"""Reading files the person or a helper wrote, within limits: size before reading, nesting while parsing."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

TEXT_FILE_LIMIT = 1 << 20
"""Largest content, config or state file read (the shipped ones are a few kilobytes)."""


class TooLarge(ValueError):
    """A file is larger than the coach reads."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"the file is {size:,} bytes, more than the {limit:,} allowed")
        self.size, self.limit = size, limit


class TooDeep(ValueError):
    """A file nests lists or tables deeper than the parser goes."""

    def __init__(self) -> None:
        super().__init__("lists or tables are nested too deeply")


def read_bounded(path: Path, limit: int = TEXT_FILE_LIMIT) -> bytes:
    """The bytes of ``path``, its size compared before reading (OSError or TooLarge otherwise)."""
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > limit:
            raise TooLarge(size, limit)
        data = handle.read(limit + 1)  # a file still growing is cut off here
    if len(data) > limit:
        raise TooLarge(len(data), limit)
    return data


def parse_nested(parse: Callable[[str], T], text: str) -> T:
    """``parse(text)``, with nesting too deep for the parser's recursion reported as TooDeep."""
    try:
        return parse(text)
    except RecursionError:
        raise TooDeep() from None
