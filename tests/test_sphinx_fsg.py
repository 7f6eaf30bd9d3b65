"""The PocketSphinx grammar: commands in one graph, or urgent phrases apart with their own prior."""

from __future__ import annotations

from collections import defaultdict

import pytest

from voice.listening.engines.sphinx_fsg import command_graphs, fsg_transitions
from voice.listening.grammar import word_graph

URGENT = word_graph(["stop", "stop it", "wait", "ouch"])
OTHERS = word_graph(["help", "next", "skip", "start the routine"])
ALL = word_graph(["stop", "stop it", "wait", "ouch", "help", "next", "skip", "start the routine"])


def _out_of_each_state(transitions: list[tuple[int, ...]]) -> dict[int, float]:
    total: dict[int, float] = defaultdict(float)
    for source, _target, probability, *_word in transitions:
        total[source] += probability
    return total


def test_without_a_prior_all_phrases_are_one_graph() -> None:
    assert command_graphs(ALL, URGENT, OTHERS, None) == ((ALL, 1.0),)


@pytest.mark.parametrize("prior", [1.0, 10.0])
def test_urgent_phrases_start_with_their_share_of_first_words_times_the_prior(prior: float) -> None:
    (urgent, urgent_share), (others, other_share) = command_graphs(ALL, URGENT, OTHERS, prior)
    assert (urgent, others) == (URGENT, OTHERS)
    assert urgent_share / other_share == pytest.approx(prior * 3 / 4)  # stop, wait, ouch against four
    assert urgent_share + other_share == pytest.approx(1.0)


def test_the_start_and_every_command_state_send_on_all_their_probability() -> None:
    graphs = command_graphs(ALL, URGENT, OTHERS, 10.0)
    start, final, transitions = fsg_transitions(graphs, ("the", "a", "and"), 1e-6, 1e-8, 4)
    commands = len(URGENT.edges) + len(OTHERS.edges)
    for state, total in _out_of_each_state(transitions).items():
        if state < commands or state == start:
            assert total == pytest.approx(1.0), state
    assert final not in _out_of_each_state(transitions)
    words = {t[3] for t in transitions if len(t) == 4}
    assert {"stop", "it", "wait", "ouch", "help", "routine", "the", "a"} <= words
    assert sum(1 for t in transitions if t[0] == start) == 3  # urgent, others, garbage
