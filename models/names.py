"""How a sentence addresses someone: "Paulo", not "Reis, Paulo", "The" or "paulo.reis@…".

A reason reads like something a person would say, so it uses a first name only when the
display name looks like a person's; anything else (an organisation, a team, a single
token) is used whole.
"""

from __future__ import annotations

import functools
import re

_ORG_TEXT = """
the a an and & of for team support sales info admin office club group letter newsletter
digest news weekly daily inc inc. ltd ltd. llc gmbh ag sa bv co co. corp corp. company
foundation association society university school department dept service services
systems labs lab studio agency bank hotel restaurant shop store clinic
"""
_ORG_WORDS = frozenset(_ORG_TEXT.split())
_TITLES = frozenset(("dr", "dr.", "prof", "prof.", "mr", "mr.", "mrs", "mrs.", "ms", "ms."))
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_WORD = re.compile(r"^[^\W\d_][\w'’.-]*$", re.UNICODE)


def looks_like_org(name: str) -> bool:
    words = [w.strip(",").lower() for w in name.split()]
    return any(w in _ORG_WORDS for w in words)


@functools.lru_cache(maxsize=65536)
def first_name(name: str) -> str:
    """The name to use in a sentence: the given name of a person, else the whole name."""
    text = " ".join(name.split())
    if not text or looks_like_org(text) or "@" in text:
        return text
    if "," in text:  # "Okafor, Margaret" — family name first
        family, _, given = text.partition(",")
        given = given.strip()
        if given and family.strip() and len(given.split()) <= 2:
            return first_name(given)
        return text
    words = text.split()
    while len(words) > 1 and words[0].lower() in _TITLES:
        words = words[1:]
    if len(words) < 2:
        return text if len(words) == 0 else words[0]
    first = words[0]
    acronym = first.isupper() and len(first) > 1  # "IBM Research", or a name in capitals
    if not _WORD.match(first) or acronym or _CJK.search(text):
        return " ".join(words)  # family name first, or not a person's name: use it whole
    return first
