def test_start_page(client):
    resp = client.get("/")
    assert resp.status_code == 200
    html = resp.text
    assert "<h1" in html and html.count("<h1") == 1
    assert "Ashdown District Council" in html
    assert "GDS Transport" not in html and "govuk-logo" not in html and "Crown copyright" not in html
    assert 'href="/accessibility"' in html and 'href="/privacy"' in html
    assert 'name="htmx-config"' in html and '"historyCacheSize":0' in html


def test_public_information_pages(client):
    for url in ("/accessibility", "/privacy"):
        resp = client.get(url)
        assert resp.status_code == 200 and resp.text.count("<h1") == 1


def test_healthz_pings_the_database(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.json == {"status": "ok", "database": "ok"}


def test_not_found_page_is_inside_the_layout(client):
    resp = client.get("/no-such-page")
    assert resp.status_code == 404
    assert "Page not found" in resp.text and "govuk-footer" in resp.text


def test_not_found_is_a_fragment_for_htmx(client, htmx_headers):
    resp = client.get("/no-such-page", headers=htmx_headers)
    assert resp.status_code == 404
    assert "Page not found" in resp.text and "<html" not in resp.text
    assert resp.headers["HX-Retarget"] == "#error-region"


def test_unexpected_error_gives_the_500_page_without_a_traceback(app, client):
    from portal.web.security import public

    @public
    def explode():
        raise RuntimeError("boom with secret details")

    app.view_functions["web.healthz"], original = explode, app.view_functions["web.healthz"]
    try:
        resp = client.get("/healthz")
    finally:
        app.view_functions["web.healthz"] = original
    assert resp.status_code == 500
    assert "Sorry, there is a problem with the service" in resp.text
    assert "Traceback" not in resp.text and "secret details" not in resp.text


def test_request_id_is_returned_and_logged(client, caplog):
    caplog.set_level("INFO", logger="portal.request")
    resp = client.get("/", headers={"X-Request-ID": "abc-123"})
    assert resp.headers["X-Request-ID"] == "abc-123"
    assert any('"request_id": "abc-123"' in r.getMessage() for r in caplog.records)
    bad = client.get("/", headers={"X-Request-ID": "<script>"})
    assert bad.headers["X-Request-ID"] != "<script>"
