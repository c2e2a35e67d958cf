"""Numbers for people: Babel's decimal and percent formats of the active locale, and the Turkish
suffix after a number ("sürüm 2'ye", "3'te"), which follows the vowel of the number as it is spoken."""

from __future__ import annotations

from babel import Locale
from babel.numbers import format_decimal, format_percent
from flask_babel import get_locale

# The last word of a number read aloud decides the suffix: 6 is "altı" (so 6'ya), 40 is "kırk" (40'a).
_UNITS = ("sıfır", "bir", "iki", "üç", "dört", "beş", "altı", "yedi", "sekiz", "dokuz")
_TENS = ("", "on", "yirmi", "otuz", "kırk", "elli", "altmış", "yetmiş", "seksen", "doksan")
# Past the tens, the last word is the lowest non-zero group's name: 300 "yüz", 2000 "bin", 10**6 "milyon".
_GROUPS = ((1000, "yüz"), (10**6, "bin"), (10**9, "milyon"), (10**12, "milyar"))
_BACK, _FRONT = "aıou", "eiöü"
_HARD = "fstkçşhp"


def _locale() -> Locale:
    return get_locale() or Locale.parse("tr")


def decimal(value: float, digits: int = 1) -> str:
    """4.0 -> "4,00" in Turkish and "4.00" in English (digits=2); grouping as the locale writes it."""
    return format_decimal(value, "#,##0." + "0" * digits if digits else "#,##0", locale=_locale())


def percent(value: float, digits: int = 1) -> str:
    """A percentage given as 0-100: "%100,0" in Turkish, "100.0%" in English."""
    locale = _locale()
    pattern = locale.percent_formats[None].pattern
    if digits:
        pattern = pattern.replace("#,##0", "#,##0." + "0" * digits, 1)
    return format_percent(value / 100.0, pattern, locale=locale)


def spoken_last_word(n: int) -> str:
    """The last word of `n` read aloud in Turkish: 2 -> "iki", 40 -> "kırk", 300 -> "yüz"."""
    n = abs(int(n))
    if n == 0:
        return _UNITS[0]
    if n % 10:
        return _UNITS[n % 10]
    if n % 100:
        return _TENS[(n % 100) // 10]
    return next((word for modulus, word in _GROUPS if n % modulus), "trilyon")


def _last_vowel(word: str) -> str:
    return next(ch for ch in reversed(word) if ch in _BACK + _FRONT)


def after_number(n: int, case: str = "dative") -> str:
    """`n` as the active language writes it where Turkish puts a case suffix: "2'ye" in Turkish, "2" in English."""
    return suffix(n, case) if _locale().language == "tr" else str(n)


def suffix(n: int, case: str = "dative") -> str:
    """`n` with its Turkish case suffix after an apostrophe: dative 2'ye, 3'e, 6'ya; locative 3'te,
    2'de; ablative 5'ten, 6'dan; accusative 2'yi, 4'ü; genitive 2'nin, 3'ün."""
    word = spoken_last_word(n)
    vowel = _last_vowel(word)
    ends_in_vowel = word[-1] in _BACK + _FRONT
    hard = word[-1] in _HARD
    two = "a" if vowel in _BACK else "e"
    four = {"a": "ı", "ı": "ı", "o": "u", "u": "u", "e": "i", "i": "i", "ö": "ü", "ü": "ü"}[vowel]
    if case == "dative":
        ending = ("y" if ends_in_vowel else "") + two
    elif case == "locative":
        ending = ("t" if hard else "d") + two
    elif case == "ablative":
        ending = ("t" if hard else "d") + two + "n"
    elif case == "accusative":
        ending = ("y" if ends_in_vowel else "") + four
    elif case == "genitive":
        ending = ("n" if ends_in_vowel else "") + four + "n"
    else:
        raise ValueError(f"unknown case {case!r}")
    return f"{n}'{ending}"
