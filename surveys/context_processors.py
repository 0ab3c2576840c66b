def navigation(request):
    """What base.html needs for the navigation; cheap: no queries for anonymous users."""
    user = getattr(request, "user", None)
    return {"nav_user": user if user is not None and user.is_authenticated else None}
