"""The theme tagger: which themes of the taxonomy a customer's reason talks about.

Plain functions, no database: `taxonomy_compile(rules)` turns each theme's signal lines
(feedback.themes reads them from the Theme rows) into lookup tables once, and
`reason_themes(text, language, taxonomy)` returns the keys of the themes the text
mentions. A theme is what the reason talks about, praise or complaint alike: "no
problems with the delivery" mentions delivery. Answers that say nothing in particular
("all good", "ingen kommentarer") mention no theme.

One signal per line (blank lines and lines starting with # are skipped):

    word             the word in any inflection (its lemma, by simplemma, or the word plus
                     an ending), written with or without æøå (ae/oe/aa or the bare vowel),
                     with one typo when 6 letters or longer; a Danish signal of 4 letters
                     or more also as part of a compound in Danish text
                     (leveringstiden: levering + s + tiden)
    =word            the word and its endings only: never part of a compound, no typo
    word*            any word that starts with it
    several words    these words in this order, at most two other words between them
    "several words"  these words next to each other ("i tide": not "i stå hele tiden")
    -word(s)         an exception: where it matches, those words do not count for this
                     theme ("-no complaints" under support); up to five words apart
    {key}            in a phrase: any one-word signal of the theme with that key
                     ("-{billing} on time" under delivery: invoices on time are billing)
    @name            a person's first name, capitalised ("Mette always knows what we need")

Every text is matched against the signals of both languages (customers mix them), but
compounds are looked for in Danish text only ("surprise" is no Danish "pris"). Each
distinct word is analysed once per taxonomy and the result kept, so bulk tagging costs a
regular expression, a dictionary lookup per word and the phrases that may start there.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from simplemma.strategies import DictionaryLookupStrategy

LANGUAGES = ("en", "da")
# Words are runs of letters and digits: "follow-up" is two words, "3" is one.
_WORD = re.compile(r"[^\W_]+")
# Endings a Danish word takes: nouns, verbs, adjectives.
DANISH_ENDINGS = frozenset({
    "", "e", "en", "et", "er", "erne", "ene", "ens", "ets", "es", "s", "n", "t", "r", "ne", "rne", "nes",
    "ede", "ed", "te", "de", "ende", "est", "este", "ere", "ernes", "ers", "re", "ts", "rs", "ns",
})
# A compound member before or after a signal is at least this long ("ube|svar|et" counts,
# "s|vare" does not).
COMPOUND_PART_MIN = 3
COMPOUND_SIGNAL_MIN = 4
# Typos: one edit (insert, delete, substitute or swap two neighbours) in words this long.
FUZZY_MIN = 6
# Words of a phrase may have this many other words between them; of an exception, more.
PHRASE_GAP = 2
EXCEPTION_GAP = 5
# Word analyses kept per taxonomy before the cache starts over (memory stays bounded).
WORD_CACHE_MAX = 200_000
NAME = "@name"

# First names, for @name: common Danish and English ones, without those that are also
# ordinary words (Hans "his", Tom "empty", Per, Bo, Mark, Will, Bill, Else, Line, May).
FIRST_NAMES = frozenset("""
anders anna anne annette bente birgitte brian camilla carsten charlotte christian christina dorte
emil emma eva frederik gitte hanne heidi helle henrik ida inge jakob jacob jens jeppe jesper jette
johanne jonas julie jørgen kasper karina karin kirsten klaus lars lasse lene lise louise mads maja
maria marianne martin mathias mette michael mikkel morten nanna niels nikolaj ole pernille peter pia
poul rasmus rikke sanne signe simon sofie susanne søren thomas tina tobias torben trine ulla
vibeke allan bjarne carina dennis flemming gert jan john kenneth kim kristian lone marie rene
steen stine tanja tove ann bob chris david emily james jane jennifer jessica john joe kate laura
linda lisa mary matt michelle mike nick paul rachel richard robert sarah steve susan tim
""".split())

_FOLD_LETTERS = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "ä": "ae", "ö": "oe", "ß": "ss"})


def word_fold(word: str, loose: bool = False) -> str:
    """A word as it is matched: lower case, accents off, the Danish letters written as
    ae, oe, aa (as on a keyboard without them: "saelger" is "sælger"). Loose, those
    are reduced to a, o, a too, for a word written without them at all ("salger"):
    a word written with æøå (or ae, oe, aa) is matched exactly, so "svær" and "svaer" never
    meet "svar"."""
    word = word.lower()
    if not word.isascii():
        word = word.translate(_FOLD_LETTERS)
        word = "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))
    if loose and ("ae" in word or "oe" in word or "aa" in word):
        word = word.replace("ae", "a").replace("oe", "o").replace("aa", "a")
    return word


def words_of(text: str) -> list[str]:
    """The words of a text, as written (case kept: names are told by their capital)."""
    return _WORD.findall(text)


# simplemma's dictionaries ship in its wheel: nothing is fetched at run time (each
# language's is read from the package on first use, about 2 s). Dictionary lookup only:
# its default strategy also guesses at compounds and affixes, at three times the cost,
# and compounds are looked for here, in the signals.
_DICTIONARY = DictionaryLookupStrategy()


def word_lemma(word: str, language: str) -> str | None:
    """The word's lemma in a language; None for a word the dictionary does not know
    (maybe a typo)."""
    lemma = _DICTIONARY.get_lemma(word, language)
    return lemma.lower() if lemma is not None else None


# A few of each language's commonest words: a text with two of them is (also) in that
# language, whatever the contact's language says.
FUNCTION_WORDS = {
    "en": frozenset("""the and is are was were not with they we you our your it of to for but very have has
                       always never also all good great""".split()),
    "da": frozenset("""og er var ikke med de vi jeres vores det af til meget har et på som jeg kan ved altid aldrig
                       også hele godt gode dårlig dårlige rigtig""".split()),
}


def text_languages(words: list[str], language: str) -> tuple[str, ...]:
    """The languages whose signals apply: the contact's, and any other the text is
    written in (a Danish contact may answer in English)."""
    found = []
    for candidate in LANGUAGES:
        if candidate == language or sum(word.lower() in FUNCTION_WORDS[candidate] for word in words) >= 2:
            found.append(candidate)
    return tuple(found) or (language if language in LANGUAGES else "en",)


def english_forms(word: str) -> set[str]:
    """An English word's regular inflections (the lemmatizer knows the irregular ones)."""
    forms = {word, word + "s", word + "es", word + "ed", word + "ing", word + "er", word + "ers", word + "ly"}
    if word.endswith("e"):
        forms |= {word + "d", word[:-1] + "ing", word + "r", word + "rs"}
    if word.endswith("y") and len(word) > 2 and word[-2] not in "aeiou":
        forms |= {word[:-1] + "ies", word[:-1] + "ied", word[:-1] + "ier", word[:-1] + "ily"}
    if len(word) >= 3 and word[-1] not in "aeiouwxy" and word[-2] in "aeiou" and word[-3] not in "aeiou":
        forms |= {word + word[-1] + "ing", word + word[-1] + "ed", word + word[-1] + "er"}
    return forms


