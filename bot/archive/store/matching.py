"""Which stored post a new copy is: by guid, then URL, then title and date within a day.

May import: bot.archive only; never discord.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from ..models import (
    to_timestamp,
)

SAME_POST_WINDOW = 24 * 3600  # titles match only if published within a day of each other


class KnownPosts:
    """Posts this ingest has seen (loaded or added), indexed the ways a copy can match them."""

    def __init__(self) -> None:
        self.by_id: dict[int, dict[str, Any]] = {}
        self.by_guid: dict[str, dict[str, Any]] = {}
        self.by_url: dict[str, dict[str, Any]] = {}
        self.by_title: dict[str, list[dict[str, Any]]] = defaultdict(list)

    def add(self, row: dict[str, Any], *, replace: bool = True) -> None:
        if not replace and row["id"] in self.by_id:
            return  # keep the copy this ingest may already have changed
        self.by_id[row["id"]] = row
        if row["guid"]:
            self.by_guid[row["guid"]] = row
        if row["url"]:
            self.by_url[row["url"]] = row
        self.by_title[row["title_key"]].append(row)

    def update(self, row: dict[str, Any], changes: dict[str, Any]) -> None:
        if "title_key" in changes:
            self.by_title[row["title_key"]].remove(row)
            self.by_title[changes["title_key"]].append(row)
        row.update(changes)
        if changes.get("guid"):
            self.by_guid[row["guid"]] = row
        if changes.get("url"):
            self.by_url[row["url"]] = row

    def owner(self, column: str, value: str) -> int | None:
        row = (self.by_guid if column == "guid" else self.by_url).get(value)
        return None if row is None else row["id"]

    def find(
        self, guid: str | None, url: str | None, key: str, published: datetime | None
    ) -> dict[str, Any] | None:
        """The post a copy with these identifiers is: by guid, then URL, then title and date."""
        if guid and guid in self.by_guid:
            return self.by_guid[guid]
        if url and url in self.by_url:
            return self.by_url[url]
        moment = to_timestamp(published)
        for row in sorted(self.by_title.get(key, ()), key=lambda r: r["id"]):
            if guid and row["guid"] and row["guid"] != guid:
                continue  # same title, different post (an "Open Thread", say)
            if (
                moment is None
                or row["published"] is None
                or abs(row["published"] - moment) <= SAME_POST_WINDOW
            ):
                return row
        return None
