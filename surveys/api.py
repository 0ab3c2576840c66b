"""The customer book through the API, for a CRM that keeps it in sync: batches of accounts
and contacts upserted by the customer file's rules (surveys.book_import), and accounts
deactivated. Administrators' keys only; everyone else is answered 404, as on the import
page (a read-only key: 403, surveys.api_foundation.ReadOnlyKeysRead)."""

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from .api_foundation import (
    PROBLEM_INVALID_RECORDS,
    PROBLEM_TOO_MANY_RECORDS,
    AdministratorsOnly,
    ApiProblem,
    ReadOnlyKeysRead,
)
from .book_accounts import AccountsUnknown, accounts_deactivate
from .book_import import HEADER, OPTIONAL_COLUMNS, BookFileInvalid, book_records_parse, book_rows_write

BOOK_WRITERS = [permissions.IsAuthenticated, ReadOnlyKeysRead, AdministratorsOnly]


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details, as every error is answered (for the schema)."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    errors = serializers.ListField(child=serializers.DictField(), required=False,
                                   help_text="One per problem; for a batch, each with its record's `index`.")


BookRecordSerializer = inline_serializer("BookRecord", fields={
    **{name: serializers.CharField(allow_blank=True) for name in HEADER},
    **{name: serializers.CharField(required=False, allow_null=True, allow_blank=True) for name in OPTIONAL_COLUMNS},
})


def _counts(**fields):
    return inline_serializer(fields.pop("name"), fields={name: serializers.IntegerField() for name in fields})


BatchResultSerializer = inline_serializer("BookBatchResult", fields={
    "records": serializers.IntegerField(),
    "accounts": _counts(name="AccountCounts", created=1, updated=1, unchanged=1),
    "contacts": _counts(name="ContactCounts", created=1, updated=1, unchanged=1, suppressed=1),
    "regions": _counts(name="RegionCounts", created=1, updated=1),
    "staff": _counts(name="StaffCounts", created=1, updated=1),
})


def _list_of(data, name: str) -> list:
    """`data[name]`, a list, or 400 saying what the body must be."""
    if not isinstance(data, dict) or not isinstance(data.get(name), list):
        raise ApiProblem(status=400, problem_type="about:blank", title="Bad Request",
                         detail=_('Send a JSON object: {"%(name)s": [...]}.') % {"name": name})
    items = data[name]
    if not items:
        raise ApiProblem(status=400, problem_type="about:blank", title="Bad Request",
                         detail=_("The list %(name)s is empty.") % {"name": name})
    limit = settings.API_BOOK_BATCH_MAX
    if len(items) > limit:
        raise ApiProblem(
            status=413, problem_type=PROBLEM_TOO_MANY_RECORDS, title=_("Too many records"),
            detail=_("At most %(limit)s records per request; this one has %(count)s. Send them in smaller "
                     "batches; nothing was changed.") % {"limit": f"{limit:,}", "count": f"{len(items):,}"},
        )
    return items


def _invalid(problems: list[dict]) -> ApiProblem:
    records = len({p["index"] for p in problems})
    return ApiProblem(
        status=422, problem_type=PROBLEM_INVALID_RECORDS, title=_("Invalid records"), errors=problems,
        detail=ngettext("%(count)d record has a problem; nothing was changed.",
                        "%(count)d records have problems; nothing was changed.", records) % {"count": records},
    )


class BookBatchView(APIView):
    permission_classes = BOOK_WRITERS
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="book_batch_upsert",
        summary="Upsert accounts and contacts",
        description=(
            "Each record has the customer file's columns (README: import_customers), checked by its rules. "
            "Accounts are keyed by account_id, contacts by account_id and email (any case). A batch with any "
            "bad record changes nothing and answers 422 listing every problem with its record's index. "
            "At most API_BOOK_BATCH_MAX records (default 1,000). Sending the same batch again changes nothing."
        ),
        request=inline_serializer("BookBatch", fields={"records": serializers.ListField(child=BookRecordSerializer)}),
        responses={200: BatchResultSerializer, 400: ProblemSerializer, 401: ProblemSerializer,
                   404: ProblemSerializer, 413: ProblemSerializer, 422: ProblemSerializer, 429: ProblemSerializer},
        examples=[OpenApiExample("One contact", request_only=True, value={"records": [{
            "account_id": "ACC-1001", "account_name": "Nordic Freight A/S", "region": "North",
            "regional_manager_email": "rikke.rm@example.com", "account_manager_email": "anders.am@example.com",
            "contact_email": "mette@nordicfreight.example", "contact_name": "Mette Jensen",
            "contact_phone": "+45 12 34 56 78", "contact_level": "executive", "language": "da"}]})],
    )
    def post(self, request):
        records = _list_of(request.data, "records")
        try:
            rows = book_records_parse(records)
        except BookFileInvalid as invalid:
            raise _invalid([{"index": p.line, "field": p.column or None, "detail": p.reason}
                            for p in invalid.problems])
        summary = book_rows_write(rows, by=request.user)
        return Response({
            "records": summary.rows,
            "accounts": {"created": summary.accounts_created, "updated": summary.accounts_updated,
                         "unchanged": summary.accounts_unchanged},
            "contacts": {"created": summary.contacts_created, "updated": summary.contacts_updated,
                         "unchanged": summary.contacts_unchanged, "suppressed": summary.contacts_suppressed},
            "regions": {"created": summary.regions_created, "updated": summary.regions_updated},
            "staff": {"created": len(summary.staff_created), "updated": summary.staff_updated},
        })


class AccountsDeactivateView(APIView):
    permission_classes = BOOK_WRITERS
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="book_accounts_deactivate",
        summary="Deactivate accounts",
        description=("Their contacts are surveyed no more; their history stays. All or nothing: an unknown "
                     "account_id changes nothing and answers 422 with its index. Deactivating an inactive "
                     "account changes nothing."),
        request=inline_serializer("AccountsDeactivate", fields={
            "account_ids": serializers.ListField(child=serializers.CharField())}),
        responses={200: _counts(name="AccountsDeactivated", deactivated=1, already_inactive=1),
                   400: ProblemSerializer, 401: ProblemSerializer, 404: ProblemSerializer,
                   413: ProblemSerializer, 422: ProblemSerializer, 429: ProblemSerializer},
    )
    def post(self, request):
        ids = _list_of(request.data, "account_ids")
        bad = [{"index": index, "field": "account_ids", "detail": _("not an account id (a non-empty string)")}
               for index, value in enumerate(ids) if not isinstance(value, str) or not value.strip()]
        if bad:
            raise _invalid(bad)
        try:
            deactivated, already = accounts_deactivate(external_ids=[value.strip() for value in ids],
                                                       by=request.user)
        except AccountsUnknown as error:
            raise _invalid([{"index": index, "field": "account_ids",
                             "detail": _("no account has the id '%(id)s'") % {"id": external_id}}
                            for index, external_id in error.unknown])
        return Response({"deactivated": deactivated, "already_inactive": already})
