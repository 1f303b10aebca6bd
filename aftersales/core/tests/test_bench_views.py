"""The benchmark's baseline pages exist only in benchmark mode."""

import pytest

from aftersales.core.models import BenchmarkProbe


@pytest.fixture
def probe(db):
    return BenchmarkProbe.objects.create(note="probe")


@pytest.mark.django_db
def test_baseline_pages_are_not_found_outside_benchmark_mode(client, probe, settings):
    settings.BENCHMARK_RELAXED = False
    assert client.get(f"/bench/baseline/{probe.pk}").status_code == 404
    assert client.post("/bench/baseline-write").status_code == 404
    assert client.post(f"/bench/baseline/{probe.pk}").status_code == 404
    assert BenchmarkProbe.objects.count() == 1


@pytest.mark.django_db
def test_baseline_read_is_one_query_in_benchmark_mode(
    client, probe, settings, django_assert_num_queries
):
    settings.BENCHMARK_RELAXED = True
    with django_assert_num_queries(1):
        response = client.get(f"/bench/baseline/{probe.pk}")
    assert response.status_code == 200
    assert f"bench-baseline-ok {probe.pk}" in response.content.decode()


@pytest.mark.django_db
def test_baseline_write_is_one_insert_in_benchmark_mode(
    client, settings, django_assert_num_queries
):
    settings.BENCHMARK_RELAXED = True
    with django_assert_num_queries(1) as queries:
        response = client.post("/bench/baseline-write")
    assert response.status_code == 201
    assert response.content.decode().startswith("bench-write-ok ")
    assert queries.captured_queries[0]["sql"].upper().startswith("INSERT")
    assert BenchmarkProbe.objects.count() == 1


@pytest.mark.django_db
def test_baseline_read_of_a_missing_row_is_not_found(client, settings):
    settings.BENCHMARK_RELAXED = True
    assert client.get("/bench/baseline/999999").status_code == 404
