from auditlog.admin import LogEntryAdmin
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import transaction
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from .audit import audit_entry_lines, audit_event_labels
from .models import Account, AuditEntry, Contact, Invitation, Program, Region, User, Wave
from .revenue_tallies import accounts_revenue_refresh
from .staff import staff_send_set_password_links
from .tallies import accounts_forget, accounts_locked, accounts_moved
from .tallies_rebuild import accounts_recount


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "role", "is_active", "last_login"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Person"), {"fields": ["full_name", "phone", "role", "language"]}),
        (_("Access"), {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "full_name", "role", "password1", "password2"]})]
    actions = ["send_set_password_link"]

    @admin.action(description="Send set-password link")
    def send_set_password_link(self, request, queryset):
        sent, not_sent = staff_send_set_password_links(users=queryset.order_by("email"), invited_by=request.user)
        if sent:
            self.message_user(request, f"Sent a set-password link to {len(sent)} staff: "
                                       + ", ".join(u.email for u in sent), messages.SUCCESS)
        if not_sent:
            self.message_user(request, "Not sent (inactive, or the mail server refused): "
                                       + ", ".join(u.email for u in not_sent), messages.WARNING)


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "manager"]
    search_fields = ["name", "manager__email"]
    autocomplete_fields = ["manager"]


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ["name", "email", "phone", "level", "language", "opted_out_at", "bounced_at"]


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    """Edits keep the rollup summaries exact in their transaction, as the import does."""

    list_display = ["name", "external_id", "region", "owner", "annual_revenue", "active"]
    list_filter = ["active", "region"]
    search_fields = ["name", "external_id", "owner__email", "owner__full_name"]
    autocomplete_fields = ["owner", "region"]
    list_select_related = ["region", "owner"]
    inlines = [ContactInline]

    def save_model(self, request, obj, form, change):
        if change:
            owner, region = accounts_locked([obj.pk])[obj.pk]
        super().save_model(request, obj, form, change)
        if change:
            accounts_moved([(obj.pk, (owner, region), (obj.owner_id, obj.region_id))])
        accounts_revenue_refresh([obj.pk])  # new, or its active flag or revenue changed

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        accounts_recount([form.instance.pk])  # contacts added, changed or deleted inline

    @transaction.atomic
    def delete_model(self, request, obj):
        accounts_forget([obj.pk])
        super().delete_model(request, obj)

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        accounts_forget(queryset.values_list("pk", flat=True))
        super().delete_queryset(request, queryset)


class ReachableFilter(admin.SimpleListFilter):
    title = "reachable"
    parameter_name = "reachable"

    def lookups(self, request, model_admin):
        return [("yes", "Reachable"), ("opted_out", "Opted out"), ("bounced", "Bounced")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(opted_out_at__isnull=True, bounced_at__isnull=True)
        if self.value() == "opted_out":
            return queryset.filter(opted_out_at__isnull=False)
        if self.value() == "bounced":
            return queryset.filter(bounced_at__isnull=False)
        return queryset


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    """A contact stays with its account (its invitations and answers are the account's).
    An edit recounts the account's rollup summaries (surveys.tallies_rebuild)."""

    list_display = ["name", "email", "account", "level", "language", "opted_out_at", "bounced_at"]
    list_filter = [ReachableFilter, "level", "language", "account__region"]
    search_fields = ["name", "email", "account__name", "account__external_id"]
    autocomplete_fields = ["account"]
    list_select_related = ["account"]

    def get_readonly_fields(self, request, obj=None):
        return ["account"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        accounts_recount([obj.account_id])

    @transaction.atomic
    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        accounts_recount([obj.account_id])

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        account_ids = set(queryset.values_list("account_id", flat=True))
        super().delete_queryset(request, queryset)
        accounts_recount(account_ids)


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["__str__", "frequency", "quiet_days", "per_account_cap", "updated_at"]


@admin.register(Wave)
class WaveAdmin(admin.ModelAdmin):
    list_display = ["month", "status", "planned_at", "sent_at"]
    list_filter = ["status"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["wave", "contact", "account", "status", "sent_at", "reminded_at"]
    list_filter = ["status", "wave"]
    search_fields = ["contact__email", "contact__name", "account__name"]
    raw_id_fields = ["contact", "account", "held_by"]
    list_select_related = ["wave", "contact", "account"]
    exclude = ["token_nonce"]
    readonly_fields = ["token_hash"]


# auditlog's admin registers the log model (ours: AUDITLOG_LOGENTRY_MODEL); this one also
# shows the actions, which have no model row, and searches the fields our users have.
admin.site.unregister(AuditEntry)


@admin.register(AuditEntry)
class AuditEntryAdmin(LogEntryAdmin):
    """Read-only for everyone, superusers included (auditlog's: no add, change or delete
    permission); the app's page is /audit/."""

    list_display = ["created", "what", "user_url", "target", "remote_addr"]
    list_filter = ["event"]
    list_select_related = ["actor", "content_type"]
    search_fields = ["object_repr", "actor_email", "event"]
    readonly_fields = ["created", "what", "user_url", "target", "remote_addr", "lines"]
    fieldsets = [(None, {"fields": readonly_fields})]

    @admin.display(description="Action")
    def what(self, entry):
        return audit_event_labels().get(entry.event, entry.event)

    @admin.display(description="On")
    def target(self, entry):
        return entry.object_repr

    @admin.display(description="Details")
    def lines(self, entry):
        return format_html_join("", "<div>{}</div>", ((line,) for line in audit_entry_lines(entry)))
