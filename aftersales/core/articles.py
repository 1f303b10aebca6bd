"""The regulation's articles (``../shared/regulation.md``), for citations in
code, tests and help text.

All 33 articles are here, so a citation can be checked: ``article("Q10")``
and the ``{% cite %}`` tag refuse an ID the regulation does not have (chapter I
of the original has no article 9, and the proposals chapter starts at P4). Titles and
summaries are translated like every other string (``locale/zh_Hans``).
"""

import re
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Article:
    id: str
    title: Promise
    summary: Promise


def _a(id_, title, summary):
    return id_, Article(id_, title, summary)


ARTICLES: dict[str, Article] = dict(
    [
        # P. Customer proposals
        _a(
            "P4",
            _("Submitting proposals"),
            _("Customers submit proposals by email, letter, telephone and similar channels."),
        ),
        _a(
            "P5",
            _("Acceptance and study"),
            _(
                "On acceptance the department fills in an acceptance record and routes the "
                "proposal for study."
            ),
        ),
        _a(
            "P6",
            _("Three ways to decide"),
            _("A proposal ends in one of three decisions: adopt, not adopt, reserve."),
        ),
        _a(
            "P7",
            _("Adopted proposals"),
            _(
                "An adopted proposal is implemented; the customer is told the time and the "
                "measures."
            ),
        ),
        _a(
            "P8",
            _("Proposals not adopted"),
            _("A proposal not adopted is reported to the customer, with thanks."),
        ),
        _a(
            "P9",
            _("Reserved proposals"),
            _(
                "A reserved proposal is decided within the reserve period; the customer is told why."
            ),
        ),
        _a(
            "P10",
            _("Ownership of results"),
            _(
                "Results of a proposal belong to the company, or are settled by agreement when "
                "joint."
            ),
        ),
        _a(
            "P11",
            _("Reward standards"),
            _("The evaluation committee grades proposals and grants rewards by grade."),
        ),
        _a(
            "P12",
            _("Certificates of appreciation"),
            _("Customers with many proposals in a year receive a certificate of appreciation."),
        ),
        # Q. Service quality management
        _a(
            "Q1",
            _("Purpose"),
            _("Raise service quality and handle and improve anomalies promptly."),
        ),
        _a(
            "Q2",
            _("Scope"),
            _("Carrying out quality inspection; reporting and handling quality anomalies."),
        ),
        _a(
            "Q3",
            _("Authority"),
            _("In force once approved by the general manager; amendments likewise."),
        ),
        _a(
            "Q4",
            _("Principles"),
            _("Principles: customer-centred, everyone takes part, based on facts."),
        ),
        _a(
            "Q5",
            _("Inspection during service"),
            _("The after-sales service specialist checks and controls quality during service."),
        ),
        _a(
            "Q6",
            _("Self-inspection"),
            _("Every service worker inspects their own work and flags any anomaly at once."),
        ),
        _a(
            "Q7",
            _("Appearance standard"),
            _("Uniform and badge, hygiene, hair, make-up and nails."),
        ),
        _a(
            "Q8",
            _("Discipline standard"),
            _("Working hours, staying at the post, no chatting, eating or unrelated business."),
        ),
        _a(
            "Q9",
            _("Daily service conduct standard"),
            _("Polite language, no conflict with customers, the company's other rules."),
        ),
        _a(
            "Q10",
            _("Anomaly handling form"),
            _(
                "The service quality specialist traces the cause and opens an anomaly handling "
                "form; departments countersign it, then the customer service department reviews it."
            ),
        ),
        _a(
            "Q11",
            _("Unannounced daily checks"),
            _(
                "Service items are checked every day at unannounced times and the service quality "
                "anomaly record is filled in."
            ),
        ),
        _a(
            "Q12",
            _("Quality anomaly analysis report"),
            _(
                "The daily records are summarised for the customer service manager and discussed "
                "in a meeting."
            ),
        ),
        _a(
            "Q13",
            _("Improvement items"),
            _(
                "Each anomaly handling form becomes an improvement item whose results are checked "
                "and reported."
            ),
        ),
        _a(
            "Q14",
            _("Approval"),
            _("In force once approved by the company's leadership; amendments likewise."),
        ),
        # I. Service quality inspection
        _a(
            "I1",
            _("Purpose"),
            _("Avoid harm from negligence and make every worker take quality seriously."),
        ),
        _a(
            "I2",
            _("Inspection register"),
            _(
                "Every inspection is entered in the inspection register; major problems are "
                "reported at once."
            ),
        ),
        _a(
            "I3",
            _("Approval"),
            _("Approved by the general manager; amendments likewise."),
        ),
        _a(
            "I4",
            _("Compliance with rules"),
            _("Inspection of compliance with the company's rules."),
        ),
        _a(
            "I5",
            _("Service process"),
            _("Inspection of the service process."),
        ),
        _a(
            "I6",
            _("Safety and hygiene"),
            _("Safety and hygiene inspection."),
        ),
        _a(
            "I7",
            _("Other matters"),
            _("Anything else that may affect service quality."),
        ),
        _a(
            "I8",
            _("Subjects of inspection"),
            _("Everyone in the after-sales department is subject to inspection."),
        ),
        _a(
            "I10",
            _("Inspection leading group"),
            _("The inspection leading group is led by the after-sales department manager."),
        ),
        _a(
            "I11",
            _("Inspection frequency"),
            _("Inspection frequency depends on the scope category and its impact."),
        ),
    ]
)

# How an article ID is written in code, templates and docs: P4, Q10, I11.
ARTICLE_ID = re.compile(r"\b[PQI]\d{1,2}\b")


class UnknownArticle(LookupError):
    pass


def article(article_id: str) -> Article:
    """The article with this ID; an ID the regulation does not have is an
    error, never an empty citation."""
    try:
        return ARTICLES[article_id]
    except KeyError:
        raise UnknownArticle(
            f"{article_id!r} is not an article of the regulation (known: {', '.join(ARTICLES)})"
        ) from None
