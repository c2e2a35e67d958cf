"""Turkish labels of the review pages (English through the Babel catalog)."""

from flask_babel import lazy_gettext as _l

ACTION_LABELS = {
    "admin_reassigned": _l("Yönetici: görev yeniden atandı"),
    "admin_suspended": _l("Yönetici: şikâyet askıya alındı"),
    "admin_resumed": _l("Yönetici: şikâyet yeniden başlatıldı"),
    "admin_cancelled": _l("Yönetici: şikâyet iptal edildi"),
    "survey_answered": _l("Memnuniyet anketi yanıtlandı"),
    "customer_message": _l("Müşteriden e-posta"),
}
STATUS_LABELS = {"open": _l("Açık"), "closed": _l("Kapandı"), "cancelled": _l("İptal edildi"),
                 "suspended": _l("Askıda"), "running": _l("Çalışıyor"), "completed": _l("Tamamlandı")}
DEADLINE_LABELS = {"acknowledgement": _l("Alındı bildirimi"), "first_solution": _l("İlk çözüm önerisi"),
                   "current_solution": _l("Yeniden değerlendirme")}
DEADLINE_STATES = {"met": _l("zamanında"), "missed": _l("gecikti"), "open": _l("bekliyor"),
                   "overdue": _l("süresi geçti")}
MESSAGE_STATES = {"pending": _l("bekliyor"), "sending": _l("gönderiliyor"), "sent": _l("gönderildi"),
                  "failed": _l("gönderilemedi")}
AGE_LABELS = {"0-1": _l("1 iş gününden az"), "1-3": _l("1–3 iş günü"), "3-5": _l("3–5 iş günü"),
              "5-10": _l("5–10 iş günü"), "10+": _l("10 iş gününden fazla")}
# The CSV export's columns (services/review/listing.py CSV_HEADERS), coded values as a code and a label column.
CSV_HEADERS = (_l("Kayıt No"), _l("Alınma"), _l("Kanal (kod)"), _l("Kanal"), _l("Öncelik (kod)"), _l("Öncelik"),
               _l("Kategori (kod)"), _l("Kategori"), _l("Kök neden (kod)"), _l("Kök neden"), _l("Aşama"),
               _l("Durum (kod)"), _l("Durum"), _l("Süreç sürümü"), _l("Alındı bildirimi son"),
               _l("Alındı bildirildi"), _l("Çözüm son (ilk)"), _l("Karar bildirildi (ilk)"), _l("Kapanış"),
               _l("Yeniden açılma"), _l("Süre aşıldı mı"), _l("Şu an gecikmede"), _l("Tür (kod)"), _l("Tür"))
SORT_LABELS = {"-received": _l("En yeni önce"), "received": _l("En eski önce"), "number": _l("Kayıt no"),
               "-due": _l("Çözüm süresi (geç önce)"), "due": _l("Çözüm süresi (yakın önce)"),
               "-reopens": _l("En çok yeniden açılan"), "stage": _l("Aşama")}
