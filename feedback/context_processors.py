from django.utils.functional import SimpleLazyObject


def inbox_count(request):
    """New answers in the user's own accounts, for the navigation: one COUNT, and only
    when a template reads it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def count():
        from .answer_lists import new_answers_count

        return new_answers_count(user)

    return {"nav_new_answers": SimpleLazyObject(count)}
