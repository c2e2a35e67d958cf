"""The eight ISO 10002 stages as the customer reads them (Turkish; English through the catalog)."""

from flask_babel import lazy_gettext as _l

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
NOW_TEXT = {
    1: _l("Şikâyetiniz kayda alındı."),
    2: _l("Şikâyetinizin alındığı size bildiriliyor."),
    3: _l("Şikâyetiniz sınıflandırılıyor ve önceliklendiriliyor."),
    4: _l("Şikâyetiniz yönetim temsilcimiz tarafından takip ediliyor."),
    5: _l("Şikâyetiniz inceleniyor ve değerlendiriliyor."),
    6: _l("Kök neden analizi yapılıyor ve çözüm hazırlanıyor."),
    7: _l("Çözüm öneriniz size bildiriliyor."),
    8: _l("Çözüm önerimize yanıtınızı bekliyoruz."),
}
