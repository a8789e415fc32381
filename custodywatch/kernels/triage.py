"""Complaint triage: language detection and a transparent allegation classifier. No Django.

Transparent on purpose: an official must see WHY a complaint was put in a class, and be able
to say the machine was wrong. So the classifier is a table of words and word stems per
class and language, each with a weight; a text's score for a class is the sum of the weights
of the entries found in it, and the result carries the words that matched. A person confirms
or corrects every suggestion; the corrections measure the table (bench/triage.py) and show
which entries to add or remove. No learned weights: a table can be read in court.

Entries: "пыт*" is a stem (any word that starts with it), "били" an exact word, and an entry
with a space a phrase of exact words ("kill you").

The Kyrgyz, Uzbek, Tajik and Uyghur entries are a first table written from the common words
for beating, threats, a lawyer or a doctor; the officials' corrections are what refines them.
Uzbek is written in Latin with the apostrophe of o' and g' (any of its look-alikes is read as
"'", see _normalise).
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
    # The languages of many people held (issue 23): Kyrgyz and Tajik in Cyrillic, Uzbek in
    # Latin, Uyghur in Arabic script.
    KYRGYZ = "ky"
    UZBEK = "uz"
    TAJIK = "tg"
    UYGHUR = "ug"
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
    # --- Kyrgyz (Cyrillic)
    (Allegation.TORTURE, Language.KYRGYZ, STRONG, (
        "кыйна*", "кыйноо*", "сабады", "сабап*", "сабашты", "урушту", "уруп*", "токко",
        "муунт*", "зордо*")),
    (Allegation.TORTURE, Language.KYRGYZ, MEDIUM, (
        "сокку*", "мойнума*", "мойнуна*", "көгөр*", "тээп*", "тепкиле*")),
    (Allegation.CRUEL_TREATMENT, Language.KYRGYZ, STRONG, (
        "кордо*", "басмырла*", "мазакта*", "уктатпа*", "чечиндир*", "тизелет*")),
    (Allegation.CRUEL_TREATMENT, Language.KYRGYZ, MEDIUM, (
        "кишен*", "ачка", "тамаксыз", "суусуз", "түкүр*", "сөгүп*", "сөктү")),
    (Allegation.THREATS, Language.KYRGYZ, STRONG, (
        "коркут*", "өлтүрөбүз", "өлтүрөт", "камайбыз", "опузала*")),
    (Allegation.THREATS, Language.KYRGYZ, MEDIUM, (
        "арыз жазсаң", "даттансаң", "үй-бүлөңө", "үй бүлөңө")),
    (Allegation.DENIAL_OF_CARE, Language.KYRGYZ, STRONG, (
        "жактоочу*", "дарыгер*", "доктур*", "тез жардам", "дарылар*")),
    (Allegation.DENIAL_OF_CARE, Language.KYRGYZ, MEDIUM, (
        "дарыла*", "ооруканага", "киргизбеди", "киргизишкен жок")),
    (Allegation.CONDITIONS, Language.KYRGYZ, MEDIUM, (
        "суук*", "нымдуу*", "даараткана*", "жууркан*", "төшөк*", "сейил*", "жылытуу*",
        "толуп")),
    (Allegation.CONDITIONS, Language.KYRGYZ, WEAK, ("тамак*", "суу", "жарык*", "терезе*")),
    # --- Uzbek (Latin)
    (Allegation.TORTURE, Language.UZBEK, STRONG, (
        "qiynoq*", "qiyna*", "urishdi", "urdi", "urib", "kaltakla*", "elektr*", "tok bilan",
        "bo'g'di", "bo'g'ishdi", "zo'rla*")),
    (Allegation.TORTURE, Language.UZBEK, MEDIUM, (
        "zarba*", "tepdi*", "tepish*", "tan oldir*", "tan olishga", "ko'kar*", "tayoq*",
        "sindir*")),
    (Allegation.CRUEL_TREATMENT, Language.UZBEK, STRONG, (
        "xo'rla*", "kamsit*", "masxara*", "uxlatma*", "yechintir*", "tiz cho'k*")),
    (Allegation.CRUEL_TREATMENT, Language.UZBEK, MEDIUM, (
        "haqorat*", "kishan*", "och qoldir*", "ovqatsiz", "suvsiz", "tupur*", "so'kdi*")),
    (Allegation.THREATS, Language.UZBEK, STRONG, (
        "qo'rqit*", "tahdid*", "o'ldiramiz", "o'ldiradi", "qamaymiz", "shantaj*")),
    (Allegation.THREATS, Language.UZBEK, MEDIUM, (
        "shikoyat qilsang", "oilangga", "oilangni", "yozsang")),
    (Allegation.DENIAL_OF_CARE, Language.UZBEK, STRONG, (
        "advokat*", "himoyachi*", "shifokor*", "vrach*", "doktor*", "dori*", "tez yordam")),
    (Allegation.DENIAL_OF_CARE, Language.UZBEK, MEDIUM, (
        "yurist*", "davola*", "kasalxona*", "kiritmadi*")),
    (Allegation.CONDITIONS, Language.UZBEK, MEDIUM, (
        "sovuq*", "rutubat*", "hojatxona*", "ko'rpa*", "to'shak*", "sayr*", "iflos",
        "isitish*", "gavjum*")),
    (Allegation.CONDITIONS, Language.UZBEK, WEAK, (
        "kamera*", "ovqat*", "suv", "yorug'*", "deraza*")),
    # --- Tajik (Cyrillic)
    (Allegation.TORTURE, Language.TAJIK, STRONG, (
        "шиканҷа*", "латукӯб*", "заданд", "мезаданд", "барқ*", "таҷовуз*", "буғӣ")),
    (Allegation.TORTURE, Language.TAJIK, MEDIUM, (
        "мушт*", "лагад*", "эътироф*", "кабуд*", "чӯбдаст*", "шикаст*")),
    (Allegation.CRUEL_TREATMENT, Language.TAJIK, STRONG, (
        "таҳқир*", "хор карданд", "масхара*", "хоб надоданд", "луч*", "ба зону")),
    (Allegation.CRUEL_TREATMENT, Language.TAJIK, MEDIUM, (
        "дашном*", "завлона*", "гурусна*", "бе об", "бе хӯрок", "туф*")),
    (Allegation.THREATS, Language.TAJIK, STRONG, (
        "таҳдид*", "тарсон*", "мекушем", "мекушанд", "шантаж*")),
    (Allegation.THREATS, Language.TAJIK, MEDIUM, (
        "шикоят кунӣ", "оилаат*", "агар нависӣ")),
    (Allegation.DENIAL_OF_CARE, Language.TAJIK, STRONG, (
        "ҳимоятгар*", "духтур*", "табиб*", "дору*", "ёрии таъҷилӣ")),
    (Allegation.DENIAL_OF_CARE, Language.TAJIK, MEDIUM, (
        "ҳуқуқшинос*", "табобат*", "беморхона*", "роҳ надоданд")),
    (Allegation.CONDITIONS, Language.TAJIK, MEDIUM, (
        "хунук*", "намнок*", "ҳоҷатхона*", "кӯрпа*", "бистар*", "сайр*", "ифлос*", "танг",
        "гармкунӣ")),
    (Allegation.CONDITIONS, Language.TAJIK, WEAK, (
        "хӯрок*", "оби", "рӯшноӣ*", "тиреза*")),
    # --- Uyghur (Arabic script)
    (Allegation.TORTURE, Language.UYGHUR, STRONG, (
        "قىيىن*", "قىينى*", "قىيناق*", "ئۇردى", "ئۇرۇپ*", "ساۋىدى", "ساۋاپ*", "توك*",
        "بوغدى", "بوغۇپ*", "باسقۇنچىلىق*")),
    (Allegation.TORTURE, Language.UYGHUR, MEDIUM, (
        "مۇشت*", "تەپتى", "تەپكىلى*", "ئىقرار*", "كۆكەر*", "توقماق*", "سۇندۇر*")),
    (Allegation.CRUEL_TREATMENT, Language.UYGHUR, STRONG, (
        "خورلى*", "مازاق*", "ئۇخلاتما*", "يالىڭاچ*", "تىزلاندۇر*")),
    (Allegation.CRUEL_TREATMENT, Language.UYGHUR, MEDIUM, (
        "ھاقارەت*", "كىشەن*", "كويزا*", "تاماقسىز", "سۇسىز", "تۈكۈر*")),
    (Allegation.THREATS, Language.UYGHUR, STRONG, (
        "تەھدىت*", "قورقۇت*", "ئۆلتۈرىمىز", "ئۆلتۈرىدۇ", "قامايمىز", "شانتاژ*")),
    (Allegation.THREATS, Language.UYGHUR, MEDIUM, (
        "ئەرز قىلساڭ", "ئائىلەڭ*", "يازساڭ")),
    (Allegation.DENIAL_OF_CARE, Language.UYGHUR, STRONG, (
        "ئادۋوكات*", "ھىمايىچى*", "دوختۇر*", "دورا*", "تېز قۇتقۇز*", "ئىنسۇلىن*")),
    (Allegation.DENIAL_OF_CARE, Language.UYGHUR, MEDIUM, (
        "قانۇنشۇناس*", "داۋالا*", "كىرگۈزمىدى")),
    (Allegation.CONDITIONS, Language.UYGHUR, MEDIUM, (
        "سوغۇق*", "نەملىك*", "ھاجەتخانا*", "يوتقان*", "كۆرپە*", "مەينەت*", "ئىسسىتىش*")),
    (Allegation.CONDITIONS, Language.UYGHUR, WEAK, (
        "كامېر*", "تاماق*", "سۇ", "يورۇق*", "دېرىزە*")),
]

KAZAKH_LETTERS = frozenset("әғқңөұүһі")
# Letters only Kazakh has among these Cyrillic alphabets; Kyrgyz shares ң ө ү with it, Tajik
# ғ қ, and Tajik alone has ҳ ҷ ӣ ӯ.
KAZAKH_ONLY_LETTERS = frozenset("әұһі")
KYRGYZ_SHARED_LETTERS = frozenset("ңөү")
TAJIK_LETTERS = frozenset("ҳҷӣӯ")
CYRILLIC_EXTRA = "ёәғқңөұүһіҳҷӣӯ"
# Frequent words that tell Kazakh from Russian when a text has no Kazakh-only letters.
KAZAKH_WORDS = frozenset({"мен", "және", "жоқ", "бар", "деп", "бұл", "маған", "мені", "оны",
                          "бізді", "еді", "болды", "кейін", "үшін", "сол", "бір"})
RUSSIAN_WORDS = frozenset({"и", "в", "не", "на", "что", "меня", "мне", "был", "была", "было",
                           "это", "они", "с", "по", "за", "после", "когда", "как"})
KYRGYZ_WORDS = frozenset({"жана", "менен", "мени", "мага", "эмес", "болду", "бул", "үчүн",
                          "кийин", "алар", "аны", "бизди", "эле", "жатат", "керек", "жок",
                          "экен", "кайсы", "келет"})
# Kyrgyz writes its long vowels double (суук, даараткана); Russian and Kazakh seldom do.
_KYRGYZ_LONG_VOWEL = re.compile(r"(аа|оо|уу|ээ|өө|үү|ыы)")
# Uzbek in Latin: q without u, and its endings (-ning, -lar, -dagi, -ishdi, -moqchi...).
_UZBEK_MARKS = re.compile(r"q(?!u)|\w(?:ning|lar|dagi|ishdi|moqchi\w*|miz|ingiz)\b")
TAJIK_WORDS = frozenset({"ман", "маро", "ба", "дар", "ва", "аз", "ки", "онҳо", "мо", "буд",
                         "карданд", "шуд", "намедиҳанд", "баъд"})
UZBEK_WORDS = frozenset({"va", "men", "meni", "menga", "bilan", "uchun", "emas", "bu", "ular",
                         "qildi", "edi", "bor", "keyin", "bo'ldi", "yo'q", "hech", "ham"})
ENGLISH_WORDS = frozenset({"the", "and", "i", "was", "me", "my", "of", "to", "in", "they",
                           "a", "is", "not", "were", "at", "for"})
# Look-alikes of the apostrophe of Uzbek o' and g'.
_APOSTROPHES = str.maketrans({"ʻ": "'", "ʼ": "'", "‘": "'", "’": "'", "`": "'"})

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
    return " ".join(text.lower().replace("ё", "е").translate(_APOSTROPHES).split())


def _arabic(c: str) -> bool:
    return "\u0600" <= c <= "\u06ff" or "\ufb50" <= c <= "\ufeff"


def detect_language(text: str) -> Language:
    """kk, ru, en, ky, uz, tg or ug from the letters and the most frequent words; UNKNOWN
    without letters."""
    lowered = _normalise(text)
    cyrillic = sum(1 for c in lowered if "а" <= c <= "я" or c in CYRILLIC_EXTRA)
    latin = sum(1 for c in lowered if "a" <= c <= "z")
    arabic = sum(1 for c in lowered if _arabic(c))
    if cyrillic == 0 and latin == 0 and arabic == 0:
        return Language.UNKNOWN
    if arabic > max(latin, cyrillic):
        return Language.UYGHUR
    words = re.findall(r"[\w']+", lowered)
    if latin > cyrillic:
        uzbek = sum(1 for w in words if w in UZBEK_WORDS) + lowered.count("o'") \
            + lowered.count("g'") + len(_UZBEK_MARKS.findall(lowered))
        english = sum(1 for w in words if w in ENGLISH_WORDS)
        return Language.UZBEK if uzbek > english else Language.ENGLISH
    words = _WORD.findall(lowered)
    # One language-only letter in a hundred is far above what a Russian text with a name or
    # a place in it shows; the frequent-word count decides the rest.
    if sum(1 for c in lowered if c in TAJIK_LETTERS) * 100 >= cyrillic:
        return Language.TAJIK
    if sum(1 for c in lowered if c in KAZAKH_ONLY_LETTERS) * 100 >= cyrillic:
        return Language.KAZAKH
    counts = {
        Language.KAZAKH: sum(1 for w in words if w in KAZAKH_WORDS),
        Language.KYRGYZ: sum(1 for w in words if w in KYRGYZ_WORDS),
        Language.TAJIK: sum(1 for w in words if w in TAJIK_WORDS),
        Language.RUSSIAN: sum(1 for w in words if w in RUSSIAN_WORDS),
    }
    shared = sum(1 for c in lowered if c in KYRGYZ_SHARED_LETTERS)
    has_gq = any(c in "ғқ" for c in lowered)  # Kazakh (and Tajik) letters Kyrgyz lacks
    # ң ө ү, or doubled long vowels, without ә ұ һ і ғ қ: Kyrgyz.
    if not has_gq and (shared * 100 >= cyrillic
                       or len(_KYRGYZ_LONG_VOWEL.findall(lowered)) >= 2
                       or counts[Language.KYRGYZ] > max(counts[Language.KAZAKH],
                                                        counts[Language.RUSSIAN])):
        return Language.KYRGYZ
    if has_gq or shared * 100 >= cyrillic:
        return Language.KAZAKH
    best = max(counts, key=lambda language: counts[language])
    if counts[best] == 0 or counts[best] == counts[Language.RUSSIAN]:
        return Language.RUSSIAN
    return best


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
