"""Issue 7 item 5: what a customer or a staff member typed is isolated
wherever it is shown, so a right-to-left override (U+202E) in a name cannot
turn the rest of the line around.

One world where every text field of every model holds ``RLO`` + a marker,
then every page the URLconf has, every notice template and the PDFs. A page
or template that shows typed text without ``<bdi>``, ``dir``, or FSI … PDI
fails here, whichever app it belongs to.

XLSX cells need nothing: a cell is its own paragraph, an override in it ends
at the cell's edge.
"""

import itertools
import re
import shutil
import subprocess
from datetime import date, timedelta
from html.parser import HTMLParser
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from aftersales.core.bidi import FSI, PDI, isolate, typed_file_name
from aftersales.core.roles import Role

pytestmark = pytest.mark.django_db

RLO = "\u202e"
TOKEN = re.compile(RLO + r"bidi\d{4}")
_serial = itertools.count(1)

# Opening and closing of an isolate in the flattened text of a page: FSI, LRI,
# RLI and PDI as typed, and \x01 / \x02 for elements that isolate (<bdi>, dir=).
OPEN, CLOSE = "\x01", "\x02"
OPENERS = {OPEN, FSI, "\u2066", "\u2067"}
CLOSERS = {CLOSE, PDI}
# What may follow typed text inside its own isolate: more typed text, or the
# glue a template puts between two typed values.
GLUE = set(" \t\n·,、:：;()（）—…-–/.#\"“”'")

# Text the system writes, not a person: codes, hashes, keys, server replies.
SYSTEM_FIELDS = {
    "auth.User.password",
    "auth.Group.name",
    "auth.Permission.name",
    "auth.Permission.codename",
    "accounts.HistoricalUser.password",
    "accounts.Department.code",
    "accounts.ApiToken.lookup",
    "accounts.ApiToken.digest",
    "core.BenchmarkProbe.note",
    "proposals.Proposal.reference",
    "proposals.Proposal.source_message_id",
    "proposals.Attachment.content_type",
    "proposals.Attachment.sha256",
    "proposals.InboundMail.dedupe_key",
    "proposals.InboundMail.error",
    "proposals.Certificate.number",
    "proposals.Tally.key",
    "notifications.Message.template",
    "notifications.Message.message_id",
    "notifications.Message.in_reply_to",
    "notifications.Message.last_error",
    "notifications.DeliveryAttempt.error",
    "notifications.DeliveryAttempt.smtp_response",
}
APP_LABELS = {"auth", "accounts", "core", "customers", "notifications", "policy", "proposals"}


def payload() -> str:
    return f"{RLO}bidi{next(_serial):04d}"


# --- the checker ---------------------------------------------------------------


def problems_in(text: str, where: str) -> list[str]:
    """Each override in ``text`` must sit in an isolate, and nothing but typed
    text (and glue) may follow it there: that is what it would turn around."""
    found = []
    for match in re.finditer(RLO, text):
        depth, start = 0, match.start()
        for ch in text[:start]:
            depth += ch in OPENERS
            depth -= ch in CLOSERS and depth > 0
        snippet = repr(text[max(0, start - 40) : start + 40])
        if depth == 0:
            found.append(f"{where}: not isolated: {snippet}")
            continue
        rest, level = [], 0
        for ch in text[match.end() :]:
            if ch in OPENERS:
                level += 1
            elif ch in CLOSERS:
                if level == 0:
                    break
                level -= 1
            elif level == 0:
                rest.append(ch)
        after = TOKEN.sub("", RLO + "".join(rest)).removeprefix(RLO)
        after = re.sub(r"^bidi\d{4}", "", after)
        if set(after) - GLUE:
            found.append(f"{where}: turns {after.strip()[:40]!r} around: {snippet}")
    return found


