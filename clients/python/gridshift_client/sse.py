"""A Server-Sent Events stream read into messages, per the HTML standard's event-stream format.

``field: value`` lines; a blank line ends a message; ``data`` lines are joined with newlines; lines starting
with ``:`` are comments (keep-alives); ``\\r\\n``, ``\\r`` and ``\\n`` all end a line; ``id`` sets the last
event id and ``retry`` the reconnection delay. Pure: bytes in, messages out, no I/O.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import List, Optional

_LINE_END = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class SseMessage:
    #: ``event:``, default ``message``
    event: str
    data: str
    #: the last event id seen on the stream so far (``id:`` persists across messages)
    id: Optional[str]


class SseDecoder:
    """Feed it the stream's bytes as they arrive; it returns the messages they complete."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        self._event = ""
        self._data: List[str] = []
        self._first = True
        #: the last ``id:`` seen, to send as ``Last-Event-ID`` when reconnecting
        self.last_event_id: Optional[str] = None
        #: the reconnection delay the server asked for (``retry:``), seconds
        self.retry_s: Optional[float] = None

    def feed(self, chunk: bytes) -> List[SseMessage]:
        return self._lines(self._decoder.decode(chunk), done=False)

    def end(self) -> List[SseMessage]:
        """The stream ended: a message not ended by a blank line is dropped, as the standard says."""
        return self._lines(self._decoder.decode(b"", final=True), done=True)

    def _lines(self, text: str, done: bool) -> List[SseMessage]:
        if self._first and text:
            self._first = False
            if text.startswith("\ufeff"):
                text = text[1:]
        self._buffer += text
        out: List[SseMessage] = []
        while True:
            match = _LINE_END.search(self._buffer)
            if match is None:
                break
            # a lone \r at the very end may be the first half of \r\n: wait for more
            if match.group() == "\r" and match.end() == len(self._buffer) and not done:
                break
            line = self._buffer[: match.start()]
            self._buffer = self._buffer[match.end() :]
            message = self._line(line)
            if message is not None:
                out.append(message)
        return out

    def _line(self, line: str) -> Optional[SseMessage]:
        if line == "":
            message = None
            if self._data:
                message = SseMessage(self._event or "message", "\n".join(self._data), self.last_event_id)
            self._event = ""
            self._data = []
            return message
        if line.startswith(":"):
            return None
        field, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if field == "event":
            self._event = value
        elif field == "data":
            self._data.append(value)
        elif field == "id" and "\0" not in value:
            self.last_event_id = value
        elif field == "retry" and value.isdigit():
            self.retry_s = int(value) / 1000
        return None
