"""How two copies of one post merge: which source may change which field of the stored row.

Pure functions over a stored row (a dict of its columns) and a new copy; ingest.py applies what
they return. A second backend merges with the same rules by calling the same functions.
May import: bot.archive.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from ..integrity import losses, plausible
from ..models import Post, from_timestamp, to_timestamp
from ..text import title_key

# Which source kinds may overwrite a post's body. A forum's API is the post itself, with karma, tags
# and coauthors; a live feed carries the full HTML and real links; a JSONL backup is whatever was
# exported; the dump is a lossy text copy. A lower rank only fills in what is missing, so
# re-ingesting the dump after the feed never reverts the feed's text, nor the feed the forum's.
AUTHORITY = {"dump": 0, "jsonl": 1, "feed": 2, "forum": 3}
META_COLUMNS = ("coauthors", "karma", "comments", "af", "link_url")  # what forums add


def merged(
    existing: dict[str, Any],
    post: Post,
    guid: str | None,
    authority: int,
    now: datetime,
    warnings: list[str],
) -> dict[str, Any]:
    """Column changes that bring `existing` (a stored post's row) up to date with another copy
    of the same post from a source of this authority; why a field was kept goes to `warnings`."""
    changes: dict[str, Any] = {}
    if authority >= existing["authority"]:
        # A copy that lost characters in decoding (U+FFFD) never replaces a better one.
        if post.title != existing["title"] and not lossier(
            post, "title", losses(post.title), losses(existing["title"]), warnings
        ):
            changes.update(title=post.title, title_key=title_key(post.title))
        if (
            post.author
            and post.author != existing["author"]
            and not lossier(
                post, "author", losses(post.author), losses(existing["author"]), warnings
            )
        ):
            changes["author"] = post.author
        if (
            post.url
            and post.url != existing["url"]
            and (authority > existing["authority"] or same_site(post.url, existing["url"]))
        ):
            # A new slug on the same site; but the Alignment Forum's copy of a LessWrong post
            # (the same post) does not move it to alignmentforum.org and back at each sync.
            changes["url"] = post.url
    else:
        if post.author and not existing["author"]:
            changes["author"] = post.author
        if post.url and not existing["url"]:
            changes["url"] = post.url
    if guid and not existing["guid"]:
        changes["guid"] = guid
    higher = authority >= existing["authority"]
    for column, value in meta(post).items():
        if value is not None and value != existing[column] and (higher or existing[column] is None):
            changes[column] = value
    tags = joined(post.tags)
    if tags and tags != existing["tags"] and (higher or not existing["tags"]):
        changes["tags"] = tags
    # A post re-dated by its feed (LessWrong re-dates posts crossing a karma threshold) keeps
    # the date it was first archived with; only a missing date is filled in, or one that
    # cannot be right (stored before such dates were refused), which is never kept.
    stored = from_timestamp(existing["published"])
    if (stored is None or not plausible(stored, now)) and to_timestamp(post.published) != existing[
        "published"
    ]:
        changes["published"] = to_timestamp(post.published)
    return changes


def lossier(post: Post, field: str, lost: int, stored: int, warnings: list[str]) -> bool:
    """Whether this copy's `field` lost more characters in decoding (U+FFFD) than the stored
    one; if so it is kept out, with a warning."""
    if lost <= stored:
        return False
    warnings.append(
        f"{post.title!r}: this copy's {field} lost characters (U+FFFD); kept the stored one"
    )
    return True


def meta(post: Post) -> dict[str, Any]:
    """The forum's columns of a post, as stored (None where the source does not say)."""
    return {
        "coauthors": joined(post.coauthors),
        "karma": post.karma,
        "comments": post.comments,
        "af": None if post.af is None else int(post.af),
        "link_url": post.link_url,
    }


def joined(names: Sequence[str]) -> str | None:
    return "\n".join(dict.fromkeys(names)) or None


def same_site(url: str, other: str | None) -> bool:
    return other is None or urlsplit(url).netloc.lower() == urlsplit(other).netloc.lower()
