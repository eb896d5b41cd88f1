"""A deterministic corpus: the same `seed` and `size` give the same tenant.

Submissions get realistic titles, CWE-tagged types, CVSS 3.1 vectors with
scores computed from them, researcher HTML (paragraphs, lists, code, tables,
links, non-ASCII text) and a lifecycle history of status changes, messages,
tags and payouts spread over the three years before `config.seed_anchor`.
All randomness comes from `random.Random` seeded by the config, never from
the clock, so two runs on different days agree.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

from . import seed_data as data
from .config import IntigritiSimConfig
from .cvss import InvalidVectorError, base_score, severity_key
from .errors import BadRequestError
from .history import play_lifecycle
from .model import (
    Attachment,
    Corpus,
    Domain,
    Person,
    Program,
    Question,
    Report,
    SeveritySnapshot,
    Submission,
    VulnerabilityType,
)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
YEAR = 365 * 86400
REPORT_FIELDS = frozenset(
    {
        "original_title",
        "motivation",
        "endpoint",
        "poc_description",
        "impact",
        "recommended_solution",
        "personal_data",
        "ip",
    }
)
CREATE_FIELDS = REPORT_FIELDS | {
    "title",
    "program_id",
    "severity",
    "vector",
    "status",
    "type",
    "researcher",
    "tags",
    "attachments",
    "created_at",
}
FINAL_STATUSES = [
    ("draft", 4),
    ("triage", 12),
    ("pending", 20),
    ("accepted", 24),
    ("closed", 28),
    ("archived", 12),
]


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def next_attachment_code(corpus: Corpus) -> int:
    codes = [a.code for s in corpus.submissions for a in s.report.attachments]
    return max(codes, default=90000) + 1


def fallback_company_user(config: IntigritiSimConfig) -> Person:
    return Person(
        user_id=str(uuid.UUID(int=config.seed, version=4)),
        user_name=f"{config.company_handle}.api",
        role="ProgramAdmin",
        email=f"api@{config.company_handle}.example",
    )


def generate(config: IntigritiSimConfig) -> Corpus:
    rng = random.Random(f"intigriti-sim:{config.seed}")
    corpus = Corpus(
        programs=_programs(rng, config),
        company_users=[
            Person(
                user_id=_uuid(rng),
                user_name=name,
                role=role,
                email=f"{name}@{config.company_handle}.example",
            )
            for name, role in data.COMPANY_USERS
        ],
        researchers=[_researcher(rng, name) for name in data.RESEARCHERS],
    )
    start = config.seed_anchor - 3 * YEAR
    times = sorted(
        rng.randint(start, config.seed_anchor - 2 * 86400) for _ in range(config.size)
    )
    for created_at in times:
        sub = _draft(rng, config, corpus, created_at)
        corpus.submissions.append(sub)
        status = rng.choices(
            [s for s, _ in FINAL_STATUSES], [w for _, w in FINAL_STATUSES]
        )[0]
        play_lifecycle(rng, corpus, sub, status, config.seed_anchor)
    return corpus


def _programs(rng: random.Random, config: IntigritiSimConfig) -> list[Program]:
    count = min(len(data.PROGRAMS), 3 + config.size // 100)
    created = config.seed_anchor - 4 * YEAR
    base = f"{config.company_handle}.example"
    programs = []
    for handle, name, host, description in data.PROGRAMS[:count]:
        domains = [
            Domain(
                id=_uuid(rng),
                asset_id=_uuid(rng),
                type="url",
                endpoint=f"{host}.{base}",
                tier="tier_1",
                description=description,
            ),
            Domain(
                id=_uuid(rng),
                asset_id=_uuid(rng),
                type="wildcard",
                endpoint=f"*.{host}.{base}",
                tier="tier_2",
                description=f"{description}, other hosts",
            ),
        ]
        programs.append(
            Program(
                id=_uuid(rng),
                handle=handle,
                name=name,
                description=f"<p>{description} of {config.company_name}.</p>",
                domains=domains,
                in_scope=f"<ul><li>{domains[0].endpoint}</li></ul>",
                out_of_scope="<ul><li>Denial of service</li></ul>",
                created_at=created,
                last_updated_at=created + rng.randint(0, YEAR),
            )
        )
    return programs


def _researcher(rng: random.Random, name: str) -> Person:
    return Person(
        user_id=_uuid(rng),
        user_name=name,
        role="Researcher",
        rank=rng.randint(1, 5000),
        reputation=rng.randint(10, 12000),
        streak=rng.choice(["cold", "warm", "hot", "legendary"]),
        identity_checked=rng.random() < 0.6,
    )


def _code(rng: random.Random, config: IntigritiSimConfig, corpus: Corpus) -> str:
    taken = {sub.code for sub in corpus.submissions}
    while True:
        suffix = "".join(rng.choice(CODE_ALPHABET) for _ in range(8))
        code = f"{config.company_handle.upper()}-{suffix}"
        if code not in taken:
            return code


def _draft(
    rng: random.Random, config: IntigritiSimConfig, corpus: Corpus, created_at: int
) -> Submission:
    """A freshly submitted report in Triage, before any history."""
    program = rng.choice(corpus.programs)
    domain = rng.choice(program.domains)
    name, category, cwe, titles = rng.choice(data.VULNERABILITY_TYPES)
    words = {
        "feature": rng.choice(data.FEATURES),
        "audience": rng.choice(data.AUDIENCES),
        "param": rng.choice(data.PARAMS),
        "object": rng.choice(data.OBJECTS),
    }
    title = rng.choice(titles).format(**words)
    host = domain.endpoint.replace("*", "eu1")
    endpoint = f"https://{host}/api/v2/{rng.choice(['orders', 'users', 'files'])}"
    vector = rng.choice(data.VECTORS[cwe])
    score = base_score(vector)
    next_code = next_attachment_code(corpus)
    report = Report(
        original_title=title.split(" via ")[0],
        type=VulnerabilityType(name=name, category=category, cwe=cwe),
        domain_id=domain.id,
        endpoint=endpoint,
        poc_description=_poc_html(rng, host, endpoint, words["param"]),
        impact=f"<p>An attacker can abuse {words['feature']} against "
        f"{words['audience']}; see the table above.</p>",
        recommended_solution="<p>Validate and encode on the server side.</p>",
        personal_data=rng.random() < 0.2,
        ip=f"198.51.100.{rng.randint(1, 254)}",
        questions=[
            Question(
                question="Which browser did you use?",
                answer=f"<p>{rng.choice(['Firefox 128', 'Chromium 126', 'Safari 17'])}"
                "</p>",
            )
        ],
        attachments=[
            Attachment(code=next_code + i, name=f"poc-{i + 1}.png")
            for i in range(rng.randint(0, 2))
        ],
    )
    submitter = rng.choice(corpus.researchers)
    bounty = {"low": 150.0, "medium": 500.0, "high": 1500.0, "critical": 4000.0}
    key = severity_key(score)
    return Submission(
        code=_code(rng, config, corpus),
        program_id=program.id,
        title=title[:1].upper() + title[1:],
        report=report,
        severity=SeveritySnapshot(key=key, vector=vector, score=score),
        possible_bounty=bounty.get(key),
        created_at=created_at,
        last_updated_at=created_at,
        last_updater=submitter,
        submitter=submitter,
    )


def _poc_html(rng: random.Random, host: str, endpoint: str, param: str) -> str:
    browser = rng.choice(["Firefox 128", "Chromium 126"])
    note = rng.choice(
        [
            "Größe der Antwort: 3 KB — the naïve filter is bypassed.",
            "Le champ « nom » accepte aussi des caractères accentués : é, ç.",
            "日本語のテキストもそのまま返されます。",
        ]
    )
    return (
        f'<p>While testing <a href="https://{host}/">{host}</a> I found that '
        f"the <code>{param}</code> parameter reaches the response unencoded.</p>"
        "<h3>Steps to reproduce</h3><ol>"
        "<li>Sign in as an ordinary user.</li>"
        f"<li>Send the request below to <code>{endpoint}</code>.</li>"
        "<li>Observe the payload in the rendered page.</li></ol>"
        f"<pre><code>GET {endpoint}?{param}=%22%3E%3Csvg%2Fonload%3Dalert(1)%3E "
        f"HTTP/1.1\nHost: {host}\nAccept: */*</code></pre>"
        "<table><thead><tr><th>Browser</th><th>Result</th></tr></thead><tbody>"
        f"<tr><td>{browser}</td><td>✔ reproduced</td></tr>"
        "<tr><td>curl 8.5</td><td>✔ reflected</td></tr></tbody></table>"
        f"<p>{note}</p>"
    )


def new_submission(
    config: IntigritiSimConfig,
    corpus: Corpus,
    number: int,
    fields: dict[str, Any],
    now: int,
) -> Submission:
    """A submission as a researcher files it; `fields` override the defaults."""
    unknown = set(fields) - CREATE_FIELDS
    if unknown:
        raise BadRequestError(f"unknown fields {sorted(unknown)}")
    if not corpus.programs:
        raise BadRequestError("the tenant has no program")
    rng = random.Random(f"intigriti-sim:{config.seed}:created:{number}")
    sub = _draft(rng, config, corpus, int(fields.get("created_at", now)))
    sub.status = str(fields.get("status", "triage"))
    if sub.status not in ("draft", "triage"):
        raise BadRequestError("a new submission is draft or triage")
    _apply_fields(config, corpus, sub, fields)
    return sub


def _apply_fields(
    config: IntigritiSimConfig, corpus: Corpus, sub: Submission, fields: dict[str, Any]
) -> None:
    if "program_id" in fields:
        program = next(
            (p for p in corpus.programs if p.id == fields["program_id"]), None
        )
        if program is None:
            raise BadRequestError(f"program {fields['program_id']} does not exist")
        sub.program_id = program.id
        sub.report.domain_id = program.domains[0].id if program.domains else None
    if "researcher" in fields:
        name = str(fields["researcher"])
        known = {p.user_name: p for p in corpus.researchers}
        sub.submitter = known.get(name) or Person(
            user_id=str(uuid.uuid5(uuid.NAMESPACE_URL, name)),
            user_name=name,
            role="Researcher",
        )
        sub.last_updater = sub.submitter
    if "title" in fields:
        sub.title = str(fields["title"])
    if "type" in fields:
        sub.report.type = VulnerabilityType.model_validate(fields["type"])
    if "vector" in fields or "severity" in fields:
        vector = fields.get("vector")
        try:
            score = None if vector is None else base_score(str(vector))
        except InvalidVectorError as error:
            raise BadRequestError(str(error)) from error
        key = fields.get("severity") or severity_key(score or 0.0)
        if key not in config.enums.severity:
            raise BadRequestError(f"unknown severity {key!r}")
        sub.severity = SeveritySnapshot(key=key, vector=vector, score=score)
    sub.tags = list(fields.get("tags", []))
    if "attachments" in fields:
        first = next_attachment_code(corpus)
        sub.report.attachments = [
            Attachment(code=first + i, name=f"poc-{i + 1}.png")
            for i in range(int(fields["attachments"]))
        ]
    report = sub.report.model_dump() | {
        k: v for k, v in fields.items() if k in REPORT_FIELDS
    }
    sub.report = Report.model_validate(report)
