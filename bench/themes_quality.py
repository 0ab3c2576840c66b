"""How well and how fast are reasons tagged with themes? (issue 12: micro-F1 >= 0.85, no
theme's recall under 0.70, >= 2,000 reasons/s on one core in bulk.)

    .venv/bin/python bench/themes_quality.py [--file labelled.csv] [--bulk 20000]

Reads a labelled CSV (columns text, language and themes: keys separated by ";"): by
default the evaluation set tests/data/themes_eval.csv when there is one, else the
development set the rules were built from (feedback/data/themes_dev.csv: its figures
flatter the rules). Tags it with the default taxonomy (what a fresh database holds) and
prints precision, recall and F1 per theme, micro and macro F1, for the rules; the
classifier's column stays empty until there is one.

Speed: the process is pinned to one core; the dictionaries' load and the taxonomy's
compilation are timed apart, then --bulk reasons (two labelled reasons joined, with a
made-up order number, so that words repeat as in real answers but no text is the same)
are tagged twice: cold (each new word analysed once) and warm. Prints the commit, the
data size and the load average before and after; the exit status is 1 when a target is
missed.
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", type=Path, help="Labelled CSV (default: the evaluation set, else the dev set).")
    parser.add_argument("--bulk", type=int, default=20_000, help="Reasons tagged for the speed (default 20,000).")
    parser.add_argument("--wrong", action="store_true", help="List the reasons tagged differently from the labels.")
    args = parser.parse_args()

    import django

    django.setup()
    from feedback import tagging
    from feedback.theme_defaults import DEFAULT_THEMES
    from feedback.theme_quality import DEV_SET, labelled_reasons_read, tagger_quality
    from feedback.themes import taxonomy_default

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    print(run_context("before"))
    path = args.file or (EVALUATION_SET if EVALUATION_SET.exists() else DEV_SET)
    reasons = labelled_reasons_read(path)
    languages = sorted({reason.language for reason in reasons})
    print(f"data: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {len(reasons):,} reasons "
          f"({', '.join(f'{sum(r.language == lang for r in reasons):,} {lang}' for lang in languages)}), "
          f"{sum(len(r.themes) for r in reasons):,} labels"
          + ("  [the development set: the rules were built from it]" if path == DEV_SET else ""))

    started = time.perf_counter()
    for language in tagging.LANGUAGES:
        tagging.word_lemma("load", language)
    loaded = time.perf_counter()
    taxonomy = taxonomy_default()
    compiled = time.perf_counter()
    keys = [theme["key"] for theme in DEFAULT_THEMES]
    report, wrong = tagger_quality(
        reasons, lambda text, language: tagging.reason_themes(text, language, taxonomy), keys
    )

    print("\nrules alone (classifier: none yet)")
    rows = [(s.key, s.support, f"{s.precision:.2f}", f"{s.recall:.2f}", f"{s.f1:.2f}", "-") for s in report.themes]
    rows.append(("micro F1", "", "", "", f"{report.micro_f1:.3f}", "-"))
    rows.append(("macro F1", "", "", "", f"{report.macro_f1:.3f}", "-"))
    print(table(rows, ("theme", "labelled", "precision", "recall", "F1 rules", "F1 classifier")))
    exact = report.reasons - len(wrong)
    print(f"reasons tagged exactly as labelled: {exact:,} of {report.reasons:,} ({exact / report.reasons:.0%})")
    if args.wrong:
        for reason, said in wrong:
            print(f"  {reason.language} labelled {';'.join(sorted(reason.themes)) or '-'}, "
                  f"tagged {';'.join(sorted(said)) or '-'}: {reason.text}")

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
    print(f"\nspeed on one core: dictionaries loaded in {loaded - started:.1f} s, taxonomy compiled in "
          f"{compiled - loaded:.2f} s; {len(bulk):,} reasons: {rates['cold']:,.0f}/s cold, "
          f"{rates['warm']:,.0f}/s warm ({len(taxonomy.cache):,} distinct words analysed)")
    print(run_context("after"))

    missed = []
    if report.micro_f1 < TARGET_MICRO_F1:
        missed.append(f"micro-F1 {report.micro_f1:.3f} < {TARGET_MICRO_F1}")
    missed += [f"{s.key} recall {s.recall:.2f} < {TARGET_RECALL}" for s in report.themes if s.recall < TARGET_RECALL]
    if rates["cold"] < TARGET_RATE:
        missed.append(f"{rates['cold']:,.0f} reasons/s < {TARGET_RATE:,}")
    print("targets: " + ("; ".join(missed) if missed else "all met"))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
