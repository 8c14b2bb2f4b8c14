"""Every client method against a real `gridshift serve` (see support.py for what it plans on)."""

from __future__ import annotations

import json
import re
import threading
import unittest
import urllib.request
import uuid
from datetime import datetime
from typing import Any, List, Optional, cast

from gridshift_client import (
    OPERATIONS,
    GridshiftApiError,
    GridshiftClient,
    GridshiftConnectionError,
    NewLoad,
    ServerEvent,
    ServerEventType,
)

from .support import CLEAN_FROM, READ_TOKEN, TOKEN, URL, CuttingProxy, needs_server


def instant(iso: Optional[str]) -> datetime:
    assert iso is not None
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def backup(tag: str, **extra: Any) -> NewLoad:
    """2 kW for an hour, free to move 6 hours: the planner puts it in the clean hours."""
    load: NewLoad = {
        "name": "backup",
        "tags": [tag],
        "zones": ["DE"],
        "durationMin": 60,
        "powerKw": 2,
        "maxDelayMin": 360,
        "dispatch": {"kind": "none"},
    }
    load.update(cast(NewLoad, extra))
    return load


@needs_server
class LoadsTest(unittest.TestCase):
    def setUp(self) -> None:
        self.write = GridshiftClient(URL, TOKEN)
        self.read = GridshiftClient(URL, READ_TOKEN)
        self.tag = f"py-{uuid.uuid4().hex[:8]}"

    def test_submit_plans_into_the_clean_hours_and_get_shows_its_history(self) -> None:
        result = self.write.submit(backup(self.tag))
        load, plan = result["load"], result["plan"]
        self.assertTrue(result["created"])
        self.assertEqual((load["name"], load["state"], load["tags"]), ("backup", "waiting", [self.tag]))
        self.assertEqual(instant(load["plannedStart"]), instant(CLEAN_FROM))
        # 2 kWh at 100 g/kWh against 2 kWh at 400 g/kWh now
        self.assertAlmostEqual(cast(float, plan["emissionsG"]), 200, places=6)
        self.assertAlmostEqual(cast(float, plan["baseline"]["emissionsG"]), 800, places=6)
        self.assertAlmostEqual(cast(float, plan["savings"]["emissionsPct"]), 75, places=6)
        detail = self.read.get(load["id"])
        self.assertEqual(detail["load"]["id"], load["id"])
        self.assertEqual([e["to"] for e in detail["events"]], ["planned", "waiting"])
        self.assertIsNone(detail["events"][0]["from"])
        self.assertIsNone(detail["accounting"])

    def test_a_repeated_idempotency_key_returns_the_first_load(self) -> None:
        load = backup(self.tag, idempotencyKey=f"key-{self.tag}")
        first = self.write.submit(load)
        again = self.write.submit(load)
        self.assertFalse(again["created"])
        self.assertEqual(again["load"]["id"], first["load"]["id"])

    def test_preview_stores_nothing(self) -> None:
        preview = self.read.preview(backup(self.tag))
        self.assertAlmostEqual(cast(float, preview["plan"]["emissionsG"]), 200, places=6)
        self.assertEqual(self.read.list(tag=self.tag)["loads"], [])

    def test_list_pages_with_a_cursor_and_list_all_follows_them(self) -> None:
        for i in range(3):
            self.write.submit(backup(self.tag, name=f"paged-{i}"))
        first = self.read.list(tag=self.tag, limit=2)
        self.assertEqual([load["name"] for load in first["loads"]], ["paged-2", "paged-1"])
        self.assertIsNotNone(first["nextCursor"])
        second = self.read.list(tag=self.tag, limit=2, cursor=first["nextCursor"])
        self.assertEqual([load["name"] for load in second["loads"]], ["paged-0"])
        self.assertIsNone(second["nextCursor"])
        names = [load["name"] for load in self.read.list_all(tag=self.tag, limit=1)]
        self.assertEqual(names, ["paged-2", "paged-1", "paged-0"])
        self.assertEqual(len(self.read.list(tag=self.tag, state=["waiting", "running"])["loads"]), 3)
        self.assertEqual(self.read.list(tag=self.tag, state="cancelled")["loads"], [])

    def test_cancel_and_a_state_that_does_not_allow_it(self) -> None:
        load = self.write.submit(backup(self.tag))["load"]
        cancelled = self.write.cancel(load["id"], reason="not today")
        self.assertEqual(cancelled["state"], "cancelled")
        self.assertEqual(self.read.get(load["id"])["events"][-1]["to"], "cancelled")
        with self.assertRaises(GridshiftApiError) as caught:
            self.write.cancel(load["id"])
        self.assertEqual(caught.exception.status, 409)
        self.assertEqual(caught.exception.type, "urn:gridshift:problem:conflict")
        self.assertEqual(caught.exception.operation, "POST /v1/loads/{id}/cancel")
        self.assertRegex(caught.exception.detail or "", "cancelled")

    def test_run_now_starts_a_waiting_load(self) -> None:
        load = self.write.submit(backup(self.tag))["load"]
        ran = self.write.run_now(load["id"])
        self.assertLess(instant(ran["plannedStart"]), instant(CLEAN_FROM))
        with self.assertRaises(GridshiftApiError) as caught:
            self.write.retry(load["id"])
        self.assertEqual(caught.exception.status, 409)


