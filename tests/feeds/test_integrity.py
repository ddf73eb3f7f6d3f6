"""A feed answer with a bad byte: no stored post gets worse, and no channel sees what was lost."""

from __future__ import annotations

from bot.feeds.delivery import LOSSY_HOLD

from .lesswrong import item, newest, rss

NAIVE = item(5, "Naïve — dash")  # stored clean before the bad answer comes
BACKLOG = [*(item(n) for n in range(1, 5)), NAIVE]
CAFE = item(6, "Café at six")


def with_bad_byte(items) -> bytes:
    """The feed showing `items`, with the é of "Café" lost to one invalid byte."""
    return rss(items).replace("Café".encode(), b"Caf\xff")


async def follow(rig, channel=101):
    rig.publish(newest(BACKLOG))
    await rig.subscribe(channel)
    await rig.round()


async def stored_titles(rig) -> set[str]:
    return {post.title async for post in rig.archive.iter_posts()}


async def test_a_bad_byte_holds_its_post_until_a_clean_copy_is_announced(rig):
    await follow(rig)
    rig.server.publish("feed.xml", with_bad_byte(newest([*BACKLOG, CAFE])))

    report = await rig.round()

    assert any("lost characters (U+FFFD)" in w for w in report.feeds[0].warnings)
    assert rig.announcer.posts(101) == []  # not announced as "Caf� at six"
    assert {"Naïve — dash", "Caf\ufffd at six"} <= await stored_titles(rig)  # no mojibake
    rig.publish(newest([*BACKLOG, CAFE]))  # the next answer is whole again

    await rig.round()

    assert rig.announcer.posts(101) == ["Café at six"]
    assert "Caf\ufffd at six" not in await stored_titles(rig)
    await rig.round(advance=LOSSY_HOLD)
    assert rig.announcer.posts(101) == ["Café at six"]  # once


async def test_without_a_clean_copy_the_post_goes_out_after_the_hold_and_holds_up_no_other(rig):
    await follow(rig)
    rig.server.publish("feed.xml", with_bad_byte(newest([*BACKLOG, CAFE])))
    await rig.round()
    rig.server.publish("feed.xml", with_bad_byte(newest([*BACKLOG, CAFE, item(7)])))

    await rig.round()

    assert rig.announcer.posts(101) == ["Post number 7"]
    await rig.round(advance=LOSSY_HOLD - 600)
    assert rig.announcer.posts(101) == ["Post number 7", "Caf\ufffd at six"]


async def test_a_bad_answer_never_replaces_the_clean_text_of_a_post_already_announced(rig):
    await follow(rig)
    rig.publish(newest([*BACKLOG, CAFE]))
    await rig.round()
    assert rig.announcer.posts(101) == ["Café at six"]
    rig.server.publish("feed.xml", with_bad_byte(newest([*BACKLOG, CAFE, item(7)])))

    report = await rig.round()

    assert any("kept the stored one" in w for w in report.feeds[0].warnings)
    assert "Café at six" in await stored_titles(rig)
    assert rig.announcer.posts(101) == ["Café at six", "Post number 7"]
