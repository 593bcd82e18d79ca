"""What a receipt and the orders CSV show, in the reader's language: product names as sold,
withdrawal deadlines only where there is a right to withdraw, numbers a spreadsheet reads."""

import csv
import io
from datetime import UTC, datetime

from models.orders import Order, OrderKind, OrderLine, OrderStatus
from models.users import User
from views.i18n import use_locale
from views.receipts import receipt
from views.reports import orders_csv

SOLD = datetime(2031, 3, 25, 18, 30, tzinfo=UTC)


def reader(lang: str, tz: str = "Europe/Rome") -> User:
    return User(id=9, telegram_id=9, display_name="Reader", locale=lang, timezone=tz)


def an_order(*, kind=OrderKind.RETAIL, status=OrderStatus.CONFIRMED, customer="Ada", order_id=1) -> Order:
    return Order(
        id=order_id,
        kind=kind,
        status=status,
        customer_name=customer if kind == OrderKind.RETAIL else None,
        currency="EUR",
        withdrawal_days=30,
        withdrawal_ends_at=datetime(2031, 4, 24, 22, 0, tzinfo=UTC),  # midnight in Rome
        timezone="Europe/Rome",
        created_at=SOLD,
    )


def spatula(*, quantity=2, withdrawn=0, robot=False) -> OrderLine:
    names = (
        dict(sku="TM7", name="Kitchen robot TM7", name_it="Robot da cucina TM7", name_de="Küchenmaschine TM7")
        if robot
        else dict(sku="SPAT", name="Spatula", name_it="Spatola", name_es="Espátula", name_fr="Spatule")
    )
    price = 154900 if robot else 1490
    return OrderLine(unit_price_minor=price, quantity=quantity, withdrawn_quantity=withdrawn, **names)


def show(order, lines, lang):
    with use_locale(lang):
        return receipt(order, lines, reader(lang), reseller_name="Marta")


def test_a_receipt_names_products_in_the_readers_language_as_they_were_sold():
    lines = [spatula(), spatula(robot=True, quantity=1)]
    assert "2 × Spatola:" in show(an_order(), lines, "it") and "1 × Robot da cucina TM7:" in show(
        an_order(), lines, "it"
    )
    assert "2 × Spatula:" in show(an_order(), lines, "en")


def test_a_receipt_shows_the_withdrawal_deadline_while_something_can_be_withdrawn():
    assert "you may withdraw from this purchase until 24 April 2031 (30 days)" in show(an_order(), [spatula()], "en")
    partly = show(an_order(), [spatula(withdrawn=1)], "en")
    assert "until 24 April 2031" in partly


def test_a_wholly_withdrawn_order_shows_no_withdrawal_deadline():
    text = show(an_order(), [spatula(withdrawn=2)], "en")
    assert "withdrawn: 2" in text and "Still due after withdrawals: 0,00\u00a0€" in text
    assert "withdraw from this purchase" not in text


def test_a_cancelled_order_shows_no_withdrawal_deadline():
    text = show(an_order(status=OrderStatus.CANCELLED), [spatula()], "en")
    assert "cancelled" in text and "withdraw from this purchase" not in text


def test_an_own_use_purchase_has_no_withdrawal_deadline_at_all():
    own = an_order(kind=OrderKind.OWN_USE)
    assert "withdraw" not in show(own, [spatula()], "en").casefold()
    rows = exported([(own, [spatula()])], "en")
    assert rows[1][12] == ""  # the CSV's "withdrawal until" stays empty too


def exported(found, lang, tz="Europe/Rome"):
    with use_locale(lang):
        data = orders_csv(found, reader(lang, tz)).decode("utf-8-sig")
    delimiter = ";" if ";" in data.splitlines()[0] else ","
    return list(csv.reader(io.StringIO(data), delimiter=delimiter))


def test_the_csv_speaks_italian_to_an_italian_with_numbers_italian_spreadsheets_read():
    found = [
        (an_order(), [spatula(), spatula(robot=True, quantity=1)]),
        (an_order(kind=OrderKind.OWN_USE, order_id=2), [spatula()]),
    ]
    with use_locale("it"):
        data = orders_csv(found, reader("it")).decode("utf-8-sig")
    assert data.splitlines()[0].count(";") == 12  # semicolons, since the decimal sign is a comma
    rows = list(csv.reader(io.StringIO(data), delimiter=";"))
    assert rows[0][:5] == ["ordine", "data", "tipo", "cliente", "stato"]
    assert rows[1][2:7] == ["vendita", "Ada", "confermato", "SPAT", "Spatola"]
    assert rows[2][6] == "Robot da cucina TM7" and rows[2][9:12] == ["1549,00", "1549,00", "EUR"]
    assert rows[3][2] == "uso personale" and rows[1][12] == "2031-04-24" and rows[3][12] == ""


def test_the_csv_speaks_english_with_a_decimal_point_in_the_us():
    rows = exported([(an_order(status=OrderStatus.CANCELLED), [spatula()])], "en", "America/New_York")
    assert rows[0][:5] == ["order", "date", "kind", "customer", "status"]
    assert rows[1][2] == "sale" and rows[1][4] == "cancelled"
    assert rows[1][9:11] == ["14.90", "0.00"] and rows[1][12] == ""  # a cancelled order has no deadline
