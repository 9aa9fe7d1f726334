"""Turns a Python dict/list/scalar tree into block-style YAML for relais
configs. Scalars are written plain when YAML reads them back as the same
string (so `2s`, `10MiB`, `127.0.0.1:8080`, `/v1/items/{id}` stay plain and
the loader sees what a person would have typed), double-quoted otherwise
(`"*"`, values with `: ` or `#`, empty strings)."""

from __future__ import annotations

import json
import re

_PLAIN = re.compile(r"^[A-Za-z0-9_/.$~+][^\s#]*$")
_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "~", "y", "n"}


def scalar(v, flow: bool = False) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    s = str(v)
    if _PLAIN.match(s) and ": " not in s and not s.endswith(":") and s.lower() not in _RESERVED:
        # inside [a, b] the flow indicators and ':' end a plain scalar
        if not (flow and any(c in s for c in "[]{},:")):
            return s
    return json.dumps(s)


def dump(tree, indent: int = 0) -> str:
    """YAML text for `tree` (a dict at the top)."""
    return "".join(_lines(tree, indent))


def _lines(node, indent: int):
    pad = " " * indent
    if isinstance(node, dict):
        for k, v in node.items():
            if isinstance(v, dict) and v:
                yield f"{pad}{k}:\n"
                yield from _lines(v, indent + 2)
            elif isinstance(v, list) and v:
                if all(not isinstance(x, (dict, list)) for x in v):
                    yield f"{pad}{k}: [{', '.join(scalar(x, flow=True) for x in v)}]\n"
                else:
                    yield f"{pad}{k}:\n"
                    yield from _lines(v, indent + 2)
            elif isinstance(v, (dict, list)):
                yield f"{pad}{k}: {'{}' if isinstance(v, dict) else '[]'}\n"
            else:
                yield f"{pad}{k}: {scalar(v)}\n"
    elif isinstance(node, list):
        for item in node:
            if isinstance(item, dict):
                sub = list(_lines(item, indent + 2))
                if sub:
                    sub[0] = pad + "- " + sub[0][indent + 2:]
                yield from sub
            else:
                yield f"{pad}- {scalar(item)}\n"
    else:
        yield f"{pad}{scalar(node)}\n"
