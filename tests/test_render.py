"""Pure builders: limits budgeted by fit(), escaping, buttons (no Discord connection needed)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import discord
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.archive.excerpt import make_excerpt
from bot.archive.models import StoredPost
from bot.archive.search import Hit
from bot.discordbot import custom_ids
from bot.discordbot.render.limits import LIMITS, Reply, check_components, clip, fit, size
from bot.discordbot.render.parts import quoted
from bot.discordbot.render.posts import title_choices
from bot.discordbot.render.search import search_page
from bot.services.answers import PAGE_SIZE, SearchPage, SearchRequest

text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=9000)
MARKUP = st.text(alphabet="ab *_\\`|~<>@[]()#\n😀é", max_size=9000)


def embed_of(title, description, fields, footer):
    embed = discord.Embed(title=title, description=description)
    for name, value in fields:
        embed.add_field(name=name, value=value)
    embed.set_footer(text=footer)
    return embed


def total(embed: dict) -> int:
    parts = [embed.get("title", ""), embed.get("description", "")]
    parts += [f["name"] + f["value"] for f in embed.get("fields", [])]
    parts.append(embed.get("footer", {}).get("text", ""))
    return sum(size(part) for part in parts)


@settings(max_examples=60, deadline=None)
@given(
    content=text,
    embeds=st.lists(
        st.builds(
            embed_of,
            text,
            MARKUP,
            st.lists(st.tuples(text, MARKUP), max_size=30),
            text,
        ),
        max_size=12,
    ),
)
def test_fit_keeps_every_limit(content, embeds):
    reply = fit(Reply(content, embeds))
    assert size(reply.content or "") <= LIMITS.content
    assert len(reply.embeds) <= LIMITS.embeds
    data = [embed.to_dict() for embed in reply.embeds]
    for embed in data:
        assert size(embed.get("title", "")) <= LIMITS.title
        assert size(embed.get("description", "")) <= LIMITS.description
        assert len(embed.get("fields", [])) <= LIMITS.fields
        for item in embed.get("fields", []):
            assert 1 <= size(item["name"]) <= LIMITS.field_name
            assert 1 <= size(item["value"]) <= LIMITS.field_value
        assert size(embed.get("footer", {}).get("text", "")) <= LIMITS.footer
    assert sum(total(embed) for embed in data) <= LIMITS.embed_total


def test_fit_leaves_short_replies_alone():
    embed = discord.Embed(title="t", description="d")
    reply = fit(Reply("hello", [embed]))
    assert reply.content == "hello" and reply.embeds[0].to_dict() == embed.to_dict()


def test_clip_cuts_at_a_word_and_never_leaves_broken_markdown():
    assert clip("alpha beta gamma", 12) == "alpha beta…"
    assert size(clip("😀" * 100, 11)) <= 11  # an emoji counts twice
    cut = clip("a **bold phrase that runs on** and on", 20)
    assert cut.count("**") % 2 == 0 and cut.endswith("…")
    escaped = clip("abc \\* " + "\\*" * 50, 10)
    assert not escaped.rstrip("…").endswith("\\") or escaped.rstrip("…").endswith("\\\\")


def test_user_text_is_escaped_and_cannot_mention():
    shown = quoted("@everyone <@123456789012345678> **x** [a](http://b)")
    assert "@everyone" not in shown and "<@123456789012345678>" not in shown
    assert "\\*\\*x\\*\\*" in shown and "\\[a" in shown


def post(**changes) -> StoredPost:
    values = dict(
        id=7,
        title="A Post",
        url="https://www.lesswrong.com/posts/abcdefghijklmnopq/a-post",
        guid=None,
        author="Ada",
        published=datetime(2026, 6, 4, 18, 34, tzinfo=UTC),
        paragraph_count=12,
    )
    values.update(changes)
    return StoredPost(**values)


def hit(stored: StoredPost, paragraph: int = 0, body: str = "words about oracles here") -> Hit:
    return Hit(stored, paragraph, body, 1.0, make_excerpt(body, ["oracles"]))


def test_search_page_layout_and_buttons():
    stored = post()
    hits = [hit(stored, 0), hit(stored, 3), hit(post(id=8, title="Other"), 1)]
    page = SearchPage(SearchRequest("oracles"), 0, hits, True, session_id=99)
    reply = search_page(page, private=True)
    assert reply.content == "🔎 Results 1–3 for “oracles”"
    first = reply.embeds[0].to_dict()
    assert first["title"] == "1. A Post" and "#:~:text=" in first["url"]
    assert first["description"] == "by **Ada** · <t:1780598040:D>\n> words about **oracles** here"
    rows = reply.view.to_components()
    assert [b["label"] for b in rows[0]["components"]] == [
        "◀ Previous",
        "Next ▶",
        "Share in channel",
    ]
    assert rows[0]["components"][0]["disabled"] is True
    # One "more" button per post, numbered by its first hit.
    assert [b["label"] for b in rows[1]["components"]] == ["More from #1", "More from #3"]
    ids = [b["custom_id"] for row in rows for b in row["components"]]
    assert all(
        any(p.fullmatch(i) for p in custom_ids.ALL) and re.fullmatch(custom_ids.TEMPLATE, i)
        for i in ids
    )
    public = search_page(page, private=False)
    assert "Share in channel" not in [b.label for b in public.view.children]


def test_weak_hits_are_introduced_as_the_closest_below_any_unmatched_note():
    hits = [hit(post())]
    weak = SearchPage(SearchRequest("*oracles* @everyone"), 0, hits, False, session_id=1, weak=True)
    lines = search_page(weak, private=True).content.splitlines()
    assert lines[1] == "Nothing in the archive matches this well; the closest paragraphs:"
    both = SearchPage(
        SearchRequest("zorblax oracles"), 0, hits, False, unmatched=["zorblax"], weak=True
    )
    assert search_page(both, private=True).content.splitlines()[1:] == [
        "No post mentions *zorblax*; showing results for *oracles*.",
        "Nothing in the archive matches this well; the closest paragraphs:",
    ]
    plain = SearchPage(SearchRequest("oracles"), 0, hits, False, session_id=1)
    assert "matches this well" not in search_page(plain, private=True).content


def test_a_forum_posts_card_names_its_coauthors_and_karma():
    stored = post(coauthors=("Bo", "Cy"), karma=1234, comments=1)
    page = SearchPage(SearchRequest("oracles"), 0, [hit(stored)], False, session_id=1)
    description = search_page(page, private=True).embeds[0].to_dict()["description"]
    assert description.startswith(
        "by **Ada, Bo and Cy** · <t:1780598040:D> · 1,234 karma · 1 comment\n"
    )


def test_huge_titles_and_giant_words_still_fit():
    giant = "x" * 5000
    stored = post(title="T" * 400, url="https://example.com/" + "y" * 3000, author="@everyone")
    hits = [hit(stored, i, giant) for i in range(PAGE_SIZE)]
    page = SearchPage(SearchRequest("q" * 6000), 0, hits, True, session_id=1)
    reply = search_page(page, private=True)
    data = [e.to_dict() for e in reply.embeds]
    assert all(size(e["title"]) <= 256 and "url" not in e for e in data)
    assert sum(total(e) for e in data) <= 6000
    assert "@everyone" not in " ".join(e["description"] for e in data)
    assert size(reply.content) <= 2000


def test_choices_are_cut_to_discords_limits():
    posts = [post(id=i, title=f"{'Long title ' * 20}{i}") for i in range(40)]
    choices = title_choices(posts)
    assert len(choices) == 25
    assert all(1 <= len(c.name) <= 100 and c.value == f"post:{i}" for i, c in enumerate(choices))


def test_buttons_over_the_limits_are_a_bug_not_a_cut():
    view = discord.ui.View()
    for i in range(6):
        view.add_item(discord.ui.Button(label=str(i), custom_id=f"ab:{i}", row=0 if i < 5 else 1))
    check_components(view)  # 5 + 1: fine
    bad = discord.ui.View()
    bad.add_item(discord.ui.Button(label="x", custom_id="ab:" + "9" * 100))
    try:
        check_components(bad)
    except ValueError:
        pass
    else:
        raise AssertionError("a 103-character custom_id must be refused")
