"""Expand command templates: ``[optional]`` words and ``(a | b)`` alternatives."""

from __future__ import annotations

import itertools
import re

MAX_EXPANSIONS = 5000
"""Most sentences one template may stand for (counted before any is built: 22 optional words are
four million sentences)."""


class TemplateError(ValueError):
    """A template's brackets do not balance, or it stands for too many sentences."""


def _count_sequence(text: str, pos: int, closer: str | None) -> tuple[int, int]:
    """How many sentences the alternatives up to ``closer`` stand for (capped just above the limit)."""
    total, current = 0, 1
    while pos < len(text):
        char = text[pos]
        if char in "([":
            inner, pos = _count_sequence(text, pos + 1, ")" if char == "(" else "]")
            current = min(current * (inner + (char == "[")), MAX_EXPANSIONS + 1)
        elif char in ")]":
            if char != closer:
                raise TemplateError(f"unexpected '{char}'")
            return min(total + current, MAX_EXPANSIONS + 1), pos + 1
        elif char == "|":
            if closer is None:
                raise TemplateError("'|' outside brackets")
            total, current, pos = min(total + current, MAX_EXPANSIONS + 1), 1, pos + 1
        else:
            pos += 1
    if closer is not None:
        raise TemplateError(f"missing '{closer}'")
    return min(total + current, MAX_EXPANSIONS + 1), pos


MAX_DEPTH = 20
"""Most brackets one inside another in a template."""


def count_expansions(template: str) -> int:
    """How many sentences ``template`` stands for, repeats included, up to just over MAX_EXPANSIONS."""
    depth = 0
    for char in template:
        depth += (char in "([") - (char in ")]")
        if depth > MAX_DEPTH:
            raise TemplateError(f"brackets nested more than {MAX_DEPTH} deep")
    return _count_sequence(template, 0, None)[0]


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
    if count_expansions(template) > MAX_EXPANSIONS:
        raise TemplateError(f"it stands for more than {MAX_EXPANSIONS} sentences; use fewer optional words")
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