@needs_server
class DecideTest(unittest.TestCase):
    def setUp(self) -> None:
        self.read = GridshiftClient(URL, READ_TOKEN)

    def test_defer_to_the_clean_hours(self) -> None:
        decision = self.read.decide("DE", duration_min=60)
        self.assertEqual(decision["action"], "defer")
        self.assertEqual(instant(decision["startAt"]), instant(CLEAN_FROM))
        self.assertEqual((decision["current"], decision["bestValue"]), (400, 100))
        self.assertAlmostEqual(decision["expectedSavingsPct"], 75, places=6)
        self.assertEqual(decision["durationMin"], 60)

    def test_run_when_now_is_good_enough(self) -> None:
        decision = self.read.decide("DE", duration_min=60, run_at_or_below=400)
        self.assertEqual(decision["action"], "run")

    def test_the_model_tier(self) -> None:
        small = self.read.decide_tier("DE", carbon_below=150)
        self.assertEqual(small["tier"], "small")
        self.assertEqual(small["signals"]["carbon"], 400)
        large = self.read.decide_tier("DE", carbon_below=450, below_forecast_mean=False)
        self.assertEqual(large["tier"], "large")

    def test_bad_input_names_the_field(self) -> None:
        with self.assertRaises(GridshiftApiError) as caught:
            self.read.decide("DE", duration_min=-5)
        self.assertEqual(caught.exception.status, 400)
        self.assertEqual(caught.exception.type, "urn:gridshift:problem:validation")
        self.assertEqual([e["path"] for e in caught.exception.errors], ["body.durationMin"])
        with self.assertRaises(GridshiftApiError) as unknown:
            self.read.decide_tier("Atlantis")
        self.assertIn(unknown.exception.status, (400, 404))
        self.assertIn("Atlantis", str(unknown.exception))


@needs_server
class ErrorsTest(unittest.TestCase):
    def test_bad_input_is_a_400_naming_the_field(self) -> None:
        client = GridshiftClient(URL, TOKEN)
        with self.assertRaises(GridshiftApiError) as caught:
            client.submit({"name": "x", "zones": ["DE"], "durationMin": 60})
        problem = caught.exception
        self.assertEqual((problem.status, problem.title), (400, "Bad Request"))
        self.assertEqual([e["path"] for e in problem.errors], ["body.powerKw"])
        self.assertIn("body.powerKw: give two of durationMin, powerKw and energyKwh", str(problem))

    def test_without_a_token_and_with_a_wrong_one_401(self) -> None:
        for token in (None, "gs_not-a-token"):
            with self.assertRaises(GridshiftApiError) as caught:
                GridshiftClient(URL, token).list()
            self.assertEqual(caught.exception.status, 401)
            self.assertEqual(caught.exception.type, "urn:gridshift:problem:unauthorized")
            with self.assertRaises(GridshiftApiError):
                next(iter(GridshiftClient(URL, token).watch()))

    def test_a_read_token_may_not_submit_403(self) -> None:
        with self.assertRaises(GridshiftApiError) as caught:
            GridshiftClient(URL, READ_TOKEN).submit(backup("py-forbidden"))
        self.assertEqual(caught.exception.status, 403)

    def test_an_unknown_load_404(self) -> None:
        with self.assertRaises(GridshiftApiError) as caught:
            GridshiftClient(URL, READ_TOKEN).get("00000000-0000-4000-8000-000000000000")
        self.assertEqual(caught.exception.status, 404)
        self.assertEqual(caught.exception.type, "urn:gridshift:problem:not-found")
        self.assertEqual(caught.exception.operation, "GET /v1/loads/{id}")

    def test_an_unknown_event_type_400(self) -> None:
        with self.assertRaises(GridshiftApiError) as caught:
            next(iter(GridshiftClient(URL, READ_TOKEN).watch([cast(ServerEventType, "load.exploded")])))
        self.assertEqual(caught.exception.status, 400)
        self.assertEqual([e["path"] for e in caught.exception.errors], ["query.types"])


@needs_server
class ApiDocumentTest(unittest.TestCase):
    def test_every_operation_of_the_client_is_in_the_openapi_document(self) -> None:
        with urllib.request.urlopen(f"{URL}/openapi.json", timeout=30) as response:
            document = json.load(response)
        for name, (method, path) in OPERATIONS.items():
            self.assertIn(method.lower(), document["paths"].get(path, {}), f"{name}: {method} {path}")

    def test_health_reports_the_readiness(self) -> None:
        self.assertTrue(GridshiftClient(URL).health())


