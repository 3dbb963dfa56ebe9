"""Python Jinja2 configured exactly as Hugging Face transformers renders chat templates.

Mirrors transformers/utils/chat_template_utils.py (_compile_jinja_template and
render_jinja_template): ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
with the loopcontrols extension and a {% generation %} block (AssistantTracker, rendered
transparently), its tojson filter (json.dumps with ensure_ascii=False, no HTML escaping),
raise_exception and strftime_now globals; then apply_chat_template's keyword arguments and the
continue_final_message post-processing.

strftime_now reads a pinned clock (FIXED_NOW, UTC) so goldens are reproducible; the C++ tests pin
the same instant.
"""
import json
import os
import time
from datetime import datetime, timezone

import jinja2
from jinja2.exceptions import TemplateError
from jinja2.ext import Extension, loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

os.environ["TZ"] = "UTC"
time.tzset()

FIXED_NOW = 1790000000  # 2026-09-21 14:13:20 UTC; the C++ tests pin the same instant.


class GenerationBlock(Extension):
    """transformers' AssistantTracker without mask tracking: {% generation %} renders its body."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return jinja2.nodes.If(jinja2.nodes.Const(True), body, [], []).set_lineno(lineno)


def make_env():
    def raise_exception(message):
        raise TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators,
                          sort_keys=sort_keys)

    def strftime_now(format):
        return datetime.fromtimestamp(FIXED_NOW, tz=timezone.utc).strftime(format)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[GenerationBlock, loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


ENV = make_env()


def describe_error(e):
    """What the C++ side must reproduce: the Python exception name and its message."""
    if isinstance(e, jinja2.TemplateSyntaxError):
        return {"type": type(e).__name__, "message": e.message, "line": e.lineno}
    return {"type": type(e).__name__, "message": str(e)}


def render(source, context):
    """Renders a template with a raw context; returns {"expected": str} or {"error": {...}}."""
    try:
        return {"expected": ENV.from_string(source).render(**context)}
    except Exception as e:  # every failure is a golden too
        return {"error": describe_error(e)}


def apply_chat_template(source, messages, tools=None, add_generation_prompt=True,
                        continue_final_message=False, special_tokens=None, extra=None):
    """transformers' apply_chat_template(tokenize=False) for one conversation."""
    if continue_final_message and add_generation_prompt:
        return {"error": {"type": "ValueError", "message": "continue_final_message and add_generation_prompt are not compatible"}}
    template_kwargs = {**(special_tokens or {}), **(extra or {})}
    try:
        template = ENV.from_string(source)
        rendered = template.render(messages=messages, tools=tools, documents=None,
                                   add_generation_prompt=add_generation_prompt, **template_kwargs)
    except Exception as e:
        return {"error": describe_error(e)}
    if continue_final_message:
        final_message = messages[-1]["content"]
        if isinstance(final_message, (list, tuple)):
            for block in reversed(final_message):
                if "text" in block:
                    final_message = block["text"]
                    break
            else:
                return {"error": {"type": "ValueError", "message": "no text to continue"}}
        if final_message.strip() not in rendered:
            return {"error": {"type": "ValueError", "message": "final message not in output"}}
        loc = rendered.rindex(final_message.strip())
        if rendered[loc: loc + len(final_message.lstrip())] == final_message:
            rendered = rendered[: loc + len(final_message.lstrip())]
        else:
            rendered = rendered[: loc + len(final_message.strip())]
    return {"expected": rendered}
