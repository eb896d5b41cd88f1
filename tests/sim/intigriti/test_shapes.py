"""Shapes of v2.1, v2 and v1.2 responses, and the validator itself."""

from __future__ import annotations

import httpx
import pytest
from openapi_core.validation.response.exceptions import InvalidData

from syncd.sim.intigriti.requests import SPEC_MODELS
from tests.openapi_spec import raw_spec, validate_response

from .conftest import Sim

V21 = "/external/company/v2.1"


def _accepted_code(sim: Sim) -> str:
    return next(s.code for s in sim.store.submissions() if s.status == "accepted")


def test_destroyed_is_bool_in_lists_and_null_in_detail(sim: Sim) -> None:
    item = sim.client.get(f"{V21}/submissions").json()[0]

    detail = sim.client.get(f"{V21}/submissions/{item['code']}").json()

    assert (item["destroyed"], detail["destroyed"]) == (False, None)


def test_program_overview_has_id_and_detail_has_program_id(sim: Sim) -> None:
    overview = sim.client.get(f"{V21}/programs").json()[0]

    detail = sim.client.get(f"{V21}/programs/{overview['id']}").json()

    assert "programId" not in overview
    assert detail["programId"] == overview["id"]
    assert "id" not in detail


def test_v2_paths_answer_like_v21(sim: Sim) -> None:
    code = _accepted_code(sim)

    v2 = sim.client.get(f"/external/company/v2/submissions/{code}").json()
    v21 = sim.client.get(f"{V21}/submissions/{code}").json()

    v2["report"].pop("attachments"), v21["report"].pop("attachments")
    assert v2 == v21


def test_v12_item_is_flat(sim: Sim) -> None:
    code = _accepted_code(sim)
    item = next(
        i
        for i in sim.client.get("/external/v1.2/submissions").json()
        if i["code"] == code
    )
    sub = sim.store.submission(code)

    assert "report" not in item and "submitter" not in item
    assert item["researcher"]["userName"] == sub.submitter.user_name
    assert item["totalPayout"] == sum(p.amount for p in sub.payouts)
    assert item["acceptedAt"] == sub.accepted_at
    assert item["type"] == sub.report.type.model_dump()
    assert item["program"]["handle"] in {p.handle for p in sim.store.programs()}
    assert item["webLinks"] == item["links"]


def test_v12_detail_adds_report_fields_and_events(sim: Sim) -> None:
    code = _accepted_code(sim)
    sub = sim.store.submission(code)

    detail = sim.client.get(f"/external/v1.2/submissions/{code}").json()

    assert detail["pocDescription"] == sub.report.poc_description
    assert detail["program"]["id"] == sub.program_id
    assert len(detail["events"]) == len(sub.events)
    assert detail["payouts"][0]["amount"] == sub.payouts[0].amount
    assert detail["state"]["duplicateSubmissionUrl"] is None


def test_request_models_match_the_spec_request_schemas() -> None:
    schemas = raw_spec()["components"]["schemas"]

    for name, model in SPEC_MODELS.items():
        assert schemas[name]["additionalProperties"] is False
        assert set(schemas[name]["properties"]) == set(model.model_fields)


def test_validator_rejects_a_response_the_spec_forbids(sim: Sim) -> None:
    request = httpx.Request("GET", f"{sim.url}{V21}/submissions")
    bad = httpx.Response(200, json=[{"code": "X", "surprise": 1}], request=request)

    with pytest.raises(InvalidData):
        validate_response(bad)


def test_the_suite_validated_what_it_fetched(sim: Sim) -> None:
    code = _accepted_code(sim)
    sim.client.get(f"{V21}/submissions/{code}/events")
    sim.client.get("/external/v1.2/submissions")

    assert sim.validated == [f"GET {V21}/submissions/{code}/events"]
