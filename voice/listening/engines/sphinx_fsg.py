"""The PocketSphinx finite-state grammar: the command word graph beside a garbage path of everyday words."""

from __future__ import annotations

from typing import Any

from voice.listening.grammar import WordGraph

CommandGraphs = tuple[tuple[WordGraph, float], ...]
"""Word graphs of the commands side by side, each with the share of the commands' prior it starts with."""


def command_graphs(
    phrases: WordGraph, urgent: WordGraph | None, others: WordGraph | None, urgent_prior: float | None
) -> CommandGraphs:
    """One graph of all phrases, or (with ``urgent_prior``) the urgent and the other phrases apart, the
    urgent ones ``urgent_prior`` times likelier than their share of the first words."""
    if urgent_prior is None or urgent is None or others is None:
        return ((phrases, 1.0),)
    pressing = urgent_prior * len(urgent.edges[urgent.start])
    ordinary = float(len(others.edges[others.start]))
    return ((urgent, pressing / (pressing + ordinary)), (others, ordinary / (pressing + ordinary)))


def fsg_transitions(
    graphs: CommandGraphs,
    garbage: tuple[str, ...],
    garbage_weight: float,
    garbage_loop: float,
    min_words: int,
) -> tuple[int, int, list[Any]]:
    """(start, final, transitions) of the FSG: the command graphs, and beside them the garbage loop.

    ``garbage_weight`` is the garbage path's prior against the commands, ``garbage_loop`` the
    probability of each further garbage word, ``min_words`` the fewest words it takes."""
    count = sum(len(graph.edges) for graph, _ in graphs)
    start, final = count, count + 1
    weight = garbage_weight if garbage else 0.0
    transitions: list[Any] = []
    offset = 0
    for graph, share in graphs:
        transitions.append((start, offset + graph.start, (1.0 - weight) * share))
        for state, edges in enumerate(graph.edges):
            ways = len(edges) + (state in graph.final)
            transitions += [(offset + state, offset + edge.target, 1.0 / ways, edge.word) for edge in edges]
            if state in graph.final:
                transitions.append((offset + state, final, 1.0 / ways))
        offset += len(graph.edges)
    if garbage:
        transitions += _garbage_path(start, final, count + 2, garbage, weight, garbage_loop, min_words)
    return start, final, transitions


def _garbage_path(
    start: int,
    final: int,
    first: int,
    garbage: tuple[str, ...],
    weight: float,
    loop: float,
    min_words: int,
) -> list[Any]:
    """At least ``min_words`` everyday words, every word after the first costing ``loop``."""
    count = max(1, min_words)
    before = [first + 2 * i for i in range(count)]
    after = [state + 1 for state in before]
    transitions: list[Any] = [(start, before[0], weight)]
    for here, there in zip(before, after, strict=True):
        transitions += [(here, there, 1.0 / len(garbage), word) for word in garbage]
    transitions += [
        (done, following, loop) for done, following in zip(after, before[1:], strict=False)
    ]
    transitions += [(after[-1], before[-1], loop), (after[-1], final, 1.0 - loop)]
    return transitions
