"""The outbox's sending half: decide what each channel gets, send it once, record the outcome.

For every post a feed shows that a healthy subscription has not decided about, a row is recorded
(pending, or filtered / duplicate / baseline, never sent). Each message is claimed under a nonce
before it is sent and marked sent after; a claimed message found after a crash or a failure is
looked for in the channel before it is sent again. Channel faults come from the Announcer as the
exceptions of announcer.py; a fault in one channel never holds up the others.

May import: bot.archive, bot.feeds; never discord.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from ..archive.integrity import losses
from ..archive.store import Archive
from .announcer import (
    Announcer,
    ChannelGone,
    MissingPermission,
    RateLimited,
    Rejected,
    TransientError,
)
from .compose import (
    DIGEST_AFTER,
    DIGEST_MAX,
    announced_post,
    notice_announcement,
    post_announcement,
)
from .models import (
    Announcement,
    AnnouncementKind,
    Feed,
    Group,
    OutboxState,
    Subscription,
    matches_keywords,
)
from .store import FeedStore

log = logging.getLogger(__name__)

OPENING_PARAGRAPHS = 3  # enough for an excerpt
FIRST_RETRY = 30.0  # seconds before a failed send is tried again; doubles, up to retry_cap
# A claimed message belongs to the process that claimed it for this long: time enough to send it.
# After a crash the next process looks for it in the channel at once: found, it is recorded and
# the channel goes on. Not found, it may still be on its way from a process that is alive, so the
# channel waits for the lease to run out, then looks again and sends it.
CLAIM_LEASE = 300
# A post whose announcement would show characters lost in decoding (U+FFFD: a feed answer with a
# bad byte) waits this long for a clean copy from a later fetch; a Discord message stays as sent.
LOSSY_HOLD = 3600


@dataclass(slots=True)
class DeliveryReport:
    """What announcing did in one round."""

    baselines: int = 0  # subscriptions that marked their feed's backlog seen
    enqueued: int = 0  # (subscription, post) decisions recorded
    messages: int = 0  # messages sent
    posts: int = 0  # posts announced in them
    digests: int = 0
    notices: int = 0
    recovered: int = 0  # messages found already sent after a crash, not sent again
    deferred: int = 0  # messages to retry later (rate limit, Discord or network failure)
    failed: int = 0  # messages Discord refused for good
    broken: list[tuple[int, str]] = field(default_factory=list)  # (subscription id, reason)


class Delivery:
    """Sends what waits in the outbox through an Announcer."""

    def __init__(
        self,
        archive: Archive,
        store: FeedStore,
        announcer: Announcer,
        *,
        clock: Callable[[], float],
        retry_cap: float,
        digest_after: int = DIGEST_AFTER,
        digest_max: int = DIGEST_MAX,
    ):
        self.archive = archive
        self.store = store
        self.announcer = announcer
        self.clock = clock
        self.retry_cap = retry_cap
        self.digest_after = digest_after
        self.digest_max = digest_max
        # Claims this process made, or looked for before their lease ran out: not looked at again
        # until the lease is over.
        self._known_claims: set[str] = set()

    async def run(self) -> DeliveryReport:
        """Decide about the posts feeds show, then send what waits in the outbox."""
        report = DeliveryReport()
        now = self.clock()
        report.baselines = await self.store.take_baselines(now)
        report.enqueued = await self._enqueue(now)
        for subscription in await self.store.waiting_subscriptions():
            try:
                await self._deliver(subscription, report)
            except Exception:  # a bug or a database failure: this channel only
                log.exception(
                    "announcing in channel %d (subscription %d) failed",
                    subscription.channel_id,
                    subscription.id,
                )
        return report

    async def _enqueue(self, now: float) -> int:
        """Record, for each post a subscription has not seen, whether it is to be announced."""
        candidates = await self.store.candidates()
        keyword_posts = {c.post_id for c in candidates if c.keywords}
        posts = await self.archive.get_posts(keyword_posts)
        bodies = {post_id: await self.archive.get_paragraphs(post_id) for post_id in posts}
        lossy = await self._lossy({c.post_id for c in candidates})
        hold = math.ceil(now + LOSSY_HOLD)
        decisions: list[tuple[int, int, OutboxState, int]] = []
        in_channel: set[tuple[int, int]] = set()
        for candidate in candidates:
            key = (candidate.channel_id, candidate.post_id)
            if candidate.in_channel or key in in_channel:
                state = OutboxState.DUPLICATE
            elif candidate.keywords and not (
                candidate.post_id in posts
                and matches_keywords(
                    candidate.keywords,
                    posts[candidate.post_id].title,
                    bodies[candidate.post_id],
                )
            ):
                state = OutboxState.FILTERED
            else:
                state = OutboxState.PENDING
                in_channel.add(key)
            held = state is OutboxState.PENDING and candidate.post_id in lossy
            decisions.append(
                (candidate.subscription_id, candidate.post_id, state, hold if held else 0)
            )
        for post_id in sorted({post for _, post, _, until in decisions if until}):
            log.warning(
                "post %d lost characters in decoding (U+FFFD); its announcement waits up to %d s "
                "for a clean copy",
                post_id,
                LOSSY_HOLD,
            )
        return await self.store.enqueue(decisions, now) if decisions else 0

    async def _lossy(self, post_ids: set[int]) -> set[int]:
        """The posts whose announcement would show characters lost in decoding."""
        posts = await self.archive.get_posts(post_ids, count_paragraphs=False)
        found = set()
        for post_id, post in posts.items():
            opening = await self.archive.get_paragraphs(post_id, 0, OPENING_PARAGRAPHS)
            if losses(post.title, post.author, *opening):
                found.add(post_id)
        return found

    async def _release_held(self, subscription: Subscription) -> None:
        """Let held posts go: those repaired by a clean copy, and those that waited long enough."""
        held = await self.store.held(subscription.id)
        if not held:
            return
        lossy = await self._lossy({row.post_id for row in held if row.post_id is not None})
        now = self.clock()
        released = []
        for row in held:
            if row.post_id not in lossy:
                log.info("post %s has a clean copy now; announcing it", row.post_id)
            elif row.not_before <= now:
                log.warning(
                    "post %s: no clean copy within %d s; announcing it with U+FFFD in it",
                    row.post_id,
                    LOSSY_HOLD,
                )
            else:
                continue
            released.append(row.id)
        if released:
            await self.store.release_held(released)

    async def _deliver(self, subscription: Subscription, report: DeliveryReport) -> None:
        """Send a subscription's waiting messages in order; stop at the first that must wait."""
        feed = await self.store.feed(subscription.feed_id)
        if feed is None:
            return
        claimed = await self.store.claimed_groups(subscription.id)
        claimed = [g for g in claimed if not await self._found_early(subscription, feed, g, report)]
        if any(group.not_before > self.clock() for group in claimed):
            return  # an older message waits for its retry; newer ones must not overtake it
        for group in claimed:
            if not await self._send(subscription, feed, group, report, recovering=True):
                return
        await self._release_held(subscription)
        while True:
            group = await self.store.claim_next(
                subscription.id,
                now=self.clock(),
                lease_until=math.ceil(self.clock() + CLAIM_LEASE),
                digest_after=self.digest_after,
                digest_max=self.digest_max,
            )
            if group is None:
                return
            self._known_claims.add(group.nonce)
            if not await self._send(subscription, feed, group, report, recovering=False):
                return

    async def _found_early(
        self, subscription: Subscription, feed: Feed, group: Group, report: DeliveryReport
    ) -> bool:
        """Whether a message another process claimed (and, likely, crashed sending) is in the
        channel already: looked for once, before its lease runs out, and recorded if found.

        A negative answer proves nothing while the claimer may be alive, so it changes nothing;
        nor does a failure, which the recovery after the lease meets again and handles.
        """
        if group.not_before <= self.clock() or group.nonce in self._known_claims:
            return False
        self._known_claims.add(group.nonce)
        announcement = await self._build(subscription, feed, group)
        if announcement is None:
            return False
        try:
            message_id = await self.announcer.find_sent(
                subscription.channel_id, announcement, group.nonce
            )
        except Exception as exc:  # the announcer's faults, or a bug: the lease decides
            log.info("could not look for message %s yet: %r", group.nonce, exc)
            return False
        if message_id is None:
            return False
        log.info(
            "message %s in channel %d was sent before a restart",
            group.nonce,
            subscription.channel_id,
        )
        await self.store.mark_sent(group.nonce, message_id, now=self.clock())
        report.recovered += 1
        return True

    async def _send(
        self,
        subscription: Subscription,
        feed: Feed,
        group: Group,
        report: DeliveryReport,
        *,
        recovering: bool,
    ) -> bool:
        """Send one claimed message and record the outcome; False if the channel must wait."""
        announcement = await self._build(subscription, feed, group)
        if announcement is None:  # its posts were deleted from the archive meanwhile
            return True
        channel = subscription.channel_id
        try:
            if recovering:
                message_id = await self.announcer.find_sent(channel, announcement, group.nonce)
                if message_id is not None:
                    log.info(
                        "message %s in channel %d was sent before a restart", group.nonce, channel
                    )
                    await self.store.mark_sent(group.nonce, message_id, now=self.clock())
                    report.recovered += 1
                    return True
                await self.store.count_attempt(group.nonce)
            message_id = await self.announcer.send(channel, announcement, group.nonce)
        except (ChannelGone, MissingPermission) as exc:
            reason = _broken_reason(exc)
            log.warning(
                "channel %d (guild %d): %s; subscription %d is broken",
                channel,
                subscription.guild_id,
                reason,
                subscription.id,
            )
            await self.store.release(group.nonce, reason)
            await self.store.mark_broken(subscription.id, reason, now=self.clock())
            report.broken.append((subscription.id, reason))
            return False
        except RateLimited as exc:
            await self.store.defer(
                group.nonce,
                f"rate limited: {exc}",
                not_before=math.ceil(self.clock() + max(0.0, exc.retry_after)),
            )
            report.deferred += 1
            return False
        except Rejected as exc:
            log.error("Discord refused message %s for channel %d: %s", group.nonce, channel, exc)
            await self.store.mark_failed(group.nonce, str(exc) or exc.__class__.__name__)
            report.failed += 1
            return True
        except Exception as exc:  # TransientError, or anything the adapter did not expect
            if not isinstance(exc, TransientError):
                log.exception("unexpected error announcing in channel %d", channel)
            delay = min(self.retry_cap, FIRST_RETRY * 2 ** max(0, group.attempts - 1))
            await self.store.defer(
                group.nonce,
                f"{exc.__class__.__name__}: {exc}",
                not_before=math.ceil(self.clock() + delay),
            )
            report.deferred += 1
            return False
        await self.store.mark_sent(group.nonce, message_id, now=self.clock())
        report.messages += 1
        report.posts += len(announcement.posts)
        report.digests += announcement.kind is AnnouncementKind.DIGEST
        report.notices += announcement.kind is AnnouncementKind.NOTICE
        return True

    async def _build(
        self, subscription: Subscription, feed: Feed, group: Group
    ) -> Announcement | None:
        if group.notice is not None:
            return notice_announcement(feed, group.notice)
        stored = await self.archive.get_posts(group.post_ids)
        posts = [
            announced_post(
                stored[post_id],
                await self.archive.get_paragraphs(post_id, 0, OPENING_PARAGRAPHS),
            )
            for post_id in group.post_ids
            if post_id in stored
        ]
        if not posts:
            return None
        return post_announcement(feed, posts, subscription.role_id)


def _broken_reason(exc: Exception) -> str:
    kind = "channel not found" if isinstance(exc, ChannelGone) else "missing permission"
    detail = str(exc).strip()
    return f"{kind}: {detail}" if detail else kind
