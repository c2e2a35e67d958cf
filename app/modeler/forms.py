"""Buttons of the versions page: each POST carries the CSRF token."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, SubmitField
from wtforms.validators import Length


class EmptyForm(FlaskForm):
    submit = SubmitField()


class DeployForm(FlaskForm):
    comment = StringField(validators=[Length(max=500)])
    submit = SubmitField()


class MigrateForm(FlaskForm):
    dry_run = HiddenField(default="1")
    submit = SubmitField()
