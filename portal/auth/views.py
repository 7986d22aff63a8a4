from urllib.parse import urlsplit

import segno
from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from portal.auth import bp, services, sso
from portal.auth.forms import (
    ChangePasswordForm,
    NewStaffForm,
    SecondFactorForm,
    SignInForm,
    StaffRolesForm,
    TwoFactorRolesForm,
)
from portal.auth.models import User
from portal.auth.roles import ADMIN, ROLES
from portal.errors import NotAllowed, NotFound, Refusal
from portal.extensions import begin_write, db, limiter
from portal.web.errors import error_page
from portal.web.forms import ConfirmForm, refuse
from portal.web.htmx import render_page
from portal.web.lists import Column, Filter, ListSpec
from portal.web.registry import waiting_work_for
from portal.web.security import public, signed_in, staff


def _failed_attempt(response) -> bool:
    """Only failed guesses count towards the sign-in limits (a success redirects)."""
    return response.status_code != 303


def _account_key() -> str:
    return "sign-in-account:" + services.normalise_email(request.form.get("email", ""))[:254]


def _client_key() -> str:
    return "sign-in-client:" + (request.remote_addr or "unknown")


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths (ASVS 3.7.2)."""
    if not target:
        return url_for("auth.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("auth.home")
    return target


def _login_limit() -> str:
    return current_app.config["LOGIN_LIMIT"]


@bp.route("/sign-in", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, key_func=_account_key, methods=["POST"], deduct_when=_failed_attempt)
@limiter.limit(_login_limit, key_func=_client_key, methods=["POST"], deduct_when=_failed_attempt)
def login():
    form = SignInForm()
    error = None
    if form.validate_on_submit():
        try:
            user = services.authenticate(db.session, form.email.data, form.password.data)
        except NotAllowed as exc:  # OIDC_ONLY: the password was right, but only for single sign-on
            user, error = None, exc.message
        if user is None:
            db.session.commit()  # keep the audit row of the failed attempt
            error = error or "Enter a correct email address and password"
        else:
            next_url = session.get("next")
            session.clear()  # a new session at sign-in (no fixation)
            services.start_session(db.session, user, request.headers.get("User-Agent"))
            login_user(user)
            session.permanent = True
            if services.two_factor_required(db.session, user):
                session["after_mfa"] = next_url
                db.session.commit()
                return redirect(url_for("auth.two_factor"), 303)
            session["mfa_ok"] = True
            services.record_sign_in(db.session, user, second_factor=False)
            db.session.commit()
            return redirect(_safe_next(next_url), 303)
    return _sign_in_page(form, error)


def _sign_in_page(form: SignInForm, error: str | None = None):
    return render_template("auth/sign_in.html", form=form, error=error, sso=sso.client() is not None,
                           sso_form=ConfirmForm(formdata=None), oidc_only=current_app.config["OIDC_ONLY"])


@bp.post("/sign-in/sso")
@public
def sso_start():
    """Off to the council's identity provider (the button on the sign-in page)."""
    if sso.client() is None:
        abort(404)
    try:
        return sso.start(url_for("auth.sso_callback", _external=True))
    except sso.SignInFailed as exc:
        return _sso_failed(exc)


@bp.get("/sign-in/sso/callback")
@public
@limiter.limit(_login_limit, key_func=_client_key, deduct_when=_failed_attempt)
def sso_callback():
    """Back from the identity provider: check what it sent, then start the portal's own session, as a
    password sign-in does. The provider did the second factor (README "Single sign-on")."""
    if sso.client() is None:
        abort(404)
    begin_write()  # the sign-in, or the refusal, is audited
    try:
        identity = sso.finish()
        user = services.sign_in_with_provider(db.session, identity)
    except sso.SignInFailed as exc:
        return _sso_failed(exc)
    except NotAllowed as exc:
        db.session.commit()  # the audit row, and a leaver's roles taken away
        return error_page(403, exc.message)
    next_url = session.get("next")
    session.clear()  # a new session at sign-in (no fixation); the sign-in's state goes with it
    services.start_session(db.session, user, request.headers.get("User-Agent"))
    login_user(user)
    session.permanent = True
    session["mfa_ok"] = True
    services.record_sign_in(db.session, user, second_factor="identity provider" if identity.mfa else False,
                            method="single sign-on")
    db.session.commit()
    return redirect(_safe_next(next_url), 303)


