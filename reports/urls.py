from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("region/", views.region_home, name="region_home"),
    path("regions/<int:pk>/", views.region_detail, name="region_detail"),
    path("organisation/", views.org_home, name="org_home"),
    path("accounts/<int:pk>/owner/", views.account_owner, name="account_owner"),
    path("calls/discipline/", views.discipline, name="discipline"),
]
