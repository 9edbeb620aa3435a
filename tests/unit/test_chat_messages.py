"""Timestamps, cursors and identifier rules: the values every layer passes around."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone

import pytest

from chat.errors import InvalidRequest
from chat.messages import (
    Cursor,
    Message,
    check_document_id,
    format_timestamp,
    parse_timestamp,
)


def test_timestamps_are_utc_with_milliseconds_and_z() -> None:
    moment = datetime(2026, 11, 22, 12, 17, 19, 123999, tzinfo=timezone(timedelta(hours=1)))

    assert format_timestamp(moment) == "2026-11-22T11:17:19.123Z"
    assert format_timestamp(moment.replace(microsecond=0)) == "2026-11-22T11:17:19.000Z"


def test_a_formatted_timestamp_parses_back() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, 6000, tzinfo=UTC)

    assert parse_timestamp(format_timestamp(moment)) == moment


@pytest.mark.parametrize("text", ["2026-01-02T03:04:05Z", "2026-01-02T03:04:05.1234Z", "x"])
def test_other_timestamp_forms_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a millisecond UTC timestamp"):
        parse_timestamp(text)


def test_timestamp_strings_sort_as_their_moments_do() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    moments = [start + timedelta(milliseconds=n * 997) for n in range(50)]

    assert sorted(format_timestamp(m) for m in reversed(moments)) == [
        format_timestamp(m) for m in moments
    ]


def test_a_cursor_is_url_safe_and_decodes_to_itself() -> None:
    cursor = Cursor("2026-11-22T11:17:19.123Z", "id with spaces, ü and ~")

    encoded = cursor.encode()

    assert encoded.replace("-", "").replace("_", "").isalnum()
    assert Cursor.decode(encoded) == cursor


def test_a_message_carries_its_cursor() -> None:
    message = Message("m1", "d1", "u1", "U", "hi", "2026-11-22T11:17:19.123Z")

    assert Cursor.decode(message.to_json()["cursor"]) == message.cursor
    assert Message.from_stored({**message.stored_form(), "_ts": 1, "_etag": "e"}) == message


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"[1, 2]",
        b'["2026-11-22T11:17:19.123Z"]',
        b'["yesterday", "m1"]',
        b'["2026-11-22T11:17:19.123Z", "a/b"]',
        b"\xff\xfe",
    ],
)
def test_anything_else_is_not_a_cursor(raw: bytes) -> None:
    with pytest.raises(InvalidRequest, match="after is not a cursor docchat issued"):
        Cursor.decode(base64.urlsafe_b64encode(raw).decode())


def test_a_document_id_may_hold_anything_but_the_reserved_characters() -> None:
    assert (
        check_document_id("Quarterly report: Q3 (draft) ü 📄")
        == "Quarterly report: Q3 (draft) ü 📄"
    )

    with pytest.raises(InvalidRequest, match="must not contain"):
        check_document_id("tab\there")
