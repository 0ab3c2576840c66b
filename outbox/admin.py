from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from .models import Message
from .services import outbox_retry


class StateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("pending", _("Pending")), ("retrying", _("Retrying")), ("failed", _("Failed")), ("done", _("Done"))]

    def queryset(self, request, queryset):
        pending = queryset.filter(done_at__isnull=True, failed_at__isnull=True)
        return {
            "pending": pending,
            "retrying": pending.filter(attempts__gt=0),
            "failed": queryset.filter(failed_at__isnull=False),
            "done": queryset.filter(done_at__isnull=False),
        }.get(self.value(), queryset)


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "event", "handler", "kwargs", "attempts", "next_try_at", "done_at", "failed_at",
                    "error"]
    list_filter = [StateFilter, "event", "handler"]
    readonly_fields = ["event", "handler", "kwargs", "created_at", "next_try_at", "attempts", "last_error",
                       "done_at", "failed_at"]
    ordering = ["-created_at", "-pk"]
    actions = ["retry"]

    @admin.display(description=_("last error"))
    def error(self, message):
        return message.last_error.splitlines()[-1][:120] if message.last_error else ""

    @admin.action(description=_("Try the selected messages again now"))
    def retry(self, request, queryset):
        count = outbox_retry(message_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, _("%(n)d message(s) will be tried again.") % {"n": count}, messages.SUCCESS)

    def has_add_permission(self, request):
        return False  # rows come from published events only
