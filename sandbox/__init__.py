"""The sandbox: HomeDemo in a browser, without Telegram (`python -m bot sandbox`)."""
