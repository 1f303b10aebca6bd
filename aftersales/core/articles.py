"""The regulation's articles, for citations in help text (see regulation.md)."""

from django.utils.translation import gettext_lazy as _

ARTICLES = {
    "P4": _("Customers submit proposals by email, letter, telephone and similar channels."),
    "P5": _(
        "On acceptance the department fills in an acceptance record and routes the proposal for study."
    ),
    "P6": _("A proposal ends in one of three decisions: adopt, not adopt, reserve."),
    "P7": _("An adopted proposal is implemented; the customer is told the time and the measures."),
    "P8": _("A proposal not adopted is reported to the customer, with thanks."),
    "P9": _("A reserved proposal is decided within the reserve period; the customer is told why."),
    "P10": _(
        "Results of a proposal belong to the company, or are settled by agreement when joint."
    ),
    "P11": _("The evaluation committee grades proposals and grants rewards by grade."),
    "P12": _("Customers with many proposals in a year receive a certificate of appreciation."),
    "Q3": _("In force once approved by the general manager; amendments likewise."),
    "Q4": _("Principles: customer-centred, everyone takes part, based on facts."),
    "Q14": _("In force once approved by the company's leadership; amendments likewise."),
    "I3": _("Approved by the general manager; amendments likewise."),
    "I8": _("Everyone in the after-sales department is subject to inspection."),
    "I10": _("The inspection leading group is led by the after-sales department manager."),
    "I11": _("Inspection frequency depends on the scope category and its impact."),
}
