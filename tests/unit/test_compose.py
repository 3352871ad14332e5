"""docker-compose.yml without a Docker engine: valid against the Compose specification's JSON
schema (the copy check-jsonschema ships), wired with healthchecks and `depends_on` conditions,
and every `wirestream` command line and environment variable it uses exists in the code."""

from __future__ import annotations

import argparse
import ast
import copy
import importlib
import json
import re
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any

import jsonschema
import pytest
from ruamel.yaml import YAML

from wirestream import cli
from wirestream.core import config
from wirestream.devbroker.jars import DEFAULT_KAFKA_VERSION

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
SOURCE = ROOT / "services" / "wirestream"
STAGES = ("normalizer", "deduplicator", "enricher")


def load_yaml(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_yaml(COMPOSE_FILE)


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    vendored = resources.files("check_jsonschema.builtin_schemas.vendor")
    schema = json.loads(vendored.joinpath("compose-spec.json").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=jsonschema.FormatChecker())


def errors(validator: jsonschema.protocols.Validator, document: Any) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(document)]


def wirestream_services(compose: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The services that run the wirestream image (the rest are Kafka, Prometheus, Grafana)."""
    for name, service in compose["services"].items():
        if service.get("image", "").startswith("wirestream:") or "build" in service:
            yield name, service


def test_compose_file_is_valid_against_the_compose_specification(compose, validator):
    assert errors(validator, compose) == []


def test_schema_validation_rejects_a_broken_compose_file(compose, validator):
    # A control: the validator must catch the mistakes a hand-edited file makes.
    broken = copy.deepcopy(compose)
    broken["services"]["normalizer"]["depends_on"]["kafka"]["condition"] = "healthy"
    broken["services"]["enricher"]["helthcheck"] = {"test": ["CMD", "true"]}
    found = "\n".join(errors(validator, broken))
    assert "normalizer.depends_on" in found
    assert "helthcheck" in found


def test_the_stack_has_every_part(compose):
    services = compose["services"]
    assert {"kafka", "topics", "producer", *STAGES, "prometheus", "grafana"} <= set(services)
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"


def test_every_long_running_service_has_a_healthcheck(compose):
    for name, service in compose["services"].items():
        if name == "topics":  # one-shot: its exit code is its health
            assert service.get("restart") == "no"
            continue
        test = service.get("healthcheck", {}).get("test")
        assert test and test[0] in ("CMD", "CMD-SHELL"), f"{name} has no healthcheck"


def test_depends_on_conditions_point_at_services_that_can_satisfy_them(compose):
    services = compose["services"]
    for name, service in services.items():
        for dependency, spec in service.get("depends_on", {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            condition = spec["condition"]
            if condition == "service_healthy":
                assert "healthcheck" in services[dependency], f"{dependency} has no healthcheck"
            if condition == "service_completed_successfully":
                assert services[dependency].get("restart") == "no", f"{dependency} restarts"
    for stage in ("producer", *STAGES):
        depends = services[stage]["depends_on"]
        assert depends["kafka"]["condition"] == "service_healthy"
        assert depends["topics"]["condition"] == "service_completed_successfully"
    assert services["topics"]["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert services["grafana"]["depends_on"]["prometheus"]["condition"] == "service_healthy"


def test_mounted_host_paths_exist_in_the_repository(compose):
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"
        if "build" in service:
            assert (ROOT / service["build"] / "Dockerfile").is_file()


def test_dockerfile_installs_the_package_on_a_pinned_python_3_11_slim():
    lines = (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
    (base,) = [line for line in lines if line.startswith("FROM ")]
    # A patch release and a Debian release: `python:3.11-slim` moves under a rebuild.
    assert re.fullmatch(r"FROM python:3\.11\.\d+-slim-[a-z]+", base), base
    commands = " ".join(line.strip().rstrip("\\") for line in lines if not line.startswith("#"))
    assert "&& pip install . " in commands
    # The recogniser's decoder is C (enricher/_crf.c) and the slim image has no compiler.
    assert "apt-get install -y --no-install-recommends gcc" in commands


def test_the_kafka_image_runs_the_local_brokers_version(compose):
    assert compose["services"]["kafka"]["image"] == f"apache/kafka:{DEFAULT_KAFKA_VERSION}"


def test_the_wirestream_image_is_built_once_and_run_by_every_wirestream_service(compose):
    services = dict(wirestream_services(compose))
    assert [name for name, service in services.items() if "build" in service] == ["topics"]
    assert len({service["image"] for service in services.values()}) == 1
    assert all(
        service.get("pull_policy") == "never"
        for name, service in services.items()
        if "build" not in service
    )


def interpolated(text: str) -> dict[str, str]:
    """`${NAME}`, `${NAME:-default}`, `${NAME:?error}` in a compose file: name -> operator."""
    return {m[1]: m[2] or "" for m in re.finditer(r"\$\{([A-Z_][A-Z0-9_]*)(:[-?])?[^}]*\}", text)}


def test_secrets_come_from_the_env_file_and_are_required():
    variables = interpolated(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert variables["WIRESTREAM_INGEST_TOKEN"] == ":?"  # no open ingest endpoint
    assert variables["GRAFANA_ADMIN_PASSWORD"] == ":?"  # no admin/admin
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    documented = set(re.findall(r"^#? ?([A-Z_][A-Z0-9_]*)=", example, flags=re.MULTILINE))
    assert set(variables) <= documented, set(variables) - documented
    assert ".env" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()


def test_interpolation_check_sees_each_form():
    text = "a: ${A}\nb: ${B:-x}\nc: ${C:?set C}"
    assert interpolated(text) == {"A": "", "B": ":-", "C": ":?"}


def image_files() -> dict[str, Path]:
    """Where the Dockerfile's COPY lines put repository paths in the image."""
    workdir, copied = "/", {}
    for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        instruction, _, rest = line.partition(" ")
        if instruction == "WORKDIR":
            workdir = rest.strip()
        elif instruction == "COPY":
            *sources, target = rest.split()
            for source in sources:
                into = str(PurePosixPath(workdir, target))
                copied[into if len(sources) == 1 else f"{into}/{source}"] = ROOT / source
    return copied


def test_every_file_a_command_names_is_copied_into_the_image(compose):
    copied = image_files()
    for name, service in wirestream_services(compose):
        for argument in service["command"]:
            if not argument.startswith("/"):
                continue
            matches = [
                source / PurePosixPath(argument).relative_to(target)
                for target, source in copied.items()
                if PurePosixPath(argument).is_relative_to(target)
            ]
            assert matches, f"{name}: nothing in the Dockerfile puts {argument} in the image"
            assert all(path.exists() for path in matches), f"{name}: {matches} missing"


def command_parser(name: str) -> argparse.ArgumentParser:
    """The parser `wirestream <name>` uses, built the way `wirestream.cli.main` builds it."""
    module = importlib.import_module(f"wirestream.commands.{name}")
    parser = argparse.ArgumentParser(prog=f"wirestream {name}", exit_on_error=False)
    module.add_arguments(parser)
    return parser


def test_every_compose_command_parses_with_the_real_cli(compose):
    commands = {name: service.get("command") for name, service in wirestream_services(compose)}
    assert set(commands) >= {"topics", "producer", *STAGES}
    for name, command in commands.items():
        assert isinstance(command, list), f"{name}: write the command as a list"
        assert command[0] == "wirestream", f"{name}: {command}"
        subcommand, *rest = command[1:]
        assert subcommand in cli.COMMANDS, f"{name}: no subcommand {subcommand!r}"
        try:
            command_parser(subcommand).parse_args(rest)
        except (argparse.ArgumentError, SystemExit) as error:
            pytest.fail(f"{name}: `{' '.join(command)}` does not parse: {error}")


def test_command_check_rejects_an_unknown_flag():
    with pytest.raises((argparse.ArgumentError, SystemExit)):
        command_parser("topics").parse_args(["create", "--no-such-flag"])


class RecordingEnviron(Mapping[str, str]):
    """An environment that remembers which variables the code looked up."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = dict(values)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> str:
        self.read.add(key)
        return self._values[key]

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self.read.add(key)
        return key in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def string_constants(root: Path) -> set[str]:
    """Every string literal in the package's code, docstrings left out (documented is not read)."""
    found: set[str] = set()
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        found.update(
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        )
    return found


def test_every_wirestream_environment_variable_is_read_by_the_code(compose):
    literals = string_constants(SOURCE)
    for name, service in wirestream_services(compose):
        env = {k: str(v) for k, v in service.get("environment", {}).items()}
        ours = {k for k in env if k.startswith("WIRESTREAM_") or k == "KAFKA_BOOTSTRAP"}
        assert ours, f"{name} sets no wirestream variable"
        recording = RecordingEnviron(env)
        # Also proves each value is valid: settings_from_env raises on a bad one.
        config.settings_from_env(name, recording)
        unread = {k for k in ours - recording.read if k not in literals}
        assert not unread, f"{name}: the code never reads {sorted(unread)}"


def test_environment_check_catches_a_misspelt_variable():
    recording = RecordingEnviron({"WIRESTREAM_METRIC_PORT": "9100"})
    config.settings_from_env("normalizer", recording)
    assert "WIRESTREAM_METRIC_PORT" not in recording.read
    assert "WIRESTREAM_METRIC_PORT" not in string_constants(SOURCE)
