"""How well and how fast are reasons tagged with themes? (issue 12: micro-F1 >= 0.85, no
theme's recall under 0.70, >= 2,000 reasons/s on one core in bulk.)

    .venv/bin/python bench/themes_quality.py [--file labelled.csv] [--bulk 20000]

Reads a labelled CSV (columns text, language and themes: keys separated by ";"): by
default the evaluation set tests/data/themes_eval.csv when there is one, else the
development set the rules were built from (feedback/data/themes_dev.csv: its figures
flatter the rules). Tags it with the default taxonomy (what a fresh database holds) and
prints precision, recall and F1 per theme, micro and macro F1, for the rules alone, the
classifier alone and both. The classifier is trained on the development set only, as
`train_theme_classifier` does on a fresh database (no corrections yet); 5-fold
cross-validation there chooses how the product combines it with the rules, and "both" is
the union at the threshold that did best there (the product uses it only if it beat the
rules alone). The targets are checked for what the product uses.

Speed: the process is pinned to one core; the dictionaries' load and the taxonomy's
compilation are timed apart, then --bulk reasons (two labelled reasons joined, with a
made-up order number, so that words repeat as in real answers but no text is the same)
are tagged by the rules twice, cold (each new word analysed once) and warm, and then by
the rules and the classifier together in batches of 1,000 as the bulk tagging does (a
fresh taxonomy: cold again). Prints the commit, the data size and the load average before
and after; the exit status is 1 when a target is missed.
"""

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from bench._scratch import run_context, table  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EVALUATION_SET = ROOT / "tests" / "data" / "themes_eval.csv"
TARGET_MICRO_F1 = 0.85
TARGET_RECALL = 0.70
TARGET_RATE = 2000
BATCH = 1000  # reasons per transaction in bulk tagging (feedback.response_themes.BATCH)


