from django.contrib import admin
from django.db import transaction

from surveys.tallies import accounts_locked

from .call_states import call_states_refresh
from .models import Absence, Attempt, Call, CloseLoopEmail, FollowupSettings, RecoveryRequest, RootCause
from .tallies import call_account_lock, call_change_count, call_snapshot


@admin.register(RootCause)
class RootCauseAdmin(admin.ModelAdmin):
    list_display = ["name", "position", "active"]
    list_editable = ["position", "active"]
    search_fields = ["name"]


@admin.register(FollowupSettings)
class FollowupSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "detractor_due_days", "passive_due_days", "promoter_due_days",
                    "max_unanswered_attempts"]

    def has_add_permission(self, request):
        return not FollowupSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


class AttemptInline(admin.TabularInline):
    model = Attempt
    extra = 0
    raw_id_fields = ["by"]


class CloseLoopEmailInline(admin.StackedInline):
    model = CloseLoopEmail
    extra = 0
    raw_id_fields = ["sent_by"]
    # Set by the outbox as it sends (the row holds the tries and the last error).
    readonly_fields = ["queued_at", "sent_at", "outbox_message"]


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = ["pk", "account", "contact", "category", "assignee", "due_on", "state"]
    list_filter = ["state", "category"]
    search_fields = ["account__name", "contact__name", "contact__email", "assignee__email"]
    raw_id_fields = ["response", "account", "contact", "assignee", "assigned_for"]
    list_select_related = ["account", "contact", "assignee"]
    inlines = [AttemptInline, CloseLoopEmailInline]

    # An administrator's edit is an event too: the call summaries take the difference.
    @transaction.atomic
    def save_model(self, request, obj, form, change):
        was = Call.objects.filter(pk=obj.pk).values_list("account_id", flat=True).first() if change else None
        owners = accounts_locked([obj.account_id, *([was] if was else [])])
        before = call_snapshot(Call.objects.select_for_update().filter(pk=obj.pk).first()) if was else None
        super().save_model(request, obj, form, change)
        if before is not None:  # taken away from where it counted (its account may have changed)
            call_change_count(who=owners[was], before=before, after=None)
        call_change_count(who=owners[obj.account_id], before=None, after=call_snapshot(obj))
        call_states_refresh({obj.account_id, *([was] if was else [])})

    @transaction.atomic
    def delete_model(self, request, obj):
        who = call_account_lock(obj.account_id)
        call_change_count(who=who, before=call_snapshot(Call.objects.select_for_update().get(pk=obj.pk)), after=None)
        super().delete_model(request, obj)
        call_states_refresh([obj.account_id])

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        for call in queryset.order_by("account_id", "pk"):
            self.delete_model(request, call)


@admin.register(Absence)
class AbsenceAdmin(admin.ModelAdmin):
    list_display = ["user", "cover", "starts_on", "ends_on"]
    raw_id_fields = ["user", "cover"]


@admin.register(RecoveryRequest)
class RecoveryRequestAdmin(admin.ModelAdmin):
    list_display = ["contact", "account", "original_score", "survey_on", "status"]
    list_filter = ["status"]
    raw_id_fields = ["call", "contact", "account", "requested_by"]
