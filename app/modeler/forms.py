"""Buttons of the versions page: each POST carries the CSRF token."""

from wtforms import HiddenField, StringField, SubmitField
from wtforms.validators import Length

from ..formkit import DeskForm


class EmptyForm(DeskForm):
    submit = SubmitField()


class DeployForm(DeskForm):
    comment = StringField(validators=[Length(max=500)])
    submit = SubmitField()


class MigrateForm(DeskForm):
    dry_run = HiddenField(default="1")
    submit = SubmitField()
