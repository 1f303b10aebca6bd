"""PDFs (P5 acceptance record, P12 certificate): Chinese text that extracts
exactly AND a CJK font embedded in the file — extraction alone passes even
when every glyph is drawn as an empty box."""

import io
import shutil
import subprocess

import pytest
from django.utils import timezone
from pypdf import PdfReader

from aftersales.core.roles import Role
from aftersales.customers.tests.factories import make_customer
from aftersales.proposals import documents
from aftersales.proposals.models import Certificate
from aftersales.proposals.tests.factories import make_department, make_proposal, under_study
from aftersales.reports import pdf

pytestmark = [pytest.mark.pdf, pytest.mark.django_db]

SCRIPT = "<script>alert('x')</script>"


def text_of(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def embedded_fonts(data: bytes) -> set[str]:
    """BaseFont names of the fonts whose program is embedded in the file."""
    found = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            descendants = font.get("/DescendantFonts")
            described = descendants[0].get_object() if descendants else font
            descriptor = described.get("/FontDescriptor")
            if descriptor is None:
                continue
            descriptor = descriptor.get_object()
            if any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                found.add(str(font["/BaseFont"]))
    return found


def assert_cjk_font_embedded(data: bytes) -> None:
    names = embedded_fonts(data)
    assert any("Noto" in name and "Sans" in name for name in names), names


@pytest.fixture
def accepted_proposal(make_staff):
    specialist = make_staff("spec", Role.AFTERSALES_SPECIALIST)
    rd = make_department(manager=make_staff("rdmgr", Role.DEPARTMENT_MANAGER), name="研发中心")
    customer = make_customer(name="张喆堃")
    proposal = make_proposal(
        customer=customer,
        title=f"退货流程 {SCRIPT}",
        content="建议保修期内退货一步完成。Please make returns one step.",
    )
    return under_study(proposal, by=specialist, departments=[rd])


def render_record(proposal, language):
    from aftersales.proposals.models import Proposal

    proposal = (
        Proposal.objects.select_related("customer", "accepted_by__profile")
        .prefetch_related("study_requests__department")
        .get(pk=proposal.pk)
    )
    return documents.acceptance_record_pdf(proposal, language=language)


def test_p5_acceptance_record_carries_the_record_in_chinese_with_the_font_embedded(
    accepted_proposal,
):
    data = render_record(accepted_proposal, "zh-hans")

    assert data.startswith(b"%PDF-")
    text = text_of(data)
    for expected in (
        accepted_proposal.reference,
        "张喆堃",
        "建议保修期内退货一步完成",
        "简化退货流程",  # the summary
        "研发中心",  # routed department
        "Spec",  # accepted by
    ):
        assert expected in text, expected
    assert_cjk_font_embedded(data)


def test_p5_acceptance_record_shows_customer_markup_as_text(accepted_proposal):
    text = text_of(render_record(accepted_proposal, "zh-hans"))
    assert SCRIPT in text


def test_p5_acceptance_record_in_english(accepted_proposal):
    text = text_of(render_record(accepted_proposal, "en"))
    assert "Proposal acceptance record" in text
    assert "Routed to departments" in text
    assert "张喆堃" in text


@pytest.fixture
def certificate(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    return Certificate(
        number="C-2025-0007",
        customer=make_customer(name="欧阳娜娜"),
        year=2025,
        proposals_count=4,
        language="zh-hans",
        issued_at=timezone.now(),
    )


def test_p12_certificate_in_chinese_embeds_the_cjk_font(certificate):
    data = documents.certificate_pdf(certificate, language="zh-hans")
    text = text_of(data)
    assert "欧阳娜娜" in text
    assert "C-2025-0007" in text
    assert_cjk_font_embedded(data)


def test_p12_certificate_in_english(certificate):
    data = documents.certificate_pdf(certificate, language="en")
    text = text_of(data)
    assert "Certificate of appreciation" in text
    assert "In 2025 you sent us 4 proposals." in text
    assert "欧阳娜娜" in text
    assert_cjk_font_embedded(data)


def test_p12_certificate_font_is_embedded_as_poppler_sees_it(certificate, tmp_path):
    pdffonts = shutil.which("pdffonts")
    if pdffonts is None:
        pytest.skip("pdffonts is missing: apt-get install poppler-utils (or `make sysdeps`)")
    path = tmp_path / "certificate.pdf"
    path.write_bytes(documents.certificate_pdf(certificate, language="zh-hans"))
    listing = subprocess.run([pdffonts, str(path)], capture_output=True, text=True, check=True)
    rows = [line.split() for line in listing.stdout.splitlines()[2:]]
    noto = [row for row in rows if "Noto-Sans-SC" in row[0]]
    assert noto, listing.stdout
    # Columns: name type... encoding emb sub uni object ID; emb is 5th from the end.
    assert all(row[-5] == "yes" for row in noto), listing.stdout


def test_pdf_documents_load_nothing_but_the_bundled_fonts():
    fetcher = pdf.fonts_only_fetcher()
    font = next(iter(pdf.font_paths().values()))
    response = fetcher.fetch(font.as_uri())
    try:
        assert response.read(4) == b"wOFF"
    finally:
        response.close()
    for url in ("file:///etc/passwd", "http://example.com/tracker.png"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_p5_acceptance_record_view(accepted_proposal, client_for, make_staff, outsider):
    staff = make_staff("viewer", Role.SERVICE_WORKER)
    url = f"/proposals/{accepted_proposal.pk}/acceptance-record.pdf"

    response = client_for(staff).get(url, {"lang": "en"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "Proposal acceptance record" in text_of(response.content)
    assert client_for(outsider).get(url).status_code == 403
    not_accepted = make_proposal()
    assert (
        client_for(staff).get(f"/proposals/{not_accepted.pk}/acceptance-record.pdf").status_code
        == 404
    )
