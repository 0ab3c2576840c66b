"""An administrator registers a webhook endpoint, copies its secret, sees a failed delivery
in the log and sends it again, at 1366 px and on a 360 px phone; the receiver, a real HTTP
server on loopback, verifies both attempts' signatures and sees one delivery id."""

import re

import pytest
from django.db import transaction
from playwright.sync_api import expect

from surveys.models import WebhookEndpoint
from surveys.webhooks import webhook_deliveries_create

pytestmark = pytest.mark.browser


def _fits(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


@pytest.mark.parametrize("width", [1366, 360])
def test_an_administrator_registers_an_endpoint_and_sends_a_failed_delivery_again(
    page, sign_in, admin_user, webhook_receiver, settings, width
):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(admin_user)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.get_by_role("navigation", name="Pages of this section").get_by_role("link", name="Webhooks").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks")
    expect(page.get_by_text("No endpoints yet.")).to_be_visible()
    _fits(page, width)

    page.get_by_role("link", name="New endpoint").click()
    page.get_by_role("button", name="Create endpoint").click()  # nothing filled in
    expect(page.get_by_text("Choose at least one event.")).to_be_visible()
    assert not WebhookEndpoint.objects.exists()
    page.get_by_label("URL").fill(webhook_receiver.url)
    page.get_by_label("A contact unsubscribes").check()
    page.get_by_label("A wave has been sent").check()
    page.get_by_role("button", name="Create endpoint").click()
    expect(page.get_by_text("Endpoint created.")).to_be_visible()
    endpoint = WebhookEndpoint.objects.get()
    secret = page.locator("code.secret")
    expect(secret).to_have_text(endpoint.secret)
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/]{40,}=*", endpoint.secret)
    webhook_receiver.secret = endpoint.secret
    expect(page.get_by_text("Nothing delivered yet.")).to_be_visible()
    _fits(page, width)

    # A wave is sent while the receiver fails.
    webhook_receiver.statuses = [500]
    with transaction.atomic():
        [delivery_id] = webhook_deliveries_create("wave.sent", {"wave": {"id": 1, "month": "2026-12"}}, key="1")
    webhook_receiver.wait_for(1)
    page.reload()
    row = page.locator("table.webhook-log tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("wave.sent")
    expect(row).to_contain_text("retrying")
    expect(row).to_contain_text("(500)")
    _fits(page, width)

    row.get_by_role("button", name=f"Send msg_{delivery_id} again").click()
    expect(page.get_by_text(f"Sending msg_{delivery_id} again.")).to_be_visible()
    failed, sent = webhook_receiver.wait_for(2)
    assert failed.webhook_id == sent.webhook_id == f"msg_{delivery_id}"
    assert failed.verified and sent.verified
    page.reload()
    expect(row).to_contain_text("delivered")
    expect(row).to_contain_text("(200)")

    page.get_by_role("link", name="All endpoints").click()
    expect(page.locator("table.webhooks")).to_contain_text(webhook_receiver.url)
    expect(page.locator("table.webhooks")).to_contain_text("delivered (200)")
    _fits(page, width)
