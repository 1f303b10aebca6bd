"""P4: raw mail as real Chinese customers send it, read into one structure."""

import base64

import pytest

from aftersales.proposals.mail.parse import decode_bytes, decode_header, dedupe_key, parse
from aftersales.proposals.tests.mail import samples

pytestmark = pytest.mark.mail_parsing


def test_p4_gb2312_label_on_gbk_text_is_read_as_gb18030():
    mail = parse(samples.gbk_mail())
    assert mail.subject == "关于退货流程的建议"
    assert mail.text == "建议简化退货流程。签名：张喆、王堃"
    assert (mail.from_name, mail.from_address) == ("张喆", "zhangsan@example.cn")
    assert mail.language == "zh-hans"


def test_p4_big5_with_characters_only_cp950_has_is_read():
    mail = parse(samples.big5_mail())
    assert mail.subject == "產品包裝建議"
    assert mail.text == "包裝裏面的說明書請改進，碁盤圖案不清楚。"
    assert mail.from_name == "陳大文"


def test_p4_big5_label_on_hkscs_text_stays_in_the_big5_family():
    # 喆 exists in Big5-HKSCS only; GB18030 would read the bytes as other characters.
    assert decode_bytes("張喆".encode("big5hkscs"), "big5") == "張喆"


def test_p4_encoded_word_split_in_the_middle_of_a_character_comes_out_whole():
    data = "退货流程".encode()
    first, second = base64.b64encode(data[:4]).decode(), base64.b64encode(data[4:]).decode()
    assert decode_header(f"=?UTF-8?B?{first}?=\r\n =?utf-8?B?{second}?=") == "退货流程"


def test_p4_subject_mixing_raw_utf8_and_encoded_words():
    raw = samples.mail(
        "From: a@example.cn",
        b"Subject: \xe5\x9b\x9e\xe5\xa4\x8d: " + samples.word("退货", "gbk").encode() + b" ok",
        body="x",
    )
    assert parse(raw).subject == "回复: 退货 ok"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (b"Subject: \xe9\x80\x80\xe8\xb4\xa7\xe5\xbb\xba\xe8\xae\xae", "退货建议"),  # raw UTF-8
        (b"Subject: " + "退货建议".encode("gbk"), "退货建议"),  # raw GBK
        (b"Subject: =?unknown-8bit?B?" + base64.b64encode("建议".encode("gbk")) + b"?=", "建议"),
        (b"Subject: =?gb2312*zh?Q?" + b"=BD=A8=D2=E9" + b"?=", "建议"),  # RFC 2231 language
    ],
)
def test_p4_headers_in_raw_8bit_or_odd_labels_are_read(header, expected):
    assert parse(samples.mail("From: a@example.cn", header, body="x")).subject == expected


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        ("text/plain; charset=utf-8", "退货建议".encode("gbk"), "退货建议"),  # wrong label
        ("text/plain", "退货建议".encode(), "退货建议"),  # no label at all
        ("text/plain; charset=us-ascii", "退货建议".encode(), "退货建议"),
        ("text/plain; charset=x-no-such-charset", "退货建议".encode("gbk"), "退货建议"),
        ("text/plain; charset=gb18030", "退货建议𠀀".encode("gb18030"), "退货建议𠀀"),
    ],
)
def test_p4_bodies_with_wrong_or_missing_charset_labels_are_read(content_type, body, expected):
    raw = samples.mail("From: a@example.cn", f"Content-Type: {content_type}", body=body)
    assert parse(raw).text == expected


def test_p4_latin1_is_the_last_resort_and_never_raises():
    assert decode_bytes(b"\xff\xfe\xfd", "utf-8") == "ÿþý"


def test_p4_html_only_mail_becomes_safe_plain_text():
    mail = parse(samples.html_only_mail())
    assert mail.subject == "夜间客服"
    assert "alert" not in mail.text and "color" not in mail.text and "<" not in mail.text
    assert mail.text.splitlines()[0] == "您好，"
    assert "建议增加 夜间客服&热线。\n谢谢！" in mail.text
    assert "- 第一点\n- 第二点" in mail.text


def test_p4_plain_alternative_is_preferred_over_html():
    mail = parse(samples.attachment_mail())
    assert mail.text == "请看附件中的建议书。"


