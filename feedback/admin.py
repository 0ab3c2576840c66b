from django.contrib import admin

from .models import OutboxMessage, Response


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ["answered_at", "contact", "account", "score", "category", "suspect", "triage"]
    list_filter = ["category", "suspect", "triage", "language"]
    search_fields = ["contact__email", "contact__name", "account__name", "reason"]
    raw_id_fields = ["invitation", "contact", "account", "triaged_by"]
    list_select_related = ["contact", "account"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "handler", "dispatched_at", "done_at", "attempts"]
    list_filter = ["handler"]