@needs_server
class WatchTest(unittest.TestCase):
    def setUp(self) -> None:
        self.write = GridshiftClient(URL, TOKEN)
        self.read = GridshiftClient(URL, READ_TOKEN)
        self.tag = f"py-{uuid.uuid4().hex[:8]}"

    def test_the_events_of_a_new_load_in_order(self) -> None:
        submitted: List[str] = []
        seen: List[ServerEvent] = []
        opened = lambda: submitted.append(self.write.submit(backup(self.tag))["load"]["id"])  # noqa: E731
        for event in self.read.watch(["load.state", "load.planned"], on_open=opened):
            if event.get("loadId") != submitted[0]:
                continue
            seen.append(event)
            if event["type"] == "load.state" and event["to"] == "waiting":
                break
        self.assertEqual(
            [(e["type"], e.get("to")) for e in seen],
            [("load.state", "planned"), ("load.planned", None), ("load.state", "waiting")],
        )
        planned = seen[1]
        assert planned["type"] == "load.planned"
        self.assertEqual(instant(planned["plannedStart"]), instant(CLEAN_FROM))

    def test_wait_follows_a_load_that_runs_at_once_and_the_report_counts_it(self) -> None:
        # 60 kW, free to move 0 minutes: it starts at once, at 400 g/kWh
        load = self.write.submit(
            backup(self.tag, powerKw=60, durationMin=1, maxDelayMin=0, dispatch={"kind": "shell", "command": "sleep 1"})
        )["load"]
        done = self.read.wait(load["id"], states={"succeeded", "failed", "dead"})
        self.assertEqual(done["state"], "succeeded")
        # already there: wait returns at once, from the state it reads when the stream opens
        self.assertEqual(self.read.wait(load["id"])["state"], "succeeded")
        detail = self.read.get(load["id"])
        self.assertEqual([e["to"] for e in detail["events"]], ["planned", "waiting", "running", "succeeded"])
        accounting = detail["accounting"]
        assert accounting is not None
        energy = cast(float, accounting["energyKwh"])
        self.assertGreater(energy, 60 / 3600)  # it ran at least the second it slept
        self.assertAlmostEqual(cast(float, accounting["emissionsG"]), 400 * energy, places=6)
        report = self.read.report(tag=self.tag)
        totals = report["totals"]
        self.assertEqual(totals["loads"], 1)
        self.assertAlmostEqual(cast(float, totals["energyKwh"]), energy, places=9)
        self.assertAlmostEqual(cast(float, totals["emissionsG"]), 400 * energy, places=6)
        self.assertAlmostEqual(cast(float, totals["savingsPct"]), 0, places=6)
        by_tag = self.read.report(tag=self.tag, group_by="tag")
        self.assertEqual([row["key"] for row in by_tag["rows"]], [self.tag])
        self.assertEqual(by_tag["query"]["groupBy"], "tag")

    def test_reconnects_after_a_cut_sending_the_last_event_id(self) -> None:
        proxy = CuttingProxy(URL)
        self.addCleanup(proxy.close)
        client = GridshiftClient(proxy.url, READ_TOKEN)
        opens: List[str] = []
        waiting: List[str] = []

        def opened() -> None:
            opens.append(self.write.submit(backup(self.tag, name=f"load-{len(opens)}"))["load"]["id"])

        for event in client.watch(["load.state"], on_open=opened, reconnect_delay=0.05):
            if event["type"] == "load.state" and event["loadId"] in opens and event["to"] == "waiting":
                waiting.append(event["loadId"])
                if len(waiting) == 1:
                    threading.Thread(target=proxy.cut).start()
                else:
                    break
        self.assertEqual(waiting, opens)
        self.assertEqual(len(proxy.requests), 2)
        self.assertNotIn(b"last-event-id", proxy.requests[0].lower())
        last_id = re.findall(rb"^id: (\d+)$", bytes(proxy.answers[0]), re.M)[-1]
        self.assertIn(b"\r\nlast-event-id: " + last_id + b"\r\n", proxy.requests[1].lower())

    def test_without_reconnecting_a_cut_is_a_connection_error(self) -> None:
        proxy = CuttingProxy(URL)
        self.addCleanup(proxy.close)
        client = GridshiftClient(proxy.url, READ_TOKEN)
        events = client.watch(on_open=lambda: threading.Timer(0.2, proxy.cut).start(), reconnect=False)
        with self.assertRaises(GridshiftConnectionError) as caught:
            for _ in events:
                pass
        self.assertEqual(caught.exception.code, "ECONNRESET")


if __name__ == "__main__":
    unittest.main()
