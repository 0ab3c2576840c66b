from django.apps import AppConfig


class FollowupsConfig(AppConfig):
    name = "followups"

    def ready(self):
        from feedback.hooks import rollup_extras_register

        from .rollup_extras import followups_rollup_extras

        rollup_extras_register(followups_rollup_extras)
