"""The producer: raw envelopes from files, directories, NDJSON, stdin and HTTP into `wire.raw`.

`sources` turns input into envelopes (or rejections), `publisher` sends them (idempotent,
acks=all, keyed by source, paced, retried, counted), `ingest` is the HTTP endpoint, `report`
the operator's stderr view; `wirestream produce` (commands/produce.py) puts them together.
"""
