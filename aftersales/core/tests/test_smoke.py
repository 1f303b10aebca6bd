import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_healthz_reports_database_and_queue(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "queue": "ok"}}


@pytest.mark.django_db
def test_my_work_needs_sign_in(client):
    response = client.get(reverse("core:my_work"))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.django_db
def test_signed_in_worker_sees_my_work(client_for, worker):
    response = client_for(worker).get(reverse("core:my_work"))
    assert response.status_code == 200
    # The worker's profile says Chinese, so the page is in Chinese.
    assert "<h1>我的工作</h1>" in response.content.decode()
