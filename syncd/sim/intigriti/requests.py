"""Request bodies of the company API, as strict pydantic models.

Each mirrors its OpenAPI schema (`EditStateCreateModel`, ...): the schemas
set `additionalProperties: false`, so unknown keys are refused (`extra =
"forbid"`), and types are checked strictly (a string is no integer).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class EditState(_Body):
    """EditStateCreateModel"""

    statusTrigger: int | None = None  # noqa: N815 - the wire name
    closeReason: int | None = None  # noqa: N815
    duplicateSubmission: str | None = None  # noqa: N815


class PlaceMessage(_Body):
    """PlaceInternalMessageCreateModel and PlaceExternalMessageCreateModel"""

    message: str | None = None


class InternalReferenceBody(_Body):
    """UpdateSubmissionInternalReferenceModel"""

    reference: str | None = None
    url: str | None = None


class SeverityBody(_Body):
    """UpdateSubmissionSeverityModel"""

    id: int | None = None
    vector: str | None = None


class TagBody(_Body):
    """AddSubmissionTagCreateModel"""

    tag: str | None = None


# Body schema name in the OpenAPI document -> model, for the consistency test.
SPEC_MODELS: dict[str, type[_Body]] = {
    "EditStateCreateModel": EditState,
    "PlaceInternalMessageCreateModel": PlaceMessage,
    "PlaceExternalMessageCreateModel": PlaceMessage,
    "UpdateSubmissionInternalReferenceModel": InternalReferenceBody,
    "UpdateSubmissionSeverityModel": SeverityBody,
    "AddSubmissionTagCreateModel": TagBody,
}
