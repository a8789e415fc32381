"""Complaint triage: language detection and a transparent allegation classifier. No Django.

Transparent on purpose: an official must see WHY a complaint was put in a class, and be able
to say the machine was wrong. So the classifier is a table of words and word stems per
class and language, each with a weight; a text's score for a class is the sum of the weights
of the entries found in it, and the result carries the words that matched. A person confirms
or corrects every suggestion; the corrections measure the table (bench/triage.py) and show
which entries to add or remove. No learned weights: a table can be read in court.

Entries: "пыт*" is a stem (any word that starts with it), "били" an exact word, and an entry
with a space a phrase of exact words ("kill you").
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass, field


class Language(enum.StrEnum):
    KAZAKH = "kk"
    RUSSIAN = "ru"
    ENGLISH = "en"
    UNKNOWN = ""


class Allegation(enum.StrEnum):
    """The classes, most severe first: a tie goes to the more severe (the safer error)."""

    TORTURE = "torture"
    CRUEL_TREATMENT = "cruel_treatment"
    THREATS = "threats"
    DENIAL_OF_CARE = "denial_of_care"  # of a lawyer or of medical care
    CONDITIONS = "conditions"
    OTHER = "other"


SEVERITY_ORDER = list(Allegation)

# Weights: words that alone describe the class weigh 3; words that suggest it weigh 2;
# context words (a cell, food) weigh 1, so that they decide only when nothing graver is said.
STRONG, MEDIUM, WEAK = 3, 2, 1

# (class, language, weight, entries)
LEXICON: list[tuple[Allegation, Language, int, tuple[str, ...]]] = [
    # --- torture: severe pain or suffering, often to force a confession (Criminal Code art. 146)
    (Allegation.TORTURE, Language.RUSSIAN, STRONG, (
        "пыт*", "истяза*", "избил*", "избива*", "избиени*", "избит*", "били", "бил", "бьют",
        "электрошок*", "шокер*", "током", "противогаз*", "душил*", "задуш*", "подвешива*",
        "подвесил*", "изнасил*", "сломал*", "выбива*")),
    (Allegation.TORTURE, Language.RUSSIAN, MEDIUM, (
        "удар*", "пинал*", "пинками", "дубинк*", "признани*", "признаться", "синяк*",
        "побои", "побоев", "пакет на голову")),
    (Allegation.TORTURE, Language.KAZAKH, STRONG, (
        "азапта*", "азап", "қинады", "қинау*", "қинап*", "қинал*", "ұрды",
        "ұрып*", "ұрған*", "соққыға", "тепкіле*", "электр*", "тұншықтыр*", "зорла*")),
    (Allegation.TORTURE, Language.KAZAKH, MEDIUM, (
        "соққы*", "мойында*", "көгер*", "таяқ*", "сындыр*")),
    (Allegation.TORTURE, Language.ENGLISH, STRONG, (
        "tortur*", "beat", "beaten", "beating*", "beat me", "electric*", "shock*",
        "suffocat*", "chok*", "strangl*", "rape*", "waterboard*")),
    (Allegation.TORTURE, Language.ENGLISH, MEDIUM, (
        "punch*", "kick*", "hit", "hitting", "bruis*", "confess*", "baton*", "broke*",
        "bag over")),
    # --- cruel, inhuman or degrading treatment: humiliation, deprivation, stress positions
    (Allegation.CRUEL_TREATMENT, Language.RUSSIAN, STRONG, (
        "униж*", "издева*", "жесток*", "раздеться", "раздели", "раздева*", "спать не",
        "не давали спать", "на колени", "растяжк*")),
    (Allegation.CRUEL_TREATMENT, Language.RUSSIAN, MEDIUM, (
        "оскорб*", "наручник*", "голод*", "без еды", "без воды", "часами стоять", "стоя",
        "матом", "материл*", "плевал*", "обрили")),
    (Allegation.CRUEL_TREATMENT, Language.KAZAKH, STRONG, (
        "қорла*", "кемсіт*", "қатыгез*", "ұйықтатпа*", "шешіндір*", "тізерле*", "мазақ*")),
    (Allegation.CRUEL_TREATMENT, Language.KAZAKH, MEDIUM, (
        "балағат*", "кісен*", "аш", "аштық*", "тамақсыз", "сусыз", "түкір*")),
    (Allegation.CRUEL_TREATMENT, Language.ENGLISH, STRONG, (
        "humiliat*", "degrad*", "cruel*", "strip*", "naked", "kneel*", "sleep deprivation",
        "not allowed to sleep", "let me sleep", "stress position*")),
    (Allegation.CRUEL_TREATMENT, Language.ENGLISH, MEDIUM, (
        "insult*", "mock*", "handcuff*", "starv*", "spat", "abus*", "shackl*")),
    # --- threats: intimidation, including against the family, and retaliation for complaining
    (Allegation.THREATS, Language.RUSSIAN, STRONG, (
        "угрож*", "угроз*", "запуг*", "шантаж*", "убьют", "убьем", "убьём", "расправ*",
        "посадим", "посадят")),
    (Allegation.THREATS, Language.RUSSIAN, MEDIUM, (
        "пригрози*", "обещали", "если пожалуюсь", "если напишу", "заберут", "грозил*")),
    (Allegation.THREATS, Language.KAZAKH, STRONG, (
        "қорқыт*", "қоқан", "өлтіреміз", "өлтіреді", "қамаймыз", "қамайды", "қорқыту*",
        "бопса*")),
    (Allegation.THREATS, Language.KAZAKH, MEDIUM, (
        "шағым жазсаң", "шағымдансаң", "айтсаң", "отбасыңа")),
    (Allegation.THREATS, Language.ENGLISH, STRONG, (
        "threat*", "intimidat*", "blackmail*", "kill you", "kill me", "retaliat*",
        "lock you up")),
    (Allegation.THREATS, Language.ENGLISH, MEDIUM, (
        "warned me", "if i complain", "if i complained", "my family would", "scare*")),
    # --- denial of a lawyer or of medical care
    (Allegation.DENIAL_OF_CARE, Language.RUSSIAN, STRONG, (
        "адвокат*", "защитник*", "врач*", "медицинск*", "медпомощ*", "скорую", "скорая",
        "лекарств*", "инсулин*")),
    (Allegation.DENIAL_OF_CARE, Language.RUSSIAN, MEDIUM, (
        "юрист*", "лечени*", "больниц*", "медик*", "не пустили")),
    (Allegation.DENIAL_OF_CARE, Language.KAZAKH, STRONG, (
        "адвокат*", "қорғаушы*", "дәрігер*", "дәрі*", "медициналық", "жедел жәрдем",
        "инсулин*")),
    (Allegation.DENIAL_OF_CARE, Language.KAZAKH, MEDIUM, (
        "заңгер*", "емде*", "ауруханаға", "кіргізбеді")),
    (Allegation.DENIAL_OF_CARE, Language.ENGLISH, STRONG, (
        "lawyer*", "attorney*", "counsel*", "doctor*", "medical", "medicine*", "medication*",
        "ambulance*", "insulin*")),
    (Allegation.DENIAL_OF_CARE, Language.ENGLISH, MEDIUM, (
        "hospital*", "nurse*", "legal aid", "prescri*")),
    # --- conditions of detention
    (Allegation.CONDITIONS, Language.RUSSIAN, MEDIUM, (
        "холод*", "сырост*", "сыро", "плесен*", "переполн*", "туалет*", "санитар*",
        "матрас*", "одеял*", "клоп*", "прогулк*", "вентиляц*", "отоплени*", "душ",
        "антисанитар*", "тесн*")),
    (Allegation.CONDITIONS, Language.RUSSIAN, WEAK, (
        "камер*", "еда", "еды", "пищ*", "питани*", "вода", "воды", "свет*", "окн*")),
    (Allegation.CONDITIONS, Language.KAZAKH, MEDIUM, (
        "суық*", "ылғал*", "дәретхана*", "көрпе*", "төсек*", "серуен*", "лас", "тар",
        "жылытыл*", "желдет*", "толып")),
    (Allegation.CONDITIONS, Language.KAZAKH, WEAK, (
        "камера*", "тамақ*", "су", "жарық*", "терезе*")),
    (Allegation.CONDITIONS, Language.ENGLISH, MEDIUM, (
        "cold", "freezing", "damp", "mould*", "mold*", "overcrowd*", "toilet*", "sanitation",
        "mattress*", "blanket*", "bedbug*", "ventilation", "heating", "shower*", "filthy",
        "dirty", "exercise yard")),
    (Allegation.CONDITIONS, Language.ENGLISH, WEAK, (
        "cell", "cells", "food", "water", "light*", "window*")),
]

KAZAKH_LETTERS = frozenset("әғқңөұүһі")
# Frequent words that tell Kazakh from Russian when a text has no Kazakh-only letters.
KAZAKH_WORDS = frozenset({"мен", "және", "жоқ", "бар", "деп", "бұл", "маған", "мені", "оны",
                          "бізді", "еді", "болды", "кейін", "үшін", "сол", "бір"})
RUSSIAN_WORDS = frozenset({"и", "в", "не", "на", "что", "меня", "мне", "был", "была", "было",
                           "это", "они", "с", "по", "за", "после", "когда", "как"})

_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class TriageResult:
    language: Language
    allegation: Allegation
    # The words of the text that triggered the chosen class, in order of appearance.
    words: tuple[str, ...]
    scores: dict[Allegation, int] = field(default_factory=dict)
    # Every class's triggering words, for the explanation shown beside the suggestion.
    words_by_class: dict[Allegation, tuple[str, ...]] = field(default_factory=dict)


def _compile(entry: str) -> re.Pattern[str]:
    if entry.endswith("*"):
        return re.compile(r"(?<!\w)" + re.escape(entry[:-1]) + r"\w*", re.UNICODE)
    return re.compile(r"(?<!\w)" + re.escape(entry) + r"(?!\w)", re.UNICODE)


# Compiled once at import: (class, weight, pattern). Languages are merged on purpose: people
# mix Russian and Kazakh in one complaint, and a word's meaning does not depend on the guess.
_PATTERNS: list[tuple[Allegation, int, re.Pattern[str]]] = [
    (allegation, weight, _compile(entry))
    for allegation, _language, weight, entries in LEXICON
    for entry in entries
]


def _normalise(text: str) -> str:
    return " ".join(text.lower().replace("ё", "е").split())


def detect_language(text: str) -> Language:
    """kk, ru or en from the letters and the most frequent words; UNKNOWN without letters."""
    lowered = text.lower()
    cyrillic = sum(1 for c in lowered if "а" <= c <= "я" or c in "ёәғқңөұүһі")
    latin = sum(1 for c in lowered if "a" <= c <= "z")
    if cyrillic == 0 and latin == 0:
        return Language.UNKNOWN
    if latin > cyrillic:
        return Language.ENGLISH
    kazakh_letters = sum(1 for c in lowered if c in KAZAKH_LETTERS)
    words = _WORD.findall(lowered)
    kazakh_words = sum(1 for w in words if w in KAZAKH_WORDS)
    russian_words = sum(1 for w in words if w in RUSSIAN_WORDS)
    # One Kazakh-only letter in a hundred is far above what a Russian text with a Kazakh
    # name or place in it shows; the frequent-word count decides the rest.
    if kazakh_letters * 100 >= cyrillic or kazakh_words > russian_words:
        return Language.KAZAKH
    return Language.RUSSIAN


def classify(text: str) -> TriageResult:
    """The suggested class of an allegation and the words that triggered it."""
    normalised = _normalise(text)
    scores: dict[Allegation, int] = {allegation: 0 for allegation in Allegation}
    found: dict[Allegation, list[tuple[int, str]]] = {allegation: [] for allegation in Allegation}
    for allegation, weight, pattern in _PATTERNS:
        matches = list(pattern.finditer(normalised))
        if matches:
            # A word counts once however often it is repeated: shouting is not evidence.
            scores[allegation] += weight
            found[allegation].extend((m.start(), m.group(0)) for m in matches)
    best = max(SEVERITY_ORDER, key=lambda a: (scores[a], -SEVERITY_ORDER.index(a)))
    if scores[best] == 0:
        best = Allegation.OTHER
    words_by_class = {
        allegation: _unique_in_order(found[allegation]) for allegation in Allegation
        if found[allegation]
    }
    return TriageResult(
        language=detect_language(text),
        allegation=best,
        words=words_by_class.get(best, ()),
        scores={a: s for a, s in scores.items() if s},
        words_by_class=words_by_class,
    )


def _unique_in_order(positions: Iterable[tuple[int, str]]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for _position, word in sorted(positions):
        seen.setdefault(word, None)
    return tuple(seen)


class Urgency(enum.StrEnum):
    HIGH = "high"
    NORMAL = "normal"


def urgency(*, still_in_custody_of_accused: bool) -> Urgency:
    """High while the person is still held by the unit they accuse: the risk is now."""
    return Urgency.HIGH if still_in_custody_of_accused else Urgency.NORMAL


@dataclass(frozen=True)
class ClassScores:
    precision: float
    recall: float
    f1: float
    support: int


def evaluate(
    pairs: Iterable[tuple[str, str]], classes: Iterable[str] | None = None
) -> dict[str, ClassScores]:
    """Per-class precision, recall and F1 of (expected, predicted) pairs."""
    pairs = list(pairs)
    labels = list(classes) if classes is not None else [a.value for a in Allegation]
    result = {}
    for label in labels:
        true_positive = sum(1 for e, p in pairs if e == label and p == label)
        predicted = sum(1 for _e, p in pairs if p == label)
        actual = sum(1 for e, _p in pairs if e == label)
        precision = true_positive / predicted if predicted else 0.0
        recall = true_positive / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        result[label] = ClassScores(precision, recall, f1, actual)
    return result


def macro_f1(scores: dict[str, ClassScores]) -> float:
    with_support = [s.f1 for s in scores.values() if s.support]
    return sum(with_support) / len(with_support) if with_support else 0.0
