"""Logging in and out of the console: the session cookie, wrong passwords, the rate limit, CSRF."""

from __future__ import annotations

import dataclasses

import pytest
from starlette.testclient import TestClient

from services.console.state import Console
from tests.integration.services.console.conftest import PASSWORD, client_for, csrf_of, logged_in, login

pytestmark = pytest.mark.integration


def test_an_officer_logs_in_and_lands_on_their_units_queue(client: TestClient) -> None:
    page = client.get("/masuk")
    assert page.status_code == 200
    assert '<html lang="id">' in page.text
    assert '<label for="username">' in page.text and '<label for="password">' in page.text
    response = login(client, "hendra")
    assert response.status_code == 303
    assert response.headers["location"] == "/antrean/kasi.kelahiran_kematian"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie
    queue = client.get("/antrean/kasi.kelahiran_kematian")
    assert queue.status_code == 200
    assert "Antrean Kepala Seksi Kelahiran dan Kematian" in queue.text
    assert "Masuk sebagai <strong>Kasi Hendra</strong>" in queue.text
    # Already in: the login page and the root lead to the queue.
    assert client.get("/masuk").headers["location"] == "/antrean/kasi.kelahiran_kematian"
    assert client.get("/").headers["location"] == "/antrean/kasi.kelahiran_kematian"


def test_behind_tls_the_session_cookie_is_secure(console: Console) -> None:
    behind_tls = console.settings.model_copy(update={"console_secure_cookie": True})
    secure = dataclasses.replace(console, settings=behind_tls)
    with client_for(secure, "https://testserver") as client:
        response = login(client, "rina")
    assert response.status_code == 303
    assert "secure" in response.headers["set-cookie"].lower()


def test_a_wrong_password_or_unknown_name_is_refused_alike(client: TestClient) -> None:
    for username, password in (("rina", "salah-sekali-123"), ("tidak-ada", PASSWORD)):
        response = login(client, username, password)
        assert response.status_code == 401
        assert "Nama pengguna atau kata sandi salah." in response.text
    assert client.get("/antrean/admin").headers["location"] == "/masuk"


def test_five_failures_per_name_and_address_lock_the_name_out_for_a_while(client: TestClient) -> None:
    for _ in range(5):
        assert login(client, "rina", "salah-sekali-123").status_code == 401
    locked = login(client, "rina")  # even the right password, now
    assert locked.status_code == 429
    assert "Terlalu banyak percobaan" in locked.text
    # Another officer at the same desk is not locked out.
    assert login(client, "hendra").status_code == 303


def test_the_login_form_needs_its_csrf_token(client: TestClient) -> None:
    client.get("/masuk")
    response = client.post("/masuk", data={"username": "rina", "password": PASSWORD})
    assert response.status_code == 403
    assert "Formulir ini tidak sah" in response.text
    assert client.get("/antrean/admin").status_code == 303  # not logged in


def test_logout_ends_the_session(client: TestClient) -> None:
    token = logged_in(client, "rina")
    assert client.get("/antrean/admin").status_code == 200
    assert client.post("/keluar", data={}).status_code == 403  # without the token: refused
    response = client.post("/keluar", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["location"] == "/masuk"
    assert client.get("/antrean/admin").headers["location"] == "/masuk"
    assert "Anda sudah keluar." in client.get("/masuk").text
    # The old token is gone with the session.
    assert csrf_of(client.get("/masuk").text) != token
