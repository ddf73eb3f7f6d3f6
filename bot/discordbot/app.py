"""The Discord bot: a discord.py Bot built by create_bot(settings), holding the archive.

`setup_hook` owns start-up: it opens the archive (building it from the shipped dump on first run),
loads the cogs, registers the persistent buttons and syncs the slash commands (see sync.py).
`close()` stops background work, unloads the cogs, disconnects, then closes the database.

May import: discord, bot.services, bot.archive, bot.feeds, bot.config.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from ..archive.autosync import AutoSync
from ..archive.backfill import BackfillOptions
from ..archive.search import Searcher
from ..archive.sources import read_source
from ..archive.store import Archive, Location, is_database_url, run_lock
from ..archive.store.leader import Leadership
from ..config import Settings, shipped_archive
from ..feeds.poller import Poller
from ..feeds.schedule import PollPolicy
from ..services.announcements import Announcements
from ..services.answers import Answers
from ..services.sessions import SessionStore, sessions_location
from . import custom_ids
from .announcer import DiscordAnnouncer
from .cogs import buttons
from .cogs.announce import AnnounceCog
from .cogs.info import InfoCog
from .cogs.posts import PostsCog
from .cogs.search import SearchCog
from .render.parts import RESTARTING, notice
from .replies import report_error, tell
from .sync import SyncResult, sync_commands

log = logging.getLogger(__name__)

CLOSE_GRACE = 10.0  # seconds close() waits for interactions being answered
# A 429 asking to wait longer than this raises instead of sleeping inside discord.py (30 is the
# least it takes): announcements are deferred by the outbox, a reply fails with a logged error.
MAX_RATELIMIT_WAIT = 30.0


class ArchiveTree(app_commands.CommandTree):
    """The command tree, with the bot's one error handler."""

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Every command and autocomplete passes ArchiveBot.admit first."""
        return await interaction.client.admit(interaction)  # type: ignore[attr-defined]

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """Hand every command error to the one handler, replies.report_error."""
        await report_error(interaction, error)


class ArchiveBot(commands.Bot):
    """The bot. Resources are opened in setup_hook and closed in close().

    Of several processes sharing one archive, one elected at a time polls, announces and syncs
    (see `_lead`), and the one with shard 0 pushes the slash commands.
    """

    def __init__(
        self,
        settings: Settings,
        archive_db: Location,
        *,
        sync_on_start: bool = True,
        poll_feeds: bool = True,
        poller_options: dict[str, Any] | None = None,
        **options: Any,
    ):
        # The bot has no voice features: skip discord.py's warnings about voice libraries.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        options.setdefault("max_ratelimit_timeout", MAX_RATELIMIT_WAIT)
        if settings.shard_count is not None:
            options.setdefault("shard_count", settings.shard_count)
            options.setdefault("shard_ids", list(settings.shard_ids or ()))
        super().__init__(
            command_prefix=commands.when_mentioned,
            # Only the guilds intent (channels, roles, permissions); none is privileged.
            intents=discord.Intents.none() | discord.Intents(guilds=True),
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            tree_cls=ArchiveTree,
            **options,
        )
        self.settings = settings
        self.archive_db = archive_db
        self.sync_on_start = sync_on_start
        self.poll_feeds = poll_feeds  # False for `archive-bot sync`: log in, push, leave
        self.poller_options = poller_options or {}
        self.poller: Poller | None = None
        self.leadership: Leadership | None = None  # opened with the archive, see _lead
        self.autosync: AutoSync | None = None  # ARCHIVE_SYNC's background task
        self._leading: asyncio.Task[None] | None = None  # see _lead
        self.announcements: Announcements = None  # type: ignore[assignment]  # set in setup_hook
        self.archive: Archive | None = None
        self.searcher: Searcher = None  # type: ignore[assignment]  # set in setup_hook
        self.sessions: SessionStore = None  # type: ignore[assignment]
        self.answers: Answers = None  # type: ignore[assignment]
        self.last_sync: SyncResult | None = None
        self.closing = False
        self._inflight: set[asyncio.Task] = set()

    async def setup_hook(self) -> None:
        """Open the archive and sessions, load the cogs and buttons, sync the commands, start
        the feed poller."""
        self.archive = await Archive.open(self.archive_db)
        await seed_if_empty(self.archive)
        self.searcher = Searcher(self.archive)
        await self.searcher.titles()  # titles in memory before the first autocomplete
        self.sessions = await SessionStore.open(sessions_location(self.archive_db))
        self.answers = Answers(self.archive, self.searcher, self.sessions)
        self.poller = Poller(
            self.archive,
            **{
                "announcer": DiscordAnnouncer(self),
                "policy": PollPolicy(interval=self.settings.feed_poll_seconds),
                "public_only": not self.settings.feed_allow_private,
                **self.poller_options,
            },
        )
        self.leadership = self.archive.leadership()
        self.announcements = Announcements(
            self.poller.store,
            default_feed=self.settings.default_feed,
            allow_private=self.settings.feed_allow_private,
            wake=self._wake_poller,
        )
        for cog in (SearchCog(self), PostsCog(self), InfoCog(self), AnnounceCog(self)):
            await self.add_cog(cog)
        self.add_dynamic_items(buttons.ArchiveButton)
        if self.sync_on_start and self.settings.syncs_commands:
            try:
                self.last_sync = await self.sync_commands()
            except discord.HTTPException as exc:
                # Keep serving the commands Discord already has; say how to fix it.
                log.error(
                    "could not sync slash commands (%s %s): %s. If the bot was invited without "
                    "the applications.commands scope, invite it again (see README).",
                    exc.status,
                    exc.code,
                    exc.text,
                )
        if self.poll_feeds:
            # Announcing goes over REST, so it needs no gateway session: start at once.
            self._leading = asyncio.create_task(self._lead(), name="leadership")
            self._leading.add_done_callback(_log_end_of_leading)

    async def _lead(self) -> None:
        """Run the feed poller, the announcer and the archive sync while this process leads:
        at once on SQLite; on PostgreSQL once elected, until the election is lost."""
        assert self.poller is not None and self.leadership is not None
        leadership = self.leadership
        try:
            while True:
                await leadership.elected()
                log.info("this process polls the feeds, announces and syncs the archive")
                self.poller.start()
                await leadership.listen(self.poller.wake)
                if self.settings.sync_sources:
                    self.autosync = AutoSync(
                        self.archive,
                        self.settings.sync_sources,
                        hours=self.settings.sync_hours,
                        options=BackfillOptions(
                            pace=self.settings.sync_pace, headers=self.settings.forum_headers
                        ),
                    )
                    self.autosync.start()
                await leadership.lost()
                log.warning("no longer sure to lead: stopping the poller until elected again")
                await self._stop_duties()
        finally:
            await leadership.close()

    def _wake_poller(self) -> None:
        """Have new subscriptions polled now: by this process's poller if it leads, else by the
        leader's, which another process may run (Leadership.wake_leader)."""
        assert self.poller is not None and self.leadership is not None
        self.poller.wake()
        task = asyncio.create_task(self.leadership.wake_leader(), name="wake the leader")
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)

    async def _stop_duties(self) -> None:
        if self.autosync is not None:
            await self.autosync.close()  # a page being stored is rolled back, fetched again later
            self.autosync = None
        if self.poller is not None:
            # Before the HTTP session and the archive close. A send cut short stays claimed in
            # the outbox; the next start finds it in the channel instead of posting it twice.
            await self.poller.close()

    async def sync_commands(self, *, force: bool = False) -> SyncResult:
        """Sync the slash commands per the policy in sync.py (guild when DISCORD_GUILD_ID)."""
        return await sync_commands(self, self.tree, guild_id=self.settings.guild_id, force=force)

    async def on_ready(self) -> None:
        """Log the connection (after every fresh gateway session)."""
        log.info("connected as %s (id %s) to %d servers", self.user, self.user.id, len(self.guilds))

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """A click on our button that discord.py does not dispatch (see cogs/buttons.py)."""
        if interaction.type is not discord.InteractionType.component:
            return
        custom_id = (interaction.data or {}).get("custom_id", "")
        if custom_ids.is_ours(custom_id) and not buttons.dispatched_by_discord_py(
            interaction, custom_id
        ):
            await buttons.handle(interaction, custom_id)

    async def admit(self, interaction: discord.Interaction) -> bool:
        """Let an interaction in, and track its task so close() can let it finish."""
        if self.closing:
            if interaction.type is discord.InteractionType.autocomplete:
                with contextlib.suppress(discord.HTTPException):
                    await interaction.response.autocomplete([])
            else:
                await tell(interaction, notice(RESTARTING))
            return False
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)
        return True

    async def close(self) -> None:
        """Finish the interactions in hand (up to CLOSE_GRACE s), then disconnect and close."""
        if not self.closing:
            self.closing = True
            pending = self._inflight - {asyncio.current_task()}
            if pending:
                log.info("letting %d interactions finish before closing", len(pending))
                _, late = await asyncio.wait(pending, timeout=CLOSE_GRACE)
                for task in late:
                    task.cancel()
        if self._leading is not None:
            self._leading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._leading
        await self._stop_duties()
        await super().close()  # unloads cogs (stopping their loops), then disconnects
        if self.sessions is not None:
            await self.sessions.close()
        if self.searcher is not None:
            await self.searcher.close()
        if self.archive is not None:
            await self.archive.close()
        log.info("closed")


