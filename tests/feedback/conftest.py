"""A small world for the feedback tests: two regions, three AMs, answers in each."""

from types import SimpleNamespace

import pytest

from feedback.summaries import summary_rebuild
from tests import factories


@pytest.fixture
def world(am, rm, director, admin_user, region, account):
    """`am` owns `account` in `region` (managed by `rm`). `other_am` owns `other_account`
    in the same region; `far_am` owns `far_account` in `far_region` (managed by `far_rm`)."""
    other_am = factories.UserFactory(role="am", full_name="Otto Olsen")
    far_rm = factories.UserFactory(role="rm", full_name="Frida Fjord")
    far_region = factories.RegionFactory(name="South", manager=far_rm)
    far_am = factories.UserFactory(role="am", full_name="Fie Falk")
    other_account = factories.AccountFactory(owner=other_am, region=region, name="Otto's Customer")
    far_account = factories.AccountFactory(owner=far_am, region=far_region, name="Southern Steel")
    contact = factories.ContactFactory(account=account, name="Carla Customer", level="executive")
    response = factories.ResponseFactory(invitation__contact=contact, score=3, reason="Late <b>deliveries</b>")
    other_response = factories.ResponseFactory(invitation__contact__account=other_account, score=9)
    far_response = factories.ResponseFactory(invitation__contact__account=far_account, score=5)
    summary_rebuild()
    return SimpleNamespace(
        am=am, rm=rm, director=director, admin=admin_user, region=region, account=account,
        other_am=other_am, other_account=other_account, far_rm=far_rm, far_region=far_region, far_am=far_am,
        far_account=far_account, contact=contact, response=response, other_response=other_response,
        far_response=far_response,
    )


@pytest.fixture
def tagged(world):
    """The world with the default themes, its north detractor ("Late <b>deliveries</b>")
    tagged by the machine: delivery."""
    from feedback.models import Theme
    from feedback.response_themes import response_theme_keys, response_themes_tag
    from feedback.theme_defaults import default_themes_create

    default_themes_create(Theme)  # a test that flushed the database may have taken them away
    response_themes_tag(response_id=world.response.pk)
    assert response_theme_keys(world.response.pk) == ["delivery"]
    return world
