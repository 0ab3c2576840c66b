"""The answers in the REST API: `GET /api/v1/answers` (filtered, cursor-paginated) and
`GET /api/v1/answers/{id}`. Who sees what is the pages' rule (feedback.selectors with
`request.user`): an API key acting as a member of staff sees what they see, a read-only
key's user sees everything. Outside the scope: 404.

Each answer carries its follow-up call (id, state, due) through the reverse one-to-one the
follow-up app declares, read in the same query, as the inbox's rows do
(feedback.answer_lists.INBOX_RELATED): nothing is imported from followups, and one
serializer serves the list and the single answer, so an answer looks the same in both.
Anyone who may read an answer may read its call (followups.selectors.calls_visible_to
starts from the same accounts), so no second scope check is needed for it.
"""

from base64 import b64decode

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response as ApiResponse
from rest_framework.settings import api_settings

from .answer_lists import AnswerFilter, theme_keys_of
from .forms import ID_MAX
from .models import Category, Response, Theme
from .periods import PERIODS
from .selectors import account_for, owner_in_scope, region_for, responses_visible_to

# Whatever the project's defaults say (API keys, sessions), these endpoints want a user.
SIGNED_IN = [*api_settings.DEFAULT_PERMISSION_CLASSES, IsAuthenticated]


def read_only(request) -> bool:
    """A read-only API key (over everything) may read and never write."""
    return bool(getattr(request.auth, "read_only", False))


class ApiCursorPagination(CursorPagination):
    """Cursor pagination by the id, newest first: unique and the primary key's index, so
    the cursor is a plain `id < n` and a page costs the same at any depth (no offset ever
    builds up, as it would on ties of a timestamp). A cursor that is not one of ours is a
    400, like any other bad parameter."""

    ordering = "-id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500

    def decode_cursor(self, request):
        encoded = request.query_params.get(self.cursor_query_param)
        try:
            if encoded is not None:
                b64decode(encoded.encode("ascii"), validate=True)  # DRF's decoding skips what is not base64
            cursor = super().decode_cursor(request)
        except (NotFound, ValueError):
            cursor, bad = None, True
        else:
            # Ours always hold an id (a position): anything else was made up or cut short.
            bad = cursor is not None and not (cursor.position or "").isdigit()
        if bad:
            raise ValidationError({"cursor": [_("Not a cursor of this list: follow the next link.")]})
        return cursor

    def get_page_size(self, request):
        text = request.query_params.get(self.page_size_query_param)
        if text is None:
            return self.page_size
        if not (text.isascii() and text.isdigit() and len(text) <= 3 and 1 <= int(text) <= self.max_page_size):
            raise ValidationError({"page_size": [_("A whole number from 1 to %(max)d.") % {"max": self.max_page_size}]})
        return int(text)


def problem_if_invalid(query: serializers.Serializer) -> dict:
    """The query's valid values; a bad one answers 400 naming every bad parameter."""
    query.is_valid(raise_exception=True)
    return query.validated_data


# --- What an answer looks like -----------------------------------------------------------

class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.EmailField()


class ContactSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.EmailField()
    level = serializers.CharField()


class AccountSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField(help_text="The account's id in the customer book (account_id).")
    name = serializers.CharField()
    region = serializers.DictField(help_text="{id, name}")
    owner = PersonSerializer(help_text="The account manager who owns the account now.")


class AnswerCallSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    state = serializers.CharField(help_text="open, reached, unreachable, declined or cancelled.")
    due = serializers.DateField()


def person(user) -> dict:
    return {"id": user.pk, "name": str(user), "email": user.email}


class AnswerSerializer(serializers.Serializer):
    """An answer as the list and the single answer give it, from a row of `answers_read`
    and its theme keys (context "themes": {answer id: [key, ...]}). Rows, not model
    instances: a page of 500 answers would otherwise spend most of its time building six
    objects an answer. The fields below say what it holds, for the schema."""

    id = serializers.IntegerField()
    answered_at = serializers.DateTimeField()
    changed_at = serializers.DateTimeField(help_text="The last time the customer changed the answer.")
    score = serializers.IntegerField(min_value=0, max_value=10)
    category = serializers.ChoiceField(choices=Category.choices)
    reason = serializers.CharField(allow_blank=True)
    language = serializers.CharField()
    suspect = serializers.BooleanField(help_text="Signs of a bot: kept, never counted in the figures.")
    contact = ContactSerializer()
    account = AccountSerializer()
    themes = serializers.ListField(child=serializers.CharField(), help_text="Keys of the themes the reason mentions.")
    triage = serializers.ChoiceField(choices=Response.Triage.choices)
    call = AnswerCallSerializer(allow_null=True, help_text="Its follow-up call; null when it has none.")

    def to_representation(self, row: dict) -> dict:
        return {
            "id": row["id"],
            "answered_at": row["answered_at"].isoformat(),
            "changed_at": row["changed_at"].isoformat(),
            "score": row["score"],
            "category": row["category"],
            "reason": row["reason"],
            "language": row["language"],
            "suspect": row["suspect"],
            "contact": {"id": row["contact_id"], "name": row["contact__name"], "email": row["contact__email"],
                        "level": row["contact__level"]},
            "account": {
                "id": row["account_id"], "external_id": row["account__external_id"], "name": row["account__name"],
                "region": {"id": row["account__region_id"], "name": row["account__region__name"]},
                "owner": {"id": row["account__owner_id"],
                          "name": row["account__owner__full_name"] or row["account__owner__email"],
                          "email": row["account__owner__email"]},
            },
            "themes": self.context["themes"].get(row["id"], []),
            "triage": row["triage"],
            # No call: a suspect answer, or one not queued yet.
            "call": None if row["call__id"] is None else {
                "id": row["call__id"], "state": row["call__state"], "due": row["call__due_on"].isoformat()},
        }


