"""A signed-in member of staff sees Pulse in the language they chose on the
notifications page; with none chosen, LocaleMiddleware's pick (the browser's) stands.
The sign-in page and the customer's pages are never signed in, so follow the browser."""

from django.utils import translation


class StaffLanguageMiddleware:
    """After LocaleMiddleware and AuthenticationMiddleware (config/settings.py)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        language = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
