"""Presentation: everything that turns domain objects into what a person sees in Telegram.

Texts, keyboards, receipts, notifications, calendars (.ics), charts, CSV files, and the
formatting of money, numbers and dates in the reader's language. Pure functions of (domain
data, locale, timezone): no database, no network. `models` below, `handlers` and `bot` above.
"""
