"""Personal data in a public comment (issue 24 item 6). Pure, no Django.

An NGO's comment on a public recommendation is published at once unless it may identify a
person; then it is held for a moderator. What holds it:

- ``iin``: a 12-digit run (a Kazakh individual identification number, or any long number
  that could be one);
- ``phone``: a phone number (+7 / 8 and ten digits, with spaces, dashes or brackets);
- ``email``: an e-mail address;
- ``name``: a person's name: two or three capitalised words in a row (Cyrillic or Latin) of
  which one has the shape of a Kazakh or Russian surname or patronymic (-ов, -ева, -ович,
  -ұлы, -қызы, ...), or any such run that the caller found among the names of detainees
  (``known``: :func:`name_candidates` gives the runs to look up).

Held, not refused: a moderator decides, since "Ivanov" may be a minister named in his office.
Better to hold a harmless comment for an hour than to publish a detainee's name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

IIN = re.compile(r"(?<!\d)\d{12}(?!\d)")
PHONE = re.compile(r"(?<![\d+])(?:\+7|8)[\s\-()]*\d{3}[\s\-()]*\d{3}[\s\-]*\d{2}[\s\-]*\d{2}"
                   r"(?!\d)")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
WORD = re.compile(r"[A-ZА-ЯЁӘҒҚҢӨҰҮҺІ][a-zа-яёәғқңөұүһі]+(?:-[A-ZА-ЯЁӘҒҚҢӨҰҮҺІ]?"
                  r"[a-zа-яёәғқңөұүһі]+)?")
# Endings of Kazakh and Russian surnames and patronymics (lower case).
NAME_ENDINGS = ("ов", "ова", "ев", "ева", "ёв", "ёва", "ин", "ина", "ын", "ына", "ский",
                "ская", "цкий", "цкая", "енко", "ович", "евич", "овна", "евна", "ична",
                "ұлы", "улы", "қызы", "кызы", "uly", "kyzy", "ov", "ova", "ev", "eva", "in",
                "ina", "ovich", "evich", "ovna", "evna")
# Words that start sentences or name offices, never people.
NOT_NAMES = frozenset({"министерство", "комитет", "республики", "республика", "казахстан",
                       "қазақстан", "генеральная", "прокуратура", "ministry", "committee",
                       "republic", "kazakhstan", "the", "general", "prosecutor", "office",
                       "national", "preventive", "mechanism", "un", "cat", "spt"})


def name_candidates(text: str) -> list[str]:
    """Runs of two or three capitalised words, as written (each run and its two-word
    sub-runs), for the caller to look up among the names it knows."""
    words = [(m.group(0), m.start(), m.end()) for m in WORD.finditer(text)]
    runs: list[list[str]] = []
    current: list[str] = []
    last_end = -1
    for word, start, end in words:
        gap = text[last_end:start] if last_end >= 0 else ""
        if current and gap.strip() == "":
            current.append(word)
        else:
            if len(current) >= 2:
                runs.append(current)
            current = [word]
        last_end = end
    if len(current) >= 2:
        runs.append(current)
    out: list[str] = []
    for run in runs:
        for size in (3, 2):
            for i in range(len(run) - size + 1):
                candidate = " ".join(run[i:i + size])
                if candidate not in out:
                    out.append(candidate)
    return out


def _looks_like_a_name(candidate: str) -> bool:
    words = candidate.split()
    if any(word.lower() in NOT_NAMES for word in words):
        return False
    return any(word.lower().endswith(NAME_ENDINGS) and len(word) > 3 for word in words)


def findings(text: str, known: Iterable[str] = ()) -> list[str]:
    """Why ``text`` may identify a person: a sorted list of "iin", "phone", "email", "name"
    (empty: nothing found). ``known``: names (any case) the caller matched in its
    registers; a candidate run equal to one of them, in either word order, is a name."""
    found: set[str] = set()
    if IIN.search(text):
        found.add("iin")
    if PHONE.search(text):
        found.add("phone")
    if EMAIL.search(text):
        found.add("email")
    names = {name.casefold() for name in known}
    for candidate in name_candidates(text):
        words = candidate.casefold().split()
        if (" ".join(words) in names or " ".join(reversed(words)) in names
                or _looks_like_a_name(candidate)):
            found.add("name")
            break
    return sorted(found)
