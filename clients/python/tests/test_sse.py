"""The event-stream reader, on the format's corner cases (no server)."""

from __future__ import annotations

import unittest
from typing import List

from gridshift_client import SseDecoder, SseMessage


def read(*chunks: bytes) -> List[SseMessage]:
    decoder = SseDecoder()
    out: List[SseMessage] = []
    for chunk in chunks:
        out += decoder.feed(chunk)
    return out + decoder.end()


class SseDecoderTest(unittest.TestCase):
    def test_a_frame_as_the_server_writes_it(self) -> None:
        decoder = SseDecoder()
        messages = decoder.feed(b'retry: 5000\n: connected\n\nid: 7\nevent: load.state\ndata: {"a":1}\n\n')
        self.assertEqual(messages, [SseMessage("load.state", '{"a":1}', "7")])
        self.assertEqual(decoder.retry_s, 5.0)
        self.assertEqual(decoder.last_event_id, "7")

    def test_split_anywhere_the_same_messages(self) -> None:
        stream = "id: 1\nevent: a\ndata: x\n\n: keep-alive\n\nid: 2\ndata: ü\ndata: y\n\n".encode()
        whole = read(stream)
        self.assertEqual(whole, [SseMessage("a", "x", "1"), SseMessage("message", "ü\ny", "2")])
        for cut in range(1, len(stream)):
            self.assertEqual(read(stream[:cut], stream[cut:]), whole, f"cut at byte {cut}")

    def test_every_line_ending(self) -> None:
        expected = [SseMessage("e", "1", None), SseMessage("e", "2", None)]
        self.assertEqual(read(b"event: e\r\ndata: 1\r\n\r\nevent: e\rdata: 2\r\r"), expected)
        # a \r\n split between two chunks is one line ending, not two
        self.assertEqual(read(b"event: e\r", b"\ndata: 1\r", b"\n\r", b"\nevent: e\ndata: 2\n\n"), expected)

    def test_the_id_persists_and_a_nul_id_is_ignored(self) -> None:
        self.assertEqual(
            read(b"id: 3\ndata: a\n\ndata: b\n\nid: 4\x00\ndata: c\n\n"),
            [SseMessage("message", "a", "3"), SseMessage("message", "b", "3"), SseMessage("message", "c", "3")],
        )

    def test_no_space_after_the_colon_a_field_alone_and_a_bom(self) -> None:
        self.assertEqual(read(b"\xef\xbb\xbfdata:x\ndata\n\n"), [SseMessage("message", "x\n", None)])

    def test_an_unfinished_message_is_dropped_and_a_bad_retry_ignored(self) -> None:
        decoder = SseDecoder()
        self.assertEqual(decoder.feed(b"retry: soon\ndata: half"), [])
        self.assertEqual(decoder.end(), [])
        self.assertIsNone(decoder.retry_s)


if __name__ == "__main__":
    unittest.main()
