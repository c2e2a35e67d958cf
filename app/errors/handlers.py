"""One place answers every HTTP error; a 500 rolls the session back first."""

from __future__ import annotations

import sys

from flask import current_app, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, StatementError
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError

from ..extensions import db
from ..services.errors import ProcedureFailed
from . import bp


def wants_json() -> bool:
    accept = request.accept_mimetypes
    return accept["application/json"] > accept["text/html"]


def _messages() -> dict[int, str]:
    return {
        400: _("İstek geçersiz."),
        403: _("Bu sayfaya erişim yetkiniz yok."),
        404: _("Aradığınız sayfa bulunamadı."),
        405: _("Bu işlem bu adreste yapılamaz."),
        413: _("Gönderilen dosya çok büyük."),
        429: _("Çok fazla istek. Lütfen biraz sonra tekrar deneyin."),
        500: _("Beklenmeyen bir hata oluştu. Lütfen tekrar deneyin."),
    }


def error_response(status: int, message: str | None = None):
    message = message or _messages().get(status, _("Bir hata oluştu."))
    if wants_json():
        return {"error": status, "message": message}, status
    return render_template("errors/error.html", status=status, message=message), status


@bp.app_errorhandler(CSRFError)
def csrf_error(error):
    return error_response(400, _("Form süresi doldu veya geçersiz. Sayfayı yenileyip tekrar deneyin."))


def _is_api() -> bool:
    return request.path.startswith("/api/v1/") or request.path == "/api/v1"


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException):
    if isinstance(error, InternalServerError):
        return internal_error(error)
    if _is_api():  # routing errors (404, 405) under the API answer as problem+json too
        from ..api.problems import http_problem

        return http_problem(error)
    return error_response(error.code or 500)


@bp.app_errorhandler(OverflowError)
@bp.app_errorhandler(DataError)
@bp.app_errorhandler(StatementError)
def out_of_range(error):
    """A number or date in the request past what the database or calendar holds: the input is wrong."""
    db.session.rollback()
    if isinstance(error, StatementError) and not isinstance(error, DataError) \
            and not isinstance(error.orig, OverflowError):
        current_app.log_exception(sys.exc_info())  # a real fault, not bad input: log it as Flask would
        return internal_error(error)
    if _is_api():
        from ..api.problems import http_problem

        return http_problem(BadRequest("a value in the request is out of range"))
    return error_response(400)


@bp.app_errorhandler(ProcedureFailed)
def procedure_failed(error: ProcedureFailed):
    """Diagram code failed (nothing was saved): say so plainly instead of a 500."""
    db.session.rollback()
    if _is_api():
        from ..api.problems import procedure_problem

        return procedure_problem(error)
    return error_response(503, _("İşlem şu anda tamamlanamadı: süreç diyagramındaki bir adım hata verdi. Hiçbir "
                                 "şey kaydedilmedi; lütfen daha sonra tekrar deneyin."))


@bp.app_errorhandler(InternalServerError)
def internal_error(error):
    db.session.rollback()
    if _is_api():
        from ..api.problems import server_problem

        return server_problem()
    return error_response(500)
