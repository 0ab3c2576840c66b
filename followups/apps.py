from django.apps import AppConfig


class FollowupsConfig(AppConfig):
    name = "followups"

    def ready(self):
        # The call summaries follow an account to its new owner or region in the transaction
        # that moves it; surveys sends the signal because it may not import followups.
        from surveys.signals import accounts_moved

        from .tallies import accounts_moved_count

        accounts_moved.connect(accounts_moved_count, dispatch_uid="followups.call_summaries")
