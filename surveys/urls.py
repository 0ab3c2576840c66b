from django.urls import path

from . import views

app_name = "surveys"
urlpatterns = [
    path("book/import/", views.customer_import_upload, name="customer_import"),
    path("book/invite/", views.staff_invite, name="staff_invite"),
]
