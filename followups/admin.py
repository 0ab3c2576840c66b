from django.contrib import admin

from .models import Absence, Attempt, Call, CloseLoopEmail, FollowupSettings, RecoveryRequest, RootCause


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


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = ["pk", "account", "contact", "category", "assignee", "due_on", "state"]
    list_filter = ["state", "category"]
    search_fields = ["account__name", "contact__name", "contact__email", "assignee__email"]
    raw_id_fields = ["response", "account", "contact", "assignee", "assigned_for"]
    list_select_related = ["account", "contact", "assignee"]
    inlines = [AttemptInline, CloseLoopEmailInline]


@admin.register(Absence)
class AbsenceAdmin(admin.ModelAdmin):
    list_display = ["user", "cover", "starts_on", "ends_on"]
    raw_id_fields = ["user", "cover"]


@admin.register(RecoveryRequest)
class RecoveryRequestAdmin(admin.ModelAdmin):
    list_display = ["contact", "account", "original_score", "survey_on", "status"]
    list_filter = ["status"]
    raw_id_fields = ["call", "contact", "account", "requested_by"]
