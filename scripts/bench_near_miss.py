"""How close chatter and garbled commands come to a command phrase: the figures behind the
"say that again" band (prints each sentence's closeness and the share above each cutoff)."""

from __future__ import annotations

import random

from voice.confidence import CLEAR_ATTEMPT_FROM, NEAR_MISS_FROM, NOT_A_COMMAND_BELOW
from voice.content import load_content
from voice.listening.intent import IntentMatcher

CHATTER = (
    "can you turn the radio down", "my dog is barking", "what time is it", "i need a drink of water",
    "that is interesting", "the phone is ringing", "where are my glasses", "okay then", "oh dear",
    "i will call you later", "is it raining", "the cat", "a bit slow", "i think i left the oven on",
    "the weather is nice today", "i had a nice lunch with my sister", "i am going to the shop", "hello",
    "how long", "did you feed the fish", "turn the light off", "we should paint the kitchen",
    "my back is better today", "the kettle has boiled", "who is at the door", "tomorrow is tuesday",
)
"""Things said near the coach that are not meant for it."""


def garbled(phrase: str, rng: random.Random) -> str:
    """A command as a recogniser might mishear it: one word dropped, swapped or misspelt."""
    words = phrase.split()
    index = rng.randrange(len(words))
    change = rng.choice(("drop", "swap", "misspell"))
    if change == "drop" and len(words) > 1:
        del words[index]
    elif change == "swap":
        words[index] = rng.choice(("yoga", "thing", "the", "a", "bit", "uh"))
    else:
        word = words[index]
        cut = rng.randrange(len(word))
        words[index] = word[:cut] + rng.choice("aeioustrn") + word[cut + 1 :]
    return " ".join(words)


def share(values: list[float], cutoff: float) -> float:
    return sum(value >= cutoff for value in values) / len(values)


def main() -> None:
    content = load_content()
    matcher = IntentMatcher(content)
    rng = random.Random(7)
    chatter = [matcher.match(text).closeness for text in CHATTER]
    phrases = [phrase.text for phrase in content.phrases]
    misheard = [matcher.match(garbled(rng.choice(phrases), rng)) for _ in range(2000)]
    missed = [intent.closeness for intent in misheard if intent.name == "none"]
    print(f"chatter sentences: {len(chatter)}, highest closeness {max(chatter):.3f}")
    print(f"garbled commands: {len(misheard)}, of which not matched (none): {len(missed)}")
    print(f"{'cutoff':<34}{'chatter at or above':>20}{'unmatched garbled at or above':>31}")
    cutoffs = (
        ("near miss (say again)", NEAR_MISS_FROM), ("clear attempt (mid-hold)", CLEAR_ATTEMPT_FROM),
        ("command", NOT_A_COMMAND_BELOW),
    )
    for name, cutoff in cutoffs:
        print(f"{name + f' {cutoff:.2f}':<34}{share(chatter, cutoff):>20.2f}{share(missed, cutoff):>31.2f}")


if __name__ == "__main__":
    main()
