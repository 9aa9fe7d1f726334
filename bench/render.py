#!/usr/bin/env python3
"""render.py TEMPLATE OUT NAME=VALUE... — writes TEMPLATE to OUT with every
@NAME@ replaced by VALUE; a VALUE of the form @file:PATH is that file's text.
Fails if a placeholder is left over, so a typo cannot reach nginx or relais."""

import re
import sys


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    text = open(argv[1]).read()
    for kv in argv[3:]:
        name, _, value = kv.partition("=")
        if value.startswith("@file:"):
            value = open(value[6:]).read()
        text = text.replace(f"@{name}@", value)
    left = re.findall(r"@[A-Z_]+@", text)
    if left:
        sys.exit(f"render.py: unfilled placeholders in {argv[1]}: {sorted(set(left))}")
    with open(argv[2], "w") as f:
        f.write(text)


if __name__ == "__main__":
    main(sys.argv)
