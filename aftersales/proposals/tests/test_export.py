"""The filtered list as XLSX (issue 3, "Exports"): what a customer wrote
stays inert text, the header is in the user's language, and only those who
may export can."""

import io
from datetime import datetime

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from aftersales.core.roles import Role
from aftersales.customers.tests.factories import make_customer
from aftersales.proposals import selectors
from aftersales.proposals.models import Channel
from aftersales.proposals.tests.factories import make_proposal

pytestmark = pytest.mark.django_db


def sheet_of(response):
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"].startswith('attachment; filename="proposals-')
    return load_workbook(io.BytesIO(response.content)).active


def test_a_formula_a_customer_wrote_is_exported_as_text(client_for, cs_manager):
    make_proposal(
        customer=make_customer(name="+86 cmd|' /C calc'!A0"),
        title='=HYPERLINK("http://evil.example/","点我")',
        content="内容",
        acknowledge=False,
    )
    at_sign = make_proposal(title="  @SUM(1+1)", content="内容", acknowledge=False)
    minus = make_proposal(title="-2+3", content="内容", acknowledge=False)

    sheet = sheet_of(client_for(cs_manager).get(reverse("proposals:export")))

    titles = {row[5].value: row[5] for row in sheet.iter_rows(min_row=2)}
    formula = titles['=HYPERLINK("http://evil.example/","点我")']
    assert formula.value.startswith("=")
    assert formula.data_type == "s"
    assert formula.quotePrefix
    for text in (at_sign.title, minus.title):
        assert titles[text].data_type == "s"
        assert titles[text].quotePrefix
    customer = next(row[4] for row in sheet.iter_rows(min_row=2) if row[4].value.startswith("+"))
    assert customer.data_type == "s"


def test_the_export_is_the_filtered_list(client_for, cs_manager):
    letter = make_proposal(channel=Channel.LETTER, by=cs_manager, acknowledge=False)
    make_proposal(acknowledge=False)

    sheet = sheet_of(client_for(cs_manager).get(reverse("proposals:export"), {"channel": "letter"}))

    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in rows] == [letter.reference]
    assert isinstance(rows[0][1], datetime)


def test_the_export_follows_a_search(client_for, cs_manager):
    hit = make_proposal(title="保修", content="保修期", acknowledge=False)
    make_proposal(title="别的", content="无关", acknowledge=False)

    sheet = sheet_of(client_for(cs_manager).get(reverse("proposals:export"), {"q": "保修"}))

    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [hit.reference]


@pytest.mark.parametrize(("language", "status"), [("en", "Status"), ("zh-hans", "状态")])
def test_the_header_row_is_in_the_users_language(client_for, make_staff, language, status):
    user = make_staff(f"exporter_{language}", Role.CS_MANAGER, language=language)
    make_proposal(acknowledge=False)

    sheet = sheet_of(client_for(user).get(reverse("proposals:export")))

    header = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
    assert header[3] == status
    assert len(header) == 10


def test_someone_who_may_not_export_gets_403(client_for, worker, outsider):
    assert client_for(worker).get(reverse("proposals:export")).status_code == 403
    assert client_for(outsider).get(reverse("proposals:export")).status_code == 403


def test_a_long_export_stops_at_the_cap_and_says_so(cs_manager):
    made = [make_proposal(acknowledge=False) for _ in range(5)]

    rows = list(selectors.proposal_export_rows(user=cs_manager, filters={}, cap=3, chunk=2))

    assert [row[0] for row in rows[:3]] == [p.reference for p in made[::-1][:3]]
    assert len(rows) == 4
    assert "3" in rows[3][0]


def test_an_export_under_the_cap_has_no_note(cs_manager):
    made = [make_proposal(acknowledge=False) for _ in range(3)]

    rows = list(selectors.proposal_export_rows(user=cs_manager, filters={}, cap=3, chunk=2))

    assert [row[0] for row in rows] == [p.reference for p in made[::-1]]


def test_an_export_with_an_invalid_filter_is_refused_not_unfiltered(client_for, cs_manager):
    make_proposal(title="任何提案")

    response = client_for(cs_manager).get(
        reverse("proposals:export") + "?received_from=not-a-date&status=adopted"
    )

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert 'id="id_received_from"' in response.content.decode()
