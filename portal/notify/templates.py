"""Message templates. With GOV.UK Notify each name maps to a template id (NOTIFY_TEMPLATE_IDS;
a Welsh one under "<name>_cy"); the text here is what the embedded outbox shows and what the
Notify template should say. The words are in the Welsh catalogue too: `render` gives them in the
language asked for (the language the person used)."""

from flask import has_app_context
from flask_babel import force_locale, gettext

from portal.web.i18n import DEFAULT_LANGUAGE, N_

TEMPLATES: dict[str, tuple[str, str]] = {
    "test_message": (
        N_("Test message from ((service_name))"),
        N_("This is a test message from ((service_name))."),
    ),
    "advice_report": (
        N_("Your care and support advice report"),
        N_("Here is the link to your advice report from ((service_name)):\n\n((report_url))\n\n"
           "Your report reference is ((reference)). The link works until ((expires)).\n\n"
           "Anyone with this link can read the advice. To see your answers, they also need your date "
           "of birth (if you added it) or a code we send to this email address."),
    ),
    "advice_answers_code": (
        N_("Your code to see your answers"),
        N_("Your code to see the answers in your advice report from ((service_name)) is ((code)).\n\n"
           "It works once, for ((minutes)) minutes. If you did not ask for it, you do not need to do "
           "anything: nobody can see your answers without it."),
    ),
    "referral_received": (
        N_("We have received your request for help – ((reference))"),
        N_("We have received your request for help.\n\nYour reference is ((reference)).\n\n"
           "What happens next: ((next_step))\n\nYou can check progress at ((track_url)) with your "
           "reference and date of birth."),
    ),
    "referral_update": (
        N_("An update on your request for help – ((reference))"),
        N_("There is an update on your request for help (reference ((reference))).\n\n"
           "((status))\n\nWhat happens next: ((next_step))"),
    ),
    "referral_more_information": (
        N_("We need more information – ((reference))"),
        N_("We are looking at the request for help with reference ((reference)), and we need more "
           "information before we can go on.\n\nWhat we need to know:\n\n((question))\n\n"
           "Please phone us on ((support_phone)) and give the reference. We will wait for your answer."),
    ),
}


def render(template: str, personalisation: dict, language: str = DEFAULT_LANGUAGE) -> tuple[str, str]:
    subject, body = TEMPLATES[template]
    if language != DEFAULT_LANGUAGE and has_app_context():
        with force_locale(language):
            subject, body = gettext(subject), gettext(body)
    for key, value in personalisation.items():
        subject = subject.replace(f"(({key}))", str(value))
        body = body.replace(f"(({key}))", str(value))
    return subject, body