def danish_forms(word: str) -> set[str]:
    """A Danish word with each ending (levere: leverer, leverede, leveret)."""
    return {word + ending for ending in DANISH_ENDINGS}


def within_one_edit(a: str, b: str) -> bool:
    """Damerau-Levenshtein distance <= 1."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    i = 0
    while i < min(la, lb) and a[i] == b[i]:
        i += 1
    if la == lb:
        return a[i + 1:] == b[i + 1:] or (a[i + 1:i + 2] == b[i:i + 1] and a[i:i + 1] == b[i + 1:i + 2]
                                          and a[i + 2:] == b[i + 2:])
    if la > lb:
        return a[i + 1:] == b[i:]
    return a[i:] == b[i + 1:]


# --- Compiling the taxonomy ---------------------------------------------------------

@dataclass(frozen=True)
class ThemeRules:
    """One theme as the tagger needs it: its key and its signal lines per language."""

    key: str
    signals_en: str = ""
    signals_da: str = ""


@dataclass
class _Phrase:
    theme: int
    words: tuple[int, ...]
    exception: bool
    gap: int  # other words allowed between two of its words


@dataclass
class _LanguageSignals:
    """One language's signal words in lookup tables (folded words -> word ids)."""

    # forms of a word, matched by the word as written or by its lemma
    forms: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    # =word: matched by the word as written only
    exact: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    # word*: matched by any word starting with it
    prefixes: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    # Danish words that may be part of a compound, by their first three letters
    compound_heads: dict[str, list[tuple[str, int]]] = field(default_factory=lambda: defaultdict(list))
    # words long enough for a typo, and each of them with one letter deleted
    fuzzy_words: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    deletions: dict[str, list[tuple[str, int]]] = field(default_factory=lambda: defaultdict(list))


