"""Self-service links through the API: send a debtor a link to their own page
(/api/v1/debtors/{id}/self-service-links/), list them, and revoke one
(/api/v1/self-service-links/{id}/revoke/), for whoever may act on the debtor."""

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from collections_crm.api.exceptions import ErrorSerializer
from collections_crm.api.fields import IdField
from collections_crm.api.serializers import InputSerializer, ReadModelSerializer
from collections_crm.api.views import ApiView, ListApiView
from debtors.selectors import debtor_get_for_action
from selfservice.models import SelfServiceLink
from selfservice.services import LINK_CHANNELS, link_revoke, link_send


class SelfServiceLinkSerializer(ReadModelSerializer):
    state = serializers.SerializerMethodField(help_text=_("usable, expired, locked or revoked"))

    class Meta:
        model = SelfServiceLink
        fields = [
            "id",
            "debtor",
            "channel",
            "document",
            "created_by",
            "created_at",
            "expires_at",
            "failed_attempts",
            "locked_at",
            "revoked_at",
            "state",
        ]
        read_only_fields = fields

    def get_state(self, link) -> str:
        return link.state()


class SelfServiceLinkInputSerializer(InputSerializer):
    channel = serializers.ChoiceField(choices=LINK_CHANNELS)
    document = IdField(required=False, help_text=_("One of the debtor's documents: the message names it."))


class SelfServiceLinkListCreateApi(ListApiView):
    queryset = SelfServiceLink.objects.none()  # for the schema; get_queryset scopes every request
    serializer_class = SelfServiceLinkSerializer

    def get_queryset(self):
        debtor = debtor_get_for_action(self.request.user, self.kwargs["debtor_id"])
        return SelfServiceLink.objects.filter(debtor=debtor).order_by("-created_at", "-pk")

    @extend_schema(tags=["debtors"], summary="A debtor's self-service links")
    def get(self, request, *args, **kwargs):
        """The links sent to the debtor, newest first, with their state."""
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["debtors"],
        summary="Send a self-service link",
        request=SelfServiceLinkInputSerializer,
        responses={201: SelfServiceLinkSerializer, 409: ErrorSerializer, 400: ErrorSerializer, 404: ErrorSerializer},
    )
    def post(self, request, debtor_id: int):
        """A new link to the debtor's own page, queued on `channel` for the first lawful moment.

        409 when it cannot go: the portfolio offers no self-service page, the debtor has no
        national id to confirm identity with, no consented route on the channel, or the
        contact policy will never allow it (a hold)."""
        debtor = debtor_get_for_action(request.user, debtor_id)
        data = SelfServiceLinkInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        document = get_object_or_404(debtor.documents.all(), pk=values["document"]) if "document" in values else None
        try:
            link, _message = link_send(
                debtor=debtor,
                channel=values["channel"],
                by=request.user,
                base_url=request.build_absolute_uri("/"),
                document=document,
            )
        except ValidationError as error:
            code = getattr(error, "code", None) or "not_sendable"
            return Response({"detail": " ".join(error.messages), "code": code}, status=status.HTTP_409_CONFLICT)
        return Response(SelfServiceLinkSerializer(link).data, status=status.HTTP_201_CREATED)


class SelfServiceLinkRevokeApi(ApiView):
    @extend_schema(
        tags=["debtors"],
        summary="Revoke a self-service link",
        request=None,
        responses={200: SelfServiceLinkSerializer, 404: ErrorSerializer},
    )
    def post(self, request, link_id: int):
        """The link stops opening the debtor's page at once, open sessions included. Revoking twice changes nothing."""
        link = get_object_or_404(SelfServiceLink.objects.select_related("debtor"), pk=link_id)
        debtor_get_for_action(request.user, link.debtor_id)
        link_revoke(link=link, by=request.user)
        link.refresh_from_db()
        return Response(SelfServiceLinkSerializer(link).data)
