"""The keys each Intigriti response shape is known to carry.

``known`` is every key a source has seen (``shared/intigriti/openapi-v2.1.json``
for v2.x; ``API.md`` sections 4.5 and 4.8 for events and v1.2); a key outside it
is news worth one log line. ``modelled`` is the subset the parser turns into
model fields; everything else is kept raw in ``extra``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KeySet:
    modelled: frozenset[str]
    known: frozenset[str]


@dataclass(frozen=True)
class NestedKeySets:
    """Key sets by object: ``"."`` is the top level, other names are children."""

    modelled: dict[str, frozenset[str]]
    known: dict[str, frozenset[str]]


def _keys(text: str) -> frozenset[str]:
    return frozenset(text.split())


SUBMISSION_KEYS_V2 = NestedKeySets(
    modelled={
        ".": _keys(
            "code originators internalReference title report state severity reward"
            " createdAt assignee tags submitter lastUpdated webLinks"
        ),
        "originators": _keys("programId"),
        "report": _keys(
            "originalTitle type questions endpointVulnerableComponent pocDescription"
            " impact recommendedSolution attachments"
        ),
        "state": _keys("status closeReason"),
        "reward": _keys("totalPayout"),
        "lastUpdated": _keys("lastUpdatedAt"),
    },
    known={
        ".": _keys(
            "code originators internalReference title report state severity"
            " awaitingFeedback reward createdAt destroyed assignee tags groupId"
            " submitter lastUpdated attachmentCount webLinks integrationCount"
            " customFields aiSummary"
        ),
        "originators": _keys("programId pentestCode"),
        "report": _keys(
            "originalTitle type questions domain endpointVulnerableComponent"
            " pocDescription impact personalData recommendedSolution attachments ip"
        ),
        "state": _keys(
            "status closeReason duplicateInfo validatedAt acceptedAt closedAt"
            " archivedAt"
        ),
        "reward": _keys(
            "totalPayout totalBountyPayout totalBonusPayout possibleBounty"
            " totalRetestBountyPayout"
        ),
        "lastUpdated": _keys("lastUpdater lastUpdatedAt"),
    },
)

SUMMARY_KEYS_V2 = _keys(
    "code originators internalReference title severity state totalPayout createdAt"
    " lastUpdatedAt awaitingFeedback destroyed assignee tags groupId submitter"
    " collaboratorCount webLinks"
)

_V1_LIST_KEYS = (
    "code internalReference title originalTitle program type severity domain"
    " endpointVulnerableComponent state totalPayout createdAt lastUpdatedAt"
    " validatedAt acceptedAt closedAt archivedAt awaitingFeedback assignee"
    " researcher lastUpdater links webLinks submissionDetailUrl"
)
_V1_DETAIL_KEYS = (
    " questions pocDescription impact personalData recommendedSolution"
    " duplicatedSubmissionUrls daysOpen payouts totalBountyPayout totalBonusPayout"
    " destroyed tags attachments attachmentUrls files groupLegacy events"
    " integrationReferences"
)

SUBMISSION_KEYS_V1 = NestedKeySets(
    modelled={
        ".": _keys(
            "code internalReference title originalTitle program type severity"
            " endpointVulnerableComponent state createdAt lastUpdatedAt assignee"
            " researcher webLinks pocDescription impact recommendedSolution"
            " questions tags"
        ),
        "state": _keys("status closeReason duplicateSubmissionUrl"),
    },
    known={
        ".": _keys(_V1_LIST_KEYS + _V1_DETAIL_KEYS),
        "state": _keys("status closeReason duplicateSubmissionUrl"),
    },
)

EVENT_KEYS = KeySet(
    modelled=_keys("type createdAt visibility user"),
    known=_keys(
        "type createdAt visibility user from to message attachments"
        " destroyMessageMetadata lastEditedAt deletedAt amount payoutType payoutId"
        " attachmentUrls"
    ),
)

PROGRAM_KEYS_V2 = _keys(
    "id handle companyId companyHandle logoUrl name status confidentialityLevel"
    " webLinks type"
    " programId description options state maxConfidentialityLevel domain inScope"
    " outOfScope faq severityAssessment rulesOfEngagement submissionQuestions"
    " bountyTable attachmentCount bugBounty programBudget tacRequired tacEmpty"
    " identityCheckedRequired twoFactorRequired skipTriage awardRep"
    " allowResearcherCollaboration defaultAssignee createdAt lastUpdatedAt"
)

PROGRAM_KEYS_V1 = _keys(
    "id name handle logoUrl confidentialityLevel status statusTrigger"
)
