"""Catalog import: the whole file or nothing, every bad line reported by number."""

import pytest
from sqlalchemy import func, select

from models.catalog import NAME_LANGUAGES, CatalogFileError, Product, active_products, find_products, import_catalog
from tests.factories import NOW, load_catalog


async def test_import_creates_then_updates_by_sku(session):
    products = await load_catalog(session)
    assert products["TM7"].unit_price_minor == 154900 and products["OLD"].active is False
    result = await import_catalog(
        session,
        text='sku,name,price,currency,active\ntm7,Robot TM7 (new),1599,EUR,yes\nNEW,New thing,"1.234,50",EUR,\n',
        now=NOW,
    )
    assert (result.created, result.updated) == (1, 1)
    rows = {p.sku: p for p in (await session.scalars(select(Product))).all()}
    assert rows["TM7"].unit_price_minor == 159900 and rows["TM7"].name == "Robot TM7 (new)"
    assert rows["NEW"].unit_price_minor == 123450 and rows["NEW"].active


async def test_a_file_with_bad_lines_imports_nothing_and_names_each_line(session):
    bad = (
        "sku,name,price,currency,active\n"
        "OK1,Fine,10.00,EUR,yes\n"
        "ZERO,Free,0,EUR,yes\n"
        "NEG,Negative,-5,EUR,yes\n"
        ",No sku,5,EUR,yes\n"
        "CUR,Bad currency,5,EURO,yes\n"
        "PREC,Too precise,5.001,EUR,yes\n"
        "ACT,Odd active,5,EUR,maybe\n"
        "OK1,Twice,10.00,EUR,yes\n"
    )
    with pytest.raises(CatalogFileError) as failed:
        await import_catalog(session, text=bad, now=NOW)
    found = [(e.line, e.code) for e in failed.value.errors]
    assert found == [
        (3, "catalog_price_not_positive"),
        (4, "catalog_price_not_positive"),
        (5, "catalog_sku"),
        (6, "catalog_currency"),
        (7, "catalog_price"),
        (8, "catalog_active"),
        (9, "catalog_sku_twice"),
    ]
    assert await session.scalar(select(func.count()).select_from(Product)) == 0


async def test_missing_columns_are_reported_on_line_one(session):
    with pytest.raises(CatalogFileError) as failed:
        await import_catalog(session, text="code,title\nA,B\n", now=NOW)
    assert [(e.line, e.code, e.params) for e in failed.value.errors] == [
        (1, "catalog_columns", {"columns": "sku, name, price, currency"})
    ]


async def test_products_are_found_by_exact_sku_or_by_words_of_the_name(session):
    await load_catalog(session)
    assert [p.sku for p in await find_products(session, lang="en", query="spat")] == ["SPAT"]
    assert [p.sku for p in await find_products(session, lang="en", query="tm7")] == ["TM7"]
    assert [p.sku for p in await find_products(session, lang="en", query="old")] == [
        "OLD"
    ]  # exact SKU, even inactive: refused later
    assert [
        p.sku for p in await find_products(session, lang="en", query="blender")
    ] == []  # inactive ones are not offered
    assert await find_products(session, lang="en", query="zzz") == []


async def test_the_sample_catalog_that_ships_imports_cleanly(session):
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "bot" / "sample_catalog.csv").read_text()
    result = await import_catalog(session, text=text, now=NOW)
    assert result.created == 7 and result.updated == 0
    products = (await session.scalars(select(Product))).all()
    # Every product is named in all five languages, each its own (the brand "Varoma" aside).
    for product in products:
        names = [product.name_in(lang) for lang in NAME_LANGUAGES]
        assert (all(names) and len(set(names)) == 5) or product.sku in {"VAR-STEAM", "BLEND-OLD"}, names


MULTILINGUAL_CSV = """sku,name,name_it,name_de,price,currency,active
SPAT,Spatula,Spatola,Spatel,14.90,EUR,yes
BOWL,Mixing bowl,Ciotola,,20.00,EUR,yes
"""


async def test_a_product_is_named_in_the_readers_language_else_by_its_default_name(session):
    products = await load_catalog(session, MULTILINGUAL_CSV)
    spatula, bowl = products["SPAT"], products["BOWL"]
    assert [spatula.name_in(lang) for lang in ("it", "en", "de", "es", "fr")] == [
        "Spatola",
        "Spatula",
        "Spatel",
        "Spatula",
        "Spatula",
    ]
    assert (bowl.name_in("it"), bowl.name_in("de")) == ("Ciotola", "Mixing bowl")  # an empty cell: the default


async def test_the_catalog_is_sorted_and_searched_in_the_readers_language(session):
    await load_catalog(session, MULTILINGUAL_CSV)
    assert [p.sku for p in await active_products(session, lang="it")] == ["BOWL", "SPAT"]  # Ciotola, Spatola
    assert [p.sku for p in await active_products(session, lang="en")] == ["BOWL", "SPAT"]  # Mixing bowl, Spatula
    assert [p.sku for p in await active_products(session, lang="de")] == ["BOWL", "SPAT"]
    assert [p.sku for p in await find_products(session, "spatola", lang="en")] == ["SPAT"]  # any language's name


async def test_an_order_line_keeps_the_names_it_was_sold_under(session):
    from models.orders import OrderLine, _lines

    products = await load_catalog(session, MULTILINGUAL_CSV)
    [line] = await _lines(session, [(products["SPAT"].id, 1)])
    await import_catalog(
        session, text="sku,name,name_it,price,currency\nSPAT,Silicone spatula,Spatola in silicone,15,EUR\n", now=NOW
    )
    assert isinstance(line, OrderLine)
    assert (line.name_in("it"), line.name_in("de"), line.name_in("fr")) == ("Spatola", "Spatel", "Spatula")


async def test_a_name_in_a_language_longer_than_the_limit_is_reported(session):
    with pytest.raises(CatalogFileError) as refused:
        await import_catalog(session, text="sku,name,name_fr,price,currency\nA,Ok," + "x" * 121 + ",1,EUR\n", now=NOW)
    assert [(e.line, e.code) for e in refused.value.errors] == [(2, "catalog_name_language")]
