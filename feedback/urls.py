from django.urls import path

from . import views

app_name = "feedback"
urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("region/", views.region_home, name="region_home"),
    path("organisation/", views.org_home, name="org_home"),
]
