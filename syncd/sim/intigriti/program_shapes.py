"""JSON shapes of programs: `ProgramOverviewViewModel` and
`ProgramDetailViewModel` of the OpenAPI document (overview `id`, detail
`programId`, API.md section 8 quirk 3)."""

from __future__ import annotations

from .config import IntigritiSimConfig
from .model import Program
from .shapes import Json


def _program_link(config: IntigritiSimConfig, program: Program) -> str:
    return f"{config.portal_url}/company/programs/{program.id}/detail"


def program_overview(config: IntigritiSimConfig, program: Program) -> Json:
    enums = config.enums
    return {
        "id": program.id,
        "handle": program.handle,
        "companyId": config.company_id,
        "companyHandle": config.company_handle,
        "logoUrl": None,
        "name": program.name,
        "status": enums.view("program_status", program.status),
        "confidentialityLevel": enums.view("confidentiality", program.confidentiality),
        "webLinks": {"details": _program_link(config, program)},
        "type": enums.view("program_type", program.type),
    }


def _domain_views(config: IntigritiSimConfig, program: Program) -> list[Json]:
    enums = config.enums
    return [
        {
            "id": domain.id,
            "companyAssetId": domain.asset_id,
            "type": enums.view("domain_type", domain.type),
            "endpoint": domain.endpoint,
            "tier": enums.view("domain_tier", domain.tier),
            "description": domain.description,
            "requiredSkills": [],
        }
        for domain in program.domains
    ]


def _bounty_table(config: IntigritiSimConfig, program: Program) -> list[Json]:
    enums = config.enums
    ranges = [
        ("low", 0.1, 3.9, 50.0, 250.0),
        ("medium", 4.0, 6.9, 250.0, 1000.0),
        ("high", 7.0, 8.9, 1000.0, 3000.0),
        ("critical", 9.0, 10.0, 3000.0, 7500.0),
    ]
    money = config.currency
    return [
        {
            "bountyRows": [
                {
                    "bountyTier": enums.view("domain_tier", "tier_1"),
                    "bountyRanges": [
                        {
                            "minBounty": {"value": low, "currency": money},
                            "maxBounty": {"value": high, "currency": money},
                            "minScore": min_score,
                            "maxScore": max_score,
                            "severity": enums.view("severity", key),
                        }
                        for key, min_score, max_score, low, high in ranges
                    ],
                }
            ],
            "createdAt": program.created_at,
        }
    ]


def program_detail(config: IntigritiSimConfig, program: Program) -> Json:
    enums = config.enums
    money = config.currency
    return {
        "programId": program.id,
        "handle": program.handle,
        "name": program.name,
        "companyId": config.company_id,
        "companyHandle": config.company_handle,
        "description": program.description,
        "options": [],
        "state": {
            "status": enums.view("program_status", program.status),
            "lastStatusTriggerId": enums.view("program_status_trigger", "publish"),
        },
        "confidentialityLevel": enums.view("confidentiality", program.confidentiality),
        "maxConfidentialityLevel": enums.view("confidentiality", "public"),
        "logoUrl": None,
        "domain": _domain_views(config, program),
        "inScope": {"content": program.in_scope, "attachments": []},
        "outOfScope": {"content": program.out_of_scope, "attachments": []},
        "faq": {"content": None, "attachments": []},
        "severityAssessment": {"content": None, "attachments": []},
        "rulesOfEngagement": {
            "content": {
                "description": "<p>Test only with accounts you own.</p>",
                "testingRequirements": {
                    "intigritiMe": True,
                    "automatedTooling": 1,
                    "userAgent": "Intigriti",
                    "requestHeader": "X-Bug-Bounty: intigriti",
                },
                "safeHarbour": True,
                "createdAt": program.created_at,
            },
            "attachments": [],
        },
        "submissionQuestions": [],
        "bountyTable": _bounty_table(config, program),
        "attachmentCount": 0,
        "bugBounty": {"autoSuspendThreshold": None, "leaderboardVisibility": None},
        "type": enums.view("program_type", program.type),
        "programBudget": {
            "budgetLeft": {"value": 50000.0, "currency": money},
            "budgetSpent": {"value": 0.0, "currency": money},
            "budgetInValidation": {"value": 0.0, "currency": money},
            "budgetTotal": {"value": 50000.0, "currency": money},
        },
        "tacRequired": False,
        "tacEmpty": True,
        "identityCheckedRequired": False,
        "twoFactorRequired": False,
        "skipTriage": False,
        "awardRep": True,
        "allowResearcherCollaboration": True,
        "defaultAssignee": None,
        "createdAt": program.created_at,
        "lastUpdatedAt": program.last_updated_at,
        "webLinks": {
            "details": _program_link(config, program),
            "submissions": f"{config.portal_url}/company/programs/{program.id}"
            "/submissions",
        },
    }
