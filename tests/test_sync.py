"""Deciding whether the global commands changed, from our payload and Discord's answer."""

import copy

from bot.discordbot.sync import differ

LOCAL = [
    {
        "name": "search",
        "description": "Search",
        "type": 1,
        "options": [
            {"type": 3, "name": "query", "description": "Words", "required": True},
            {"type": 5, "name": "public", "description": "Show", "required": False},
        ],
        "nsfw": False,
        "dm_permission": True,
        "default_member_permissions": None,
        "contexts": None,
        "integration_types": None,
    },
    {"name": "Search the archive", "type": 3, "dm_permission": True, "contexts": None},
]


def as_discord_returns_it(commands):
    """Discord adds ids and versions, fills defaults, and leaves out required: false."""
    remote = copy.deepcopy(commands)
    for number, command in enumerate(remote):
        command.update(id=str(100 + number), application_id="1", version="7")
        command["integration_types"] = [0]
        command.setdefault("description", "")
        for option in command.get("options", []):
            if not option.get("required"):
                option.pop("required", None)
    return list(reversed(remote))


def test_the_same_commands_as_discord_returns_them_do_not_differ():
    assert not differ(LOCAL, as_discord_returns_it(LOCAL))


def test_any_real_change_differs():
    remote = as_discord_returns_it(LOCAL)
    changes = [
        lambda c: search(c).update(description="Old"),
        lambda c: search(c)["options"].pop(),
        lambda c: search(c)["options"][0].update(required=False),
        lambda c: search(c)["options"].reverse(),
        lambda c: c.remove(search(c)),
        lambda c: c.append({"name": "extra", "type": 1, "description": "x"}),
    ]
    for change in changes:
        changed = copy.deepcopy(remote)
        change(changed)
        assert differ(LOCAL, changed)


def search(commands):
    return next(c for c in commands if c["name"] == "search")


def test_nothing_registered_yet_differs():
    assert differ(LOCAL, [])


def test_permissions_sent_as_a_number_and_returned_as_a_string_do_not_differ():
    local = copy.deepcopy(LOCAL)
    search(local)["default_member_permissions"] = 32  # discord.py sends Manage Server so
    remote = as_discord_returns_it(local)
    search(remote)["default_member_permissions"] = "32"  # Discord answers so
    assert not differ(local, remote)
    search(remote)["default_member_permissions"] = "8"
    assert differ(local, remote)
