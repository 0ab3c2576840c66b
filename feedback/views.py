from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render


@login_required
def inbox(request):
    return render(request, "feedback/inbox.html", {})


@login_required
def region_home(request):
    if not (request.user.is_regional_manager or request.user.sees_everything):
        raise Http404
    return render(request, "feedback/region_home.html", {})


@login_required
def org_home(request):
    if not request.user.sees_everything:
        raise Http404
    return render(request, "feedback/org_home.html", {})
