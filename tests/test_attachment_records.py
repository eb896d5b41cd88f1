"""Redis records of copied attachments: reads, claims and their release."""

from __future__ import annotations

import pytest
import redis

from syncd.attachment_records import AttachmentRecords


@pytest.fixture
def client(redis_url: str) -> redis.Redis:
    return redis.Redis.from_url(redis_url, decode_responses=True)


@pytest.fixture
def records(client: redis.Redis) -> AttachmentRecords:
    return AttachmentRecords(client, "test")


def test_not_copied_reads_every_record_at_once(records: AttachmentRecords) -> None:
    records.record("ACME-1", 2, "10002")

    assert records.not_copied("ACME-1", [1, 2, 3]) == [1, 3]
    assert records.not_copied("ACME-1", []) == []


def test_a_claim_says_whether_an_upload_was_in_flight(
    records: AttachmentRecords,
) -> None:
    records.mark_sending("ACME-1", 1)

    claim = records.claim("ACME-1", 1, ttl_seconds=30)

    assert claim is not None and claim.was_sending
    assert records.claim("ACME-1", 1, ttl_seconds=30) is None  # held


def test_recording_a_copy_gives_its_claim_up_in_the_same_step(
    records: AttachmentRecords, client: redis.Redis
) -> None:
    claim = records.claim("ACME-1", 1, ttl_seconds=30)
    assert claim is not None and not claim.was_sending
    records.mark_sending("ACME-1", 1)

    records.record("ACME-1", 1, "10001", claim)

    assert not claim.held
    assert client.exists("test:attachment_claim:ACME-1:1") == 0
    assert client.exists("test:attachment_sending:ACME-1:1") == 0
    assert records.copied("ACME-1", 1) == "10001"
    records.release("ACME-1", 1, claim)  # given up already: nothing is sent


def test_a_claim_on_a_copy_finished_meanwhile_is_refused_and_left(
    records: AttachmentRecords, client: redis.Redis
) -> None:
    records.record("ACME-1", 1, "10001")

    assert records.claim("ACME-1", 1, ttl_seconds=30) is None
    assert client.exists("test:attachment_claim:ACME-1:1") == 0


def test_an_expired_claim_does_not_release_the_next_holders(
    records: AttachmentRecords, client: redis.Redis
) -> None:
    first = records.claim("ACME-1", 1, ttl_seconds=30)
    assert first is not None
    client.delete("test:attachment_claim:ACME-1:1")  # it expired
    second = records.claim("ACME-1", 1, ttl_seconds=30)
    assert second is not None

    records.release("ACME-1", 1, first)  # the first worker ends late
    assert records.claim("ACME-1", 1, ttl_seconds=30) is None  # still held

    records.release("ACME-1", 1, second)
    assert records.claim("ACME-1", 1, ttl_seconds=30) is not None


def test_a_failed_record_leaves_the_claim_to_release(
    records: AttachmentRecords, client: redis.Redis
) -> None:
    claim = records.claim("ACME-1", 1, ttl_seconds=30)
    assert claim is not None
    broken = AttachmentRecords(redis.Redis(port=1, socket_connect_timeout=0.2), "x")
    with pytest.raises(redis.ConnectionError):
        broken.record("ACME-1", 1, "10001", claim)

    assert claim.held
    records.release("ACME-1", 1, claim)
    assert client.exists("test:attachment_claim:ACME-1:1") == 0
