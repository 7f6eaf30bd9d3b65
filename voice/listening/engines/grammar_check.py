"""The command grammar is refused at load when a short command sounds like an urgent word."""

from __future__ import annotations

from pathlib import Path

from voice.content import URGENT_INTENTS, Content
from voice.errors import ContentError, ModelError
from voice.listening.confusable import NearPair, bursts, near_pairs, short_commands
from voice.listening.engines.asr_data import AsrData

Pronouncing = dict[str, tuple[tuple[str, ...], ...]]
"""Every pronunciation (phones) of each word, most usual first."""


def pronouncing(vocabulary: set[str], asr: AsrData) -> Pronouncing:
    """Phones of the words: content/asr.toml's own pronunciations, else PocketSphinx's dictionary's."""
    import pocketsphinx

    from voice.listening.engines.sphinx_engine import dictionary_lines

    dictionary = Path(pocketsphinx.get_model_path("en-us/cmudict-en-us.dict"))
    try:
        lines = dictionary_lines(dictionary, vocabulary - set(asr.pronunciations))
    except OSError as error:
        raise ModelError(f"PocketSphinx cannot read {dictionary}: {error.strerror}") from None
    found: dict[str, list[tuple[str, ...]]] = {}
    for line in lines:
        word, *phones = line.split()
        found.setdefault(word.split("(", 1)[0], []).append(tuple(phones))
    for word, variants in asr.pronunciations.items():
        found[word] = [tuple(variant.split()) for variant in variants]
    return {word: tuple(variants) for word, variants in found.items()}


def unreviewed_near_urgent(content: Content, asr: AsrData) -> list[NearPair]:
    """Short commands near an urgent burst that content/asr.toml has not marked as reviewed."""
    ordinary = [p.text for p in content.spoken_phrases if p.intent not in (*URGENT_INTENTS, "none")]
    urgent_words = [word for group in content.urgent for word in group.words]
    urgent_phrases = {p.text for p in content.phrases if p.intent in URGENT_INTENTS}
    commands = [c for c in short_commands(ordinary, content.fillers) if c not in urgent_phrases]
    vocabulary = {word for phrase in [*commands, *urgent_words] for word in phrase.split()}
    pairs = near_pairs(commands, bursts(urgent_words), pronouncing(vocabulary, asr))
    return [pair for pair in pairs if pair.phrase not in asr.reviewed_near_urgent]


def check_near_urgent(content: Content, asr: AsrData) -> None:
    """Refuse, in one line naming both, a short command that sounds like an urgent word unreviewed."""
    pairs = unreviewed_near_urgent(content, asr)
    if pairs:
        pair = pairs[0]
        more = f" (and {len(pairs) - 1} more)" if len(pairs) > 1 else ""
        raise ContentError(
            f"content/commands.toml: '{pair.phrase}' sounds like the urgent '{pair.urgent}' "
            f"(phone distance {pair.distance:.2f}){more}; reword it, or list it under "
            "[confusable] reviewed in content/asr.toml"
        )