class ShardedArchiveBot(ArchiveBot, commands.AutoShardedBot):
    """The bot on the shards DISCORD_SHARD_IDS names (of DISCORD_SHARD_COUNT), one gateway
    connection each: what Discord requires from 2,500 servers on."""


async def seed_if_empty(archive: Archive) -> None:
    """On first run, fill an empty archive from the shipped dump so the bot answers at once."""
    shipped = shipped_archive()
    if shipped is None or not await archive.is_empty():
        return
    log.info("first run: building %s from %s", archive.path, shipped)
    report = await archive.ingest(await read_source(str(shipped)))
    log.info("first run: %d posts, %d paragraphs", report.posts, report.paragraphs)


def create_bot(
    settings: Settings,
    archive_db: Location | None = None,
    *,
    poller_options: dict[str, Any] | None = None,
    **options: Any,
) -> ArchiveBot:
    """Build the bot without starting it (tests run it in-process against a fake Discord).

    `poller_options` go to the feed Poller (tests pass a clock or a policy); `options` go to
    discord.py's Client (tests pass guild_ready_timeout, for instance).
    """
    kind = ArchiveBot if settings.shard_count is None else ShardedArchiveBot
    return kind(
        settings, archive_db or settings.archive_db, poller_options=poller_options, **options
    )


