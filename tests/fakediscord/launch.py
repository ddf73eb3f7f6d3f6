"""Run `python -m bot ARGS...` with discord.py pointed at a fake Discord.

    python -m tests.fakediscord.launch http://127.0.0.1:PORT run

The first argument is `FakeDiscord.base`; the rest are the bot's own arguments. Nothing else
changes: settings come from the environment as usual (DISCORD_TOKEN must be the fake's token).
May import: the standard library, discord, yarl; nothing else of the fake, which runs elsewhere.
"""

from __future__ import annotations

import runpy
import sys

import discord.gateway
import discord.http
import yarl


def main() -> None:
    base = sys.argv[1].rstrip("/")
    discord.http.Route.BASE = base + "/api/v10"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(
        base.replace("http://", "ws://") + "/gateway"
    )
    sys.argv = ["bot", *sys.argv[2:]]
    runpy.run_module("bot", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
