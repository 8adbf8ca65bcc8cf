"""Every sentence the API says to a person, in Arabic and English: one catalogue (README: Language).

A refusal names its `Msg` and the parameters; the text is made at the edge, in the language the
request asked for (`negotiate`). Codes and fields never change with the language, only the text.
Values in `{…}` are the API's own spelling (field names, enum values, numbers) in both languages.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum, StrEnum, unique


class Language(StrEnum):
    """A language the API answers in; Arabic first."""

    AR = "ar"
    EN = "en"


DEFAULT = Language.AR


@dataclass(frozen=True, slots=True)
class Template:
    """One message in both languages, with the same `{placeholders}`."""

    ar: str
    en: str

    def text(self, language: Language) -> str:
        return self.ar if language is Language.AR else self.en


@unique
class Msg(Enum):
    """The catalogue: one member per message (a test checks both languages' placeholders)."""

    # --- shared shapes ------------------------------------------------------------------------
    AT_MOST_CHARS = Template("{limit} حرفًا على الأكثر", "at most {limit} characters")
    FIELD_REQUIRED = Template("{field} مطلوب", "{field} is required")
    FIELD_AT_LEAST_ZERO = Template("يجب ألا يقل {field} عن 0", "{field} must be at least 0")
    FIELD_NOT_NEGATIVE = Template("يجب ألا يكون {field} سالبًا", "{field} must not be negative")
    FIELD_BETWEEN = Template(
        "يجب أن يكون {field} بين {low} و{high}، والقيمة {value}",
        "{field} must be between {low} and {high}, got {value}",
    )
    FIELD_AT_LEAST = Template(
        "يجب ألا يقل {field} عن {low}، والقيمة {value}",
        "{field} must be at least {low}, got {value}",
    )
    FIELD_IN_FUTURE = Template("{field} في المستقبل", "{field} is in the future")
    FIELD_COUNT_RANGE = Template(
        "يجب أن يكون {field} من 0 إلى {limit:,}", "{field} must be 0..{limit:,}"
    )
    FIELD_OVER_CHARS = Template(
        "{field} أطول من {limit} حرفًا", "{field} is over {limit} characters"
    )
    UNSUPPORTED_LOCALE = Template("لغة غير مدعومة {locale!r}", "unsupported locale {locale!r}")
    CUSTOMER_NAME_REQUIRED = Template("اسم العميل مطلوب", "customer name is required")
    NEEDS_TIME_ZONE = Template("{field} يحتاج إلى منطقة زمنية", "{field} needs a time zone")

    # --- who may ------------------------------------------------------------------------------
    TOKEN_REQUIRED = Template(
        "مطلوب رمز وصول (bearer token) صالح", "a valid bearer token is required"
    )
    TOKEN_NO_LONGER_VALID = Template("لم يعد هذا الرمز صالحًا", "this token is no longer valid")
    ROLE_MAY_NOT = Template("لا يحق للدور {role} تنفيذ {action}", "role {role} may not {action}")

    # --- not found ----------------------------------------------------------------------------
    NO_SUCH_ID = Template("لا يوجد معرّف كهذا", "no such id")
    NOT_AN_ID_OF = Template("ليس معرّفًا من نوع {expect}", "not a {expect} id")
    NOTHING_WITH_ID = Template(
        "لا يوجد شيء بهذا المعرّف في مؤسستك", "nothing with this id in your organisation"
    )
    NO_SUCH_CUSTOMER = Template("لا يوجد عميل كهذا", "no such customer")
    NO_SUCH_CUSTOMER_IN_ORG = Template(
        "لا يوجد عميل كهذا في مؤسستك", "no such customer in your organisation"
    )
    NO_SUCH_TICKET_IN_ORG = Template(
        "لا توجد تذكرة كهذه في مؤسستك", "no such ticket in your organisation"
    )
    NO_SUCH_INCIDENT_IN_ORG = Template(
        "لا توجد حادثة كهذه في مؤسستك", "no such incident in your organisation"
    )
    NO_SUCH_DRAFT_IN_ORG = Template(
        "لا توجد مسودة كهذه في مؤسستك", "no such draft in your organisation"
    )
    NO_SUCH_ALERT_IN_ORG = Template(
        "لا يوجد تنبيه كهذا في مؤسستك", "no such alert in your organisation"
    )
    NO_SUCH_PLAN_IN_ORG = Template(
        "لا توجد خطة كهذه في مؤسستك", "no such plan in your organisation"
    )
    NO_SUCH_PLAN_ITEM_IN_ORG = Template(
        "لا يوجد بند خطة كهذا في مؤسستك", "no such plan item in your organisation"
    )
    NO_SUCH_STEP = Template("لا توجد خطوة كهذه في الخطة", "no such step in the plan")
    NO_SUCH_INCIDENT = Template("لا توجد حادثة كهذه", "no such incident")
    NO_CHECK_IN_FOR_WEEK = Template(
        "لا توجد متابعة مسجّلة لذلك الأسبوع", "no check-in recorded for that week"
    )

    # --- paging -------------------------------------------------------------------------------
    FIRST_RANGE = Template("يجب أن يكون first من 1 إلى {limit}", "first must be 1..{limit}")
    NOT_A_CURSOR = Template("ليس مؤشرًا (cursor) من هذه الواجهة", "not a cursor from this API")
    CURSOR_OTHER_ORDER = Template("مؤشر (cursor) لترتيب orderBy آخر", "a cursor of another orderBy")
    FIRST_OR_LAST = Template("مرّر first أو last، لا كليهما", "pass first or last, not both")
    PAGE_RANGE = Template("يجب أن يكون {name} من 1 إلى {limit}", "{name} must be 1..{limit}")

    # --- versions -----------------------------------------------------------------------------
    CUSTOMER_CHANGED = Template(
        "تغيّر العميل: الإصدار {current} وليس {expected}",
        "customer changed: version is {current}, not {expected}",
    )
    INCIDENT_CHANGED = Template(
        "تغيّرت الحادثة: الإصدار {current} وليس {expected}",
        "incident changed: version is {current}, not {expected}",
    )
    TICKET_CHANGED = Template(
        "تغيّرت التذكرة: الإصدار {current}", "ticket changed: version is {current}"
    )
    DRAFT_CHANGED = Template(
        "تغيّرت المسودة: الإصدار {current}", "draft changed: version is {current}"
    )
    PLAN_CHANGED = Template("تغيّرت الخطة: الإصدار {current}", "plan changed: version is {current}")
    KEY_ALREADY_USED = Template("استُخدم هذا المفتاح في طلب آخر", "key already used by another call")

    # --- customers ----------------------------------------------------------------------------
    CUSTOMER_NEEDS_NAME = Template("يحتاج العميل إلى اسم", "a customer needs a name")
    NOT_AN_EMAIL = Template("ليس عنوان بريد إلكتروني", "not an email address")
    RENEWS_AFTER_START = Template(
        "يجب أن يكون renewsAt بعد startedAt", "renewsAt must be after startedAt"
    )
    CUSTOMER_ALREADY_ARCHIVED = Template("العميل مؤرشف مسبقًا", "customer is already archived")
    CUSTOMER_ARCHIVED = Template("العميل مؤرشف", "customer is archived")
    STAGE_MOVE = Template(
        "لا يمكن نقل العميل من المرحلة {current} إلى {target}",
        "a customer cannot move from stage {current} to {target}",
    )

    # --- tickets ------------------------------------------------------------------------------
    PRIORITY_BELOW_FLOOR = Template(
        "{requested} أدنى من الأولوية المصنّفة {floor}؛ الأولوية ترتفع فقط.",
        "{requested} is below the classified priority {floor}; priority may only go up.",
    )
    PRIORITY_BELOW_CURRENT = Template(
        "{requested} أدنى من الأولوية الحالية {current}؛ الأولوية ترتفع فقط.",
        "{requested} is lower than the current priority {current}; priority may only go up.",
    )
    PRIORITY_ALREADY = Template(
        "{requested} هي الأولوية الحالية؛ الأولوية ترتفع فقط.",
        "{requested} is already the current priority; priority may only go up.",
    )
    PRIORITY_ALREADY_HIGHEST = Template(
        "{requested} هي الأولوية الحالية وهي الأعلى؛ الأولوية ترتفع فقط.",
        "{requested} is already the current priority, the highest; priority may only go up.",
    )
    NOT_BEFORE_OPENED = Template(
        "لا يمكن أن يكون {field} قبل فتح التذكرة.",
        "{field} cannot be before the ticket was opened.",
    )
    NOT_BEFORE_FIRST_RESPONSE = Template(
        "لا يمكن أن يكون {field} قبل أول رد.", "{field} cannot be before the first response."
    )
    NOT_BEFORE_RESOLVED = Template(
        "لا يمكن أن يكون {field} قبل حل التذكرة.",
        "{field} cannot be before the ticket was resolved.",
    )
    TICKET_MOVE = Template(
        "لا يمكن نقل التذكرة من '{current}' إلى '{target}'.",
        "A ticket cannot go from '{current}' to '{target}'.",
    )
    RESOLVE_BEFORE_FIRST_RESPONSE = Template(
        "لا يمكن حل التذكرة قبل أول رد.", "A ticket cannot be resolved before its first response."
    )
    SAY_WHO_CONFIRMED = Template(
        "اذكر من أكّد أن التذكرة حُلّت.", "Say who confirmed the ticket is solved."
    )
    ESCALATE_ONLY_OPEN = Template(
        "تُصعَّد التذكرة المفتوحة فقط؛ وهذه '{status}'.",
        "Only an open ticket can be escalated; this one is '{status}'.",
    )
    UNKNOWN_SLA_EVENT = Template(
        "حدث SLA غير معروف؛ أحد {known}", "unknown SLA event; one of {known}"
    )
    OPENED_ONCE = Template(
        "تُفتح التذكرة مرة واحدة، عبر openTicket", "a ticket is opened once, by openTicket"
    )
    ONLY_CLOSED_RATED = Template("تُقيَّم التذكرة المغلقة فقط", "only a closed ticket can be rated")

    # --- drafts -------------------------------------------------------------------------------
    DRAFT_MOVE = Template(
        "لا يمكن نقل المسودة من '{current}' إلى '{target}'.",
        "A draft cannot go from '{current}' to '{target}'.",
    )
    VIEWER_CANNOT_APPROVE = Template(
        "لا يمكن للمشاهد اعتماد المسودات.", "A viewer cannot approve drafts."
    )
    VIEWER_CANNOT_REJECT = Template(
        "لا يمكن للمشاهد رفض المسودات.", "A viewer cannot reject drafts."
    )
    VIEWER_CANNOT_SEND = Template("لا يمكن للمشاهد إرسال المسودات.", "A viewer cannot send drafts.")
    DRAFT_FROZEN = Template(
        "الإجراءات الحية مجمّدة لهذه المؤسسة أو هذا العميل؛ لا يمكن اعتماد هذه المسودة حتى "
        "يُرفع التجميد.",
        "Live actions are frozen for this organisation or customer; this draft cannot be "
        "approved until the freeze is lifted.",
    )
    NOT_FROZEN = Template("الإجراءات الحية غير مجمّدة", "live actions are not frozen")

    # --- incidents ----------------------------------------------------------------------------
    AFFECTED_NEGATIVE = Template("عدد المتأثرين {count} أقل من 0", "affected count {count} < 0")
    SEVERITY_BELOW_TRIAGE = Template(
        "لا يمكن تغيير الخطورة من {current} إلى {requested}: الفرز أعطى {floor}",
        "cannot change severity from {current} to {requested}: triage gave {floor}",
    )
    TITLE_REQUIRED = Template("العنوان مطلوب", "title is required")
    FIELD_CHARS_OVER = Template(
        "{field} طوله {length} حرفًا > {limit}", "{field} is {length} characters > {limit}"
    )
    INCIDENT_MOVE = Template(
        "لا يمكن نقل الحادثة من {current} إلى {target}",
        "cannot move an incident from {current} to {target}",
    )
    CLOSE_NEEDS_POST_MORTEM = Template(
        "لا يمكن إغلاق حادثة {severity} دون مراجعة ما بعد الحادثة",
        "a {severity} incident cannot be closed without its post-mortem",
    )
    INCIDENT_CLOSED = Template("الحادثة مغلقة", "the incident is closed")
    NO_AFFECTED_CUSTOMERS = Template(
        "لا يوجد عملاء متأثرون بالحادثة لإرسال تحديث إليهم",
        "the incident has no affected customers to update",
    )
    PDPL_ONLY_DATA_LEAK = Template(
        "إشعار PDPL مطلوب لتسرّب البيانات فقط", "only a data leak needs a PDPL notification"
    )
    PDPL_ALREADY = Template("إشعار PDPL مسجّل مسبقًا", "the PDPL notification is already recorded")
    POST_MORTEM_ONLY_RESOLVED = Template(
        "تُكتب مراجعة ما بعد الحادثة لحادثة محلولة، لا لحادثة {status}",
        "a post-mortem is written for a resolved incident, not a {status} one",
    )
    ACTION_NEEDS_TEXT = Template(
        "كل إجراء وقائي يحتاج إلى نص", "each preventive action needs a text"
    )
    ACTION_NEEDS_OWNER = Template(
        "كل إجراء وقائي يحتاج إلى مسؤول", "each preventive action needs an owner"
    )
    NAME_A_CUSTOMER = Template("اذكر عميلًا واحدًا على الأقل", "name at least one customer")
    CUSTOMERS_PER_CALL = Template(
        "{limit} عميل على الأكثر في الطلب الواحد", "at most {limit} customers per call"
    )
    STEP_ALREADY_TICKED = Template("الخطوة منجزة مسبقًا", "step already ticked")
    ALREADY_ATTACHED_HERE = Template(
        "مرتبطة بهذه الحادثة مسبقًا", "already attached to this incident"
    )
    ATTACHED_ELSEWHERE = Template("مرتبطة بحادثة أخرى", "attached to another incident")

    # --- alerts, connectors, onboarding, signals ----------------------------------------------
    ALERT_ACKNOWLEDGED = Template("تم الإقرار بالتنبيه مسبقًا", "the alert is already acknowledged")
    HIGH_ALERT_NEEDS_ACTION = Template(
        "تنبيه الخطر المرتفع يحتاج إلى تسجيل الإجراء المتخذ",
        "a high at-risk alert needs the action taken recorded",
    )
    CONNECTOR_MOVE = Template(
        "لا يمكن نقل الموصل من {current} إلى {target}",
        "a connector cannot move from {current} to {target}",
    )
    STEP_ALREADY_DONE = Template("الخطوة {step} منجزة مسبقًا", "step {step} is already done")
    STEP_NOT_DONE = Template("الخطوة {step} غير منجزة", "step {step} is not done")
    PIPELINE_RANGE = Template(
        "يجب ألا يقل pipelineSar عن 0 وأن يكون أقل من {limit:,}",
        "pipelineSar must be at least 0 and below {limit:,}",
    )
    PROOF_PACK_NEEDS_TITLE = Template("يحتاج Proof Pack إلى عنوان", "a Proof Pack needs a title")
    DAYS_RANGE = Template("يجب أن يكون days من 1 إلى {limit}", "days must be 1..{limit}")
    EMAIL_NEEDS_REASONS = Template(
        "بريد الخطر يحتاج إلى أسبابه", "an at-risk email needs its reasons"
    )
    PERIOD_END_AFTER_START = Template(
        "يجب أن يكون periodEnd بعد periodStart", "periodEnd must be after periodStart"
    )
    TO_AFTER_FROM = Template("يجب أن يكون `to` بعد `from`", "`to` must be after `from`")

    # --- success plans ------------------------------------------------------------------------
    UPSELL_NEEDS_PROOF_PACK = Template(
        "{title!r} بند ترقية أو بيع إضافي؛ سلّم أول Proof Pack أولًا",
        "{title!r} is an upgrade or upsell item; deliver the first Proof Pack first",
    )
    ITEM_ALREADY_DONE = Template("{title!r} منجز مسبقًا", "{title!r} is already done")
    CHECK_IN_TOO_SOON = Template(
        "آخر متابعة كانت {last}، قبل {days} يوم من {on}؛ متابعة واحدة كل 7 أيام على الأكثر",
        "last check-in was {last}, {days} days from {on}; at most one check-in per 7 days",
    )
    CADENCE_NEEDS_CONSENT = Template(
        "تغيير الإيقاع يحتاج إلى موافقة العميل المسجّلة",
        "changing the cadence needs the customer's recorded consent",
    )
    NAME_WHO_CONSENTED = Template(
        "اذكر جهة الاتصال لدى العميل التي وافقت (الاسم أو البريد)",
        "name the customer contact who consented (name or email)",
    )
    SAY_HOW_CONSENTED = Template(
        "اذكر كيف ومتى وافق العميل", "say how and when the customer consented"
    )
    CADENCE_ALREADY = Template(
        "إيقاع الخطة هو {current} مسبقًا", "the plan's cadence is already {current}"
    )
    ALREADY_HAS_PLAN = Template("للعميل خطة مسبقًا", "the customer already has a plan")
    RECORD_METRICS_FIRST = Template(
        "لا توجد مقاييس متابعة مسجّلة لذلك الأسبوع؛ سجّلها أولًا",
        "no check-in metrics recorded for that week; record them first",
    )

    # --- §4.1 at-risk reasons and actions ------------------------------------------------------
    RISK_INACTIVE = Template("العميل غير نشط منذ {d} يوم.", "Customer inactive for {d} days.")
    RISK_LOW_ACTIVITY = Template("انخفاض النشاط منذ {d} يوم.", "Activity low for {d} days.")
    RISK_PENDING = Template("{n} مسودة معلقة بدون اعتماد.", "{n} drafts pending without approval.")
    RISK_PENDING_BUILDUP = Template(
        "تراكم {n} مسودة بدون اعتماد.", "{n} drafts building up without approval."
    )
    RISK_PROOF_PACK = Template(
        "آخر Proof Pack قبل {d} يوم — يتجاوز SLA.", "Last Proof Pack {d} days ago — past the SLA."
    )
    RISK_SEV1_OPEN = Template(
        "حادثة SEV1 مفتوحة تؤثر على العميل.", "An open SEV1 incident affects the customer."
    )
    RISK_P0_BREACHED = Template(
        "تجاوز SLA لتذكرة P0 خلال آخر 14 يوم.", "A P0 ticket breached its SLA in the last 14 days."
    )
    RISK_RED_FLAG = Template(
        "علامة حمراء خلال آخر 14 يوم.", "A red flag was raised in the last 14 days."
    )
    # --- playbooks (docs/rules.md §8.1, §8.2) ---------------------------------------------------
    NO_SUCH_PILOT_IN_ORG = Template(
        "لا يوجد pilot كهذا في هذه المؤسسة", "no such pilot in this organisation"
    )
    PILOT_EXISTS = Template("لهذا العميل pilot من قبل", "this customer already has a pilot")
    PILOT_DECIDED = Template(
        "الـ pilot انتهى بالفعل ({status})", "the pilot is already decided ({status})"
    )
    PILOT_NOT_STARTED = Template(
        "اليوم {day} من الـ pilot لم يبدأ بعد", "day {day} of the pilot has not begun yet"
    )
    RED_FLAG_CHURN = Template("تهديد بالإلغاء: «{detail}»", "Churn threat: “{detail}”")
    RED_FLAG_ARABIC_QUALITY = Template(
        "شكوى من جودة العربي: «{detail}»", "Arabic quality complaint: “{detail}”"
    )
    RED_FLAG_EXPECTATION = Template(
        "ليس ما توقعه العميل: «{detail}»", "Not what the customer expected: “{detail}”"
    )
    RED_FLAG_FEATURE_MISSING = Template(
        "ميزة غير موجودة: «{detail}»", "A feature not built: “{detail}”"
    )
    RED_FLAG_MISSED_CHECK_INS = Template(
        "3 check-ins يومية فائتة متتالية (حتى اليوم {detail})",
        "3 consecutive missed daily check-ins (to day {detail})",
    )
    RED_FLAG_INTEGRATION_BREAK = Template(
        "تعطل تكامل: الموصل {detail} أصبح failed",
        "Integration break: connector {detail} moved to failed",
    )
    ACTION_HIGH = Template(
        "أرسل إيميل personal من المؤسس + احجز QBR هذا الأسبوع.",
        "Send a personal email from the founder + book a QBR this week.",
    )
    ACTION_MEDIUM = Template(
        "أرسل Proof Pack ملخص + اقترح ديمو لخدمة جديدة.",
        "Send a summary Proof Pack + propose a demo of a new service.",
    )
    ACTION_LOW = Template("متابعة weekly check-in عادية.", "Regular weekly check-in.")

    # --- §4.2 health explanation, one line per term -------------------------------------------
    HEALTH_NO_CSAT = Template(
        "لا تقييم للتذاكر في الفترة: يُحسب CSAT صفرًا (+0.0).",
        "No ticket rating in the period: CSAT counts 0 (+0.0).",
    )
    HEALTH_CSAT = Template(
        "متوسط CSAT {avg:.1f}/5، أي {input:.1f}/10 × 5 = {points:+.1f}",
        "CSAT average {avg:.1f}/5 → {input:.1f}/10 × 5 = {points:+.1f}",
    )
    HEALTH_PIPELINE = Template(
        "الـ pipeline {input:,.0f} ريال / 1000 = {points:+.1f}",
        "Pipeline {input:,.0f} SAR / 1000 = {points:+.1f}",
    )
    HEALTH_MEETINGS = Template(
        "{input:.0f} اجتماع × 8 = {points:+.1f}", "{input:.0f} meeting(s) × 8 = {points:+.1f}"
    )
    HEALTH_APPROVAL = Template(
        "نسبة الاعتماد {approved}/{decided} = {input:.2f} × 50 = {points:+.1f}",
        "Approval rate {approved}/{decided} = {input:.2f} × 50 = {points:+.1f}",
    )
    HEALTH_NO_DECISIONS = Template(
        "لم يُبتّ في أي مسودة خلال الفترة: تُحسب نسبة الاعتماد صفرًا (+0.0).",
        "No drafts decided in the period: approval rate counts 0 (+0.0).",
    )
    HEALTH_INACTIVE = Template(
        "{input:.0f} يوم بلا نشاط × 2 = {points:+.1f}",
        "{input:.0f} day(s) inactive × 2 = {points:+.1f}",
    )
    HEALTH_PENDING = Template(
        "{input:.0f} مسودة معلقة = {points:+.1f}", "{input:.0f} draft(s) pending = {points:+.1f}"
    )
    HEALTH_CLAMPED = Template(
        "المجموع {raw:.1f} حُصر عند {value:.1f}.", "Total {raw:.1f} clamped to {value:.1f}."
    )

    # --- top-level refusals made outside the resolvers ---------------------------------------
    TEXT_UNSTORABLE = Template(
        "{where}: النص يحوي محرف NUL أو بديلًا منفردًا (lone surrogate)",
        "{where}: text holds a NUL character or a lone surrogate",
    )
    DEPTH_LIMIT = Template(
        "'{operation}' تتجاوز أقصى عمق للعملية وهو {limit}",
        "'{operation}' exceeds maximum operation depth of {limit}",
    )
    TOKEN_LIMIT = Template(
        "Syntax Error: يحوي المستند أكثر من {limit} رمزًا. توقف التحليل.",
        "Syntax Error: Document contains more than {limit} tokens. Parsing aborted.",
    )
    SUBSCRIBER_TOO_SLOW = Template(
        "تأخرت كثيرًا عن التنبيهات؛ اشترك من جديد مع `after`",
        "you fell too far behind; subscribe again with `after`",
    )
    SERVER_GOING_AWAY = Template(
        "هذا الخادم يتوقف؛ اشترك من جديد مع `after`",
        "this server is stopping; subscribe again with `after`",
    )
    BODY_TOO_LARGE = Template("جسم الطلب كبير جدًا", "request body too large")
    INTERNAL = Template("خطأ داخلي (المعرّف {error_id})", "Internal error (id {error_id})")
    USE_HTTP = Template(
        "{kind}: الاستعلامات والتعديلات تُرسل عبر HTTP POST /graphql؛ و WebSocket للاشتراكات",
        "{kind}: queries and mutations go over HTTP POST /graphql; the WebSocket carries "
        "subscriptions",
    )
    TOO_MANY_SUBSCRIPTIONS = Template(
        "{limit} اشتراكًا على الأكثر في الوقت نفسه على اتصال واحد؛ أنهِ واحدًا أو افتح اتصالًا آخر",
        "at most {limit} subscriptions at a time on one connection; complete one or open another "
        "connection",
    )

    QUERY_TOO_LARGE = Template(
        "'{operation}' تتوسع إلى أكثر من {limit:,} حقلًا مختارًا بعد نشر أجزائها (fragments)",
        "'{operation}' expands to more than {limit:,} field selections once its fragments are "
        "spread",
    )
    QUERY_TOO_COSTLY = Template(
        "كلفة هذا الاستعلام {cost:,} نقطة، أكثر من الحد الأقصى {limit:,} للطلب الواحد؛ اطلب صفحات "
        "أصغر أو حقولًا أقل",
        "this query costs {cost:,} points, more than the maximum of {limit:,} a request; ask for "
        "smaller pages or fewer fields",
    )
    RATE_LIMITED = Template(
        "بلغت حد الطلبات: كلفة هذا الاستعلام {cost:,} نقطة وبقي {remaining:,} من {limit:,}؛ أعد "
        "المحاولة بعد {retry} ث",
        "rate limit reached: this query costs {cost:,} points and {remaining:,} of {limit:,} are "
        "left; retry after {retry} s",
    )
    METRICS_TOKEN = Template("/metrics يحتاج رمز المقاييس", "metrics need the metrics token")

    DATABASE_UNAVAILABLE = Template(
        "قاعدة البيانات غير متاحة؛ أعد المحاولة بعد ثوانٍ",
        "the database is unavailable; retry in a few seconds",
    )
    NOT_JSON = Template("الطلب ليس JSON صالحًا: {detail}", "the request is not valid JSON: {detail}")
    BODY_NOT_OBJECT = Template(
        "يجب أن يكون جسم الطلب كائن JSON فيه query",
        "the request body must be a JSON object with a query",
    )
    SEVERAL_OPERATIONS = Template(
        "المستند يحوي أكثر من عملية: حدّد أيّها تُنفَّذ في operationName",
        "the document holds several operations: say which to run in operationName",
    )
    USE_WEBSOCKET = Template(
        "الاشتراكات تعمل عبر WebSocket (graphql-transport-ws) على /graphql",
        "subscriptions run over a WebSocket (graphql-transport-ws) at /graphql",
    )

    # --- CSV import and export -------------------------------------------------------------------
    CSV_NOT_UTF8 = Template("السطر {line}: الملف ليس UTF-8", "line {line}: the file is not UTF-8")
    CSV_UNKNOWN_COLUMN = Template(
        "عمود غير معروف؛ المتوقع: {expected}", "unknown column; expected: {expected}"
    )
    CSV_COLUMN_TWICE = Template("العمود {name} مكرر", "column {name} appears twice")
    CSV_NEEDS_COLUMN = Template("يحتاج الملف إلى العمود {name}", "the file needs a {name} column")
    CSV_EMPTY = Template(
        "الملف فارغ: يحتاج إلى سطر العناوين", "the file is empty: it needs a header row"
    )
    CSV_TOO_MANY_ROWS = Template("{limit} صف على الأكثر في الملف", "at most {limit} rows a file")
    CSV_KEY_REPEATS = Template("external_id يتكرر من صف سابق", "external_id repeats an earlier row")
    CSV_BROKEN = Template("السطر {line}: {detail}", "line {line}: {detail}")
    CSV_TOO_MANY_CELLS = Template(
        "{cells} خلايا، والعناوين {columns}", "{cells} cells, the header has {columns}"
    )
    CSV_UNSTORABLE = Template("يحوي محرفًا لا يُخزَّن في النص", "contains a character text cannot hold")
    CSV_NOT_A = Template("{value} ليس {column}", "{value} is not a {column}")
    CSV_NOT_A_DATE = Template(
        "{value} ليس تاريخًا: استخدم YYYY-MM-DD أو ISO 8601",
        "{value} is not a date: use YYYY-MM-DD or ISO 8601",
    )
    CSV_NO_SUCH_CUSTOMER = Template(
        "لم يُستورد عميل بهذا external_id", "no customer was imported with this external_id"
    )
    CSV_RACE = Template(
        "انتهى استيراد آخر لهذه الصفوف قبل هذا: استورد الملف من جديد",
        "another import of these rows finished first: import the file again",
    )
    CSV_ROWS_REFUSED = Template(
        "رُفض {invalid} من {total} صفًا: {first}", "{invalid} of {total} rows refused: {first}"
    )
    NO_SUCH_IMPORT = Template(
        "لا توجد عملية استيراد كهذه في مؤسستك", "no such import job in your organisation"
    )
    NO_SUCH_EXPORT = Template(
        "الملفات المتاحة: customers.csv و tickets.csv و ledger.csv",
        "exports: customers.csv, tickets.csv, ledger.csv",
    )

    # --- working time (§7) ----------------------------------------------------------------------
    UNKNOWN_ZONE = Template(
        "منطقة زمنية IANA غير معروفة '{zone}'", "unknown IANA time zone '{zone}'"
    )
    NAME_REQUIRED = Template("الاسم مطلوب", "a name is required")
    ONE_WORKING_DAY = Template("يوم عمل واحد على الأقل", "at least one working day")
    NOT_A_CLOCK_TIME = Template("'{value}' ليس وقتًا HH:MM", "'{value}' is not a time HH:MM")
    ONE_SPAN = Template("فترة واحدة على الأقل من ساعات العمل", "at least one span of working hours")
    SPAN_INVERTED = Template(
        "{start}–{end} يجب أن تبدأ قبل أن تنتهي", "{start}–{end} must start before it ends"
    )
    HOURS_OVERLAP = Template(
        "ساعات العمل متداخلة: {start} قبل {end}", "working hours overlap: {start} is before {end}"
    )
    HOLIDAY_YEARS = Template("تاريخ العطلة بين {low} و{high}", "a holiday is dated {low}–{high}")
    HOLIDAY_TWICE = Template("{day} مذكور مرتين", "{day} is given twice")
    HOLIDAYS_AT_MOST = Template("{limit} عطلة على الأكثر", "at most {limit} holidays")
    NO_HOLIDAY_ON = Template("لا عطلة في {day}", "no holiday on {day}")
    AT_IN_FUTURE = Template("لا يمكن أن يكون at في المستقبل.", "at cannot be in the future.")
    AT_BEFORE_LAST_EVENT = Template(
        "لا يمكن أن يكون at قبل آخر حدث مسجل للتذكرة ({last}).",
        "at cannot be before the ticket's last recorded event ({last}).",
    )
    FIRST_RESPONSE_NEVER_PAUSES = Template(
        "ساعة الرد الأول لا تتوقف: رُدّ قبل انتظار العميل.",
        "The first-response clock never pauses: reply before waiting on the customer.",
    )
    NOT_WAITING_ON_CUSTOMER = Template(
        "لا تأخذ رد العميل إلا تذكرة تنتظره؛ هذه حالتها '{status}'.",
        "Only a ticket waiting on the customer takes their reply; this one is '{status}'.",
    )
    AT_ONLY_FOR_STEPS = Template(
        "first_response و resolved فقط يأخذان at", "only first_response and resolved take at"
    )
    AT_ONLY_FOR_REPLY_RESOLVE = Template(
        "logReply و resolveTicket فقط يأخذان at", "only logReply and resolveTicket take at"
    )
    TEXT_ONLY_FOR_REPLIES = Template(
        "logReply و logCustomerReply فقط يأخذان text",
        "only logReply and logCustomerReply take text",
    )
    NO_SUCH_FOLLOW_UP = Template(
        "لا توجد متابعة كهذه في مؤسستك", "no such follow-up in your organisation"
    )
    FOLLOW_UP_DONE = Template("هذه المتابعة منجزة", "this follow-up is done")
    NOT_A_DAY = Template("'{value}' ليس YYYY-MM-DD", "'{value}' is not YYYY-MM-DD")
    CALENDAR_NAME_TAKEN = Template("يوجد تقويم باسم '{name}'", "a calendar named '{name}' exists")
    NO_SUCH_CALENDAR = Template(
        "لا يوجد تقويم كهذا في مؤسستك", "no such calendar in your organisation"
    )
    CALENDAR_CHANGED = Template(
        "تغيّر التقويم: نسخته {current}", "calendar changed: version is {current}"
    )
    ONE_HOLIDAY = Template("عطلة واحدة على الأقل", "at least one holiday")

    # --- input hygiene and idempotency ---------------------------------------------------------
    KEY_NEEDS_VISIBLE = Template(
        "يحتاج المفتاح إلى محرف ظاهر؛ أو لا ترسل مفتاحًا",
        "a key needs a visible character; or send none",
    )
    KEY_REUSED_OTHER_INPUT = Template(
        "استُخدم هذا المفتاح بمدخلات أخرى: أرسل مفتاحًا جديدًا لطلب جديد",
        "key already used with a different input: send a new key for a new request",
    )
    UNSAFE_CHARACTER = Template(
        "{found}: لا محارف تحكم ولا محارف تجاوز الاتجاه",
        "{found}: no control characters or bidi overrides",
    )

    # --- API tokens ----------------------------------------------------------------------------
    ROLE_MAY_NOT_GRANT = Template(
        "الدور {creator} لا يمنح الدور {role}", "role {creator} may not grant role {role}"
    )
    ROLE_MAY_NOT_REVOKE = Template(
        "الدور {revoker} لا يلغي رمزًا بدور {role}", "role {revoker} may not revoke a {role} token"
    )
    EXPIRY_IN_FUTURE = Template(
        "يجب أن يكون الانتهاء في المستقبل", "the expiry must be in the future"
    )
    EXPIRY_TOO_FAR = Template(
        "الانتهاء بعد سنتين على الأكثر", "the expiry is at most two years ahead"
    )
    TOKEN_NEEDS_NAME = Template("يحتاج الرمز إلى اسم", "a token needs a name")
    TOKEN_REVOKED = Template("هذا الرمز ملغى من قبل", "the token is already revoked")
    NO_SUCH_TOKEN = Template("لا يوجد رمز كهذا في مؤسستك", "no such token in your organisation")

    # --- webhooks ------------------------------------------------------------------------------
    WEBHOOK_NEEDS_URL = Template("يحتاج الـ webhook إلى رابط", "a webhook needs a URL")
    NOT_A_URL = Template("ليس رابطًا", "not a URL")
    URL_NEEDS_HTTP = Template(
        "استخدم رابط http:// أو https:// فيه اسم مضيف", "use an http:// or https:// URL with a host"
    )
    URL_NO_CREDENTIALS = Template(
        "لا بيانات دخول في الرابط: يراه المشغّلون",
        "no credentials in the URL: it is shown to operators",
    )
    HOST_DOES_NOT_RESOLVE = Template("اسم المضيف لا يُحلّ إلى عنوان", "the host does not resolve")
    HOST_IS_PRIVATE = Template(
        "اسم المضيف يُحلّ إلى عنوان خاص أو محلي",
        "the host resolves to a private or loopback address",
    )
    OVERLAP_HOURS = Template("من 0 إلى 168 ساعة", "from 0 to 168 hours")
    NO_SUCH_WEBHOOK = Template("لا يوجد webhook كهذا", "no such webhook endpoint")
    NO_SUCH_DELIVERY = Template("لا يوجد تسليم webhook كهذا", "no such webhook delivery")
    WEBHOOK_ALREADY_ENABLED = Template("الـ webhook مفعّل من قبل", "the endpoint is already enabled")
    WEBHOOK_ALREADY_DISABLED = Template(
        "الـ webhook معطّل من قبل", "the endpoint is already disabled"
    )
    ENABLE_WEBHOOK_FIRST = Template("فعّل الـ webhook أولًا", "enable the endpoint first")
    # Sequences and the exit survey (docs/rules.md §8.3)
    EXIT_SURVEY_NOT_CHURNED = Template(
        "استبيان المغادرة لعميل غادر فقط", "an exit survey is for a churned customer only"
    )
    EXIT_SURVEY_OTHER_NEEDS_TEXT = Template(
        "اكتب السبب عند اختيار other", "write the reason when the primary reason is other"
    )
    EXIT_SURVEY_RECORDED = Template(
        "سُجّل استبيان المغادرة لهذه المغادرة من قبل",
        "this churn's exit survey is already recorded",
    )

    # --- channel health and playbooks (§8.4–8.5) ---------------------------------------------
    DRAFT_CHANNEL_FROZEN = Template(
        "القناة {channel} مجمّدة؛ لا يمكن اعتماد هذه المسودة حتى يرفع المالك التجميد.",
        "The {channel} channel is frozen; this draft cannot be approved until an owner lifts "
        "the freeze.",
    )
    CHANNEL_NOT_FROZEN = Template(
        "القناة {channel} غير مجمّدة", "the {channel} channel is not frozen"
    )
    CHANNEL_ONLY_ON_STEP_ONE = Template(
        "تُجمَّد القناة بالخطوة 1 فقط من خطة الاستجابة",
        "a channel is frozen by response-plan step 1 only",
    )
    REPORT_NEEDS_DATETIME = Template(
        "`{field}` يجب أن يكون تاريخًا ووقتًا ISO 8601 مع فرق التوقيت",
        "`{field}` must be an ISO 8601 date-time with an offset",
    )
    REPORT_LANGUAGE = Template("`lang` هو ar أو en", "`lang` is ar or en")
    TICKET_OF_ANOTHER_CUSTOMER = Template(
        "التذكرة لعميل آخر غير `customer`", "the ticket belongs to another customer than `customer`"
    )
    TEMPLATE_NEEDS = Template(
        "لا قالب لهذه الحادثة دون {field}؛ أرسل body أو {field}",
        "this incident's template needs {field}; send a body or {field}",
    )


@dataclass(frozen=True, slots=True)
class Text:
    """A message and its parameters, not yet in a language (a reason, an explanation line)."""

    msg: Msg
    params: Mapping[str, object]

    def render(self, language: Language) -> str:
        return render(self.msg, self.params, language)


def text(msg: Msg, /, **params: object) -> Text:
    return Text(msg, params)


def render(msg: Msg, params: Mapping[str, object], language: Language) -> str:
    """The message's text in `language`, its placeholders filled from `params`."""
    template: Template = msg.value
    return template.text(language).format(**params)


def placeholders(text: str) -> frozenset[str]:
    """The names a template's `{…}` fields take (format specs and conversions left aside)."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(text) if name)


def parse(msg: Msg, text: str, language: Language = Language.EN) -> dict[str, str] | None:
    """The parameters that make `text` from `msg` in `language`; None when it is not that
    message (used for the few messages a library writes in English)."""
    pattern = ""
    for literal, name, _, _ in string.Formatter().parse(msg.value.text(language)):
        pattern += re.escape(literal)
        if name:
            pattern += f"(?P<{name}>.+?)"
    found = re.fullmatch(pattern, text, flags=re.DOTALL)
    return None if found is None else found.groupdict()


def negotiate(header: str | None, default: Language = DEFAULT) -> Language:
    """RFC 9110 Accept-Language, q-values respected: `ar*` is Arabic, `en*` English; ties go to
    the first listed; nothing acceptable (absent, `*`, other languages, q=0) is `default`."""
    best: tuple[float, Language] | None = None
    for part in (header or "").split(","):
        tag, _, rest = part.partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in (Language.AR, Language.EN):
            continue
        q = _quality(rest)
        if q > 0 and (best is None or q > best[0]):
            best = (q, Language(primary))
    return default if best is None else best[1]


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return 0.0
            return q if 0 <= q <= 1 else 0.0
    return 1.0
