"""`wirestream demo --once` (what `make run` runs) end to end on the session's broker."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import uuid
from pathlib import Path

import orjson
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from service_harness import TopicReader

from schema_check import assert_valid
from wirestream.core.records import DeadLetter, Emit, Origin
from wirestream.core.topics import PipelineTopics
from wirestream.normalizer import Normalizer

pytestmark = pytest.mark.kafka

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "envelopes.ndjson"
DONE = re.compile(r"^done: summary: new (\d+)  update (\d+)  duplicate (\d+)  dead-letter (\d+)")


async def test_demo_once_runs_the_samples_through_every_stage(kafka_bootstrap, tmp_path):
    prefix = f"demo-{uuid.uuid4().hex[:8]}."
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "wirestream.cli", "demo", "--once", "--topic-prefix", prefix,
        "--partitions", "2", "--run-dir", str(tmp_path),
        env={**os.environ, "KAFKA_BOOTSTRAP": kafka_bootstrap},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 240)
    output = out.decode()
    assert process.returncode == 0, output + err.decode()

    [done] = [m for line in output.splitlines() if (m := DONE.match(line))]
    new, update, duplicate, dead = map(int, done.groups())
    assert new > 0 and update > 0 and duplicate > 0

    # What the normalizer makes of the samples, in process: the demo must deliver all of it.
    raw = [line for line in SAMPLES.read_bytes().splitlines() if line.strip()]
    outcomes = [o for value in raw for o in Normalizer().process(value, Origin())]
    expected_ids = sorted(o.item["id"] for o in outcomes if isinstance(o, Emit))
    assert dead == sum(isinstance(o, DeadLetter) for o in outcomes) > 0

    topics = PipelineTopics().with_prefix(prefix)
    async with TopicReader(kafka_bootstrap, topics.items) as reader:
        items = await reader.drain()
    assert sorted(orjson.loads(r.value)["id"] for r in items) == expected_ids
    # Every item is accounted for: published as new or update, or held back as a duplicate.
    assert len(items) == new + update + duplicate

    async with TopicReader(kafka_bootstrap, topics.normalized) as reader:
        published = [orjson.loads(r.value) for r in await reader.drain()]
    assert len(published) == new + update
    assert sorted(i["dedup"]["status"] for i in published).count("update") == update
    for item in published:
        assert_valid("normalized-item.v1", item)
    printed = [line for line in output.splitlines() if line.startswith(("new ", "update "))]
    assert len(printed) == new + update
    assert {line.split()[1] for line in printed} == {i["story_id"][:12] for i in published}

    assert output.count("metrics http://127.0.0.1:") == 3
    for stage in ("normalizer", "deduplicator", "enricher"):
        log = (tmp_path / "logs" / f"{stage}.log").read_text(encoding="utf-8")
        assert log
        # A newcomer's normal run: no traceback and no error-level line in any service's log.
        assert "Traceback" not in log, stage
        assert [line for line in log.splitlines() if '"level":"error"' in line] == [], stage
    assert "stopped the services" in output


async def test_demo_stops_everything_it_started_on_sigterm(kafka_bootstrap, tmp_path):
    # No --topic-prefix: on a cluster it did not start, the demo takes topics of its own (it
    # replayed a detached broker's whole wire.raw backlog before) and deletes them at the end.
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "wirestream.cli", "demo", "--partitions", "1",
        "--run-dir", str(tmp_path),
        env={**os.environ, "KAFKA_BOOTSTRAP": kafka_bootstrap},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    lines: list[str] = []
    async with asyncio.timeout(240):
        while not lines or not lines[-1].startswith(("new ", "update ")):
            line = (await process.stdout.readline()).decode()
            assert line, "demo ended early: " + "".join(lines)
            lines.append(line)
    pids = [int(m[1]) for line in lines if (m := re.match(r"\w+: pid (\d+) ", line))]
    assert len(pids) == 3
    process.send_signal(signal.SIGTERM)
    rest, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    *_, stopping, stopped, deleted = rest.decode().splitlines()
    assert stopping.startswith("stopping: summary: new ")
    assert stopped == "stopped the services"
    for pid in pids:  # the services were stopped and reaped, not left behind
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    [prefix] = [
        m[1] for line in lines if (m := re.match(r"topics: (demo-[0-9a-f]{8}\.)wire", line))
    ]
    assert deleted == f"deleted the demo's {len(PipelineTopics().by_role())} topics"
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        assert [t for t in await admin.list_topics() if t.startswith(prefix)] == []
    finally:
        await admin.close()
