"""Word lists for the seeded corpus. Every name, handle and domain here is
invented; domains use the reserved `.example` TLD."""

from __future__ import annotations

# (name, category, cwe, title templates, CVSS metric choices for C/I/A)
VULNERABILITY_TYPES: list[tuple[str, str, str, list[str]]] = [
    (
        "Cross-Site Scripting (Stored)",
        "Injection",
        "cwe-79",
        [
            "Stored XSS in {feature} rendered to {audience}",
            "Persistent script injection through {feature}",
        ],
    ),
    (
        "Cross-Site Scripting (Reflected)",
        "Injection",
        "cwe-79",
        ["Reflected XSS in the {param} parameter of {feature}"],
    ),
    (
        "SQL Injection",
        "Injection",
        "cwe-89",
        ["Blind SQL injection in {feature} via {param}", "SQLi in {feature} export"],
    ),
    (
        "Insecure Direct Object Reference",
        "Broken Access Control",
        "cwe-639",
        [
            "IDOR lets any user read other tenants' {object}",
            "Changing {param} exposes {object} of other accounts",
        ],
    ),
    (
        "Server-Side Request Forgery",
        "Server-Side Request Forgery",
        "cwe-918",
        ["SSRF through the {feature} URL fetcher reaches internal metadata"],
    ),
    (
        "Information Exposure",
        "Information Disclosure",
        "cwe-200",
        ["Verbose error on {feature} discloses internal hostnames"],
    ),
    (
        "Open Redirect",
        "Unvalidated Redirects",
        "cwe-601",
        ["Open redirect in {feature} via the {param} parameter"],
    ),
    (
        "Cross-Site Request Forgery",
        "Broken Access Control",
        "cwe-352",
        ["CSRF on {feature} changes the victim's {object}"],
    ),
    (
        "Improper Authentication",
        "Broken Authentication",
        "cwe-287",
        ["Password reset token in {feature} is never invalidated"],
    ),
    (
        "Path Traversal",
        "Injection",
        "cwe-22",
        ["Path traversal in {feature} download reads arbitrary files"],
    ),
]

# Plausible vectors per CWE family; the score is always computed from them.
VECTORS: dict[str, list[str]] = {
    "cwe-79": [
        "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:H/A:N",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
    ],
    "cwe-89": [
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1/AV:N/AC:H/PR:L/UI:N/S:U/C:H/I:N/A:N",
    ],
    "cwe-639": [
        "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N",
        "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:L/A:N",
    ],
    "cwe-918": ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:L/A:N"],
    "cwe-200": [
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N",
        "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:N/A:N",
    ],
    "cwe-601": ["CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:N"],
    "cwe-352": ["CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:H/A:N"],
    "cwe-287": ["CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:H/A:N"],
    "cwe-22": ["CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N"],
}

FEATURES = [
    "order notes",
    "the invoice PDF generator",
    "profile avatars",
    "the support chat",
    "team invitations",
    "webhook settings",
    "the CSV import",
    "the search page",
    "saved addresses",
    "API key management",
]
AUDIENCES = ["support agents", "administrators", "other tenants", "every visitor"]
PARAMS = ["returnUrl", "id", "accountId", "q", "next", "file", "templateId"]
OBJECTS = ["invoices", "shipping addresses", "API keys", "e-mail settings"]

PROGRAMS = [
    ("kestrel-web", "Kestrel Works Web Platform", "www", "Customer web shop"),
    ("kestrel-api", "Kestrel Works Public API", "api", "Public REST APIs"),
    ("kestrel-mobile", "Kestrel Works Mobile Apps", "m", "Mobile back-ends"),
    ("kestrel-support", "Kestrel Works Support Portal", "support", "Help desk"),
    ("kestrel-pay", "Kestrel Works Payments", "pay", "Checkout and billing"),
]

RESEARCHERS = [
    "quietlark",
    "brasswren",
    "tinfoilheron",
    "nachtfalter",
    "søren_probe",
    "zorzal",
    "mirage_owl",
    "kabuto",
    "driftwood",
    "päivi_sec",
    "lanternfish",
    "ochre_moth",
]
COMPANY_USERS = [
    ("m.okafor", "ProgramAdmin"),
    ("triage.lena", "Triager"),
    ("j.delacroix", "ProgramAdmin"),
    ("triage.arjun", "Triager"),
]

MESSAGES_EXTERNAL = [
    "<p>Thanks for the report! We could reproduce it and forwarded it.</p>",
    "<p>Could you share the exact request you used? Merci beaucoup.</p>",
    "<p>A fix is deployed to staging; please retest when you can.</p>",
    "<p>Retest done — the payload is now encoded. 👍</p>",
]
MESSAGES_INTERNAL = [
    "<p>Reproduced on staging, forwarding to the owning team.</p>",
    "<p>Same root cause as last quarter's finding; link them.</p>",
    "<p>Risk owner agreed, ticket raised.</p>",
]
TAGS = ["xss", "auth", "api", "legacy", "needs-retest", "pii", "quick-win"]