@dataclass
class Taxonomy:
    """The compiled signals of a set of themes; build it with taxonomy_compile."""

    keys: tuple[str, ...]
    # (language, loose) -> tables: the words folded exactly, and loosely (see word_fold)
    languages: dict[tuple[str, bool], _LanguageSignals] = field(
        default_factory=lambda: {(language, loose): _LanguageSignals() for language in LANGUAGES
                                 for loose in (False, True)}
    )
    # first word id -> the signals (one word or several) starting with it
    phrases: dict[int, list[_Phrase]] = field(default_factory=lambda: defaultdict(list))
    name_word: int | None = None
    word_ids: dict[tuple[str, str, str], int] = field(default_factory=dict)
    # word id -> the ids of {key} for each theme it is a one-word signal of
    theme_marks: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    # (word, languages) -> the ids of the signal words it is
    cache: dict[tuple[str, tuple[str, ...]], frozenset[int]] = field(default_factory=dict)


def signal_lines(text: str) -> Iterable[str]:
    """A theme's signals, one a line (blank lines and # comments skipped)."""
    for line in (text or "").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            yield line


def _register_word(taxonomy: Taxonomy, raw: str, language: str) -> int:
    """The id of one signal word, entered in the lookup tables it needs."""
    if raw == NAME or (raw.startswith("{") and raw.endswith("}")):
        key = ("name", "", NAME) if raw == NAME else ("theme", "", raw[1:-1])
        if key not in taxonomy.word_ids:
            taxonomy.word_ids[key] = len(taxonomy.word_ids)
        if raw == NAME:
            taxonomy.name_word = taxonomy.word_ids[key]
        return taxonomy.word_ids[key]
    kind = "prefix" if raw.endswith("*") else ("exact" if raw.startswith("=") else "word")
    word = word_fold(raw.strip("=*"))
    key = (language, kind, word)
    if key in taxonomy.word_ids:
        return taxonomy.word_ids[key]
    word_id = taxonomy.word_ids[key] = len(taxonomy.word_ids)
    for loose in (False, True):
        _tables_enter(taxonomy.languages[(language, loose)], word_fold(word, loose), word_id, kind, language)
    return word_id


def _tables_enter(signals: _LanguageSignals, word: str, word_id: int, kind: str, language: str) -> None:
    if kind == "prefix":
        signals.prefixes[word].add(word_id)
        return
    if kind == "exact":
        signals.exact[word].add(word_id)
        return
    # Short words ("på", "on", "dyr") by themselves and their lemmas only.
    forms = {word}
    if len(word) > 3:
        forms |= english_forms(word) if language == "en" else danish_forms(word)
    for form in forms:
        signals.forms[form].add(word_id)
    if language == "da" and len(word) >= COMPOUND_SIGNAL_MIN:
        signals.compound_heads[word[:3]].append((word, word_id))
    if len(word) >= FUZZY_MIN - 1:
        signals.fuzzy_words[word].add(word_id)
        for i in range(len(word)):
            signals.deletions[word[:i] + word[i + 1:]].append((word, word_id))


def taxonomy_compile(themes: Iterable[ThemeRules]) -> Taxonomy:
    themes = list(themes)
    taxonomy = Taxonomy(keys=tuple(theme.key for theme in themes))
    for index, theme in enumerate(themes):
        for language, lines in (("en", theme.signals_en), ("da", theme.signals_da)):
            for line in signal_lines(lines):
                exception = line.startswith("-")
                line = line.lstrip("-")
                adjacent = len(line) > 2 and line.startswith('"') and line.endswith('"')
                words = tuple(_register_word(taxonomy, raw, language) for raw in line.strip('"').split())
                gap = 0 if adjacent else (EXCEPTION_GAP if exception else PHRASE_GAP)
                if words:
                    taxonomy.phrases[words[0]].append(_Phrase(index, words, exception, gap))
    for phrases in list(taxonomy.phrases.values()):
        for phrase in phrases:
            mark = taxonomy.word_ids.get(("theme", "", taxonomy.keys[phrase.theme]))
            if mark is not None and len(phrase.words) == 1 and not phrase.exception:
                taxonomy.theme_marks[phrase.words[0]].add(mark)
    return taxonomy


# --- Tagging ----------------------------------------------------------------------------

def _compound_words(signals: _LanguageSignals, folded: str) -> set[int]:
    """Signal words inside a Danish compound: "leveringstiden" holds levering,
    "kundeservicemedarbejderen" holds service."""
    found = set()
    for start in range(0, len(folded) - COMPOUND_SIGNAL_MIN + 1):
        if 0 < start < COMPOUND_PART_MIN:
            continue
        for word, word_id in signals.compound_heads.get(folded[start:start + 3], ()):
            if not folded.startswith(word, start):
                continue
            rest = folded[start + len(word):]
            if rest in DANISH_ENDINGS or len(rest) >= COMPOUND_PART_MIN:
                found.add(word_id)
    return found


_ENGLISH_ENDINGS = ("s", "es", "ed", "d", "ing", "er", "ers", "ly")


