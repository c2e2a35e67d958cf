"""Turkish UI labels for codes (English through the Babel catalog)."""

from flask_babel import lazy_gettext as _l

ROLE_LABELS = {
    "intake": _l("Şikâyet kabul personeli"),
    "handler": _l("Şikâyet uzmanı"),
    "representative": _l("Yönetim temsilcisi"),
    "analyst": _l("Süreç analisti"),
    "quality_manager": _l("Kalite yöneticisi"),
    "admin": _l("Sistem yöneticisi"),
    "auditor": _l("Denetçi (salt okunur)"),
}
CHANNEL_LABELS = {
    "telefon": _l("Telefon"),
    "faks": _l("Faks"),
    "eposta": _l("E-posta"),
    "posta_kargo": _l("Posta/Kargo"),
    "yuz_yuze": _l("Yüz yüze"),
    "anket": _l("Anket"),
    "web": _l("Web"),
}
STAFF_CHANNELS = ("telefon", "faks", "eposta", "posta_kargo", "yuz_yuze", "anket")
CONTACT_LABELS = {"eposta": _l("E-posta"), "telefon": _l("Telefon")}
PRIORITY_LABELS = {"high": _l("Yüksek"), "normal": _l("Normal"), "low": _l("Düşük")}
STATUS_LABELS = {"open": _l("Açık"), "closed": _l("Kapandı")}
# How a closed complaint ended (the diagram's closure_outcome).
OUTCOME_LABELS = {"accepted": _l("Çözüm kabul edildi"), "no_answer": _l("Yanıt alınmadan kapatıldı")}
TASK_STATE_LABELS = {"completed": _l("tamamlandı"), "cancelled": _l("iptal edildi"), "closed": _l("kapandı")}
ACTION_LABELS = {
    "registered": _l("Şikâyet kaydedildi"),
    "task_completed": _l("Görev tamamlandı"),
    "task_claimed": _l("Görev üstlenildi"),
    "task_unclaimed": _l("Görev bırakıldı"),
    "task_assigned": _l("Görev atandı"),
    "escalation_raised": _l("Süre aşımı: temsilciye bildirildi"),
    "reopened": _l("Şikâyet yeniden açıldı"),
    "closed": _l("Şikâyet kapatıldı"),
    "message_queued": _l("Müşteriye mesaj kuyruğa alındı"),
    "message_skipped": _l("Müşteriye mesaj gönderilemedi (e-posta yok)"),
    "attachment_added": _l("Ek eklendi"),
    "consent_given": _l("KVKK aydınlatma metni onaylandı (web formu)"),
    "note": _l("İç not"),
    "acknowledgement": _l("Alındı bildirimi"),
    "decision": _l("Karar bildirimi"),
    "survey": _l("Memnuniyet anketi"),
}
STAGE_LABELS = {
    1: _l("Şikâyetin alınması"),
    2: _l("Alındı bildirimi"),
    3: _l("Sınıflandırma"),
    4: _l("Takip"),
    5: _l("Analiz ve değerlendirme"),
    6: _l("Cevap ve kök neden analizi"),
    7: _l("Karar bildirimi"),
    8: _l("Kapanış"),
}