def test_p4_attachment_names_in_rfc2231_and_encoded_words_are_decoded():
    mail = parse(samples.attachment_mail())
    assert [(f.name, f.content_type, f.inline) for f in mail.files] == [
        ("改进建议.pdf", "application/pdf", False),
        ("现场照片.png", "image/png", False),
    ]
    assert mail.files[0].data == samples.PDF
    assert mail.files[1].data == samples.PNG


def test_p4_raw_gbk_file_name_survives():
    raw = samples.mail(
        "From: a@example.cn",
        'Content-Type: multipart/mixed; boundary="B"',
        body=b"--B\nContent-Type: text/plain\n\nhi\n--B\nContent-Type: image/png\n"
        b'Content-Disposition: attachment; filename="' + "照片.png".encode("gbk") + b'"\n'
        b"Content-Transfer-Encoding: base64\n\n" + base64.b64encode(samples.PNG) + b"\n--B--\n",
    )
    assert [f.name for f in parse(raw).files] == ["照片.png"]


def test_p4_inline_cid_image_is_kept_as_an_inline_attachment():
    mail = parse(samples.inline_image_mail())
    assert mail.text == "问题见截图："
    (image,) = mail.files
    assert (image.inline, image.content_id, image.content_type) == (
        True,
        "shot1@example.cn",
        "image/png",
    )
    assert image.data == samples.PNG


def test_p4_forwarded_mail_is_kept_whole_as_an_attachment():
    inner = samples.gbk_mail()
    raw = samples.mail(
        "From: a@example.cn",
        'Content-Type: multipart/mixed; boundary="B"',
        body=b"--B\nContent-Type: text/plain; charset=utf-8\n\n\xe8\xbd\xac\xe5\x8f\x91\n"
        b"--B\nContent-Type: message/rfc822\n\n" + inner + b"\n--B--\n",
    )
    mail = parse(raw)
    assert mail.text == "转发"
    (forwarded,) = mail.files
    assert forwarded.content_type == "message/rfc822"
    assert parse(forwarded.data).subject == "关于退货流程的建议"


@pytest.mark.parametrize(
    "headers",
    [
        ["Auto-Submitted: auto-replied"],
        ["Auto-Submitted: auto-generated; owner-email=x@example.cn"],
        ["X-Autoreply: yes"],
        ["X-Autorespond: 1"],
        ["Precedence: bulk"],
        ["Precedence: auto_reply"],
        ["Precedence: junk"],
        ["Precedence: list"],
        ["Return-Path: <>"],
    ],
)
def test_p4_automatic_mail_is_recognised(headers):
    raw = samples.mail("From: someone@example.cn", *headers, body="x")
    assert parse(raw).automatic


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@mx.example.cn", "postmaster@example.cn"])
def test_p4_mail_from_the_mail_system_is_automatic(sender):
    assert parse(samples.mail(f"From: {sender}", body="x")).automatic


def test_p4_delivery_reports_are_automatic():
    mail = parse(samples.bounce_mail("<n1@example.test>"))
    assert mail.is_report and mail.automatic


def test_p4_auto_submitted_no_is_a_person_writing():
    raw = samples.mail("From: a@example.cn", "Auto-Submitted: no", "Precedence: normal", body="x")
    assert parse(raw).automatic == ""


def test_p4_references_are_collected_nearest_first():
    raw = samples.mail(
        "From: a@example.cn",
        "In-Reply-To: <b@x>",
        "References: <root@x>\r\n <a@x> <b@x>",
        body="x",
    )
    assert parse(raw).references == ["<b@x>", "<a@x>", "<root@x>"]


def test_p4_mail_without_message_id_is_keyed_by_a_hash_of_its_bytes():
    raw = samples.mail("From: a@example.cn", body="x", msgid=None)
    mail = parse(raw)
    assert mail.message_id == ""
    assert dedupe_key(raw, mail.message_id).startswith("sha256:")
    assert dedupe_key(raw, "") == dedupe_key(raw, "")
    assert dedupe_key(raw + b" ", "") != dedupe_key(raw, "")
    assert dedupe_key(raw, "<m@x>") == "<m@x>"


def test_p4_malformed_mail_is_read_without_raising():
    mail = parse(samples.malformed_mail())
    assert mail.from_address == ""
    assert mail.message_id.startswith("<malformed-")


def test_p4_english_mail_is_guessed_english():
    raw = samples.mail("From: a@example.com", "Subject: Packaging", body="Please improve it.")
    assert parse(raw).language == "en"
