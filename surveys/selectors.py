"""Reads of the customer book, and the one rule of who may see what (DESIGN §3)."""

from django.db.models import Q, QuerySet

from .models import Account, Region, User


def accounts_visible_to(user: User) -> QuerySet[Account]:
    """Accounts `user` may read. Everything scoped in Pulse goes through this.

    AM: the accounts they own. RM: their regions' accounts, and any they own.
    Director and administrator: all.
    """
    accounts = Account.objects.all()
    if not user.is_authenticated or not user.is_active:
        return accounts.none()
    if user.sees_everything:
        return accounts
    if user.is_regional_manager:
        return accounts.filter(Q(region__manager=user) | Q(owner=user))
    return accounts.filter(owner=user)


def regions_visible_to(user: User) -> QuerySet[Region]:
    if not user.is_authenticated or not user.is_active:
        return Region.objects.none()
    if user.sees_everything:
        return Region.objects.all()
    if user.is_regional_manager:
        return Region.objects.filter(manager=user)
    return Region.objects.none()


def user_home_url_name(user: User) -> str:
    """Where `/` sends a signed-in user (DESIGN §4)."""
    if user.is_account_manager:
        return "feedback:inbox"
    if user.is_regional_manager:
        return "feedback:region_home"
    return "feedback:org_home"