def _fuzzy_words(signals: _LanguageSignals, folded: str, language: str) -> set[int]:
    """Signal words one typo away from the word, or from the word less an ending
    ("fakturane": faktura; "delievery": delivery), found through one-letter deletions
    (no scan of all signals): a letter missing, one too many, one changed or swapped."""
    endings = _ENGLISH_ENDINGS if language == "en" else DANISH_ENDINGS
    stems = {folded} | {folded[:-len(ending)] for ending in endings
                        if ending and folded.endswith(ending) and len(folded) - len(ending) >= FUZZY_MIN - 1}
    found = set()
    for stem in stems:
        found |= signals.fuzzy_words.get(stem, set())
        found |= {word_id for _, word_id in signals.deletions.get(stem, ())}
        for i in range(len(stem)):
            shorter = stem[:i] + stem[i + 1:]
            found |= signals.fuzzy_words.get(shorter, set())
            for word, word_id in signals.deletions.get(shorter, ()):
                if within_one_edit(stem, word):
                    found.add(word_id)
    return found


def _analyse(taxonomy: Taxonomy, lower: str, languages: tuple[str, ...]) -> frozenset[int]:
    """The signal words that a word (lower case) is, in the given languages."""
    if not lower.isalpha():  # "3", "10kg", "ref123": no signal has a digit
        return frozenset()
    # Written with æøå or as ae/oe/aa: matched exactly; without: as if they were left out.
    loose = lower.isascii() and "ae" not in lower and "oe" not in lower and "aa" not in lower
    folded = word_fold(lower, loose)
    found = set()
    unknown = []
    for language in languages:
        signals = taxonomy.languages[(language, loose)]
        found |= signals.exact.get(folded, set())
        found |= signals.forms.get(folded, set())
        lemma = word_lemma(lower, language)
        if lemma is None:
            unknown.append(language)
        elif (lemma := word_fold(lemma)) != folded:  # the dictionary spells it right: exactly
            found |= taxonomy.languages[(language, False)].forms.get(lemma, set())
        for end in range(3, len(folded) + 1):
            found |= signals.prefixes.get(folded[:end], set())
        if language == "da" and len(folded) > COMPOUND_SIGNAL_MIN:
            found |= _compound_words(signals, folded)
    if len(folded) >= FUZZY_MIN and len(unknown) == len(languages):  # no real word: a typo?
        for language in unknown:
            found |= _fuzzy_words(taxonomy.languages[(language, loose)], folded, language)
    for word_id in list(found):
        found |= taxonomy.theme_marks.get(word_id, set())
    return frozenset(found)


def _word_ids(taxonomy: Taxonomy, lower: str, languages: tuple[str, ...]) -> frozenset[int]:
    key = (lower, languages)
    ids = taxonomy.cache.get(key)
    if ids is None:
        if len(taxonomy.cache) >= WORD_CACHE_MAX:
            taxonomy.cache.clear()
        ids = taxonomy.cache[key] = _analyse(taxonomy, lower, languages)
    return ids


def _phrase_at(phrase: _Phrase, positions: list[frozenset[int]], start: int) -> list[int] | None:
    """The positions of the phrase's words from `start`, each within PHRASE_GAP words of
    the one before; None when it does not match there."""
    found = [start]
    at = start
    for word_id in phrase.words[1:]:
        for nxt in range(at + 1, min(at + 2 + phrase.gap, len(positions))):
            if word_id in positions[nxt]:
                found.append(nxt)
                at = nxt
                break
        else:
            return None
    return found


def reason_themes(text: str, language: str, taxonomy: Taxonomy) -> list[str]:
    """The keys of the themes `text` talks about, in the taxonomy's order."""
    words = words_of(text or "")
    if not words:
        return []
    languages = text_languages(words, language)
    positions = []
    for word in words:
        ids = _word_ids(taxonomy, word.lower(), languages)
        if taxonomy.name_word is not None and word[0].isupper() and word.lower() in FIRST_NAMES:
            ids = ids | {taxonomy.name_word}
        positions.append(ids)
    hits: list[tuple[int, list[int]]] = []
    masked: set[tuple[int, int]] = set()  # (theme, position) covered by an exception
    for start, ids in enumerate(positions):
        for word_id in ids:
            for phrase in taxonomy.phrases.get(word_id, ()):
                at = _phrase_at(phrase, positions, start) if len(phrase.words) > 1 else [start]
                if at is None:
                    continue
                if phrase.exception:
                    masked.update((phrase.theme, p) for p in at)
                else:
                    hits.append((phrase.theme, at))
    themes = {theme for theme, at in hits if not any((theme, p) in masked for p in at)}
    return [key for index, key in enumerate(taxonomy.keys) if index in themes]