class Flatten(HTMLParser):
    """A page's text with its isolates as markers, and the attribute values a
    person reads."""

    ISOLATING_EMPTY = {"input", "textarea", "select"}
    SKIP = {"script", "style"}
    READ_ATTRS = {"title", "alt", "placeholder", "aria-label", "aria-description", "label"}
    VOID = {"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "source", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out, self.stack, self.attrs = [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name, value in attrs.items():
            if name in self.READ_ATTRS and value and RLO in value:
                self.attrs.append(f"<{tag} {name}>: {value}")
        if tag in self.VOID:
            return
        # Form controls show typed values in a box of their own; an option is
        # drawn on a line of its own.
        isolating = tag in ("bdi", "textarea", "option") or "dir" in attrs
        self.stack.append((tag, isolating))
        if isolating:
            self.out.append(OPEN)

    def handle_endtag(self, tag):
        while self.stack:
            open_tag, isolating = self.stack.pop()
            if isolating:
                self.out.append(CLOSE)
            if open_tag == tag:
                break

    def handle_data(self, data):
        if not any(tag in self.SKIP for tag, _ in self.stack):
            self.out.append(data)


def page_problems(html: str, where: str) -> list[str]:
    parser = Flatten()
    parser.feed(html)
    parser.close()
    found = problems_in("".join(parser.out), where)
    for value in parser.attrs:
        found += problems_in(value, f"{where} {value.split(':')[0]}")
    return found


def test_the_checker_finds_the_timeline_line_that_reads_backwards():
    """The line of issue 7 item 5, before and after."""
    name = payload()
    before = f"<li>3 Dec · notice to the customer ({name}, email) · <a>Adopted</a></li>"
    after = f"<li>3 Dec · notice to the customer (<bdi>{name}</bdi>, email) · <a>Adopted</a></li>"

    assert page_problems(before, "before")
    assert page_problems(after, "after") == []
    assert page_problems(f"<title>{isolate(name)} · Aftersales</title>", "title") == []
    assert page_problems(f"<title>{name} · Aftersales</title>", "title")
    assert page_problems(f'<a title="{name} x">y</a>', "attr")
    # Isolated, but with the page's own words inside the isolate: still wrong.
    assert page_problems(f"<p><bdi>{name} recorded</bdi></p>", "inside")


# --- the world -----------------------------------------------------------------


@pytest.fixture
def world(settings, tmp_path, huey_immediate, make_staff):
    """The demo data, plus a record of every kind the demo leaves out, then
    every text a person types replaced by an override and a marker."""
    from aftersales.accounts.models import Department
    from aftersales.accounts.services import api_token_create, delegation_create
    from aftersales.customers.models import Customer
    from aftersales.notifications.models import Message
    from aftersales.policy import services as policy
    from aftersales.proposals import services
    from aftersales.proposals.mail.intake import mail_intake
    from aftersales.proposals.models import Certificate, Proposal, Status
    from aftersales.proposals.services import rewards

    settings.VAR_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("seed", "--demo", stdout=StringIO())
    everyone = make_staff("everyone", *Role.values)
    gm = Role.GENERAL_MANAGER
    general_manager = Department.objects.get(manager__groups__name=gm).manager

    def v(proposal):
        return Proposal.objects.get(pk=proposal.pk).version

    adopted = Proposal.objects.filter(status=Status.ADOPTED).first()
    evaluation = rewards.evaluation_open(proposal=adopted, by=everyone, seen_version=v(adopted))
    rewards.score_submit(
        evaluation=evaluation, by=everyone, creativity=5, feasibility=5, benefit=5, note="n"
    )
    reserved = Proposal.objects.filter(status=Status.RESERVED).first()
    services.proposal_reserve_extend(
        proposal=reserved,
        by=everyone,
        decide_by=reserved.decide_by + timedelta(days=5),
        reason="r",
        seen_version=v(reserved),
    )
    delegation_create(
        delegator=everyone,
        delegate=general_manager,
        role=Role.CS_MANAGER,
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate() + timedelta(days=3),
        reason="r",
        by=everyone,
    )
    api_token_create(user=everyone, name="t")
    policy.policy_draft_create(by=general_manager, note="n")
    mail_intake(
        b"From: Someone <someone@example.com>\r\nTo: proposals@example.com\r\n"
        b"Subject: a proposal\r\nMessage-ID: <bidi-1@example.com>\r\n"
        b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease do better.\r\n"
        b"--b\r\nContent-Type: image/png\r\n"
        b'Content-Disposition: attachment; filename="photo.png"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        b"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==\r\n"
        b"--b--\r\n",
        source="pipe",
    )
    Certificate.objects.create(
        number="C-2026-0001",
        customer=Customer.objects.first(),
        year=2026,
        proposals_count=3,
        language="zh-hans",
        file="certificates/none.pdf",
        issued_at=timezone.now(),
    )
    Message.objects.filter(pk=Message.objects.first().pk).update(channel="letter")

    for model in apps.get_models():
        if model._meta.app_label not in APP_LABELS:
            continue
        fields = [
            f
            for f in model._meta.concrete_fields
            if isinstance(f, (models.CharField, models.TextField))
            and not f.choices
            and f"{model._meta.label}.{f.name}" not in SYSTEM_FIELDS
        ]
        if not fields:
            continue
        # Row by row with .update(): kept records refuse save(), and the
        # audit trail's own rows are changed too, so its diffs show typed text.
        for pk in model._base_manager.values_list("pk", flat=True):
            model._base_manager.filter(pk=pk).update(**{f.name: payload() for f in fields})
    return everyone


# --- pages ---------------------------------------------------------------------


def _first(model_label, **filters):
    def pick():
        return [[apps.get_model(model_label)._base_manager.filter(**filters).first().pk]]

    return pick


def _all(model_label, **filters):
    def pick():
        return [
            [pk]
            for pk in apps.get_model(model_label)
            ._base_manager.filter(**filters)
            .values_list("pk", flat=True)
        ]

    return pick


def _tokens(make):
    def pick():
        from aftersales.proposals import links
        from aftersales.proposals.models import Proposal

        return [[getattr(links, make)(p)] for p in Proposal.objects.all()]

    return pick


# Arguments for every page that needs one. A new URL with arguments fails
# test_every_page_of_the_urlconf_is_walked until it is listed here.
ARGS = {
    "accounts:staff_detail": _all("auth.User"),
    "accounts:staff_edit": _first("auth.User", username__isnull=False, profile__isnull=False),
    "accounts:department_edit": _all("accounts.Department"),
    "customers:detail": _all("customers.Customer"),
    "customers:edit": _first("customers.Customer"),
    "policy:detail": lambda: [
        [v.number] for v in apps.get_model("policy.PolicyVersion").objects.all()
    ],
    "policy:edit": lambda: [
        [apps.get_model("policy.PolicyVersion").objects.get(status="draft").number]
    ],
    "notifications:detail": _all("notifications.Message"),
    "notifications:letter": _first("notifications.Message", channel="letter"),
    "proposals:detail": _all("proposals.Proposal"),
    "proposals:score": _first("proposals.Evaluation"),
    "proposals:close_scoring": _first("proposals.Evaluation"),
    "proposals:reward_pay": _first("proposals.Evaluation"),
    "proposals:mail_detail": _all("proposals.InboundMail"),
    "portal:proposal_signed": _tokens("portal_token"),
    "portal:thanks": _tokens("portal_token"),
}
# Not pages: downloads (checked below or elsewhere), actions that only take a
# POST, machinery.
NOT_PAGES = {
    "healthz",
    "logout",
    "javascript-catalog",
    "accounts:set_language",
    "accounts:token_create",
    "accounts:token_revoke",
    "accounts:delegation_revoke",
    "accounts:staff_roles",
    "accounts:staff_active",
    "customers:anonymise",
    "policy:draft_create",
    "policy:approve",
    "policy:withdraw",
    "notifications:retry",
    "notifications:done",
    "notifications:cancel",
    "proposals:export",
    "proposals:accept",
    "proposals:opinion",
    "proposals:close",
    "proposals:route",
    "proposals:adopt",
    "proposals:not_adopt",
    "proposals:reserve",
    "proposals:extend",
    "proposals:implemented",
    "proposals:development",
    "proposals:attachment",
    "proposals:acceptance_pdf",
    "proposals:evaluation_open",
    "proposals:reward_approve",
    "proposals:mail_raw",
    "proposals:mail_retry",
    "proposals:certificate_download",
    "portal:certificate",
}


def url_names(resolver=None, prefix="") -> list[tuple[str, URLPattern]]:
    names = []
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if str(entry.pattern).startswith(("api/", "bench/")):
                continue
            space = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            names += url_names(entry, space)
        elif entry.name:
            names.append((prefix + entry.name, entry))
    return names


def test_every_page_of_the_urlconf_is_walked():
    for name, pattern in url_names():
        if name in NOT_PAGES or name in ARGS:
            continue
        assert not pattern.pattern.converters, (
            f"{name} needs arguments: add it to ARGS or NOT_PAGES"
        )


def test_every_page_isolates_what_people_typed(world, client_for, client):
    """Issue 7 item 5: staff and portal pages, for every record of the world."""
    staff = client_for(world)
    found, walked = [], 0
    for name, _pattern in url_names():
        if name in NOT_PAGES:
            continue
        for args in ARGS[name]() if name in ARGS else [[]]:
            url = reverse(name, args=args)
            browser = client if name.startswith("portal:") or name == "login" else staff
            response = browser.get(url)
            assert response.status_code in (200, 302), (url, response.status_code)
            if response.status_code == 200 and "html" in response["Content-Type"]:
                walked += 1
                found += page_problems(response.content.decode(), url)
    assert walked > 60, walked
    assert not found, "\n".join(found)


def test_htmx_fragments_isolate_too(world, client_for):
    staff = client_for(world)
    for url in (
        reverse("proposals:list"),
        reverse("customers:list"),
        reverse("notifications:outbox"),
    ):
        html = staff.get(url, HTTP_HX_REQUEST="true").content.decode()
        assert TOKEN.search(html), url
        assert page_problems(html, url) == []


# --- mail -------------------------------------------------------------------------

# Context keys the system fills; every other key a template names is typed text.
SYSTEM_KEYS = {
    "reference": "P-2026-0001",
    "original_reference": "P-2026-0002",
    "url": "https://example.com/proposals/1/",
    "portal_url": "https://example.com/portal/p/x/",
    "download_url": "https://example.com/portal/certificate/x/",
    "number": "C-2026-0001",
    "year": 2026,
    "proposals_count": 3,
    "grade": "A",
    "amount": 500,
    "status": "failed",
    "score_max": 10,
    "sender": "",
    "decide_by": date(2026, 3, 1),
    "due_date": date(2026, 3, 1),
    "planned_date": date(2026, 3, 1),
    "done_date": date(2026, 3, 1),
}


def test_every_notice_isolates_typed_text_in_its_subject_and_body():
    """Plain text has no <bdi>: FSI … PDI around each typed value."""
    from aftersales.notifications.rendering import render_message, template_files, template_path

    for key, variants in template_files().items():
        for language in {lang for lang, _part in variants}:
            names = set()
            for part in ("subject", "body"):
                source = template_path(key, language, part).read_text()
                names |= set(re.findall(r"{{\s*(\w+)", source))
                names |= set(re.findall(r"{%\s*if\s+(\w+)", source))
            context = {n: SYSTEM_KEYS.get(n) for n in names}
            typed = [n for n in names if n not in SYSTEM_KEYS]
            context |= {n: payload() for n in typed}
            subject, body = render_message(key, language, context)

            if typed:
                assert TOKEN.search(subject + body), (key, language, typed)
            where = f"{key}.{language}"
            assert problems_in(subject, f"{where} subject") == []
            assert problems_in(body, f"{where} body") == []


def test_a_notice_subject_with_a_department_name_keeps_its_reference_in_order():
    from aftersales.notifications.rendering import render_message

    name = payload()
    subject, _body = render_message(
        "proposals/study_requested",
        "en",
        {"reference": "P-1", "title": "t", "department": name, "due_date": date(2026, 1, 2)},
    )

    assert subject == f"[P-1] Please study a customer proposal ({FSI}{name}{PDI})"


# --- file names -----------------------------------------------------------------


def test_a_download_name_isolates_the_typed_stem_and_drops_direction_marks():
    """Issue 7: attachment file names isolate the user's text; an override
    inside the name would still show "exe.pdf" for "pdf.exe", so it goes."""
    assert typed_file_name("来信扫描.pdf") == f"{FSI}来信扫描{PDI}.pdf"
    assert typed_file_name(f"invoice{RLO}fdp.exe") == f"{FSI}invoicefdp{PDI}.exe"
    assert typed_file_name("README") == f"{FSI}README{PDI}"
    assert typed_file_name(f"{RLO}\u2066") == f"{FSI}file{PDI}"


def test_an_attachment_downloads_under_its_isolated_name(world, client_for):
    from aftersales.proposals.models import Attachment

    attachment = Attachment.objects.get()
    Attachment.objects.filter(pk=attachment.pk).update(original_name=f"照片{RLO}gnp.exe")

    response = client_for(world).get(reverse("proposals:attachment", args=[attachment.pk]))

    assert response.status_code == 200
    # RFC 6266 filename*: FSI 照片gnp PDI .exe, percent-encoded as UTF-8.
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''%E2%81%A8%E7%85%A7%E7%89%87gnp%E2%81%A9.exe"
    )
    assert "%E2%80%AE" not in response["Content-Disposition"]


# --- PDFs -------------------------------------------------------------------------


@pytest.mark.pdf
@pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (poppler-utils) missing")
def test_the_acceptance_record_keeps_the_text_after_a_name_in_order(world, client_for, tmp_path):
    """WeasyPrint honours <bdi>: with it the organisation's brackets and the
    departments' commas stay where they are; without it they turn around."""
    from aftersales.proposals.models import Proposal

    proposal = Proposal.objects.filter(study_requests__isnull=False).distinct().first()
    response = client_for(world).get(reverse("proposals:acceptance_pdf", args=[proposal.pk]))
    assert response.status_code == 200
    path = tmp_path / "record.pdf"
    path.write_bytes(b"".join(getattr(response, "streaming_content", [response.content])))
    text = subprocess.run(
        ["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout

    # Each payload reads backwards inside its own isolate ("1234idib") ...
    assert re.search(r"\d{4}idib \(\d{4}idib\)", text), text
    assert re.search(r"\d{4}idib, \d{4}idib", text), text
