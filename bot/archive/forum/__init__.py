"""A ForumMagnum site's whole archive (LessWrong, the Alignment Forum, the EA Forum), read through
its public GraphQL API: sites.py names the sites, client.py talks to the API, records.py turns its
answers into posts, crawl.py pages through them with a resumable cursor.

No discord here; the store is reached only through bot.archive.backfill.

May import: bot.archive only; never discord.
"""
