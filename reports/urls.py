from django.urls import path

from . import views, views_personal_data

app_name = "reports"
urlpatterns = [
    path("region/", views.region_home, name="region_home"),
    path("regions/<int:pk>/", views.region_detail, name="region_detail"),
    path("organisation/", views.org_home, name="org_home"),
    path("accounts/<int:pk>/owner/", views.account_owner, name="account_owner"),
    path("calls/discipline/", views.discipline, name="discipline"),
    path("drivers/", views.drivers, name="drivers"),
    # A contact's personal data (administrators): download it all, erase it.
    path("contacts/<int:pk>/data.json", views_personal_data.contact_data, name="contact_data"),
    path("contacts/<int:pk>/erase/", views_personal_data.contact_erase, name="contact_erase"),
]
