"""The triage kernel: language detection, the transparent classifier, urgency, metrics."""

from __future__ import annotations

import pytest

from custodywatch.kernels.triage import (
    Allegation,
    Language,
    Urgency,
    classify,
    detect_language,
    evaluate,
    macro_f1,
    urgency,
)


@pytest.mark.parametrize(("text", "language"), [
    ("Меня избили в отделе полиции", Language.RUSSIAN),
    ("Мені полиция бөлімінде ұрды", Language.KAZAKH),
    ("Мен бар деп айттым", Language.KAZAKH),  # no Kazakh-only letter: frequent words decide
    ("I was beaten at the station", Language.ENGLISH),
    ("12345 !!!", Language.UNKNOWN),
])
def test_detect_language(text, language):
    assert detect_language(text) == language


@pytest.mark.parametrize(("text", "allegation", "word"), [
    ("Меня пытали током, требовали признание", Allegation.TORTURE, "пытали"),
    ("Тергеуші мені ұрып, азаптады", Allegation.TORTURE, "ұрып"),
    ("They humiliated us and made us kneel", Allegation.CRUEL_TREATMENT, "humiliated"),
    ("Следователь угрожал семье", Allegation.THREATS, "угрожал"),
    ("No lawyer was allowed for two days", Allegation.DENIAL_OF_CARE, "lawyer"),
    ("Камерада суық, көрпе жоқ", Allegation.CONDITIONS, "суық"),
    ("Прошу пересмотреть приговор", Allegation.OTHER, None),
])
def test_classify_returns_the_class_and_the_triggering_words(text, allegation, word):
    result = classify(text)
    assert result.allegation == allegation
    if word is None:
        assert result.words == ()
    else:
        assert word in result.words


def test_graver_words_outweigh_context_words():
    # "cell" and "food" are context; the beating decides.
    result = classify("In the cell they beat me and took my food")
    assert result.allegation == Allegation.TORTURE
    assert "cell" in result.words_by_class[Allegation.CONDITIONS]


def test_stems_match_whole_word_starts_only():
    # "бил" is an exact word: "автомобиль" and "билет" do not trigger the torture class.
    assert classify("Изъяли автомобиль и билет").allegation == Allegation.OTHER


def test_a_repeated_word_counts_once():
    once = classify("холодно").scores[Allegation.CONDITIONS]
    assert classify("холодно холодно холодно").scores[Allegation.CONDITIONS] == once


def test_tie_goes_to_the_graver_class():
    result = classify("threat and lawyer")  # both weigh STRONG
    assert result.allegation == Allegation.THREATS


def test_urgency_is_high_only_while_held_by_the_accused():
    assert urgency(still_in_custody_of_accused=True) == Urgency.HIGH
    assert urgency(still_in_custody_of_accused=False) == Urgency.NORMAL


def test_evaluate_and_macro_f1():
    pairs = [("torture", "torture"), ("torture", "other"), ("other", "other")]
    scores = evaluate(pairs, classes=["torture", "other"])
    assert scores["torture"].precision == 1.0
    assert scores["torture"].recall == 0.5
    assert scores["other"].precision == 0.5
    assert round(macro_f1(scores), 3) == round((2 / 3 + 2 / 3) / 2, 3)


# Real sentences in the languages of many people held (issue 23, item 5): the language is
# recognised and the allegation classed from that language's own words.
@pytest.mark.parametrize(("text", "language", "allegation", "word"), [
    ("Тергөөчү мени сабады, мойнума алдырыш үчүн токко урушту", Language.KYRGYZ,
     Allegation.TORTURE, "сабады"),
    ("Алар мени коркутушту, арыз жазсаң үй-бүлөңө жаман болот деп", Language.KYRGYZ,
     Allegation.THREATS, "коркутушту"),
    ("Үч күн бою адвокат жана дарыгер киргизбеди", Language.KYRGYZ,
     Allegation.DENIAL_OF_CARE, "дарыгер"),
    ("Tergovchi meni kaltakladi va tan olishga majburladi", Language.UZBEK,
     Allegation.TORTURE, "kaltakladi"),
    ("Ular meni qo‘rqitdi, oilangga yomon bo‘ladi dedi", Language.UZBEK,
     Allegation.THREATS, "qo'rqitdi"),
    ("Kamerada juda sovuq, ko'rpa yo'q", Language.UZBEK, Allegation.CONDITIONS, "sovuq"),
    ("Маро дар шуъба заданд ва бо барқ шиканҷа карданд", Language.TAJIK,
     Allegation.TORTURE, "шиканҷа"),
    ("Ба ман духтур ва дору намедиҳанд", Language.TAJIK, Allegation.DENIAL_OF_CARE,
     "духтур"),
    ("Онҳо маро таҳқир карданд ва хоб надоданд", Language.TAJIK,
     Allegation.CRUEL_TREATMENT, "таҳқир"),
    ("تەكشۈرگۈچى مېنى ئۇردى ۋە توك بىلەن قىينىدى", Language.UYGHUR, Allegation.TORTURE,
     "ئۇردى"),
    ("ئۇلار ئائىلەڭنى ئۆلتۈرىمىز دەپ تەھدىت سالدى", Language.UYGHUR, Allegation.THREATS,
     "تەھدىت"),
    ("ماڭا دوختۇر ۋە دورا بەرمىدى", Language.UYGHUR, Allegation.DENIAL_OF_CARE, "دوختۇر"),
])
def test_the_languages_of_people_held(text, language, allegation, word):
    result = classify(text)
    assert result.language == language
    assert result.allegation == allegation
    assert word in result.words


@pytest.mark.parametrize("text", [
    "Мен бар деп айттым", "Камерада суық, көрпе жоқ", "Меня избили в отделе полиции",
    "I was beaten at the station", "Жалоба об отказе в свидании с сыном",
])
def test_the_new_languages_do_not_take_the_old_ones(text):
    assert detect_language(text) in {Language.KAZAKH, Language.RUSSIAN, Language.ENGLISH}
