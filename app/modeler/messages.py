"""The modeler scripts' own words (app/static/modeler/*.js), in the page's language.

The one catalog for our sentences; bpmn-js and its properties panel (library strings and the panel's
entry labels) use their translate service over static/modeler/i18n/<locale>.json instead.

The scripts say every text in Turkish and look it up in a catalog the page writes as JSON
(#modeler-messages: Turkish -> the reader's language), so pybabel extracts them here (`N_`) and the
English catalog translates them; "{name}" marks a value the script fills in.
"""

from __future__ import annotations

from flask_babel import gettext


def N_(text: str) -> str:  # noqa: N802 - Babel's marker for "extract, translate later"
    return text


TEXTS = (
    N_("Kaydedilmemiş değişiklikler var."), N_("(dosya)"), N_("aşama {n}"), N_("denetim"), N_("uyarı"), N_("hata"),
    N_("Taslak #{n} açıldı"), N_("Sürüm {n} açıldı"), N_("Diyagram açıldı"), N_(" ({n} uyarı)"),
    N_("Diyagram açılamadı: {error}"), N_("Denetleniyor…"), N_("Kaydedilmedi: {error}"),
    N_("dosya kabul edilmedi"), N_("Taslak #{n} kaydedildi: {count} sorun var, yayınlanamaz."),
    N_("Taslak #{n} kaydedildi: denetimden geçti, yayınlanabilir."), N_("Kaydedilemedi: {error}"),
    N_("Dosya okunamadı: {error}"), N_("Öğe bulunamadı: {id}"), N_("Modelleyici yüklenemedi: {error}"),
    N_("Form"), N_("başlık"), N_("açıklama"), N_("Türkçe"), N_("İngilizce"), N_("İngilizcesi yok: Türkçesi gösterilir"),
    N_("JSON hatası: {error}"), N_("Geçerli ve yeni bir form adı girin."), N_("Şema geçerli."),
    N_("Form '{name}' geçerli JSON değil: {error}"),
)


def catalog() -> dict[str, str]:
    """Each Turkish text with its translation for the current request's locale."""
    return {text: gettext(text) for text in TEXTS}
