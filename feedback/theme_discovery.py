"""New themes found: once a month the reasons that no theme covers are grouped by the words
they share (TF-IDF and non-negative matrix factorisation), and each group is kept as a
ThemeCandidate with its most telling words and five example answers, for an
administrator to turn into a theme in one step or dismiss (feedback.theme_candidates).

What is grouped: the answers of the last MONTHS months that are counted (not suspect),
have a reason, and have no theme; reasons that say nothing in particular ("no comment",
"ingen kommentarer", "all good") are left out: fewer than two words that are not
function words. A group like one an administrator dismissed or made a theme before is not
shown again. Groups are only as good as the reasons: under REASONS_MIN reasons, none.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

from surveys.months import moment_months_before

from .models import Response, ResponseTheme, ThemeCandidate
from .tagging import text_languages, word_fold, words_of
from .theme_candidates import MONTHS
from .theme_classifier import word_token

READ_MAX = 20_000  # the newest uncovered reasons, at most
REASONS_MIN = 30
GROUPS_MAX = 8
GROUP_MIN = 5  # reasons in a group worth showing
WORDS = 8
EXAMPLES = 5
CONTENT_WORDS_MIN = 2
# A word belongs to a group's words when it weighs at least this share of its first word.
WORD_WEIGHT_MIN = 0.1
SEED = 12
# A group whose five first words share this share with a decided group's is that group.
SAME_GROUP = 0.5

# Words that say nothing about what the reason is about: function words of both languages
# and what people write when they have nothing to add.
DANISH_STOP_WORDS = frozenset("""
og i jeg det at en den til er som på de med han af for ikke der var mig sig men et har om vi min havde
ham hun nu over da fra du ud sin dem os op man hans hvor eller hvad skal selv her alle vil blev kunne ind
når være dog noget ville jo deres efter ned skulle denne end dette mit også under have dig anden hende mine
alt meget sit sine vor mod disse hvis din nogle hos blive mange ad bliver hendes været thi jer sådan kan
jeres vores hele bare lidt rigtig rigtigt mere mest altid aldrig godt gode god fint fin ok okay tak mange
ingen intet nej ja ved kommentar kommentarer tilføje andet ellers generelt synes syntes tror alting ting
helt rimelig rimeligt særlig særligt måske hver stadig igen allerede lige blot kun samt
""".split())
NOTHING_SAID_WORDS = frozenset("""
comment comments nothing add else good great fine ok okay thanks thank overall general generally really
well satisfied happy pleased everything things thing keep lot pretty quite
""".split())


_STOP_FOLDED = frozenset(word_fold(word, loose=True) for word in
                         DANISH_STOP_WORDS | ENGLISH_STOP_WORDS | NOTHING_SAID_WORDS)


def _stop(folded: str) -> bool:
    return folded in _STOP_FOLDED


@dataclass(frozen=True)
class _Reason:
    response_id: int
    text: str
    language: str  # the language the reason is written in, as the tagger reads it
    tokens: list[str]  # content words' lemmas, then pairs of neighbouring content words
    surfaces: dict[str, str]  # token -> a way it was written


def _reason_read(response_id: int, text: str, language: str) -> _Reason | None:
    words = words_of(text)
    if not words:
        return None
    written = text_languages(words, language)[0]
    content = []
    surfaces = {}
    for word in words:
        lower = word.lower()
        if not lower.isalpha() or len(lower) < 3:
            continue
        token = word_token(lower, written)
        if _stop(token) or _stop(word_fold(lower, loose=True)):
            continue
        content.append(token)
        surfaces.setdefault(token, lower)
    if len(content) < CONTENT_WORDS_MIN:
        return None
    pairs = [f"{a} {b}" for a, b in zip(content, content[1:], strict=False) if a != b]
    for pair in pairs:
        a, b = pair.split(" ")
        surfaces.setdefault(pair, f"{surfaces[a]} {surfaces[b]}")
    return _Reason(response_id, text, written, content + pairs, surfaces)


def uncovered_reasons(*, now: datetime, months: int = MONTHS) -> list[tuple[int, str, str]]:
    """(response id, reason, language) of the newest counted answers of the last `months`
    months that have a reason and no theme."""
    themed = ResponseTheme.objects.filter(response=OuterRef("pk"))
    return list(
        Response.objects.filter(answered_at__gte=moment_months_before(now, months), answered_at__lte=now,
                                suspect=False)
        .exclude(reason="").filter(~Exists(themed))
        .order_by("-answered_at", "-pk").values_list("pk", "reason", "language")[:READ_MAX]
    )


@dataclass(frozen=True)
class Group:
    words: list[tuple[str, str]]  # (word as written, language), most telling first
    response_ids: list[int]  # the examples, most typical first
    size: int


def reasons_group(reasons: list[tuple[int, str, str]], groups_max: int = GROUPS_MAX) -> tuple[list[Group], int]:
    """Group reasons by the words they share. Returns the groups, biggest first, and how
    many reasons were grouped (those that say something)."""
    read = [r for r in (_reason_read(*reason) for reason in reasons) if r is not None]
    if len(read) < REASONS_MIN:
        return [], len(read)
    vectorizer = TfidfVectorizer(analyzer=_as_given, min_df=3, max_df=0.5, sublinear_tf=True)
    try:
        matrix = vectorizer.fit_transform([reason.tokens for reason in read])
    except ValueError:  # no word in three reasons
        return [], len(read)
    vocabulary = vectorizer.get_feature_names_out()
    components = min(groups_max, max(1, len(read) // GROUP_MIN), len(vocabulary))
    model = NMF(n_components=components, init="nndsvda", random_state=SEED, max_iter=500)
    weights = model.fit_transform(matrix)
    assigned = np.where(weights.max(axis=1) > 0, weights.argmax(axis=1), -1)
    surfaces: dict[str, Counter] = defaultdict(Counter)
    for reason in read:
        for token, surface in reason.surfaces.items():
            surfaces[token][surface] += 1
    groups = []
    for component in range(components):
        members = np.flatnonzero(assigned == component)
        if len(members) < GROUP_MIN:
            continue
        loadings = model.components_[component]
        group = [read[i] for i in members]
        # The group's words: those that weigh in it, and that two of its reasons use.
        top = [vocabulary[i] for i in np.argsort(-loadings)
               if loadings[i] >= WORD_WEIGHT_MIN * loadings.max()
               and sum(vocabulary[i] in reason.tokens for reason in group) >= 2][:WORDS]
        if not top:
            continue
        words = [(surfaces[token].most_common(1)[0][0], _token_language(token, group)) for token in top]
        typical = members[np.argsort(-weights[members, component])]
        examples, seen = [], set()
        for i in typical:
            if read[i].text.strip().lower() not in seen:
                seen.add(read[i].text.strip().lower())
                examples.append(read[i].response_id)
            if len(examples) == EXAMPLES:
                break
        groups.append(Group(words=words, response_ids=examples, size=len(members)))
    groups.sort(key=lambda group: -group.size)
    return groups, len(read)


def _as_given(tokens: list[str]) -> list[str]:
    return tokens


def _token_language(token: str, members: list[_Reason]) -> str:
    languages = Counter(reason.language for reason in members if token in reason.tokens)
    return languages.most_common(1)[0][0] if languages else "en"


def _overlap(words: list[str], other: list[str]) -> float:
    a, b = set(words[:5]), set(other[:5])
    return len(a & b) / len(a | b) if a | b else 0.0


@transaction.atomic
def new_themes_find(*, now: datetime | None = None, months: int = MONTHS) -> list[ThemeCandidate]:
    """The monthly run: group the uncovered reasons and keep the groups as candidates, in
    place of the open ones of the run before. Returns the new candidates."""
    now = now or timezone.now()
    groups, grouped = reasons_group(uncovered_reasons(now=now, months=months))
    decided = [candidate.words_shown for candidate in ThemeCandidate.objects.exclude(status=ThemeCandidate.Status.OPEN)]
    ThemeCandidate.objects.filter(status=ThemeCandidate.Status.OPEN).delete()
    found = []
    for group in groups:
        words = [word for word, _language in group.words]
        if any(_overlap(words, other) >= SAME_GROUP for other in decided):
            continue
        found.append(ThemeCandidate(found_at=now, words=[list(pair) for pair in group.words],
                                    response_ids=group.response_ids, size=group.size, reasons_grouped=grouped))
    return ThemeCandidate.objects.bulk_create(found)
