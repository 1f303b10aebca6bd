"""Raw mail shaped like what real Chinese customers and their mail systems
send (see platform-notes.md, "Real-world Chinese mail"). Built byte by byte,
not with the email package, so the tests see the same mistakes senders make."""

import base64
import itertools
import quopri

_serial = itertools.count(1)

# The smallest valid PNG (1x1) and PDF: check_upload judges files by content.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def word(text: str, charset: str = "utf-8", encoding: str = "B") -> str:
    data = text.encode(charset)
    if encoding == "B":
        return f"=?{charset}?B?{b64(data)}?="
    return f"=?{charset}?Q?{quopri.encodestring(data, header=True).decode()}?="


def message_id() -> str:
    return f"<sample-{next(_serial)}.{id(object())}@mail.example.cn>"


def mail(*headers: str | bytes, body: bytes | str = b"", msgid: str | None = "auto") -> bytes:
    """Headers as lines ("Name: value", str or raw bytes), CRLF line ends."""
    lines = []
    for header in headers:
        lines.append(header if isinstance(header, bytes) else header.encode("utf-8"))
    if msgid == "auto":
        msgid = message_id()
    if msgid:
        lines.append(f"Message-ID: {msgid}".encode())
    lines.append(b"Date: Tue, 03 Mar 2026 10:00:00 +0800")
    lines.append(b"MIME-Version: 1.0")
    if isinstance(body, str):
        body = body.encode("utf-8")
    return b"\r\n".join(lines) + b"\r\n\r\n" + body.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def gbk_mail(sender="zhangsan@example.cn", msgid="auto") -> bytes:
    """GBK subject in an encoded word; body labelled gb2312 but holding the
    GBK-only 喆 and 堃, base64."""
    return mail(
        f"From: {word('张喆', 'gbk')} <{sender}>",
        "To: aftersales@example.test",
        f"Subject: {word('关于退货流程的建议', 'gbk')}",
        "Content-Type: text/plain; charset=gb2312",
        "Content-Transfer-Encoding: base64",
        body=b64("建议简化退货流程。签名：张喆、王堃\n".encode("gbk")),
        msgid=msgid,
    )


def big5_mail(sender="chen@example.com.tw") -> bytes:
    """Big5 subject and quoted-printable body with 碁 and 裏, which only
    cp950 reads."""
    return mail(
        f"From: {word('陳大文', 'big5')} <{sender}>",
        f"Subject: {word('產品包裝建議', 'big5', 'Q')}",
        "Content-Type: text/plain; charset=big5",
        "Content-Transfer-Encoding: quoted-printable",
        body=quopri.encodestring("包裝裏面的說明書請改進，碁盤圖案不清楚。\n".encode("cp950")),
    )


def html_only_mail(sender="li@example.cn") -> bytes:
    """Outlook's HTML-only body, with a script and a style that must vanish."""
    html = (
        "<html><head><style>p{color:red}</style><title>t</title></head><body>"
        "<p>您好，</p><div>建议增加&nbsp;<b>夜间</b>客服&amp;热线。<br>谢谢！</div>"
        "<script>alert('x')</script><ul><li>第一点</li><li>第二点</li></ul></body></html>"
    )
    return mail(
        f"From: =?utf-8?B?{b64('李四'.encode())}?= <{sender}>",
        "Subject: =?utf-8?Q?=E5=A4=9C=E9=97=B4=E5=AE=A2=E6=9C=8D?=",
        "Content-Type: text/html; charset=utf-8",
        "Content-Transfer-Encoding: base64",
        body=b64(html.encode()),
    )


