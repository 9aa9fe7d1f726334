"""Case-insensitive lookups over a list of (name, value) header pairs, shared
by the client's Response and the upstream's recorded Request."""
from __future__ import annotations

from typing import Optional


class HeaderLookup:
    headers: list

    def header(self, name: str) -> Optional[str]:
        """First value of `name` (case-insensitive), or None."""
        lname = name.lower()
        for k, v in self.headers:
            if k.lower() == lname:
                return v
        return None

    def header_all(self, name: str) -> list:
        """Every value of `name` (case-insensitive), in order."""
        lname = name.lower()
        return [v for k, v in self.headers if k.lower() == lname]
