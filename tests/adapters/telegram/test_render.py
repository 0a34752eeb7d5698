"""Replies to Bot API messages: the pure rules, without a network."""

from __future__ import annotations

import pytest
from telegram import InlineKeyboardMarkup, ReplyKeyboardMarkup

from adapters.qr import qr_png
from adapters.telegram.render import (
    MAX_CAPTION,
    MAX_TEXT,
    callback_data,
    caption,
    keyboard_key,
    plan,
    split_text,
    utf16_len,
)
from bot.messages import Button, Image, Link, Reply
from tests.adapters.telegram.conftest import decode_qr


def test_keyboard_keys_are_short_stable_and_distinct() -> None:
    keyboards = [("help",), ("order:30263798", "help"), ("tickets:" + "9" * 190,)]
    keys = [keyboard_key(k) for k in keyboards]
    assert all(len(callback_data(key, 99).encode()) <= 64 for key in keys)
    assert len(set(keys)) == 3
    assert keys == [keyboard_key(k) for k in keyboards]
    assert keyboard_key(("a", "b")) != keyboard_key(("b", "a"))


def test_buttons_carry_their_keyboard_and_index_and_one_record_holds_the_payloads() -> None:
    reply = Reply("Pick", buttons=(Button("A", "order:1"), Button("B", "orders:2")))
    result = plan([reply], "en")
    [message] = result.messages
    assert isinstance(message.markup, InlineKeyboardMarkup)
    datas = [row[0].callback_data for row in message.markup.inline_keyboard]
    key = keyboard_key(("order:1", "orders:2"))
    assert datas == [f"{key}.0", f"{key}.1"]
    assert result.keyboards == {key: ("order:1", "orders:2")}


def test_https_links_become_url_buttons_and_others_are_written_out() -> None:
    reply = Reply(
        "Your ticket",
        links=(
            Link("Open", "https://usher.example.com/t/abc"),
            Link("Local", "http://localhost:8000/t/x"),
        ),
    )
    [message] = plan([reply], "en").messages
    assert message.text == "Your ticket\nLocal: http://localhost:8000/t/x"
    assert isinstance(message.markup, InlineKeyboardMarkup)
    assert message.markup.inline_keyboard[0][0].url == "https://usher.example.com/t/abc"


def test_codes_follow_the_text_as_one_album_and_the_keyboard_rides_on_the_text() -> None:
    reply = Reply(
        "Tickets",
        buttons=(Button("Help", "help"),),
        images=(Image("at-1", "Show · ticket 1"), Image("at-2", "Show · ticket 2")),
    )
    text, album = plan([reply], "en").messages
    assert text.text == "Tickets"
    assert isinstance(text.markup, InlineKeyboardMarkup)
    assert album.markup is None
    assert album.photo is None
    assert [decode_qr(photo.png) for photo in album.album] == ["at-1", "at-2"]
    assert [photo.caption for photo in album.album] == ["Show · ticket 1", "Show · ticket 2"]


@pytest.mark.parametrize(
    ("codes", "albums"),
    [(2, [2]), (10, [10]), (11, [6, 5]), (20, [10, 10]), (21, [7, 7, 7]), (25, [9, 8, 8])],
)
def test_many_codes_go_in_even_albums_of_at_most_ten(codes: int, albums: list[int]) -> None:
    """11 tickets: one text and two albums (3 calls), never an album of one, which
    ``sendMediaGroup`` refuses."""
    images = tuple(Image(f"at-{n}", f"ticket {n}") for n in range(codes))
    text, *rest = plan([Reply("Tickets", images=images)], "en").messages
    assert text.text == "Tickets"
    assert [len(message.album) for message in rest] == albums
    captions = [photo.caption for message in rest for photo in message.album]
    assert captions == [f"ticket {n}" for n in range(codes)]


def test_one_code_is_a_photo_and_without_text_it_carries_the_keyboard() -> None:
    [photo] = plan(
        [Reply("", buttons=(Button("Help", "help"),), images=(Image("at-1", "x"),))], "en"
    ).messages
    assert photo.photo is not None
    assert isinstance(photo.markup, InlineKeyboardMarkup)
    [album_text, album] = plan(
        [Reply("", buttons=(Button("Help", "help"),), images=(Image("a", "x"), Image("b", "y")))],
        "en",
    ).messages
    assert isinstance(album_text.markup, InlineKeyboardMarkup)
    assert len(album.album) == 2


def test_a_phone_request_with_inline_buttons_gets_its_own_message() -> None:
    reply = Reply("Who are you?", buttons=(Button("Help", "help"),), request_contact=True)
    first, second = plan([reply], "es").messages
    assert isinstance(first.markup, InlineKeyboardMarkup)
    assert isinstance(second.markup, ReplyKeyboardMarkup)
    assert second.text.startswith("O comparte tu número")
    button = second.markup.keyboard[0][0]
    assert button.request_contact is True
    assert button.text == "Compartir mi teléfono"
    assert second.markup.one_time_keyboard is True


def test_a_phone_request_alone_rides_on_the_text() -> None:
    [message] = plan([Reply("Share please", request_contact=True)], "en").messages
    assert isinstance(message.markup, ReplyKeyboardMarkup)
    assert message.text == "Share please"


def test_empty_replies_send_nothing() -> None:
    assert plan([Reply("  ")], "en").messages == []


@pytest.mark.parametrize("text", ["a" * 5000, ("line of text\n" * 500), "🎟️" * 3000, "x" * MAX_TEXT])
def test_long_text_is_split_within_telegrams_limit_without_losing_words(text: str) -> None:
    pieces = split_text(text)
    assert all(0 < utf16_len(piece) <= MAX_TEXT for piece in pieces)
    assert "".join(pieces).replace("\n", "") == text.replace("\n", "").strip()


def test_captions_are_cut_to_telegrams_limit() -> None:
    assert caption("short") == "short"
    cut = caption("é" * 2000)
    assert utf16_len(cut) == MAX_CAPTION
    assert cut.endswith("…")


def test_qr_codes_are_big_enough_to_scan() -> None:
    png = qr_png("3f2b8c1e-9a4d-4e7b-8c2f-1a2b3c4d5e6f")
    assert png.startswith(b"\x89PNG")
    width = int.from_bytes(png[16:20], "big")
    assert width >= 400
    assert decode_qr(png) == "3f2b8c1e-9a4d-4e7b-8c2f-1a2b3c4d5e6f"