def attachment_mail(sender="wang@example.cn") -> bytes:
    """multipart/mixed: text and HTML alternatives, a PDF named in RFC 2231
    (split in two continuations) and a PNG named in a GBK encoded word."""
    return mail(
        f"From: Wang Wu <{sender}>",
        "Subject: 附件建议",
        'Content-Type: multipart/mixed; boundary="OUTER"',
        body=(
            "--OUTER\n"
            'Content-Type: multipart/alternative; boundary="ALT"\n\n'
            "--ALT\nContent-Type: text/plain; charset=utf-8\n"
            "Content-Transfer-Encoding: 8bit\n\n"
            "请看附件中的建议书。\n"
            "--ALT\nContent-Type: text/html; charset=utf-8\n\n"
            "<p>请看附件中的建议书。</p>\n"
            "--ALT--\n"
            "--OUTER\n"
            "Content-Type: application/pdf\n"
            "Content-Disposition: attachment;\n"
            " filename*0*=UTF-8''%E6%94%B9%E8%BF%9B;\n"
            " filename*1*=%E5%BB%BA%E8%AE%AE.pdf\n"
            "Content-Transfer-Encoding: base64\n\n" + b64(PDF) + "\n"
            "--OUTER\n"
            "Content-Type: image/png\n"
            f'Content-Disposition: attachment; filename="{word("现场照片.png", "gbk")}"\n'
            "Content-Transfer-Encoding: base64\n\n" + b64(PNG) + "\n"
            "--OUTER--\n"
        ).encode(),
    )


def inline_image_mail(sender="zhao@example.cn") -> bytes:
    """multipart/related: an HTML body showing a cid: image."""
    return mail(
        f"From: Zhao <{sender}>",
        "Subject: 截图说明",
        'Content-Type: multipart/related; boundary="REL"; type="text/html"',
        body=(
            "--REL\nContent-Type: text/html; charset=utf-8\n\n"
            '<p>问题见截图：</p><img src="cid:shot1@example.cn">\n'
            "--REL\nContent-Type: image/png\nContent-ID: <shot1@example.cn>\n"
            "Content-Disposition: inline\nContent-Transfer-Encoding: base64\n\n"
            + b64(PNG)
            + "\n--REL--\n"
        ).encode(),
    )


def auto_reply_mail(sender="zhangsan@example.cn") -> bytes:
    return mail(
        f"From: {sender}",
        "Auto-Submitted: auto-replied",
        f"Subject: {word('自动回复：我正在休假')}",
        "Content-Type: text/plain; charset=utf-8",
        body="我正在休假，3月10日回来。",
    )


def bounce_mail(notice_message_id: str, recipient="zhangsan@example.cn") -> bytes:
    """An RFC 3464 delivery status notification about one of our notices."""
    return mail(
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.test>",
        "Subject: Undelivered Mail Returned to Sender",
        'Content-Type: multipart/report; report-type=delivery-status; boundary="DSN"',
        body=(
            "--DSN\nContent-Type: text/plain\n\nThe mail could not be delivered.\n"
            "--DSN\nContent-Type: message/delivery-status\n\n"
            "Reporting-MTA: dns; mx.example.test\n\n"
            f"Final-Recipient: rfc822; {recipient}\nAction: failed\nStatus: 5.1.1\n"
            "Diagnostic-Code: smtp; 550 5.1.1 User unknown\n"
            "--DSN\nContent-Type: text/rfc822-headers\n\n"
            f"Message-ID: {notice_message_id}\nSubject: notice\n"
            "--DSN--\n"
        ).encode(),
    )


def reply_mail(
    *, sender: str, subject: str, in_reply_to: str = "", body="补充说明：见附件。"
) -> bytes:
    headers = [f"From: Customer <{sender}>", f"Subject: {subject}"]
    if in_reply_to:
        headers += [f"In-Reply-To: {in_reply_to}", f"References: {in_reply_to}"]
    return mail(
        *headers,
        'Content-Type: multipart/mixed; boundary="B"',
        body=(
            "--B\nContent-Type: text/plain; charset=utf-8\n\n" + body + "\n"
            "--B\nContent-Type: image/png; name=photo.png\n"
            "Content-Transfer-Encoding: base64\n\n" + b64(PNG) + "\n--B--\n"
        ).encode(),
    )


def malformed_mail() -> bytes:
    """No sender, a broken MIME structure, bytes that are not text."""
    return (
        b"Subject: \xff\xfe broken\r\nContent-Type: multipart/mixed; boundary=\r\n"
        b"Message-ID: <malformed-" + str(next(_serial)).encode() + b"@x>\r\n\r\n"
        b"\x00\x01\x02 --\r\n--\r\n"
    )
