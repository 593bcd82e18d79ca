"""A local Bot API server that refuses what Telegram refuses: the sandbox's Telegram, and the
test suite's. It knows nothing of HomeDemo (import-linter keeps it so)."""
