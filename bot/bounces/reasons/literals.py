"""Which of several sets of literal phrases occur in a text, found in one search (for the classifier).

The classifier asks of one diagnostic, reason after reason, "does it hold one of these phrases?":
a dozen tables, hundreds of substring tests. Here every phrase of every table sits in one trie,
written as one regex ("user unknown", "user not found" → "user (?:unknown|not found)"), so `re`
reads the text once and drops all but a few branches at each character. The answer is the same
as the substring tests': every table one of whose phrases occurs. On the corpus diagnostics it
takes a ninth of the time of testing every table, a third of testing them one by one as asked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Generic, TypeVar

K = TypeVar("K")

_Trie = dict[str, "_Trie"]
_END = ""  # the key marking that a phrase ends at this node (no phrase holds an empty character)


class LiteralIndex(Generic[K]):
    """The keys of `groups` whose phrases occur in a text: `found(text)`; matched as written.

    The regex is built on first use (some 30 ms for the classifier's tables), not on import.
    """

    def __init__(self, groups: Mapping[K, Iterable[str]]) -> None:
        self._owners: dict[str, set[K]] = {}  # phrase → the keys of the groups holding it
        for key, phrases in groups.items():
            for phrase in phrases:
                if not phrase:
                    raise ValueError(f"an empty phrase in {key!r} would match every text")
                self._owners.setdefault(phrase, set()).add(key)
        self._regex: re.Pattern[str] | None = None
        # the longest phrase a match can be → the keys of it and of every phrase it starts with
        self._keys: dict[str, frozenset[K]] = {}

    def found(self, text: str) -> frozenset[K]:
        search = (self._regex or self._build()).search
        keys: frozenset[K] = frozenset()
        at = 0
        # one scan in all: each search starts just after the last match's start (phrases overlap)
        while (match := search(text, at)) is not None:
            keys |= self._keys[match.group()]
            at = match.start() + 1
        return keys

    def _build(self) -> re.Pattern[str]:
        root: _Trie = {}
        for phrase in self._owners:
            node = root
            for char in phrase:
                node = node.setdefault(char, {})
            node[_END] = {}
        # The regex matches the longest phrase starting at a position; every phrase that is a
        # prefix of it starts there too, so a match stands for all their keys.
        self._collect(root, "", frozenset())
        self._regex = re.compile(_longest(root) if root else r"(?!)")
        return self._regex

    def _collect(self, node: _Trie, prefix: str, keys: frozenset[K]) -> None:
        if _END in node:
            keys = keys | self._owners[prefix]
            self._keys[prefix] = keys
        for char, child in node.items():
            if char != _END:
                self._collect(child, prefix + char, keys)


def _longest(node: _Trie) -> str:
    """The regex of the phrases below `node`, preferring the longest (a greedy optional tail)."""
    branches = []
    for char, child in sorted(node.items()):
        if char == _END:
            continue
        run = char
        while len(child) == 1 and _END not in child:  # a run of single letters: one literal
            char, child = next(iter(child.items()))
            run += char
        branches.append(re.escape(run) + _longest(child))
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if _END in node else body
