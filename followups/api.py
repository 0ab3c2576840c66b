"""The follow-up calls in the REST API: `GET /api/v1/calls` (filtered, cursor-paginated),
`GET /api/v1/calls/{id}` and `POST /api/v1/calls/{id}/attempts`. Scope and rights are the
call pages' (followups.selectors with `request.user`): a call outside the scope is a 404;
one in scope that the user may not work (an RM or a director reads), or any call for a
read-only API key, is a 403. An attempt goes through the page's form and service, so the
API takes what the page takes and refuses what it refuses, with the same messages."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as FormValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response as ApiResponse

from feedback.api import SIGNED_IN, ApiCursorPagination, PersonSerializer, person, problem_if_invalid, read_only
from feedback.forms import ID_MAX
from feedback.selectors import owner_in_scope, region_for

from . import selectors
from .forms import AttemptForm
from .models import Attempt, Call

CALL_RELATED = ("response", "contact", "account__owner", "account__region", "assignee", "root_cause")


class CallSerializer(serializers.Serializer):
    """A call as the list and the single call give it, written out by hand (see
    feedback.api.AnswerSerializer); the single call adds its attempts."""

    id = serializers.IntegerField()
    state = serializers.ChoiceField(choices=Call.State.choices)
    category = serializers.CharField()
    due = serializers.DateField()
    overdue = serializers.BooleanField(help_text="Open, and its due date has passed.")
    answer = inline_serializer("CallAnswer", {"id": serializers.IntegerField(), "score": serializers.IntegerField(),
                                              "answered_at": serializers.DateTimeField()})
    contact = inline_serializer("CallContact", {
        "id": serializers.IntegerField(), "name": serializers.CharField(), "email": serializers.EmailField(),
        "phone": serializers.CharField(), "level": serializers.CharField(), "language": serializers.CharField()})
    account = inline_serializer("CallAccount", {
        "id": serializers.IntegerField(), "external_id": serializers.CharField(), "name": serializers.CharField(),
        "region": serializers.DictField(), "owner": PersonSerializer()})
    assignee = PersonSerializer(help_text="Who makes the call (the owner, or who covers or took it).")
    created_at = serializers.DateTimeField()
    first_attempt_at = serializers.DateTimeField(allow_null=True)
    reached_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    unanswered_attempts = serializers.IntegerField()
    root_cause = serializers.CharField(allow_null=True)
    agreed = serializers.CharField(allow_blank=True)
    action_owner = serializers.CharField(allow_blank=True)
    action_due = serializers.DateField(allow_null=True)

    def to_representation(self, call: Call) -> dict:
        account, contact, response = call.account, call.contact, call.response
        today = self.context.get("today") or timezone.localdate()
        return {
            "id": call.pk,
            "state": call.state,
            "category": call.category,
            "due": call.due_on.isoformat(),
            "overdue": call.is_open and call.due_on < today,
            "answer": {"id": response.pk, "score": response.score, "answered_at": response.answered_at.isoformat()},
            "contact": {"id": contact.pk, "name": contact.name, "email": contact.email, "phone": contact.phone,
                        "level": contact.level, "language": contact.language},
            "account": {"id": account.pk, "external_id": account.external_id, "name": account.name,
                        "region": {"id": account.region_id, "name": account.region.name},
                        "owner": person(account.owner)},
            "assignee": person(call.assignee),
            "created_at": call.created_at.isoformat(),
            "first_attempt_at": _moment(call.first_attempt_at),
            "reached_at": _moment(call.reached_at),
            "closed_at": _moment(call.closed_at),
            "unanswered_attempts": call.unanswered_attempts,
            "root_cause": call.root_cause.name if call.root_cause_id else None,
            "agreed": call.agreed,
            "action_owner": call.action_owner,
            "action_due": call.action_due.isoformat() if call.action_due else None,
        }


def _moment(value):
    return value.isoformat() if value else None


class AttemptSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    outcome = serializers.ChoiceField(choices=Attempt.Outcome.choices)
    note = serializers.CharField(allow_blank=True)
    by = PersonSerializer()
    at = serializers.DateTimeField()

    def to_representation(self, attempt: Attempt) -> dict:
        return {"id": attempt.pk, "outcome": attempt.outcome, "note": attempt.note, "by": person(attempt.by),
                "at": attempt.at.isoformat()}


class CallDetailSerializer(CallSerializer):
    attempts = AttemptSerializer(many=True)

    def to_representation(self, call: Call) -> dict:
        attempts = call.attempts.select_related("by").order_by("at", "pk")
        return {**super().to_representation(call), "attempts": [AttemptSerializer(a).data for a in attempts]}


class CallQuery(serializers.Serializer):
    state = serializers.ChoiceField(required=False, choices=[("open", "open"), ("closed", "closed")],
                                    help_text="open, or closed (reached, unreachable, declined, cancelled).")
    overdue = serializers.BooleanField(required=False, default=None, allow_null=True,
                                       help_text="true: open past the due date; false: the others.")
    owner = serializers.IntegerField(required=False, min_value=1, max_value=ID_MAX,
                                     help_text="The account manager who owns the calls' accounts (a user id).")
    region = serializers.IntegerField(required=False, min_value=1, max_value=ID_MAX)


def _call_or_404(user, pk: int) -> Call:
    call = selectors.call_get_for(user, pk)
    if call is None:
        raise Http404
    return call


class CallList(GenericAPIView):
    permission_classes = SIGNED_IN
    serializer_class = CallSerializer
    pagination_class = ApiCursorPagination

    @extend_schema(parameters=[CallQuery], responses=CallSerializer(many=True), operation_id="calls_list")
    def get(self, request):
        """The calls you may read (your own, your region's, or all), newest first."""
        user = request.user
        data = problem_if_invalid(CallQuery(data=request.query_params))
        calls = selectors.calls_visible_to(user)
        if data.get("region"):
            if region_for(user, data["region"]) is None:
                raise Http404
            calls = calls.filter(account__region_id=data["region"])
        if data.get("owner"):
            calls = calls.filter(account__owner_id=data["owner"])
            # Another owner is a 404 unless the user reads some of their accounts, or works
            # some of their calls (a cover).
            if data["owner"] != user.pk and owner_in_scope(user, data["owner"]) is None and not calls.exists():
                raise Http404
        if data.get("state") == "open":
            calls = calls.filter(state=Call.State.OPEN)
        elif data.get("state") == "closed":
            calls = calls.exclude(state=Call.State.OPEN)
        today = timezone.localdate()
        if data.get("overdue") is True:
            calls = calls.filter(selectors.overdue_q(today))
        elif data.get("overdue") is False:
            calls = calls.exclude(selectors.overdue_q(today))
        page = self.paginate_queryset(calls.select_related(*CALL_RELATED))
        return self.get_paginated_response(CallSerializer(page, many=True, context={"today": today}).data)


class CallDetail(GenericAPIView):
    permission_classes = SIGNED_IN
    serializer_class = CallDetailSerializer

    @extend_schema(responses=CallDetailSerializer, operation_id="calls_retrieve")
    def get(self, request, pk: int):
        """One call with its attempts; 404 outside your scope."""
        return ApiResponse(CallDetailSerializer(_call_or_404(request.user, pk)).data)


class AttemptIn(serializers.Serializer):
    """What the call page's form takes (followups.forms.AttemptForm), validated by it."""

    outcome = serializers.ChoiceField(choices=Attempt.Outcome.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    root_cause = serializers.IntegerField(required=False, allow_null=True,
                                          help_text="A root cause's id; required when reached.")
    agreed = serializers.CharField(required=False, allow_blank=True, max_length=5000,
                                   help_text="What was agreed; required when reached.")
    action_owner = serializers.CharField(required=False, allow_blank=True, max_length=200)
    action_due = serializers.DateField(required=False, allow_null=True)


def _errors(error: FormValidationError) -> dict:
    return error.message_dict if hasattr(error, "error_dict") else {"non_field_errors": error.messages}


class CallAttempts(GenericAPIView):
    permission_classes = SIGNED_IN
    serializer_class = AttemptIn

    @extend_schema(request=AttemptIn, operation_id="calls_attempts_create", responses={
        201: inline_serializer("AttemptLogged", {"attempt": AttemptSerializer(), "call": CallDetailSerializer()})})
    def post(self, request, pk: int):
        """Log an attempt on an open call, as the call page does: reached needs the root
        cause and what was agreed, and closes the call; declined closes it; unanswered ones
        close it as unreachable after the configured number."""
        call = _call_or_404(request.user, pk)
        if read_only(request) or not selectors.call_can_work(request.user, call):
            raise PermissionDenied
        if not isinstance(request.data, dict):
            raise ValidationError({"non_field_errors": [_("Send a JSON object.")]})
        # The types first (a note that is a list is no note), then the page's own form.
        problem_if_invalid(AttemptIn(data=request.data))
        form = AttemptForm({k: ("" if v is None else v) for k, v in request.data.items()})
        if not form.is_valid():
            raise ValidationError({field: list(messages) for field, messages in form.errors.items()})
        try:
            attempt = form.attempt_log(call_id=call.pk, by=request.user)
        except FormValidationError as error:
            raise ValidationError(_errors(error)) from None
        except PermissionError:  # the call changed hands since it was read
            raise PermissionDenied from None
        call.refresh_from_db()
        return ApiResponse({"attempt": AttemptSerializer(attempt).data, "call": CallDetailSerializer(call).data},
                           status=status.HTTP_201_CREATED)
