from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "feedback"

    def ready(self):
        # Changes to the taxonomy are on the audit log, wherever they are made (the admin).
        from auditlog.registry import auditlog

        from .models import Theme

        auditlog.register(Theme, exclude_fields=["updated_at"])

        # The theme summary follows an answer's themes; it and the answers' owner follow
        # their account to a new owner or region, in the transaction that changes them
        # (feedback.theme_tallies, feedback.response_owners). The themes' signal is
        # feedback's own; surveys sends the other because it may not import feedback.
        from surveys.signals import accounts_moved

        from .response_owners import accounts_moved_owners
        from .signals import response_themes_changed
        from .theme_tallies import accounts_moved_count, response_themes_count

        response_themes_changed.connect(response_themes_count, dispatch_uid="feedback.theme_summaries")
        accounts_moved.connect(accounts_moved_count, dispatch_uid="feedback.theme_summaries")
        accounts_moved.connect(accounts_moved_owners, dispatch_uid="feedback.response_owners")
