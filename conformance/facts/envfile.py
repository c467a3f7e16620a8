"""Env files read exactly as systemd's EnvironmentFile= reads them (systemd's env-file.c).

The files the inventory documents are all handed to services by systemd, so what counts is
what systemd puts into the environment: `export KEY=` lines are ignored, ` # text` after an
unquoted value is part of the value, quoted and unquoted parts concatenate, a backslash at
the end of a line continues it.
"""
from __future__ import annotations

import re

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DQ_ESCAPABLE = '"\\`$'


def parse_env_file(text: str) -> dict[str, str]:
    """KEY -> value as systemd 252 loads them; later assignments win."""
    return {key: value for key, (value, _) in parse_env_assignments(text).items()}


def parse_env_assignments(text: str) -> dict[str, tuple[str, tuple[int, int]]]:
    """KEY -> (value, where its raw value sits in text), so a secret's raw text can be masked."""
    env: dict[str, tuple[str, tuple[int, int]]] = {}
    state, key, value = "pre_key", "", ""
    unquoted_end = 0  # length of value up to its last non-blank unquoted character
    value_start = index = 0

    def push() -> None:
        k = key.rstrip()
        if _KEY.fullmatch(k):
            env[k] = (value, (value_start, index))

    for index, c in enumerate(text):
        if state == "pre_key":
            if c in "#;":
                state = "comment"
            elif not c.isspace():
                state, key = "key", c
        elif state == "key":
            if c == "\n":
                state, key = "pre_key", ""
            elif c == "=":
                state, value, unquoted_end, value_start = "pre_value", "", 0, index + 1
            else:
                key += c
        elif state == "pre_value":
            if c == "\n":
                push()
                state, key = "pre_key", ""
            elif c == "'":
                state = "single"
            elif c == '"':
                state = "double"
            elif c == "\\":
                state = "value_escape"
            elif not c.isspace():
                state, value = "value", value + c
                unquoted_end = len(value)
        elif state == "value":
            if c == "\n":
                value = value[:unquoted_end]  # trailing blanks of an unquoted value are dropped
                push()
                state, key = "pre_key", ""
            elif c == "\\":
                state = "value_escape"
            else:
                value += c
                if not c.isspace():
                    unquoted_end = len(value)
        elif state == "value_escape":
            state = "value"
            if c != "\n":
                value += c
                unquoted_end = len(value)
        elif state == "single":
            if c == "'":
                state, unquoted_end = "pre_value", len(value)
            else:
                value += c
        elif state == "double":
            if c == '"':
                state, unquoted_end = "pre_value", len(value)
            elif c == "\\":
                state = "double_escape"
            else:
                value += c
        elif state == "double_escape":
            state = "double"
            if c in _DQ_ESCAPABLE:
                value += c
            elif c != "\n":
                value += "\\" + c
        elif state == "comment":
            if c == "\\":
                state = "comment_escape"
            elif c == "\n":
                state = "pre_key"
        elif state == "comment_escape":
            state = "comment"
    # end of file without a final newline: an open value (even an unterminated quote) still counts
    index = len(text)
    if state in ("pre_value", "value", "value_escape", "single", "double", "double_escape"):
        if state in ("value", "value_escape"):
            value = value[:unquoted_end]
        push()
    return env