def _sso_failed(exc: sso.SignInFailed):
    begin_write()
    services.record_sso_failure(db.session, exc.reason, **exc.details)
    db.session.commit()
    return error_page(exc.status, exc.message)


@bp.route("/sign-in/two-factor", methods=["GET", "POST"])
@signed_in
@limiter.limit(_login_limit, key_func=lambda: f"2fa:{current_user.id}", methods=["POST"],
               deduct_when=_failed_attempt)
def two_factor():
    if session.get("mfa_ok"):
        return redirect(url_for("auth.home"), 303)
    user: User = current_user
    form = SecondFactorForm()
    if not user.totp_enabled:
        return _two_factor_setup(user, form)
    error = None
    if form.validate_on_submit():
        if services.verify_second_factor(db.session, user, form.code.data):
            session["mfa_ok"] = True
            services.record_sign_in(db.session, user, second_factor=True)
            db.session.commit()
            return redirect(_safe_next(session.pop("after_mfa", None)), 303)
        db.session.commit()
        error = "The security code is wrong or has been used. Enter the code your app shows now"
    return render_template("auth/two_factor.html", form=form, error=error)


def _two_factor_setup(user: User, form: SecondFactorForm, *, signing_in: bool = True):
    """The QR code and a code to confirm: at sign-in (when two-factor is required) or from the
    person's account page (turning it on themselves)."""
    secret = session.get("totp_setup_secret")
    if not secret:
        secret = services.new_totp_secret()
        session["totp_setup_secret"] = secret
    if form.validate_on_submit():
        try:
            codes = services.enable_totp(db.session, user, secret, form.code.data)
        except Refusal as exc:
            refuse(form, exc)
        else:
            session.pop("totp_setup_secret", None)
            session["mfa_ok"] = True
            if signing_in:
                services.record_sign_in(db.session, user, second_factor=True)
                next_url = _safe_next(session.pop("after_mfa", None))
            else:
                next_url = url_for("auth.account")
            db.session.commit()
            return render_template("auth/recovery_codes.html", codes=codes, next_url=next_url)
    uri = services.totp_uri(user, secret, current_app.config["COUNCIL_NAME"] + " TECS")
    qr = segno.make(uri, error="m").svg_data_uri(scale=5, border=2)
    return render_template("auth/two_factor_setup.html", form=form, qr=qr, secret=secret,
                           signing_in=signing_in), 422 if form.errors else 200


@bp.post("/sign-out")
@public
def logout():
    form = ConfirmForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        services.sign_out(db.session, current_user)
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have signed out."), "success")
    return redirect(url_for("auth.login"), 303)


@bp.get("/staff")
@staff()
def home():
    """Where staff land after signing in: the work waiting for them, each a count and a link into
    the queue filtered to it. Each feature registers its cards (add_waiting_work) and counts them."""
    cards = waiting_work_for(db.session, current_user)
    db.session.commit()
    return render_template("auth/home.html", cards=cards)


def _account_page(form: ConfirmForm, status: int = 200):
    left = services.recovery_codes_left(db.session, current_user)
    required = (current_app.config["REQUIRE_MFA"]
                or bool(set(services.two_factor_roles(db.session)) & set(current_user.role_names)))
    return render_template("auth/account.html", recovery_codes_left=left, form=form,
                           sessions=services.sessions_for(db.session, current_user),
                           two_factor_required=required), status


@bp.route("/account", methods=["GET"])
@staff()
def account():
    return _account_page(ConfirmForm())


