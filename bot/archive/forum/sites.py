"""Which forum a source names: `lesswrong`, `alignmentforum`, `eaforum`, or `forum:<base-url>`.

May import: bot.archive only; never discord.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

PREFIX = "forum:"
SHORTHANDS = {
    "lesswrong": "https://www.lesswrong.com",
    "alignmentforum": "https://www.alignmentforum.org",
    # The EA Forum serves bots from a mirror (ForumMagnum PR #7185); its pageUrls point at the
    # mirror and are rewritten to the forum itself.
    "eaforum": "https://forum-bots.effectivealtruism.org",
}
PAGE_HOSTS = {"forum-bots.effectivealtruism.org": "forum.effectivealtruism.org"}
# The year each site's archive starts (for the progress bar before the first page says).
FIRST_YEARS = {
    "www.lesswrong.com": 2006,
    "www.alignmentforum.org": 2009,
    "forum-bots.effectivealtruism.org": 2011,
}


@dataclass(frozen=True, slots=True)
class Site:
    """A forum, by the base URL its API lives under (`<base>/graphql`)."""

    base: str

    @property
    def location(self) -> str:
        """How the archive names this source: `forum:<base>`."""
        return PREFIX + self.base

    @property
    def endpoint(self) -> str:
        return self.base + "/graphql"

    @property
    def host(self) -> str:
        return urlsplit(self.base).netloc.lower()

    def page_url(self, url: str) -> str:
        """A post's pageUrl as readers should follow it (the EA Forum mirror's host rewritten)."""
        parts = urlsplit(url)
        host = PAGE_HOSTS.get(parts.netloc.lower())
        return urlunsplit(parts._replace(netloc=host)) if host else url


def parse_site(text: str) -> Site | None:
    """The forum a source names, or None if it names no forum.

    Raises ValueError for `forum:` followed by something that is not an http(s) URL.
    """
    text = text.strip()
    if text.lower() in SHORTHANDS:
        return Site(SHORTHANDS[text.lower()])
    if not text.lower().startswith(PREFIX):
        return None
    base = text[len(PREFIX) :].strip()
    if base.lower() in SHORTHANDS:
        return Site(SHORTHANDS[base.lower()])
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(
            f"{text!r}: after 'forum:' put the site's address, like forum:https://www.lesswrong.com"
        )
    path = parts.path.rstrip("/").removesuffix("/graphql")
    return Site(urlunsplit((parts.scheme, parts.netloc.lower(), path, "", "")))