def run_bot(settings: Settings, archive_db: Location) -> int:
    """Run the bot until it is stopped (Ctrl-C or SIGTERM); returns the process exit status.

    Raises ArchiveInUse, before connecting to anything, when another run serves the same file."""
    assert settings.discord_token is not None
    try:
        if is_database_url(archive_db):  # any number of processes: they elect one poller
            asyncio.run(_run(settings, archive_db))
        else:
            with run_lock(archive_db):  # one bot per SQLite file: a second would poll twice
                asyncio.run(_run(settings, archive_db))
    except discord.LoginFailure:
        log.error("Discord rejected the token: check DISCORD_TOKEN in .env")
        return 1
    except KeyboardInterrupt:
        pass
    return 0


async def _run(settings: Settings, archive_db: Location) -> None:
    bot = create_bot(settings, archive_db)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on Windows
            loop.add_signal_handler(signum, stop.set)
    async with bot:
        runner = asyncio.create_task(bot.start(settings.discord_token.reveal()))
        stopper = asyncio.create_task(stop.wait())
        await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if runner.done():
            stopper.cancel()
            runner.result()  # raise what stopped it (LoginFailure, a closed gateway, ...)
            return
        log.info("stopping")
        await bot.close()
        await runner


def _log_end_of_leading(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("the poller's election failed", exc_info=task.exception())
