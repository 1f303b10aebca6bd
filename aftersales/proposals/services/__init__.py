"""Every write about proposals (STYLE rule 1), one module per step of the
regulation:

- ``intake``: P4 receiving by every channel, P5 acceptance and closing;
- ``study``: P5 routing for study and the departments' opinions;
- ``decision``: P6-P9 adopt, not adopt, reserve and its extension;
- ``implementation``: P7 implementation, P10 the development mode;
- ``rewards``: P11 the committee's scores, the grade, approval and payment;
- ``deadlines``: P5 / P7 / P9 reminders and escalations;
- ``common``: what they share (events, notices, text checks).

Certificates (P12) are in ``proposals.certificates``, mail intake in
``proposals.mail``. Each action takes the ``seen_version`` its author saw and
moves the proposal through the shared engine (``PROPOSAL_FLOW``).

Callers import the actions from here (``services.proposal_adopt``).
"""

# Who may do what is asked of proposals.actions; these two are read often.
from aftersales.proposals.actions import (  # noqa: E402, F401
    can_record_implementation,
    can_write_opinion,
)
from aftersales.proposals.services import rewards  # noqa: F401, E402
from aftersales.proposals.services.common import (  # noqa: F401
    CONTENT_MAX,
    REQUIRED_NOTICE_CONTENT,
    TITLE_MAX,
    local_today,
    reference_for,
)
from aftersales.proposals.services.deadlines import (  # noqa: F401
    DECISION_TEMPLATES,
    remind_and_escalate,
)
from aftersales.proposals.services.decision import (  # noqa: F401
    proposal_adopt,
    proposal_not_adopt,
    proposal_reserve,
    proposal_reserve_extend,
    reserve_limit,
    reserve_limit_text,
)
from aftersales.proposals.services.implementation import (  # noqa: F401
    proposal_implemented,
    proposal_set_development,
)
from aftersales.proposals.services.intake import (  # noqa: F401
    attachment_add,
    proposal_accept,
    proposal_attach_original,
    proposal_close,
    proposal_receive,
    proposal_receive_for,
)
from aftersales.proposals.services.study import (  # noqa: F401
    proposal_route,
    study_opinion_submit,
)
