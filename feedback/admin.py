from django.contrib import admin, messages

from .models import Note, NotificationSettings, OwnershipChange, Response, ResponseTheme, Theme, ThemeCorrection
from .services import response_suspect_set


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    """The customer's answer is theirs: what counts in the figures changes only by the
    actions below, which keep the rollup summaries exact (services.response_suspect_set)."""

    list_display = ["answered_at", "contact", "account", "score", "category", "suspect", "triage"]
    list_filter = ["category", "suspect", "triage", "language"]
    search_fields = ["contact__email", "contact__name", "account__name", "reason"]
    raw_id_fields = ["invitation", "contact", "account", "triaged_by"]
    readonly_fields = ["invitation", "contact", "account", "score", "category", "answered_at", "suspect",
                       "suspect_reason"]
    list_select_related = ["contact", "account"]
    actions = ["mark_suspect", "count_answer"]

    @admin.action(description="Mark suspect (kept, not counted)")
    def mark_suspect(self, request, queryset):
        for pk in queryset.values_list("pk", flat=True):
            response_suspect_set(response_id=pk, suspect=True, reason=f"marked by {request.user.email}")
        self.message_user(request, "Marked suspect: not counted in the figures.", messages.SUCCESS)

    @admin.action(description="Count (not suspect)")
    def count_answer(self, request, queryset):
        for pk in queryset.values_list("pk", flat=True):
            response_suspect_set(response_id=pk, suspect=False)
        self.message_user(request, "Counted in the figures.", messages.SUCCESS)


@admin.register(Note)
class NoteAdmin(admin.ModelAdmin):
    list_display = ["created_at", "response", "author"]
    raw_id_fields = ["response", "author"]


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(admin.ModelAdmin):
    list_display = ["user", "detractor_alerts", "digest", "digest_sent_until", "chat_kind", "chat_disabled_at"]
    list_filter = ["digest", "detractor_alerts", "chat_kind"]
    raw_id_fields = ["user"]
    # The webhook address carries the channel's secret: its user sees it on their own page.
    exclude = ["chat_webhook_url"]


@admin.register(OwnershipChange)
class OwnershipChangeAdmin(admin.ModelAdmin):
    list_display = ["changed_at", "account", "old_owner", "new_owner", "changed_by"]
    raw_id_fields = ["account", "old_owner", "new_owner", "changed_by"]

    def has_change_permission(self, request, obj=None):
        return False  # a record, not something to edit


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    """The taxonomy: the tagger picks up a change at the next answer; `manage.py
    tag_all_reasons` tags the answers already in again."""

    list_display = ["key", "name_en", "name_da", "active", "built_in", "position"]
    list_editable = ["active", "position"]
    fields = ["key", "name_en", "name_da", "description_en", "description_da", "signals_en", "signals_da",
              "active", "position", "built_in"]
    readonly_fields = ["built_in"]

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.built_in  # a built-in theme is switched off, not deleted


@admin.register(ResponseTheme)
class ResponseThemeAdmin(admin.ModelAdmin):
    list_display = ["response", "theme", "source", "by", "at"]
    list_filter = ["theme", "source"]
    raw_id_fields = ["response", "by"]


@admin.register(ThemeCorrection)
class ThemeCorrectionAdmin(admin.ModelAdmin):
    list_display = ["response", "theme", "present", "by", "at"]
    list_filter = ["theme", "present"]
    raw_id_fields = ["response", "by"]
