import pytest
from django.urls import reverse


@pytest.mark.parametrize("who", ["am", "rm", "director", "admin"])
def test_every_page_renders_for_each_role(client, world, who):
    user = getattr(world, who)
    client.force_login(user)
    for name in ["feedback:inbox", "feedback:answers", "feedback:notification_settings"]:
        r = client.get(reverse(name))
        assert r.status_code == 200, (name, r.status_code)
