"""Secret values in any text a host answered, for text no fact parser was written for (what an owner's own test
reads): found the ways the facts find them in the files they know, env-file assignments and YAML keys named like
secrets, and in every form the Redactor knows (secret-named flags and keys, URL passwords, credentials)."""
from __future__ import annotations

import re

from ..redaction import Redactor, is_secret_name
from .envfile import parse_env_assignments
from .litellm import secret_values as yaml_secret_values

_YAML_KEY = re.compile(r"""^[ \t]*(?:-[ \t]+)?["']?([A-Za-z_][\w.\-]*)["']?[ \t]*:""", re.MULTILINE)


def learn_secrets(redactor: Redactor, text: str) -> list[tuple[int, int]]:
    """Teach the redactor every secret value in the text; where each sits (for CommandRecord.mask)."""
    if not text:
        return []
    spans = []
    for key, (value, span) in parse_env_assignments(text).items():
        if is_secret_name(key):
            redactor.learn(value)  # as systemd reads it (a continued value joined)
            spans.append(span)
    if any(is_secret_name(m[1]) for m in _YAML_KEY.finditer(text)):  # YAML's anchors, tags and block scalars
        for value, span in yaml_secret_values(text):
            redactor.learn(value)
            spans.append(span)
    spans += redactor.learn_from(text)
    for start, end in spans:
        redactor.learn(text[start:end])  # as written
    return spans
