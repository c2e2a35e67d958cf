"""Sign-in and small button forms (each carries the CSRF token)."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from ..formkit import DeskForm, options


class LoginForm(DeskForm):
    username = StringField(_l("Kullanıcı adı"), validators=[DataRequired(_l("Bu alan zorunludur.")), Length(max=64)],
                           render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField(_l("Parola"), validators=[DataRequired(_l("Bu alan zorunludur.")), Length(max=200)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()
    submit = SubmitField(_l("Giriş yap"))


class PasswordChangeForm(DeskForm):
    current_password = PasswordField(_l("Mevcut parola"), validators=[DataRequired(_l("Bu alan zorunludur.")),
                                                                     Length(max=200)],
                                     render_kw={"autocomplete": "current-password", "autofocus": True})
    new_password = PasswordField(_l("Yeni parola"),
                                 validators=[DataRequired(_l("Bu alan zorunludur.")), Length(max=200)],
                                 render_kw={"autocomplete": "new-password"})
    new_password_again = PasswordField(
        _l("Yeni parola (tekrar)"),
        validators=[DataRequired(_l("Bu alan zorunludur.")), EqualTo("new_password", _l("Parolalar aynı değil."))],
        render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Parolayı değiştir"))


class EmptyForm(DeskForm):
    """A button that changes state: only the CSRF token."""

    submit = SubmitField()


class LanguageForm(DeskForm):
    lang = SelectField(_l("Dil"), choices=options([("tr", "Türkçe"), ("en", "English")]))
    next = HiddenField()
    submit = SubmitField(_l("Değiştir"))
