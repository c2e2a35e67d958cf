"""Sign-in with one generic failure message; redirects only to local paths."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ..access import ALL_STAFF, home_for, roles_required, safe_next
from ..services.accounts import users
from ..services.errors import ValidationFailed
from . import bp
from .forms import EmptyForm, LanguageForm, LoginForm, PasswordChangeForm


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    status = 200
    if form.validate_on_submit():
        try:
            user = users.authenticate(form.username.data, form.password.data)
        except users.LoginLocked as exc:
            flash(_("Çok fazla başarısız deneme. %(m)d dakika sonra tekrar deneyin.", m=exc.minutes), "error")
            status = 429
        except users.LoginFailed:
            flash(_("Kullanıcı adı veya parola hatalı."), "error")
            status = 401
        else:
            _fresh_session(user)
            return redirect(safe_next(form.next.data, home_for(user)))
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@roles_required(*ALL_STAFF)
def logout():
    if EmptyForm().validate_on_submit():
        users.sign_out(current_user._get_current_object())
        lang = session.get("lang")
        logout_user()
        session.clear()
        if lang:
            session["lang"] = lang
        flash(_("Oturumunuz kapatıldı."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@roles_required(*ALL_STAFF)
def change_password():
    """Change one's own password; every other session of the account ends, this one carries on."""
    form = PasswordChangeForm()
    errors: dict[str, str] = {}
    status = 200
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            users.change_own_password(user, form.current_password.data, form.new_password.data)
        except users.LoginLocked as exc:
            flash(_("Çok fazla başarısız deneme. %(m)d dakika sonra tekrar deneyin.", m=exc.minutes), "error")
            status = 429
        except ValidationFailed as exc:
            errors = exc.errors
            status = 422
        else:
            _fresh_session(user)
            flash(_("Parolanız değiştirildi; diğer oturumlarınız kapatıldı."), "info")
            return redirect(home_for(user))
    elif form.is_submitted():
        status = 422
    for name, message in errors.items():
        getattr(form, name).errors = [message]
    return render_template("auth/password.html", form=form), status


def _fresh_session(user) -> None:
    """A new session for `user` in this browser (keeping only the language), issued in the current epoch."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    login_user(user)


@bp.post("/language")
def language():
    form = LanguageForm()
    if form.validate_on_submit():
        session["lang"] = form.lang.data
    return redirect(safe_next(form.next.data, url_for("auth.login")))