@bp.route("/account/password", methods=["GET", "POST"])
@staff()
def change_password():
    if not current_user.has_password:
        flash("You sign in with your council account, so you have no password here to change.", "info")
        return redirect(url_for("auth.account"), 303)
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(db.session, current_user, form.current.data, form.new.data)
        except Refusal as exc:
            refuse(form, exc)
        else:
            db.session.commit()
            flash(_("Your password has been changed. You have been signed out everywhere else."),
                  "success")
            return redirect(url_for("auth.account"), 303)
    return render_template("auth/change_password.html", form=form), 422 if form.errors else 200


@bp.post("/account/recovery-codes")
@staff()
def new_recovery_codes():
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            codes = services.renew_recovery_codes(db.session, current_user)
        except Refusal as exc:
            refuse(form, exc)
        else:
            db.session.commit()
            return render_template("auth/recovery_codes.html", codes=codes,
                                   next_url=url_for("auth.account"))
    return _account_page(form, status=422)


@bp.route("/account/two-factor", methods=["GET", "POST"])
@staff()
def two_factor_on():
    """Turn on two-factor sign-in from the account page."""
    if current_user.totp_enabled:
        flash(_("Two-factor sign-in is already on for your account."), "info")
        return redirect(url_for("auth.account"), 303)
    return _two_factor_setup(current_user, SecondFactorForm(), signing_in=False)


@bp.post("/account/two-factor/off")
@staff()
def two_factor_off():
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.turn_off_two_factor(db.session, current_user)
        except Refusal as exc:
            refuse(form, exc)
        else:
            db.session.commit()
            flash(_("Two-factor sign-in is off."), "success")
            return redirect(url_for("auth.account"), 303)
    return _account_page(form, status=422)


@bp.post("/account/sessions/<int:session_id>/end")
@staff()
def end_session(session_id: int):
    """End one of the person's other sessions (another browser or device)."""
    form = ConfirmForm()
    if form.validate_on_submit():
        if session_id == current_user.current_session_id:
            form.form_errors.append("This is the session you are using: sign out instead")
        else:
            try:
                services.end_session(db.session, current_user, session_id, reason="ended by the user")
            except NotFound:
                abort(404)
            db.session.commit()
            flash(_("That session has ended."), "success")
            return redirect(url_for("auth.account"), 303)
    return _account_page(form, status=422)


# Administration of staff accounts ----------------------------------------------------------

def _staff_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/admin/security", methods=["GET", "POST"])
@staff(ADMIN)
def security_settings():
    """Which roles must use two-factor sign-in (REQUIRE_MFA, when set, requires it of everyone)."""
    form = TwoFactorRolesForm()
    if request.method == "GET":
        form.roles.data = services.two_factor_roles(db.session)
    elif form.validate_on_submit():
        try:
            services.set_two_factor_roles(db.session, current_user, form.roles.data or [])
        except Refusal as exc:
            refuse(form, exc)
        else:
            db.session.commit()
            flash(_("Two-factor sign-in settings saved."), "success")
            return redirect(url_for("auth.security_settings"), 303)
    return render_template("auth/security_settings.html", form=form,
                           floor=current_app.config["REQUIRE_MFA"]), 422 if form.errors else 200


def staff_accounts() -> ListSpec:
    """The staff list's filters and columns: active accounts first, then by name."""
    return ListSpec(
        endpoint="auth.staff_list", singular=_("account"), plural=_("accounts"),
        default_order_label=_("active accounts first, then by name"),
        filters=(
            Filter("q", _("Search"), kind="search", hint=_("Part of a name or email address")),
            Filter("role", _("Role"), tuple(ROLES.items())),
            Filter("status", _("Status"), (("active", _("Active")), ("disabled", _("Disabled")))),
        ),
        columns=(
            Column("name", _("Name")), Column("email", _("Email")), Column("roles", _("Roles"), sortable=False),
            Column("status", _("Status")), Column("signed_in", _("Last signed in")),
        ),
    )


