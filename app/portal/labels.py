"""The eight ISO 10002 stages as the customer reads them (Turkish; English through the catalog)."""

from flask_babel import lazy_gettext as _l

from ..labels import STAGE_LABELS

__all__ = ["NOW_TEXT", "STAGE_LABELS"]

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
