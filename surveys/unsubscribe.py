"""Opting a contact out from an invitation's link (one click, RFC 8058), and undoing it."""

from django.db import transaction
from django.utils import timezone

from .models import Account, Contact, Invitation, Wave
from .webhooks import webhook_account, webhook_contact, webhook_deliveries_create, webhook_time, webhooks_wanted


@transaction.atomic
def contact_unsubscribe(*, invitation: Invitation, now=None) -> Contact:
    """Opt the invitation's contact out. Repeat calls change nothing. Contacts still in an
    unsent wave leave it; webhook endpoints are told (contact.unsubscribed)."""
    now = now or timezone.now()
    contact = Contact.objects.select_for_update().get(pk=invitation.contact_id)
    if contact.opted_out_at is None:
        contact.opted_out_at = now
        contact.save(update_fields=["opted_out_at", "updated_at"])
        Invitation.objects.filter(
            contact=contact, wave__status=Wave.Status.PLANNED,
            status__in=[Invitation.Status.PLANNED, Invitation.Status.HELD],
        ).delete()
        if webhooks_wanted():
            webhook_deliveries_create("contact.unsubscribed", {
                "contact": webhook_contact(contact),
                "account": webhook_account(Account.objects.get(pk=contact.account_id)),
                "unsubscribed_at": webhook_time(now),
            }, key=f"{contact.pk}:{now.isoformat()}", contact_id=contact.pk, now=now)
    return contact


@transaction.atomic
def contact_resubscribe(*, invitation: Invitation) -> Contact:
    """Undo the opt-out from the same link (a click by mistake). The contact is asked
    again from the next wave planned (invitations taken out of an unsent wave stay out),
    and the link takes answers again while it is valid. Repeat calls change nothing."""
    contact = Contact.objects.select_for_update().get(pk=invitation.contact_id)
    if contact.opted_out_at is not None:
        contact.opted_out_at = None
        contact.save(update_fields=["opted_out_at", "updated_at"])
    return contact
