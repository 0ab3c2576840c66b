from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "feedback"

    def ready(self):
        # Changes to the taxonomy are on the audit log, wherever they are made (the admin).
        from auditlog.registry import auditlog

        from .models import Theme

        auditlog.register(Theme, exclude_fields=["updated_at"])