def _by_reason(reasons, said: dict[int, list[str]]):
    """A tagger for tagger_quality that answers what was found for each reason beforehand
    (the classifier reads the whole list in one pass)."""
    by_text = {}
    for reason in reasons:
        by_text.setdefault((reason.text, reason.language), said[id(reason)])
    return lambda text, language: by_text[(text, language)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", type=Path, help="Labelled CSV (default: the evaluation set, else the dev set).")
    parser.add_argument("--bulk", type=int, default=20_000, help="Reasons tagged for the speed (default 20,000).")
    parser.add_argument("--wrong", action="store_true", help="List the reasons tagged differently from the labels.")
    args = parser.parse_args()

    import django

    django.setup()
    from feedback import tagging
    from feedback.theme_classifier import Example, classifier_fit, classifier_measure, union_best
    from feedback.theme_defaults import DEFAULT_THEMES
    from feedback.theme_quality import DEV_SET, labelled_reasons_read, tagger_quality
    from feedback.themes import CurrentTaxonomy, taxonomy_default

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    print(run_context("before"))
    path = args.file or (EVALUATION_SET if EVALUATION_SET.exists() else DEV_SET)
    reasons = labelled_reasons_read(path)
    languages = sorted({reason.language for reason in reasons})
    print(f"data: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {len(reasons):,} reasons "
          f"({', '.join(f'{sum(r.language == lang for r in reasons):,} {lang}' for lang in languages)}), "
          f"{sum(len(r.themes) for r in reasons):,} labels"
          + ("  [the development set: the rules and the classifier were built from it]" if path == DEV_SET else ""))

    started = time.perf_counter()
    for language in tagging.LANGUAGES:
        tagging.word_lemma("load", language)
    loaded = time.perf_counter()
    taxonomy = taxonomy_default()
    compiled = time.perf_counter()
    keys = [theme["key"] for theme in DEFAULT_THEMES]

    # The classifier, from the development set only.
    began = time.perf_counter()
    dev = [Example(r.text, r.language, {key: key in r.themes for key in keys}) for r in labelled_reasons_read(DEV_SET)]
    measured = classifier_measure(dev, keys, lambda text, language: tagging.reason_themes(text, language, taxonomy))
    classifier = classifier_fit(dev, keys)
    trained = time.perf_counter() - began
    union = union_best(measured)
    theme_ids = {key: i for i, key in enumerate(keys)}
    both = CurrentTaxonomy(taxonomy, theme_ids, classifier, union)
    rules_report, wrong = tagger_quality(
        reasons, lambda text, language: tagging.reason_themes(text, language, taxonomy), keys)
    probabilities = classifier.probabilities([(r.text, r.language) for r in reasons])
    said_by_classifier = {id(r): [k for k, p in probabilities[i].items() if p >= 0.5] for i, r in enumerate(reasons)}
    classifier_report, _ = tagger_quality(reasons, _by_reason(reasons, said_by_classifier), keys)
    found_both = both.themes_found([(r.text, r.language) for r in reasons])
    both_report, wrong_both = tagger_quality(
        reasons, _by_reason(reasons, {id(r): list(found_both[i]) for i, r in enumerate(reasons)}), keys)
    used = measured.combination.uses_classifier
    product = both_report if used else rules_report

    print(f"\nthe classifier: trained on the development set ({len(dev)} reasons) in {trained:.1f} s, with 5-fold "
          f"cross-validation there: micro-F1 classifier {measured.as_dict()['micro_f1']['classifier']:.3f}, rules "
          f"{measured.as_dict()['micro_f1']['rules']:.3f} (written from that set), rules ∪ classifier >= "
          f"{union.threshold:.1f} {measured.candidates[f'union {union.threshold}']:.3f}")
    print(f"both: the rules and the classifier's themes at {union.threshold:.0%} or more. The product uses "
          + ("both (it beat the rules alone in cross-validation)." if used
             else "the rules alone (no union beat them in cross-validation on the development set)."))
    rows = []
    for r, c, b in zip(rules_report.themes, classifier_report.themes, both_report.themes, strict=True):
        rows.append((r.key, r.support, *(f"{x:.2f}" for x in (r.precision, r.recall, r.f1, c.precision, c.recall, c.f1,
                                                              b.precision, b.recall, b.f1))))
    for name in ("micro", "macro"):
        figures = [getattr(report, f"{name}_f1") for report in (rules_report, classifier_report, both_report)]
        rows.append((f"{name} F1", "", "", "", f"{figures[0]:.3f}", "", "", f"{figures[1]:.3f}", "", "",
                     f"{figures[2]:.3f}"))
    print(table(rows, ("theme", "labelled", "P rules", "R rules", "F1 rules", "P classifier", "R classifier",
                       "F1 classifier", "P both", "R both", "F1 both")))
    for name, report, missed in (("rules", rules_report, wrong), ("both", both_report, wrong_both)):
        exact = report.reasons - len(missed)
        print(f"reasons tagged exactly as labelled, {name}: {exact:,} of {report.reasons:,} "
              f"({exact / report.reasons:.0%})")
    if args.wrong:
        said_both = {id(r): set(found_both[i]) for i, r in enumerate(reasons)}
        for reason, said in (wrong_both if used else wrong):
            print(f"  {reason.language} labelled {';'.join(sorted(reason.themes)) or '-'}, "
                  f"tagged {';'.join(sorted(said)) or '-'}"
                  + ("" if used else f" (both: {';'.join(sorted(said_both[id(reason)])) or '-'})")
                  + f": {reason.text}")

    rnd = random.Random(12)
    bulk = []
    for _ in range(args.bulk):
        first, second = rnd.choice(reasons), rnd.choice(reasons)
        bulk.append((f"{first.text} {second.text} (order {rnd.randint(10_000, 99_999)})", first.language))
    rates = {}
    for run in ("cold", "warm"):
        began = time.perf_counter()
        for text, language in bulk:
            tagging.reason_themes(text, language, taxonomy)
        rates[run] = len(bulk) / (time.perf_counter() - began)
    fresh = CurrentTaxonomy(taxonomy_default(), theme_ids, classifier, union)
    began = time.perf_counter()
    for start in range(0, len(bulk), BATCH):
        fresh.themes_found(bulk[start:start + BATCH])
    rates["both"] = len(bulk) / (time.perf_counter() - began)
    print(f"\nspeed on one core: dictionaries loaded in {loaded - started:.1f} s, taxonomy compiled in "
          f"{compiled - loaded:.2f} s; {len(bulk):,} reasons: rules {rates['cold']:,.0f}/s cold, "
          f"{rates['warm']:,.0f}/s warm ({len(taxonomy.cache):,} distinct words analysed); rules and classifier "
          f"{rates['both']:,.0f}/s (cold, in batches of {BATCH:,})")
    print(run_context("after"))

    missed = []
    if product.micro_f1 < TARGET_MICRO_F1:
        missed.append(f"micro-F1 {product.micro_f1:.3f} < {TARGET_MICRO_F1}")
    missed += [f"{s.key} recall {s.recall:.2f} < {TARGET_RECALL}" for s in product.themes if s.recall < TARGET_RECALL]
    rate = rates["both"] if used else rates["cold"]
    if rate < TARGET_RATE:
        missed.append(f"{rate:,.0f} reasons/s < {TARGET_RATE:,}")
    print(f"targets, for what the product uses ({'both' if used else 'the rules alone'}): "
          + ("; ".join(missed) if missed else "all met"))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
