"""Validate records against the repository's JSON Schemas (schemas/*.json), formats included.

from schema_check import assert_valid
assert_valid("wire-item.v1", item)
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"


@cache
def _registry() -> Registry:
    resources = []
    for path in sorted(SCHEMAS.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        resources.append((document["$id"], Resource.from_contents(document)))
    return Registry().with_resources(resources)


@cache
def validator(schema_name: str) -> Draft202012Validator:
    """Validator for `schemas/<schema_name>.json` ("wire-item.v1" or "wire-item.v1.json")."""
    name = schema_name.removesuffix(".json")
    schema = json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(
        schema, registry=_registry(), format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def errors(schema_name: str, record: Any) -> list[str]:
    """Every violation of the schema, as `path: message` lines (empty when valid)."""
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}"
        for error in validator(schema_name).iter_errors(record)
    ]


def assert_valid(schema_name: str, record: Any) -> None:
    """Fail with every violation listed when `record` does not validate."""
    problems = errors(schema_name, record)
    assert not problems, f"{schema_name}: " + "; ".join(problems)
