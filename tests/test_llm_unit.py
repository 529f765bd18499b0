"""LLM layer logic: replay, recording, schema repair, spec parsing, roles config, local-only."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from scent.config import ConfigError, load_config
from scent.llm import LLMError, LocalOnlyError, StructuredOutputError, check_local, load_llm
from scent.llm.base import extract_json, split_reasoning
from scent.llm.openai_compat import retry_delay
from scent.llm.scripted import RecordingLLM, ScriptedLLM, request_key

SCHEMA = {"type": "object", "properties": {"n": {"type": "integer", "maximum": 9}}, "required": ["n"]}


def _script(path: Path, *texts: str, keys: list[str] | None = None) -> Path:
    lines = [{"response": {"text": t, "usage": {"prompt_tokens": 10, "completion_tokens": 2}}} for t in texts]
    for line, key in zip(lines, keys or [], strict=False):
        line["key"] = key
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    return path


def test_scripted_replays_in_order_then_says_it_ran_out(tmp_path: Path):
    llm = load_llm(f"scripted:{_script(tmp_path / 's.jsonl', 'one', 'two')}")
    assert [llm.complete([{"role": "user", "content": q}]).text for q in "ab"] == ["one", "two"]
    with pytest.raises(LLMError, match="exhausted after 2 calls"):
        llm.complete([{"role": "user", "content": "c"}])


def test_scripted_prefers_the_response_recorded_for_the_same_request(tmp_path: Path):
    msgs_a, msgs_b = [{"role": "user", "content": "A"}], [{"role": "user", "content": "B"}]
    keys = [request_key(msgs_a, None, None), request_key(msgs_b, None, None)]
    llm = ScriptedLLM(_script(tmp_path / "s.jsonl", "for A", "for B", keys=keys))
    assert llm.complete(msgs_b).text == "for B" and llm.complete(msgs_a).text == "for A"


def test_schema_repair_turn_is_replayed_and_usage_summed(tmp_path: Path):
    llm = ScriptedLLM(_script(tmp_path / "s.jsonl", '{"n": 12}', '{"n": 3}'))
    reply = llm.complete([{"role": "user", "content": "pick"}], schema=SCHEMA)
    assert (reply.json_value, reply.attempts, reply.usage.prompt_tokens) == ({"n": 3}, 2, 20)


def test_schema_failures_are_bounded(tmp_path: Path):
    llm = ScriptedLLM(_script(tmp_path / "s.jsonl", "x", "y", "z", "w"), json_repairs=2)
    with pytest.raises(StructuredOutputError, match="after 3 attempts"):
        llm.complete([{"role": "user", "content": "pick"}], schema=SCHEMA)
    assert llm.calls == 3


def test_recorder_writes_a_script_that_replays_identically(tmp_path: Path):
    source = ScriptedLLM(_script(tmp_path / "real.jsonl", '{"n": 4}'))
    recorder = RecordingLLM(source, tmp_path / "rec.jsonl", role="planner")
    msgs = [{"role": "user", "content": "pick"}]
    first = recorder.complete(msgs, schema=SCHEMA)
    entry = json.loads((tmp_path / "rec.jsonl").read_text())
    assert entry["role"] == "planner" and entry["request"]["schema"] == SCHEMA
    assert entry["key"] == request_key(msgs, SCHEMA, None)
    again = ScriptedLLM(tmp_path / "rec.jsonl").complete(msgs, schema=SCHEMA)
    assert again.json_value == first.json_value == {"n": 4}


def test_bad_script_lines_are_clear_errors(tmp_path: Path):
    (tmp_path / "bad.jsonl").write_text('{"response": {}}\n')
    with pytest.raises(LLMError, match="line 1 is not a recorded call"):
        ScriptedLLM(tmp_path / "bad.jsonl")
    with pytest.raises(LLMError, match="cannot read the script"):
        ScriptedLLM(tmp_path / "missing.jsonl")


@pytest.mark.parametrize("text,value", [
    ('{"a": 1}', {"a": 1}), ('```json\n{"a": 1}\n```', {"a": 1}), ('Here you go: {"a": [1, 2]} hope it helps',
                                                                    {"a": [1, 2]}), ("[1, 2]", [1, 2])])
def test_extract_json(text: str, value: object):
    assert extract_json(text) == value


def test_extract_json_reports_the_parse_error():
    with pytest.raises(ValueError, match="invalid JSON"):
        extract_json('{"a": ')


def test_split_reasoning_handles_unclosed_think():
    assert split_reasoning("<think>a</think>B<think>c") == ("B", "a\nc")


def test_retry_delay_honours_retry_after_and_caps():
    rng = random.Random(0)
    assert retry_delay(1, "3", 0.5, 30, rng) == 3.0
    assert retry_delay(1, "9999", 0.5, 30, rng) == 30
    assert retry_delay(1, "Wed, 21 Oct 2015 07:28:00 GMT", 0.5, 30, rng) == 0.0  # a date in the past
    assert all(0 <= retry_delay(n, None, 0.5, 4, rng) <= min(4, 0.5 * 2 ** (n - 1)) for n in range(1, 10))


@pytest.mark.parametrize("spec,local", [
    ("openai:http://127.0.0.1:8000/v1#m", True), ("openai:http://127.8.9.1/v1#m", True),
    ("openai:http://localhost:11434/v1#m", True), ("openai:http://[::1]:8000/v1#m", True),
    ("openai:https://api.example.com/v1#m", False), ("openai:http://10.0.0.5:8000/v1#m", False),
    ("openai:http://localhost.evil.com/v1#m", False), ("openai:http://0.0.0.0:8000/v1#m", False),
    ("llamacpp:default", True), ("scripted:x.jsonl", True)])
def test_local_only(spec: str, local: bool):
    if local:
        check_local(spec)
    else:
        with pytest.raises(LocalOnlyError, match="not a loopback address"):
            check_local(spec)


def test_local_only_refuses_before_any_request():
    with pytest.raises(LocalOnlyError):
        load_llm("openai:http://203.0.113.9:1/v1#m", local_only=True)


@pytest.mark.parametrize("spec,message", [
    ("gpt-4", "no backend prefix"), ("ollama:x", "unknown model backend"), ("openai:localhost#m", "expected openai:"),
    ("openai:http://127.0.0.1/v1", "expected openai:"), ("llamacpp:/nope/model.gguf", "no GGUF file")])
def test_bad_specs_are_clear_errors(spec: str, message: str):
    with pytest.raises(LLMError, match=message):
        load_llm(spec)


def test_roles_from_file_and_command_line(tmp_path: Path):
    toml = tmp_path / "scent.toml"
    toml.write_text('local_only = true\n[models]\ndefault = "openai:http://127.0.0.1:8000/v1#big"\n'
                    'reader = "llamacpp:default"\n[llm]\ntimeout_s = 30\n')
    cfg = load_config(toml)
    assert (cfg.models.planner, cfg.models.reader, cfg.local_only, cfg.llm.timeout_s) == (
        "openai:http://127.0.0.1:8000/v1#big", "llamacpp:default", True, 30)
    cfg = load_config(toml, ["judge=scripted:j.jsonl"], local_only=False)
    assert (cfg.models.judge, cfg.models.reader, cfg.local_only) == ("scripted:j.jsonl", "llamacpp:default", False)
    cfg = load_config(toml, ["llamacpp:default", "writer=openai:http://127.0.0.1:1/v1#w"])
    assert cfg.models.planner == "llamacpp:default" and cfg.models.writer.endswith("#w")
    assert "planner=llamacpp:default" in cfg.models.describe()


def test_config_errors_say_what_to_fix(tmp_path: Path):
    with pytest.raises(ConfigError, match="unknown role 'critic'"):
        load_config(None, ["critic=llamacpp:default"])
    (tmp_path / "bad.toml").write_text("[models]\nplaner = 'x:y'\n")
    with pytest.raises(ConfigError, match="planer"):
        load_config(tmp_path / "bad.toml")
    (tmp_path / "broken.toml").write_text("[models\n")
    with pytest.raises(ConfigError, match="cannot read config"):
        load_config(tmp_path / "broken.toml")
    for typo in ("llm.retires=3", "retrieval.retreiver=bm25", "agent.budget.max_step=3", "embed.specs=x"):
        with pytest.raises(ConfigError, match=typo.split("=")[0].split(".")[-1]):  # a misspelt key is refused,
            load_config(None, settings=[typo])  # not ignored


def test_backends_satisfy_the_llm_protocol(tmp_path: Path):
    from scent.protocols import LLM

    assert isinstance(load_llm(f"scripted:{_script(tmp_path / 's.jsonl', 'x')}"), LLM)
    assert isinstance(load_llm("openai:http://127.0.0.1:9/v1#m"), LLM)
