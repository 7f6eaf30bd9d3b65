"""Expand command templates: ``[optional]`` words and ``(a | b)`` alternatives."""

from __future__ import annotations

import itertools
import re


class TemplateError(ValueError):
    """A template's brackets do not balance."""


def _parse_sequence(text: str, pos: int, closer: str | None) -> tuple[list[list[str]], int]:
    """Parse alternatives separated by '|' until ``closer``; returns expansions per alternative."""
    alternatives: list[list[str]] = []
    current: list[str] = [""]
    while pos < len(text):
        char = text[pos]
        if char in "([":
            inner, pos = _parse_sequence(text, pos + 1, ")" if char == "(" else "]")
            options = [item for alternative in inner for item in alternative]
            if char == "[":
                options.append("")
            current = [f"{head} {tail}" for head, tail in itertools.product(current, options)]
            continue
        if char in ")]":
            if char != closer:
                raise TemplateError(f"unexpected '{char}'")
            alternatives.append(current)
            return alternatives, pos + 1
        if char == "|":
            if closer is None:
                raise TemplateError("'|' outside brackets")
            alternatives.append(current)
            current = [""]
            pos += 1
            continue
        end = pos
        while end < len(text) and text[end] not in "()[]|":
            end += 1
        current = [f"{head} {text[pos:end]}" for head in current]
        pos = end
    if closer is not None:
        raise TemplateError(f"missing '{closer}'")
    alternatives.append(current)
    return alternatives, pos


def expand(template: str) -> list[str]:
    """Every sentence a template stands for, lower case, single-spaced, in order, no repeats."""
    alternatives, _ = _parse_sequence(template.lower(), 0, None)
    sentences = (" ".join(item.split()) for alternative in alternatives for item in alternative)
    return list(dict.fromkeys(sentence for sentence in sentences if sentence))


def simplest(template: str) -> str:
    """The plainest sentence of a template: optional words left out, first alternatives taken."""
    text = template
    while "[" in text:
        text = re.sub(r"\[[^\[\]]*\]", " ", text)
    while "(" in text:
        text = re.sub(r"\(([^()|]*)(\|[^()]*)?\)", r" \1 ", text)
    return " ".join(text.split())
