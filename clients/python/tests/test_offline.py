"""Failure paths that need no gridshift server: nothing listening, a peer that never answers, bad arguments."""

from __future__ import annotations

import os
import unittest
from unittest import mock

from gridshift_client import GridshiftClient, GridshiftConnectionError

from .support import SilentServer, free_port


class ServerDownTest(unittest.TestCase):
    def test_nothing_listening_is_a_connection_error_naming_the_server(self) -> None:
        url = f"http://127.0.0.1:{free_port()}"
        client = GridshiftClient(url, "gs_x")
        with self.assertRaises(GridshiftConnectionError) as caught:
            client.decide("DE")
        self.assertEqual(caught.exception.code, "ECONNREFUSED")
        self.assertEqual(caught.exception.base_url, url)
        self.assertEqual(str(caught.exception), f"cannot reach the gridshift server at {url}: connection refused")

    def test_watch_gives_up_after_its_reconnects(self) -> None:
        client = GridshiftClient(f"http://127.0.0.1:{free_port()}", "gs_x")
        with self.assertRaises(GridshiftConnectionError) as caught:
            next(iter(client.watch(max_reconnects=2, reconnect_delay=0.01)))
        self.assertEqual(caught.exception.code, "ECONNREFUSED")

    def test_an_unknown_host(self) -> None:
        client = GridshiftClient("http://gridshift.invalid:8080", "gs_x", timeout=5)
        with self.assertRaises(GridshiftConnectionError) as caught:
            client.zones()
        self.assertIn(caught.exception.code, ("ENOTFOUND", "timeout"))


class TimeoutTest(unittest.TestCase):
    def setUp(self) -> None:
        self.silent = SilentServer()

    def tearDown(self) -> None:
        self.silent.close()

    def test_no_answer_within_the_timeout(self) -> None:
        client = GridshiftClient(self.silent.url, "gs_x", timeout=0.2)
        with self.assertRaises(GridshiftConnectionError) as caught:
            client.get("some-load")
        self.assertEqual(caught.exception.code, "timeout")
        self.assertIn("no answer within 0.2 s", str(caught.exception))

    def test_an_idle_event_stream_without_reconnecting(self) -> None:
        client = GridshiftClient(self.silent.url, "gs_x")
        with self.assertRaises(GridshiftConnectionError) as caught:
            next(iter(client.watch(idle_timeout=0.2, reconnect=False)))
        self.assertEqual(caught.exception.code, "timeout")


class ArgumentsTest(unittest.TestCase):
    def test_a_base_url_that_is_not_http(self) -> None:
        for url in ("ftp://example.org", "127.0.0.1:8080", "http://"):
            with self.assertRaises(ValueError) as caught:
                GridshiftClient(url)
            self.assertIn("base_url", str(caught.exception))

    def test_an_empty_load_id_is_refused_before_sending(self) -> None:
        client = GridshiftClient(f"http://127.0.0.1:{free_port()}")
        with self.assertRaises(ValueError) as caught:
            client.get("")
        self.assertEqual(str(caught.exception), "get: load_id is required")

    def test_a_path_prefix_is_kept(self) -> None:
        client = GridshiftClient("https://example.org/gridshift/", "gs_x")
        self.assertEqual(client.base_url, "https://example.org/gridshift")

    def test_from_env(self) -> None:
        with mock.patch.dict(os.environ, {"GRIDSHIFT_URL": "http://10.0.0.2:9000", "GRIDSHIFT_TOKEN": "gs_y"}):
            client = GridshiftClient.from_env()
        self.assertEqual((client.base_url, client.token), ("http://10.0.0.2:9000", "gs_y"))
        with mock.patch.dict(os.environ, {"GRIDSHIFT_URL": "", "GRIDSHIFT_TOKEN": ""}):
            client = GridshiftClient.from_env()
        self.assertEqual((client.base_url, client.token), ("http://127.0.0.1:8080", None))


if __name__ == "__main__":
    unittest.main()
