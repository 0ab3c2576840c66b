import pytest
from django.urls import reverse


@pytest.mark.parametrize("who", ["am", "rm", "director", "admin"])
def test_every_page_renders_for_each_role(client, world, who):
    user = getattr(world, who)
    client.force_login(user)
    for name, kwargs in [
        ("feedback:inbox", {}), ("feedback:answers", {}), ("feedback:notification_settings", {}),
        ("feedback:response_detail", {"pk": world.response.pk}),
        ("feedback:account_detail", {"pk": world.account.pk}),
        ("feedback:region_detail", {"pk": world.region.pk}) if who != "am" else ("feedback:inbox", {}),
    ]:
        r = client.get(reverse(name, kwargs=kwargs))
        assert r.status_code == 200, (name, r.status_code)
    if who == "director":
        assert client.get(reverse("feedback:org_home")).status_code == 200
