// Every label in Arabic and English; Arabic (right to left) unless the user picks English.
export const LABELS = {
  ar: {
    title: "وافي", today: "اليوم", alerts: "التنبيهات", customers: "العملاء",
    incidents: "الحوادث", signOut: "خروج", signInTitle: "تسجيل الدخول",
    token: "رمز الوصول (API token)", signIn: "دخول", otherLang: "English",
    badToken: "الرمز غير صالح أو منتهي.", loading: "جارٍ التحميل…",
    openTickets: "التذاكر المفتوحة حسب حالة SLA", queue: "مسودات بانتظار الموافقة",
    ready: "مسودات معتمدة بانتظار الإرسال", noTickets: "لا تذاكر مفتوحة.",
    noDrafts: "لا مسودات.", BREACHED: "متجاوزة", AT_RISK: "في خطر", ON_TRACK: "على المسار",
    MET: "منجزة", firstResponse: "الرد الأول", resolution: "الحل", overdueBy: "متأخرة بـ",
    left: "متبقٍ", approve: "اعتماد", reject: "رفض", markSent: "تم الإرسال",
    viewerNote: "صلاحية المشاهدة فقط: لا يمكنك اعتماد المسودات.", refused: "رُفض",
    unread: "غير مقروءة", acknowledge: "تأكيد الاستلام", acknowledged: "تم التأكيد",
    actionTaken: "الإجراء المتخذ", noAlerts: "لا تنبيهات.", connected: "متصل",
    reconnecting: "يعيد الاتصال…", health: "الصحة", atRisk: "خطر الفقد",
    trend: "اتجاه 30 يوماً", onboarding: "التهيئة", connectors: "الموصلات",
    blocking: "ينقص (إلزامي)", planDue: "بنود الخطة المستحقة", none: "لا شيء",
    ready1: "جاهز للخدمة الأولى", severity: "الخطورة", checklist: "خطة الاستجابة",
    nextUpdate: "التحديث التالي للعملاء", pdpl: "مهلة إشعار PDPL",
    frozen: "الإجراءات الحية مجمّدة", postMortem: "مراجعة ما بعد الحادثة مطلوبة",
    noIncidents: "لا حوادث.", HEALTHY: "سليم", WATCH: "مراقبة", LOW: "منخفض",
    MEDIUM: "متوسط", HIGH: "مرتفع", notified: "تم الإشعار", status: "الحالة",
    "kind.SLA_FIRST_RESPONSE_BREACH": "تجاوز SLA الرد الأول",
    "kind.SLA_RESOLUTION_BREACH": "تجاوز SLA الحل", "kind.SLA_HEALTH_CRITICAL": "صحة SLA حرجة",
    "kind.AT_RISK": "عميل في خطر", "kind.INCIDENT_UPDATE_OVERDUE": "تحديث الحادثة متأخر",
    "kind.PDPL_DEADLINE_NEAR": "مهلة PDPL تقترب", "kind.ONBOARDING_STALLED": "التهيئة متوقفة",
    "kind.INACTIVE_CUSTOMER": "عميل غير نشط", "kind.PAYMENT_PAST_DUE": "دفعة متأخرة",
    "kind.WEBHOOK_DISABLED": "تعطّل Webhook", "kind.FOLLOW_UP_OVERDUE": "متابعة تصعيد متأخرة",
    "kind.CHANNEL_FROZEN": "تجميد قناة", "kind.RED_FLAG": "علامة حمراء",
    "kind.RED_FLAG_OVERDUE": "علامة حمراء لم تُصعَّد", "incident.OPEN": "مفتوحة",
    "incident.MITIGATED": "مُحتواة", "incident.RESOLVED": "محلولة", "incident.CLOSED": "مغلقة",
    redFlags: "العلامات الحمراء", noRedFlags: "لا علامات حمراء.", CRITICAL: "حرج",
    "source.TICKET": "تذكرة", "source.OPERATOR": "المشغّل", "source.PILOT": "التجربة",
    "source.CONNECTOR": "موصل", slaWeeks: "صحة SLA في آخر 8 أسابيع", weekOf: "أسبوع",
    breachRate: "تجاوز",
    "draft.FIRST_RESPONSE": "رد أول على تذكرة", "draft.CHECK_IN": "ملاحظة check-in أسبوعية",
    "draft.AT_RISK_EMAIL": "رسالة لعميل في خطر", "draft.INCIDENT_UPDATE": "تحديث حادثة",
    "draft.RENEWAL_OFFER": "عرض تجديد", "draft.ONBOARDING_STEP": "خطوة تهيئة",
    "draft.WIN_BACK_STEP": "خطوة استعادة عميل", "draft.CS_OUTREACH": "تواصل المراجعة الأسبوعية",
    "draft.PILOT_CHECK_IN": "متابعة التجربة", "draft.PILOT_SOFT_ASK": "طلب لطيف في التجربة",
    "draft.PILOT_FIRM_ASK": "طلب حاسم في التجربة", "draft.TESTIMONIAL_ASK": "طلب شهادة",
    "draft.REFERRAL_ASK": "طلب إحالة",
  },
  en: {
    title: "Wafi", today: "Today", alerts: "Alerts", customers: "Customers",
    incidents: "Incidents", signOut: "Sign out", signInTitle: "Sign in",
    token: "Access token (API token)", signIn: "Sign in", otherLang: "العربية",
    badToken: "The token is not valid or has expired.", loading: "Loading…",
    openTickets: "Open tickets by SLA state", queue: "Drafts awaiting approval",
    ready: "Approved drafts waiting to be sent", noTickets: "No open tickets.",
    noDrafts: "No drafts.", BREACHED: "Breached", AT_RISK: "At risk", ON_TRACK: "On track",
    MET: "Met", firstResponse: "First response", resolution: "Resolution",
    overdueBy: "overdue by", left: "left", approve: "Approve", reject: "Reject",
    markSent: "Mark sent", viewerNote: "View-only access: you cannot approve drafts.",
    refused: "Refused", unread: "unread", acknowledge: "Acknowledge",
    acknowledged: "Acknowledged", actionTaken: "Action taken", noAlerts: "No alerts.",
    connected: "Live", reconnecting: "Reconnecting…", health: "Health", atRisk: "At-risk",
    trend: "30-day trend", onboarding: "Onboarding", connectors: "Connectors",
    blocking: "Missing (blocking)", planDue: "Plan items due", none: "none",
    ready1: "Ready for first service", severity: "Severity", checklist: "Response plan",
    nextUpdate: "Next customer update", pdpl: "PDPL notice deadline",
    frozen: "Live actions frozen", postMortem: "Post-mortem required",
    noIncidents: "No incidents.", HEALTHY: "Healthy", WATCH: "Watch", LOW: "Low",
    MEDIUM: "Medium", HIGH: "High", notified: "Notified", status: "Status",
    "kind.SLA_FIRST_RESPONSE_BREACH": "First-response SLA breached",
    "kind.SLA_RESOLUTION_BREACH": "Resolution SLA breached",
    "kind.SLA_HEALTH_CRITICAL": "SLA health critical", "kind.AT_RISK": "Customer at risk",
    "kind.INCIDENT_UPDATE_OVERDUE": "Incident update overdue",
    "kind.PDPL_DEADLINE_NEAR": "PDPL deadline near", "kind.ONBOARDING_STALLED": "Onboarding stalled",
    "kind.INACTIVE_CUSTOMER": "Inactive customer", "kind.PAYMENT_PAST_DUE": "Payment past due",
    "kind.WEBHOOK_DISABLED": "Webhook disabled", "kind.FOLLOW_UP_OVERDUE": "Follow-up overdue",
    "kind.CHANNEL_FROZEN": "Channel frozen", "kind.RED_FLAG": "Red flag",
    "kind.RED_FLAG_OVERDUE": "Red flag not escalated", "incident.OPEN": "Open",
    "incident.MITIGATED": "Mitigated", "incident.RESOLVED": "Resolved", "incident.CLOSED": "Closed",
    redFlags: "Red flags", noRedFlags: "No red flags.", CRITICAL: "Critical",
    "source.TICKET": "Ticket", "source.OPERATOR": "Operator", "source.PILOT": "Pilot",
    "source.CONNECTOR": "Connector", slaWeeks: "SLA health, last 8 weeks", weekOf: "Week of",
    breachRate: "breached",
    "draft.FIRST_RESPONSE": "Ticket first response", "draft.CHECK_IN": "Weekly check-in note",
    "draft.AT_RISK_EMAIL": "At-risk email", "draft.INCIDENT_UPDATE": "Incident update",
    "draft.RENEWAL_OFFER": "Renewal offer", "draft.ONBOARDING_STEP": "Onboarding step",
    "draft.WIN_BACK_STEP": "Win-back step", "draft.CS_OUTREACH": "CS review outreach",
    "draft.PILOT_CHECK_IN": "Pilot check-in", "draft.PILOT_SOFT_ASK": "Pilot soft ask",
    "draft.PILOT_FIRM_ASK": "Pilot firm ask", "draft.TESTIMONIAL_ASK": "Testimonial ask",
    "draft.REFERRAL_ASK": "Referral ask",
  },
};

export function language() {
  return sessionStorage.getItem("wafi.lang") === "en" ? "en" : "ar";
}

export function t(key) {
  const labels = LABELS[language()];
  return key in labels ? labels[key] : key;
}

export function setLanguage(lang) {
  sessionStorage.setItem("wafi.lang", lang);
  applyLanguage();
}

export function applyLanguage() {
  const lang = language();
  document.documentElement.lang = lang;
  document.documentElement.dir = lang === "ar" ? "rtl" : "ltr";
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
  document.getElementById("lang").textContent = t("otherLang");
}

// A duration in seconds as "2h 05m" / "05m 09s" (digits stay Latin for both languages).
export function duration(seconds) {
  const s = Math.max(0, Math.floor(Math.abs(seconds)));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const pad = (n) => String(n).padStart(2, "0");
  return h > 0 ? `${h}h ${pad(m)}m` : `${pad(m)}m ${pad(r)}s`;
}
