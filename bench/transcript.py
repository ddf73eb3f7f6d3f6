"""Print what the bot's replies look like, as plain text, from the payloads the fake Discord got.

Runs the real bot against the fake Discord of the tests, on the shipped archive, and shows
/search activation oracles, /post (with its autocomplete), a search that finds nothing, and /stats.

    .venv/bin/python bench/transcript.py
"""

from __future__ import annotations

import asyncio
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import Secret, Settings  # noqa: E402
from bot.discordbot.app import create_bot  # noqa: E402
from tests.fakediscord import FakeDiscord, Message  # noqa: E402

TIMESTAMP = re.compile(r"<t:(\d+):\w>")


def show(title: str, message: Message) -> None:
    from datetime import UTC, datetime

    def stamp(text: str) -> str:
        return TIMESTAMP.sub(
            lambda m: datetime.fromtimestamp(int(m.group(1)), UTC).strftime("%d %b %Y %H:%M"),
            text,
        )

    print(f"\n=== {title}  ({'only the user sees it' if message.ephemeral else 'public'})")
    if message.content:
        print(stamp(message.content))
    for embed in message.embeds:
        print(f"┃ {embed.get('title', '')}" + (f"  <{embed['url']}>" if embed.get("url") else ""))
        for line in stamp(embed.get("description", "")).splitlines():
            print(f"┃ {line}")
        for item in embed.get("fields", []):
            print(f"┃ [{item['name']}] {stamp(item['value'])}")
        if embed.get("footer", {}).get("text"):
            print(f"┃ — {embed['footer']['text']}")
    labels = [item.get("label") or item.get("url") for item in message.buttons()]
    if labels:
        print("  buttons: " + " | ".join(f"[{label}]" for label in labels))


async def main() -> None:
    fake = await FakeDiscord().start()
    guild = fake.add_guild("LessWrong readers")
    general = guild.add_text_channel("general")
    alice = guild.add_member(fake.add_user("alice"))
    with tempfile.TemporaryDirectory() as tmp, fake.patched():
        settings = Settings(db_path=Path(tmp) / "archive.db", discord_token=Secret(fake.token))
        bot = create_bot(settings, guild_ready_timeout=0.05)
        task = asyncio.create_task(bot.start(fake.token))
        try:
            await asyncio.wait_for(bot.wait_until_ready(), 30)
            ix = await fake.slash(alice, general, "search", query="activation oracles")
            show("/search activation oracles", await ix.reply())

            typed = await fake.autocomplete(alice, general, "post", "title", title="air")
            choices = await typed.response_choices()
            print("\n=== /post, typing 'air': " + " | ".join(c["name"] for c in choices[:4]))
            ix = await fake.slash(alice, general, "post", title=choices[0]["value"])
            show(f"/post {choices[0]['name']}", await ix.reply())

            ix = await fake.slash(alice, general, "search", query="activationoracles")
            show("/search activationoracles (nothing matches as typed)", await ix.reply())

            ix = await fake.slash(alice, general, "stats")
            show("/stats", await ix.reply())
        finally:
            await bot.close()
            await task
    await fake.close()


if __name__ == "__main__":
    asyncio.run(main())
