async def test_admin_onboards(bot, admin):
    events = await admin.send("/start")
    print([ (e.kind, e.text, e.buttons) for e in events])
    events = await admin.press("English")
    print([ (e.kind, e.text, e.buttons) for e in events])
    events = await admin.press("Europe/Rome")
    print([ (e.kind, e.text) for e in events])
    events = await admin.press("Use")
    print([ (e.kind, e.text) for e in events])
    assert 0
