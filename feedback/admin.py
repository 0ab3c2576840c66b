from django.contrib import admin

from .models import Note, NotificationSettings, OwnershipChange, Response


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ["answered_at", "contact", "account", "score", "category", "suspect", "triage"]
    list_filter = ["category", "suspect", "triage", "language"]
    search_fields = ["contact__email", "contact__name", "account__name", "reason"]
    raw_id_fields = ["invitation", "contact", "account", "triaged_by"]
    list_select_related = ["contact", "account"]


@admin.register(Note)
class NoteAdmin(admin.ModelAdmin):
    list_display = ["created_at", "response", "author"]
    raw_id_fields = ["response", "author"]


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(admin.ModelAdmin):
    list_display = ["user", "detractor_alerts", "digest", "digest_sent_until"]
    list_filter = ["digest", "detractor_alerts"]
    raw_id_fields = ["user"]


@admin.register(OwnershipChange)
class OwnershipChangeAdmin(admin.ModelAdmin):
    list_display = ["changed_at", "account", "old_owner", "new_owner", "changed_by"]
    raw_id_fields = ["account", "old_owner", "new_owner", "changed_by"]

    def has_change_permission(self, request, obj=None):
        return False  # a record, not something to edit
