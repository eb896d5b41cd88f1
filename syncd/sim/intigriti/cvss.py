"""CVSS 3.1 base scores, so every simulated vector and score agree.

The arithmetic follows the FIRST CVSS v3.1 specification, section 7.1 and
appendix A (the "roundup" that avoids floating-point surprises).
"""

from __future__ import annotations

import math

_WEIGHTS: dict[str, dict[str, float]] = {
    "AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2},
    "AC": {"L": 0.77, "H": 0.44},
    "UI": {"N": 0.85, "R": 0.62},
    "C": {"H": 0.56, "L": 0.22, "N": 0.0},
    "I": {"H": 0.56, "L": 0.22, "N": 0.0},
    "A": {"H": 0.56, "L": 0.22, "N": 0.0},
}
_PRIVILEGES = {
    "U": {"N": 0.85, "L": 0.62, "H": 0.27},
    "C": {"N": 0.85, "L": 0.68, "H": 0.5},
}
METRICS = ("AV", "AC", "PR", "UI", "S", "C", "I", "A")
PREFIX = "CVSS:3.1/"


class InvalidVectorError(ValueError):
    """The text is not a complete CVSS 3.1 base vector."""


def parse(vector: str) -> dict[str, str]:
    if not vector.startswith(PREFIX):
        raise InvalidVectorError(f"vector must start with {PREFIX}")
    parts = dict(
        part.split(":", 1) for part in vector[len(PREFIX) :].split("/") if ":" in part
    )
    if list(parts) != list(METRICS):
        raise InvalidVectorError("vector needs AV, AC, PR, UI, S, C, I, A in order")
    if parts["S"] not in _PRIVILEGES or parts["PR"] not in _PRIVILEGES["U"]:
        raise InvalidVectorError("bad S or PR value")
    for metric, weights in _WEIGHTS.items():
        if parts[metric] not in weights:
            raise InvalidVectorError(f"bad {metric} value")
    return parts


def _roundup(value: float) -> float:
    scaled = round(value * 100_000)
    if scaled % 10_000 == 0:
        return scaled / 100_000.0
    return (math.floor(scaled / 10_000) + 1) / 10.0


def base_score(vector: str) -> float:
    """The base score of a CVSS 3.1 vector; raises InvalidVectorError."""
    metrics = parse(vector)
    changed = metrics["S"] == "C"
    confidentiality, integrity, availability = (
        _WEIGHTS[name][metrics[name]] for name in ("C", "I", "A")
    )
    iss = 1 - (1 - confidentiality) * (1 - integrity) * (1 - availability)
    impact = 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 if changed else 6.42 * iss
    exploitability = (
        8.22
        * _WEIGHTS["AV"][metrics["AV"]]
        * _WEIGHTS["AC"][metrics["AC"]]
        * _PRIVILEGES[metrics["S"]][metrics["PR"]]
        * _WEIGHTS["UI"][metrics["UI"]]
    )
    if impact <= 0:
        return 0.0
    total = impact + exploitability
    return _roundup(min(1.08 * total if changed else total, 10.0))


def severity_key(score: float) -> str:
    """The qualitative rating of section 5 as a severity-table key."""
    if score == 0:
        return "undecided"
    if score < 4.0:
        return "low"
    if score < 7.0:
        return "medium"
    if score < 9.0:
        return "high"
    return "critical"
