"""Recogniser grammars derived from the compiled command phrases: a word graph, JSGF and Vosk lists."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

UNKNOWN = "[unk]"
"""Vosk's out-of-vocabulary word; listed in a grammar it lets other speech map to nothing."""


@dataclass(frozen=True)
class Edge:
    """One word leading from a state of the word graph to another."""

    word: str
    """The word spoken."""
    target: int
    """State reached after it."""


@dataclass(frozen=True)
class WordGraph:
    """The smallest deterministic word graph accepting exactly the phrases (shared prefixes and suffixes)."""

    start: int
    """State every phrase starts in."""
    edges: tuple[tuple[Edge, ...], ...]
    """Outgoing words of each state, by state number."""
    final: frozenset[int]
    """States in which a phrase may end."""

    @property
    def words(self) -> tuple[str, ...]:
        """Every word on an edge, sorted."""
        return tuple(sorted({edge.word for edges in self.edges for edge in edges}))

    def accepts(self, sentence: str) -> bool:
        """Whether the graph accepts this sentence (words separated by spaces)."""
        state = self.start
        for word in sentence.split():
            state_edges = {edge.word: edge.target for edge in self.edges[state]}
            if word not in state_edges:
                return False
            state = state_edges[word]
        return state in self.final


Trie = dict[str, "Trie"]


def _trie(sentences: Iterable[str]) -> tuple[Trie, set[int]]:
    root: Trie = {}
    ends: set[int] = set()
    for sentence in sentences:
        node = root
        for word in sentence.split():
            node = node.setdefault(word, {})
        ends.add(id(node))
    return root, ends


class _Minimiser:
    """Merges trie nodes with identical futures (bottom-up hashing), numbering the states."""

    def __init__(self, ends: set[int]) -> None:
        self.ends = ends
        self.ids: dict[tuple[bool, tuple[tuple[str, int], ...]], int] = {}
        self.edges: list[tuple[Edge, ...]] = []
        self.final: set[int] = set()

    def visit(self, node: Trie) -> int:
        out = tuple(sorted((word, self.visit(child)) for word, child in node.items()))
        signature = (id(node) in self.ends, out)
        if signature not in self.ids:
            self.ids[signature] = len(self.edges)
            self.edges.append(tuple(Edge(word, target) for word, target in out))
            if signature[0]:
                self.final.add(self.ids[signature])
        return self.ids[signature]


def word_graph(sentences: Iterable[str]) -> WordGraph:
    """The minimal word graph of a set of sentences."""
    root, ends = _trie(sentences)
    minimiser = _Minimiser(ends)
    start = minimiser.visit(root)
    return WordGraph(start=start, edges=tuple(minimiser.edges), final=frozenset(minimiser.final))


def spell_with(sentence: str, sound_alikes: Mapping[str, str]) -> str:
    """The sentence with each word replaced by its sound-alike spelling where it has one."""
    return " ".join(sound_alikes.get(word, word) for word in sentence.split())


def vosk_grammar(
    sentences: Sequence[str],
    sound_alikes: Mapping[str, str],
    known: Iterable[str] | None = None,
) -> tuple[list[str], dict[str, str]]:
    """Vosk grammar phrases (plus ``[unk]``) and a map from each spoken form back to the phrase.

    ``sound_alikes`` should hold entries only for words the model lacks. With ``known`` (the
    model's words), a phrase that still holds an unknown word is left out, because Vosk would
    silently drop that word and accept a shorter, different sentence.
    """
    vocabulary = None if known is None else set(known)
    spoken_to_phrase: dict[str, str] = {}
    for sentence in sentences:
        spoken = spell_with(sentence, sound_alikes)
        if vocabulary is not None and any(word not in vocabulary for word in spoken.split()):
            continue
        spoken_to_phrase.setdefault(spoken, sentence)
    return [*spoken_to_phrase, UNKNOWN], spoken_to_phrase
