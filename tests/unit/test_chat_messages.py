"""Timestamps, cursors and identifier rules: the values every layer passes around."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone

import pytest

from chat.api.inputs import JoinRequest, parse
from chat.domain.errors import InvalidRequest
from chat.domain.messages import (
    Cursor,
    Message,
    OlderThan,
    check_document_id,
    emoji_problem,
    format_timestamp,
    legacy_message_id_problem,
    message_id_problem,
    parse_timestamp,
    path_segment_problem,
    showable_name,
    user_id_problem,
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


@pytest.mark.parametrize("token", [Cursor(0), Cursor(7), Cursor(2**53), OlderThan(12)])
def test_tokens_are_url_safe_and_decode_to_themselves(token: Cursor | OlderThan) -> None:
    encoded = token.encode()

    assert encoded.replace("-", "").replace("_", "").isalnum()
    assert type(token).decode(encoded) == token


def test_a_message_carries_its_seq_its_stream_position_and_a_cursor_there() -> None:
    message = Message("m1", "d1", "u1", "U", "hi", "2026-11-22T11:17:19.123Z", seq=3, position=5)

    assert Cursor.decode(message.to_json()["cursor"]) == Cursor(5)
    assert (message.to_json()["seq"], message.to_json()["position"]) == (3, 5)
    assert Message.from_stored({**message.stored_form(), "_ts": 1, "_etag": "e"}) == message


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"c1",
        b"c1:",
        b"c1:-1",
        b"c1:01",
        b"c1:1.5",
        b"c1:" + b"9" * 17,
        b"o1:7",
        b'["2026-11-22T11:17:19.123Z", "m1"]',
        b"[" * 40,
        b"\xff\xfe",
    ],
)
def test_anything_else_is_not_a_cursor(raw: bytes) -> None:
    with pytest.raises(InvalidRequest, match="after is not a cursor docchat issued"):
        Cursor.decode(base64.urlsafe_b64encode(raw).decode().rstrip("="))


@pytest.mark.parametrize("text", ["", "Yz", "a" * 65, "é", "Yzox=", "Yz ox", "\ud800"])
def test_text_outside_the_token_alphabet_or_size_is_refused_before_decoding(text: str) -> None:
    with pytest.raises(InvalidRequest):
        Cursor.decode(text)
    with pytest.raises(InvalidRequest):
        OlderThan.decode(text)


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Alice", "Alice"),
        ("  Bob\u200b\x07 ", "Bob"),
        ("n" * 300, "n" * 100),
        ("\u200b\x00", "user-1"),
    ],
)
def test_names_from_an_identity_provider_are_made_showable(name: str, shown: str) -> None:
    assert showable_name(name, "user-1") == shown


def test_a_document_id_may_hold_anything_but_the_reserved_characters() -> None:
    assert (
        check_document_id("Quarterly report: Q3 (draft) ü 📄")
        == "Quarterly report: Q3 (draft) ü 📄"
    )

    with pytest.raises(InvalidRequest, match="must not contain"):
        check_document_id("tab\there")


# The one rule for ids that reach a path (issue 26, deliver 1) ---------------------------

#: Each breaks the rule, and why: the reason the refusal gives.
REFUSED_SEGMENTS = [
    (".", "must not be . or .."),
    ("..", "must not be . or .."),
    (" a", "begin or end with whitespace"),
    ("a\u00a0", "begin or end with whitespace"),
    ("a\u2028b", "U+2028"),
    ("a\u2029b", "U+2029"),
    ("\ufffd", "U+FFFD"),
    ("a\ud800", "U+D800"),
    ("a\x00", "U+0000"),
    ("a/b", "/ \\ ? or #"),
    ("a#b", "/ \\ ? or #"),
    ("%2E%2E", "percent-escapes"),
    ("a%20b", "percent-escapes"),
    ("e\u0301", "NFC"),
    ("\u212b", "NFC"),  # the Angstrom sign: NFC makes it Å
]


@pytest.mark.parametrize(("value", "says"), REFUSED_SEGMENTS)
def test_ids_a_path_would_change_are_refused_everywhere(value: str, says: str) -> None:
    assert says in (path_segment_problem(value) or "")
    assert user_id_problem(value) is not None
    assert message_id_problem(value) is not None
    with pytest.raises(InvalidRequest, match="documentId"):
        check_document_id(value)


@pytest.mark.parametrize(
    "value", ["a b", "...", "a..b", "%", "50%", "x:y", "ü", "Å", "名前", "a+b"]
)
def test_ids_that_stay_themselves_in_a_path_are_accepted(value: str) -> None:
    assert path_segment_problem(value) is None
    assert user_id_problem(value) is None
    assert check_document_id(value) == value


@pytest.mark.parametrize("connection_id", [".", "..", "a/b", "%2E", "a?b"])
def test_a_connection_id_a_path_would_change_is_refused(connection_id: str) -> None:
    with pytest.raises(InvalidRequest, match="connectionId"):
        parse(JoinRequest, {"connectionId": connection_id})


@pytest.mark.parametrize("value", [".", "..", " x", "x\u2028"])
def test_messages_stored_before_the_rule_can_still_be_named_for_deletion(value: str) -> None:
    assert message_id_problem(value) is not None
    assert legacy_message_id_problem(value) is None


@pytest.mark.parametrize(
    "emoji",
    [
        "👍",
        "❤️",
        "❤",
        "👍🏽",
        "👨\u200d👩\u200d👧",
        "🇫🇷",
        "1️⃣",
        "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
    ],
)
def test_emoji_in_unicodes_emoji_data_are_emoji(emoji: str) -> None:
    assert emoji_problem(emoji) is None


@pytest.mark.parametrize("symbol", ["═", "\ufffd", "☰", "a", "👍👍", " 👍", ".", "🇫", "\u200d"])
def test_other_symbols_are_not_emoji(symbol: str) -> None:
    # Finding 4: any "So" symbol (═, U+FFFD) used to pass.
    assert emoji_problem(symbol) == "must be one emoji"
