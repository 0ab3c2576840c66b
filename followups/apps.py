from django.apps import AppConfig


class FollowupsConfig(AppConfig):
    name = "followups"

    def ready(self):
        # The call summaries follow an account to its new owner or region in the transaction
        # that moves it; surveys sends the signal because it may not import followups.
        from surveys.signals import accounts_moved

        from .tallies import accounts_moved_count

        accounts_moved.connect(accounts_moved_count, dispatch_uid="followups.call_summaries")

        # The revenue at risk follows an account's owner, region, active flag and revenue.
        from surveys.signals import accounts_revenue_changed

        from .revenue_at_risk import accounts_revenue_changed_refresh

        accounts_revenue_changed.connect(accounts_revenue_changed_refresh, dispatch_uid="followups.revenue_at_risk")

        # The accounts at risk follow the account's summary, owner, region, active flag and revenue.
        from surveys.signals import account_summaries_changed

        from . import risk_states

        account_summaries_changed.connect(risk_states.account_summaries_changed_refresh,
                                          dispatch_uid="followups.risk_states")
        accounts_revenue_changed.connect(risk_states.accounts_revenue_changed_refresh,
                                         dispatch_uid="followups.risk_states")

        # An account's latest counted answer may change with an answer (feedback sends it).
        from feedback.signals import answer_counted_changed

        from .call_states import answer_counted_changed_refresh

        answer_counted_changed.connect(answer_counted_changed_refresh, dispatch_uid="followups.call_states")

        # The audit log (surveys.audit) records the call settings' edits, not the row's
        # creation with its defaults by whoever reads it first.
        from auditlog.registry import auditlog
        from auditlog.signals import pre_log

        from surveys.audit import audit_skip_created

        from .models import FollowupSettings

        auditlog.register(FollowupSettings, exclude_fields=["updated_at"])
        pre_log.connect(audit_skip_created, sender=FollowupSettings, dispatch_uid="followups.audit.settings")

        # A reached call's answer tagged again: its rows by theme follow (feedback sends it).
        from feedback.signals import response_themes_changed

        from .tallies import themes_changed_count

        response_themes_changed.connect(themes_changed_count, dispatch_uid="followups.call_summaries")