@bp.get("/admin/staff")
@staff(ADMIN)
def staff_list():
    view = staff_accounts().read(request.args)
    page = services.staff_page(db.session, role=view.get("role"), status=view.get("status"), search=view.get("q"),
                               sort=view.sort, descending=view.descending, page=view.page,
                               size=view.spec.page_size)
    return render_page("auth/staff_list.html", "list", view=view, page=page)


@bp.route("/admin/staff/new", methods=["GET", "POST"])
@staff(ADMIN)
def staff_new():
    form = NewStaffForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                db.session, current_user, email=form.email.data, name=form.name.data,
                password=form.password.data, roles=form.roles.data,
                trusted_assessor_level=int(form.trusted_assessor_level.data)
                if form.trusted_assessor_level.data else None,
            )
        except Refusal as exc:
            refuse(form, exc)
        else:
            db.session.commit()
            flash(_("Account created for %(name)s.", name=user.name), "success")
            return redirect(url_for("auth.staff_detail", user_id=user.id), 303)
    return render_template("auth/staff_new.html", form=form), 422 if form.errors else 200


def _roles_form(user: User) -> StaffRolesForm:
    """The roles form filled from the account (not from a post to another form on the page)."""
    form = StaffRolesForm(formdata=None)
    form.roles.data = user.role_names
    form.trusted_assessor_level.data = str(user.trusted_assessor_level or "")
    return form


def _staff_page(user: User, form: StaffRolesForm, action_form: ConfirmForm):
    status = 422 if form.errors or action_form.errors else 200
    return render_template("auth/staff_detail.html", user=user, form=form, action_form=action_form,
                           allowed=services.allowed_actions(current_user, user)), status


@bp.route("/admin/staff/<int:user_id>", methods=["GET", "POST"])
@staff(ADMIN)
def staff_detail(user_id: int):
    user = _staff_or_404(user_id)
    if request.method == "GET":
        return _staff_page(user, _roles_form(user), ConfirmForm())
    form = StaffRolesForm()
    if form.validate_on_submit():
        level = int(form.trusted_assessor_level.data) if form.trusted_assessor_level.data else None
        try:
            services.update_roles(db.session, current_user, user, form.roles.data, level)
        except Refusal as exc:
            refuse(form, exc)
        else:
            db.session.commit()
            flash(_("Roles saved."), "success")
            return redirect(url_for("auth.staff_detail", user_id=user.id), 303)
    return _staff_page(user, form, ConfirmForm(formdata=None))


def _staff_act(user_id: int, perform, message):
    """One account action: check the form, let the service do it (it checks `allowed_actions`),
    or show the account page again with the refusal (422)."""
    user = _staff_or_404(user_id)
    action_form = ConfirmForm()
    if action_form.validate_on_submit():
        try:
            perform(user)
        except Refusal as exc:
            refuse(action_form, exc)
        else:
            db.session.commit()
            flash(message(user), "success")
            return redirect(url_for("auth.staff_detail", user_id=user.id), 303)
    return _staff_page(user, _roles_form(user), action_form)


@bp.post("/admin/staff/<int:user_id>/disable")
@staff(ADMIN)
def disable_staff(user_id: int):
    return _staff_act(user_id, lambda user: services.set_active(db.session, current_user, user, False),
                      lambda user: f"{user.name}'s account is disabled.")


@bp.post("/admin/staff/<int:user_id>/enable")
@staff(ADMIN)
def enable_staff(user_id: int):
    return _staff_act(user_id, lambda user: services.set_active(db.session, current_user, user, True),
                      lambda user: f"{user.name}'s account is enabled.")


@bp.post("/admin/staff/<int:user_id>/reset-two-factor")
@staff(ADMIN)
def reset_two_factor(user_id: int):
    return _staff_act(user_id, lambda user: services.reset_two_factor(db.session, current_user, user),
                      lambda user: _("Two-factor sign-in reset for %(name)s. They will set it up again.",
                                     name=user.name))
