from django.http import Http404


def answer(request, token):
    raise Http404  # the answer page issue builds this
