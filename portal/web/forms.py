from flask_wtf import FlaskForm


class ConfirmForm(FlaskForm):
    """A form with nothing but the CSRF token, for one-button actions."""
