"""Configuration of the Intigriti simulator, including its enumeration table.

Intigriti publishes no numeric ids for its `{id, value}` enumerations, so
every id the simulator shows comes from `EnumTables` (defaults: the GUESS
tables of ``shared/intigriti/API.md`` section 5). The rest of the simulator
speaks in *keys* (``"accepted"``, ``"duplicate"``) and asks the table for the
pair to show; a test that overrides an id therefore changes every response,
event and webhook at once.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator


class Enumeration(BaseModel):
    """One `{id, value}` pair as the API shows it."""

    model_config = ConfigDict(frozen=True)

    id: int
    value: str

    def view(self) -> dict[str, int | str]:
        return {"id": self.id, "value": self.value}


def _table(*values: str) -> dict[str, Enumeration]:
    """Build a table whose ids count from 1, keyed by the lowercased value."""
    return _keyed(*((value.lower().replace(" ", "_"), value) for value in values))


def _keyed(*pairs: tuple[str, str]) -> dict[str, Enumeration]:
    return {
        key: Enumeration(id=number, value=value)
        for number, (key, value) in enumerate(pairs, start=1)
    }


# Keys the simulator's behaviour depends on; a table may add more (an extra
# close reason, say) but may not drop these.
REQUIRED_KEYS: dict[str, frozenset[str]] = {
    "status": frozenset(
        {"draft", "triage", "pending", "accepted", "closed", "archived"}
    ),
    "close_reason": frozenset({"resolved", "duplicate"}),
    "status_trigger": frozenset({"accept", "close", "reopen", "archive"}),
    "severity": frozenset(
        {"undecided", "low", "medium", "high", "critical", "exceptional"}
    ),
    "event_type": frozenset(
        {
            "status_changed",
            "severity_changed",
            "message_placed",
            "assignee_changed",
            "payout_added",
            "tag_added",
            "tag_removed",
            "internal_reference_changed",
            "title_changed",
            "report_changed",
        }
    ),
    "visibility": frozenset({"everyone", "internal"}),
    "payout_type": frozenset({"bounty", "bonus"}),
}


class EnumTables(BaseModel):
    """Every enumeration the simulator shows, keyed by a stable name."""

    status: dict[str, Enumeration] = Field(
        default_factory=lambda: _table(
            "Draft", "Triage", "Pending", "Accepted", "Closed", "Archived"
        )
    )
    close_reason: dict[str, Enumeration] = Field(
        default_factory=lambda: _table(
            "Resolved",
            "Duplicate",
            "Accepted risk",
            "Informative",
            "Out of scope",
            "Spam",
            "Not applicable",
        )
    )
    status_trigger: dict[str, Enumeration] = Field(
        default_factory=lambda: {
            "accept": Enumeration(id=1, value="Accept"),
            "close": Enumeration(id=2, value="Close"),
            "reopen": Enumeration(id=3, value="Reopen"),
            "archive": Enumeration(id=4, value="Archive"),
        }
    )
    severity: dict[str, Enumeration] = Field(
        default_factory=lambda: _table(
            "Undecided", "Low", "Medium", "High", "Critical", "Exceptional"
        )
    )
    # Ids 1-6 follow API.md section 5.6; 7-10 are this simulator's own GUESS.
    event_type: dict[str, Enumeration] = Field(
        default_factory=lambda: _keyed(
            ("status_changed", "StatusChanged"),
            ("severity_changed", "SeverityChanged"),
            ("message_placed", "MessagePlaced"),
            ("assignee_changed", "AssigneeChanged"),
            ("payout_added", "PayoutAdded"),
            ("tag_added", "TagAdded"),
            ("tag_removed", "TagRemoved"),
            ("internal_reference_changed", "InternalReferenceChanged"),
            ("title_changed", "TitleChanged"),
            ("report_changed", "ReportChanged"),
        )
    )
    visibility: dict[str, Enumeration] = Field(
        default_factory=lambda: _table("Everyone", "Internal")
    )
    payout_type: dict[str, Enumeration] = Field(
        default_factory=lambda: _table("Bounty", "Bonus", "Retest bounty")
    )
    payout_status: dict[str, Enumeration] = Field(
        default_factory=lambda: _table("Pending", "Approved", "Paid")
    )
    streak: dict[str, Enumeration] = Field(
        default_factory=lambda: _table("Cold", "Warm", "Hot", "Legendary")
    )
    confidentiality: dict[str, Enumeration] = Field(
        default_factory=lambda: _table(
            "InviteOnly", "Application", "Registered", "Public"
        )
    )
    program_status: dict[str, Enumeration] = Field(
        default_factory=lambda: _table(
            "Draft", "Scheduled", "Open", "Suspended", "Closing"
        )
    )
    program_status_trigger: dict[str, Enumeration] = Field(
        default_factory=lambda: _table("Publish", "Suspend", "Close")
    )
    program_type: dict[str, Enumeration] = Field(
        default_factory=lambda: _table("BugBounty", "Hybrid")
    )
    domain_type: dict[str, Enumeration] = Field(
        default_factory=lambda: _table(
            "Url", "Android", "iOS", "IpRange", "Device", "Other", "Wildcard"
        )
    )
    domain_tier: dict[str, Enumeration] = Field(
        default_factory=lambda: _table(
            "No bounty", "Tier 3", "Tier 2", "Tier 1", "Out of scope"
        )
    )
    question_type: dict[str, Enumeration] = Field(
        default_factory=lambda: _table("Text", "SingleChoice")
    )
    custom_field_type: dict[str, Enumeration] = Field(
        default_factory=lambda: _table("Text", "Number")
    )

    @model_validator(mode="after")
    def _check(self) -> EnumTables:
        for name, required in REQUIRED_KEYS.items():
            missing = required - set(getattr(self, name))
            if missing:
                raise ValueError(f"enum table {name!r} lacks {sorted(missing)}")
        for name in type(self).model_fields:
            ids = [entry.id for entry in getattr(self, name).values()]
            if len(ids) != len(set(ids)):
                raise ValueError(f"enum table {name!r} repeats an id")
        return self

    def entry(self, table: str, key: str) -> Enumeration:
        """The pair shown for `key`; KeyError if the table lacks it."""
        entries: dict[str, Enumeration] = getattr(self, table)
        return entries[key]

    def view(self, table: str, key: str | None) -> dict[str, int | str] | None:
        return None if key is None else self.entry(table, key).view()

    def key_of(self, table: str, entry_id: int) -> str | None:
        """The key whose id is `entry_id`, or None when the table lacks it."""
        entries: dict[str, Enumeration] = getattr(self, table)
        for key, entry in entries.items():
            if entry.id == entry_id:
                return key
        return None


class IntigritiSimConfig(BaseModel):
    """Everything one simulated Intigriti tenant needs; built once, read-only."""

    model_config = ConfigDict(frozen=True)

    company_handle: str = "kestrelworks"
    company_name: str = "Kestrel Works"
    company_id: str = "5b0d7c3e-2f4a-4e1b-9c6d-8a7f3e2d1c0b"
    currency: str = "EUR"

    client_id: str = "syncd-sim-client"
    client_secret: SecretStr = SecretStr("syncd-sim-client-secret")
    static_token: SecretStr | None = SecretStr("syncd-sim-static-token")
    token_ttl_seconds: int = Field(default=14 * 24 * 3600, ge=1)
    authorization_code_ttl_seconds: int = Field(default=300, ge=1)
    scopes: tuple[str, ...] = (
        "company_external_api",
        "core_platform:read",
        "core_platform:write",
        "reward_system:read",
        "reward_system:write",
        "offline_access",
        "external_api",
    )
    # Any one of these grants access to the submission and program paths.
    api_scopes: tuple[str, ...] = ("company_external_api", "external_api")
    client_credentials_scope: str = "company_external_api"

    attachment_ttl_seconds: int = Field(default=3600, ge=1)
    attachment_size_bytes: int = Field(default=4096, ge=0)
    file_secret: SecretStr = SecretStr("syncd-sim-file-signing-key")

    webhook_url: str | None = None
    webhook_secret: SecretStr = SecretStr("syncd-sim-webhook-secret")
    webhook_timeout_seconds: float = 5.0

    seed: int = 1
    size: int = Field(default=40, ge=0)
    # Seeded timestamps lie in the years before this instant (2025-06-01 UTC)
    # rather than before "now", so the same seed gives the same corpus on any
    # day.
    seed_anchor: int = 1748736000
    portal_url: str = "https://app.intigriti.example"

    enums: EnumTables = Field(default_factory=EnumTables)
