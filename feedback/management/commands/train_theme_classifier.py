"""`python manage.py train_theme_classifier`: train the themes' classifier now, from the
labelled reasons that ship with Pulse and people's corrections, and print what
cross-validation measured (as the weekly scheduled training does, but always)."""

from django.core.management.base import BaseCommand

from feedback.theme_learning import theme_classifier_train


class Command(BaseCommand):
    help = "Train the themes' classifier from the shipped labelled reasons and people's corrections."

    def handle(self, *args, **options):
        trained = theme_classifier_train()
        metrics = trained.metrics
        self.stdout.write(f"{'theme':<16}{'with':>6}{'without':>9}{'precision':>11}{'recall':>8}{'F1':>7}")
        for key, figures in metrics["classifier"].items():
            examples = metrics["examples"][key]
            self.stdout.write(f"{key:<16}{examples['with']:>6}{examples['without']:>9}"
                              f"{figures['precision']:>11.2f}{figures['recall']:>8.2f}{figures['f1']:>7.2f}")
        micro = metrics["micro_f1"]
        used = ("the rules alone (the classifier did not add to them)" if trained.combination == "rules"
                else f"the rules and the classifier's themes at {trained.threshold:.0%} or more")
        self.stdout.write(self.style.SUCCESS(
            f"Trained classifier {trained.pk} in {trained.seconds:.1f} s from {trained.examples_shipped:,} shipped "
            f"reasons and {trained.examples_corrected:,} corrected answers. Micro-F1 by {metrics['folds']}-fold "
            f"cross-validation: classifier {micro['classifier']:.3f}, rules {micro['rules']:.3f}, "
            f"as used {micro['combined']:.3f}. Tagging uses {used}."
        ))