# An answer's own row, its contact, account, region, owner and call: one query a page.
ANSWER_FIELDS = (
    "id", "answered_at", "changed_at", "score", "category", "reason", "language", "suspect", "triage",
    "contact_id", "contact__name", "contact__email", "contact__level",
    "account_id", "account__external_id", "account__name", "account__region_id", "account__region__name",
    "account__owner_id", "account__owner__full_name", "account__owner__email",
    "call__id", "call__state", "call__due_on",
)


def answers_read(qs):
    return qs.values(*ANSWER_FIELDS)


def answers_data(rows: list[dict]) -> list[dict]:
    """The rows as the API gives them, their themes in one more query."""
    themes = theme_keys_of([row["id"] for row in rows])
    return AnswerSerializer(rows, many=True, context={"themes": themes}).data


# --- The list ---------------------------------------------------------------------------

class AnswerQuery(serializers.Serializer):
    """The list's filters, from the query string."""

    period = serializers.ChoiceField(choices=list(PERIODS), default="all",
                                     help_text="As the answers page: " + ", ".join(PERIODS))
    region = serializers.IntegerField(required=False, min_value=1, max_value=ID_MAX)
    owner = serializers.IntegerField(required=False, min_value=1, max_value=ID_MAX,
                                     help_text="The account manager who owns the accounts (a user id).")
    account = serializers.IntegerField(required=False, min_value=1, max_value=ID_MAX)
    category = serializers.ChoiceField(required=False, choices=Category.choices)
    theme = serializers.SlugField(required=False, max_length=40, help_text="A theme's key, e.g. delivery.")
    changed_since = serializers.DateTimeField(
        required=False, help_text="ISO 8601. Answers given or changed by the customer at or after it.")

    def validate_theme(self, value):
        if not Theme.objects.filter(key=value).exists():
            raise serializers.ValidationError(_("No theme has this key."))
        return value


def answers_in_scope_or_404(user, data: dict) -> None:
    """A filter naming a region, owner or account outside the user's scope is a 404, as
    the page of that region or account would be (and as the answers page does)."""
    if data.get("account") and account_for(user, data["account"]) is None:
        raise Http404
    if data.get("region") and region_for(user, data["region"]) is None:
        raise Http404
    if data.get("owner") and data["owner"] != user.pk and owner_in_scope(user, data["owner"]) is None:
        raise Http404


class AnswerList(GenericAPIView):
    permission_classes = SIGNED_IN
    serializer_class = AnswerSerializer
    pagination_class = ApiCursorPagination

    @extend_schema(parameters=[AnswerQuery], responses=AnswerSerializer(many=True), operation_id="answers_list")
    def get(self, request):
        """The answers you may read, newest first, a page at a time (follow `next`)."""
        data = problem_if_invalid(AnswerQuery(data=request.query_params))
        answers_in_scope_or_404(request.user, data)
        flt = AnswerFilter(
            period=data["period"], region=data.get("region"), owner=data.get("owner"), account=data.get("account"),
            category=data.get("category", ""), theme=data.get("theme", ""),
        )
        qs = flt.apply(responses_visible_to(request.user))
        if since := data.get("changed_since"):
            # An answer's first save sets changed_at too (feedback.answering): given or
            # changed since is changed_at alone, on its own index.
            qs = qs.filter(changed_at__gte=since)
        page = self.paginate_queryset(answers_read(qs))
        return self.get_paginated_response(answers_data(page))


class AnswerDetail(GenericAPIView):
    permission_classes = SIGNED_IN
    serializer_class = AnswerSerializer

    @extend_schema(responses=AnswerSerializer, operation_id="answers_retrieve")
    def get(self, request, pk: int):
        """One answer with its call; 404 outside your scope."""
        rows = list(answers_read(responses_visible_to(request.user).filter(pk=pk)))
        if not rows:
            raise Http404
        return ApiResponse(answers_data(rows)[0])
