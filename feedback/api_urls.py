from django.urls import path

from . import api

# Under /api/v1/ (config/api_urls.py). The single answer is served here too: it carries its
# call through the reverse one-to-one, nothing imported from followups (see feedback.api).
urlpatterns = [
    path("answers", api.AnswerList.as_view(), name="api_answers"),
    path("answers/<int:pk>", api.AnswerDetail.as_view(), name="api_answer"),
]
