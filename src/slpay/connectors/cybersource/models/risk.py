"""Decision Manager case actions (POST ``/risk/v1/decisions/{id}/actions``, FACTS §5.2)."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from pydantic import Field

from slpay.connectors.cybersource.models.common import Links, Wire, parse_utc

ACCEPT: Final = "ACCEPT"
REJECT: Final = "REJECT"
ACCEPTED: Final = "ACCEPTED"
REJECTED: Final = "REJECTED"


class DecisionInformation(Wire):
    decision: str
    comments: str | None = None


class ActionProcessingInformation(Wire):
    #: ``["CAPTURE"]`` with ACCEPT, ``["REVERSE"]`` with REJECT.
    action_list: list[str] | None = None


class DecisionActionRequest(Wire):
    decision_information: DecisionInformation
    processing_information: ActionProcessingInformation | None = None


class FollowOnAction(Wire):
    status: str | None = None
    links: Links | None = Field(default=None, alias="_links")


class DecisionActionEmbedded(Wire):
    capture: FollowOnAction | None = None
    reversal: FollowOnAction | None = None


class DecisionActionResponse(Wire):
    """201: ``status`` ``ACCEPTED`` | ``REJECTED`` and the follow-on capture or reversal."""

    id: str | None = None
    submit_time_utc: str | None = None
    status: str | None = None
    embedded: DecisionActionEmbedded | None = Field(default=None, alias="_embedded")

    @property
    def submitted_at(self) -> datetime | None:
        return parse_utc(self.submit_time_utc)
