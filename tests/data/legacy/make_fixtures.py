#!/usr/bin/env python3
"""make_fixtures.py DIR: writes legacy stores into DIR, as the legacy Flask
app wrote them (PyYAML's yaml.safe_dump), for tests/test_import.c.

  edge/campaigns.yaml    one job per edge case of the issue, all importable
  edge/jobs_index.yaml   an index beside the single file (to be ignored)
  skips.yaml             jobs that must be skipped: no id, an id twice
  broken.yaml            valid jobs, then a syntax error at a known place
  unrepresentable.yaml   jobs holding values JSON cannot (2**70, nan) among
  unrepresentable.jsonl  good ones; the .jsonl as Python's json module writes
  folder/jobs/*.yaml     the per-job layout, one file broken, and
  folder/jobs_manifest.yaml  its manifest, listing one job with no file
  bare/*.yaml            a folder of job files without a manifest
"""
import datetime
import json
import os
import sys

import yaml

out = sys.argv[1]
os.makedirs(os.path.join(out, "edge"), exist_ok=True)
os.makedirs(os.path.join(out, "folder", "jobs"), exist_ok=True)
os.makedirs(os.path.join(out, "bare"), exist_ok=True)


def dump(path, data):
    with open(os.path.join(out, path), "w") as f:
        yaml.safe_dump(data, f)


def full(i, **kw):
    job = {
        "id": "job-%d" % i,
        "job_name": "Job %d" % i,
        "product": "Product %d" % i,
        "persona": "busy parent",
        "setting": "kitchen",
        "emotion": "joy",
        "hook": "Tired of dark evenings?",
        "elevenlabs_voice_id": "voice-%d" % i,
        "language": "English",
        "brand_name": "Acme",
        "enabled": True,
        "created_at": "2025-10-%02dT09:00:00.123456" % (i + 1),
        "updated_at": "2025-10-%02dT10:00:00" % (i + 1),
        "enhanced_settings": {"voice": {"stability": 0.5}},
    }
    job.update(kw)
    return job


edge = [
    # Timestamps: a naive isoformat string (the app's datetime.now().isoformat()),
    # an unquoted YAML timestamp with a zone, a naive datetime, a date alone.
    full(1, created_at=datetime.datetime(2025, 10, 17, 12, 34, 56, 789012,
                                         tzinfo=datetime.timezone(datetime.timedelta(hours=2))),
         updated_at=datetime.datetime(2025, 10, 18, 1, 2, 3)),
    # Unicode, escaped by safe_dump: Latin-1, BMP and astral characters.
    full(2, job_name="Caf\u00e9 \u2615 launch \U0001F600", persona="na\u00efve \u00fcber-user",
         hook="\u65e5\u672c\u8a9e\u306e\u30d5\u30c3\u30af"),
    # Multi-line strings: a literal block, trailing spaces, a blank line, a long line.
    full(3, hook="First line\n  indented second\n\nafter a blank line\nends with spaces   \n",
         setting="a very long line " * 12),
    # Numbers, booleans and nulls, nested in enhanced_settings.
    full(4, enhanced_settings={
        "seed": 2 ** 40, "huge": 2 ** 62 + 7, "negative": -(2 ** 33), "zero": 0,
        "ratio": 0.1, "tiny": 1.5e-07, "large": 1e22, "third": 1.0 / 3, "whole": 3.0,
        "on": True, "off": False, "nothing": None,
        "voice": {"stability": 0.75, "similarity": 1, "style": None,
                  "takes": [1, "2", 3.5, None, True, {"deep": {"deeper": ["x"]}}]},
        "when": datetime.datetime(2024, 1, 1, 0, 0, 0),
        "strings": ["yes", "no", "123", "1.5", "null", "~", "2024-01-01", "", " padded "],
    }),
    # Keys the schema does not know, at the top level, and one named extra.
    full(5, tags=["summer", "yes"], schedule={"cron": "0 9 * * 1", "tz": "Europe/Paris"},
         notes=None, priority=3, extra={"kept": True}),
    # Known fields whose values do not fit their type: kept as they are.
    full(6, language=None, product=123, enabled="yes", created_at="yesterday",
         brand_name=["a", "list"], etag="legacy-etag"),
    # An integer id, a disabled job, enhanced_settings null, a job with few keys.
    {"id": 7, "job_name": "integer id", "enabled": False, "enhanced_settings": None},
    {"id": "job-8", "job_name": "minimal"},
    # Strings that would read as other types unquoted, in fields.
    full(9, product="123", persona="yes", emotion="null", hook="2025-01-01", setting="1e5",
         brand_name="0x1F"),
]
dump("edge/campaigns.yaml", {"jobs": edge})
dump("edge/jobs_index.yaml", {j["id"]: i for i, j in enumerate(edge)})

skips = [
    full(1),
    {"job_name": "Nameless One", "product": "no id"},
    full(1, job_name="Second with id job-1"),
    {"id": None, "job_name": "Null Id"},
    full(2),
    {"id": "", "job_name": "Empty Id"},
]
dump("skips.yaml", {"jobs": skips})

with open(os.path.join(out, "broken.yaml"), "w") as f:
    yaml.safe_dump({"jobs": [full(1), full(2)]}, f)
    f.write("- id: job-3\n  job_name: [unclosed\n  hook: x\n")

unrepresentable = [
    full(1),
    full(2, enhanced_settings={"seed": 2 ** 70}),
    full(3, enhanced_settings={"gain": [1, float("nan")]}),
    full(4),
]
dump("unrepresentable.yaml", {"jobs": unrepresentable})
with open(os.path.join(out, "unrepresentable.jsonl"), "w") as f:
    for job in unrepresentable[:2] + unrepresentable[3:]:
        f.write(json.dumps(job) + "\n")

for i in (1, 2, 3):
    dump("folder/jobs/job-%d.yaml" % i, full(i))
with open(os.path.join(out, "folder", "jobs", "job-4.yaml"), "w") as f:
    f.write("id: job-4\njob_name: Broken\n  product: [nope\n")
manifest = {}
for i in (1, 2, 3, 4, 5):
    manifest["job-%d" % i] = {"job_name": "Job %d" % i, "product": "Product %d" % i,
                              "created_at": "2025-10-0%dT09:00:00" % i, "enabled": True,
                              "file_path": "jobs/job-%d.yaml" % i}
dump("folder/jobs_manifest.yaml", manifest)

for i in (1, 2):
    dump("bare/job-%d.yaml" % i, full(i))
