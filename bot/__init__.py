"""The runtime: settings, database, the per-update boundary, the outbox dispatcher, the runners
and the command line. `bot.app` is the composition root, the only module that imports `handlers`."""
