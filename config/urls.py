import os

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from feedback import views_preview
from followups import views_answer, views_waves
from reports import views as report_views
from surveys import views as survey_views
from surveys.api_foundation import api_not_found

urlpatterns = [
    path("", report_views.home, name="home"),
    path("healthz", survey_views.healthz, name="healthz"),
    path("signin/", survey_views.SignInView.as_view(), name="login"),
    path("signout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/reset/", survey_views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("password/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("dev/outbox/", survey_views.mail_outbox, name="mail_outbox"),
    # DEBUG only. The email it shows (an iframe's srcdoc, which inherits this page's CSP) is
    # styled by style attributes, as emails are: style-src allows inline styles here only.
    path(
        "dev/outbox/<str:name>",
        csp_update({"style-src": [UNSAFE_INLINE]})(survey_views.mail_outbox_message),
        name="mail_outbox_message",
    ),
    path("admin/", admin.site.urls),
    # --- The REST API (config/api_urls.py); any other address under api/ is a 404 problem.
    path("api/v1/", include("config.api_urls")),
    re_path(r"^api/", api_not_found),
    # --- end of the REST API
    # The next wave's page, where an AM holds contacts out, shows each contact's recent
    # answer and open detractor call: followups serves it, and the hold and put-back whose
    # rows it swaps in place. It belongs to the survey program, hence project-wide names;
    # before surveys' waves/<month>/, which would take waves/next/ for a month.
    path("waves/next/", views_waves.wave_next, name="wave_next"),
    path("waves/invitations/<int:pk>/hold/", views_waves.invitation_hold, name="invitation_hold"),
    path("waves/invitations/<int:pk>/release/", views_waves.invitation_release, name="invitation_release"),
    path("", include("surveys.urls")),
    path("", include("feedback.urls_public")),
    path("", include("feedback.urls")),
    path("", include("followups.urls")),
    path("", include("reports.urls")),
    # The page of one answer (it shows the answer's call) and the page of one account are
    # linked from the apps below the ones that serve them: feedback's inbox, alerts and
    # digests link to the answer's page, the answer's page to its account's. They have
    # project-wide names, like `home`, so that no app names a higher one.
    path("answers/<int:pk>/", views_answer.response_detail, name="response_detail"),
    path("accounts/<int:pk>/", report_views.account_detail, name="account_detail"),
    # The answer page's preview, linked from the program page (surveys), served by feedback.
    path("program/preview/answer/<str:language>/", views_preview.answer_preview, name="program_answer_preview"),
]

if os.environ.get("PULSE_BENCH_VIEWS") == "1":
    # Benchmark-only reference views (bench/answer_load.py); never mounted otherwise.
    urlpatterns.append(path("bench/", include("bench.urls")))

if settings.DEBUG:
    urlpatterns.append(path("i18n/", include("django.conf.urls.i18n")))
