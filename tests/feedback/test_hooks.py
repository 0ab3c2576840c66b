from django.urls import reverse

from feedback import hooks


def test_rollup_extras_reach_the_rollup_templates(client, world, monkeypatch):
    seen = []

    def provider(*, user, region, start):
        seen.append((user, region, start))
        return {"followup_done": {world.am.pk: 0.5}}

    monkeypatch.setattr(hooks, "_PROVIDERS", [])
    hooks.rollup_extras_register(provider)
    client.force_login(world.rm)
    response = client.get(reverse("feedback:region_detail", args=[world.region.pk]))
    assert response.context["extras"] == {"followup_done": {world.am.pk: 0.5}}
    assert seen[0][0] == world.rm and seen[0][1] == world.region
