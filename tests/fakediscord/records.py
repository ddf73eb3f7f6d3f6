"""What the fake records: interactions and what the bot did about them, scripted rules, requests.

May import: the standard library; .world for types only.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .world import Channel, Guild, Message, User


@dataclass(eq=False)
class Interaction:
    """An interaction the fake sent, and everything the bot did about it (see `events`)."""

    id: int
    token: str
    type: int  # 2 command, 3 component, 4 autocomplete
    user: User
    channel: Channel
    data: dict[str, Any]
    created: float  # time.monotonic() of creation (earlier than dispatch when aged)
    source: Message | None = None  # the message a clicked button is on
    events: list[Event] = field(default_factory=list)
    original: Message | None = None
    responded: int | None = None  # callback type, once answered
    thinking: bool = False  # deferred with type 5 and not yet filled in
    choices: list[dict[str, Any]] | None = None  # autocomplete answer
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def guild(self) -> Guild | None:
        return self.channel.guild

    def record(self, kind: str, payload: Any = None, message: Message | None = None) -> Event:
        event = Event(kind, time.monotonic(), payload, message)
        self.events.append(event)
        self.changed.set()
        return event

    async def wait_for(
        self, kind: str | Callable[[Event], bool], *, count: int = 1, timeout: float = 10.0
    ) -> Event:
        """The `count`-th event of this kind (or matching this test), waiting for it."""
        test = kind if callable(kind) else (lambda event: event.kind == kind)
        async with asyncio.timeout(timeout):
            while True:
                matching = [event for event in self.events if test(event)]
                if len(matching) >= count:
                    return matching[count - 1]
                self.changed.clear()
                await self.changed.wait()

    async def first(self, timeout: float = 10.0) -> Event:
        """The first answer to Discord: the callback (a reply, a deferral or choices)."""
        return await self.wait_for("callback", timeout=timeout)

    async def reply(self, timeout: float = 10.0) -> Message:
        """The message that holds the answer, once it has one (not a "thinking..." placeholder).

        A callback with a message (types 4, 7), the edit of the original after a deferral, or a
        followup, whichever comes first.
        """
        event = await self.wait_for(_is_answer, timeout=timeout)
        assert event.message is not None
        return event.message

    async def response_choices(self, timeout: float = 10.0) -> list[dict[str, Any]]:
        """The autocomplete choices the bot answered with."""
        await self.first(timeout)
        assert self.choices is not None, f"answered with type {self.responded}, not choices"
        return self.choices

    def latency(self) -> float | None:
        """Seconds from creation to the first callback, if answered."""
        for event in self.events:
            if event.kind == "callback":
                return event.at - self.created
        return None


def _is_answer(event: Event) -> bool:
    if event.kind == "callback":
        return event.payload.get("type") in (4, 7)
    return event.kind in ("edit_original", "followup")


@dataclass
class Event:
    """One thing the bot did about an interaction."""

    kind: str  # callback | edit_original | delete_original | followup | edit_followup | error
    at: float  # time.monotonic()
    payload: Any
    message: Message | None = None


@dataclass
class Rule:
    """A scripted answer for matching requests: an error, a 429, or a delay."""

    method: str
    pattern: re.Pattern[str]
    times: int
    status: int | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    hits: int = 0
    after_serving: bool = False  # do the request's work first, then delay and/or fail the answer


@dataclass
class Request:
    """A REST request the bot made, and what the fake answered."""

    method: str
    path: str  # without /api/v10
    query: dict[str, str]
    body: Any
    headers: dict[str, str]
    at: float
    status: int = 0
