"""Spell whole numbers as English words, for speech."""

_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()

LARGEST_SPOKEN = 999
"""The largest number ``number_words`` spells."""


def number_words(n: int) -> str:
    """``25`` -> ``"twenty-five"``; whole numbers from 0 to 999."""
    if not 0 <= n <= LARGEST_SPOKEN:
        raise ValueError(f"cannot spell {n}")
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    hundreds, rest = divmod(n, 100)
    return f"{_ONES[hundreds]} hundred" + (f" and {number_words(rest)}" if rest else "")
