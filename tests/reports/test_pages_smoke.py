import pytest
from django.urls import reverse

from tests.feedback.conftest import world  # noqa: F401 (two regions, three AMs, answers in each)


@pytest.mark.parametrize("who", ["am", "rm", "director", "admin"])
def test_every_page_renders_for_each_role(client, world, who):  # noqa: F811
    user = getattr(world, who)
    client.force_login(user)
    for name, kwargs in [
        ("response_detail", {"pk": world.response.pk}),
        ("account_detail", {"pk": world.account.pk}),
        ("reports:discipline", {}),
        ("reports:region_detail", {"pk": world.region.pk}) if who != "am" else ("reports:discipline", {}),
    ]:
        r = client.get(reverse(name, kwargs=kwargs))
        assert r.status_code == 200, (name, r.status_code)
    if who in ("director", "admin"):
        assert client.get(reverse("reports:org_home")).status_code == 200
