"""Message templates. With GOV.UK Notify each name maps to a template id (NOTIFY_TEMPLATE_IDS);
the text here is what the embedded outbox shows and what the Notify template should say."""

TEMPLATES: dict[str, tuple[str, str]] = {
    "test_message": (
        "Test message from ((service_name))",
        "This is a test message from ((service_name)).",
    ),
    "advice_report": (
        "Your care and support advice report",
        "Here is the link to your advice report from ((service_name)):\n\n((report_url))\n\n"
        "Your report reference is ((reference)). The link works until ((expires)).\n\n"
        "Anyone with this link can read the advice. To see your answers, they also need your date "
        "of birth (if you added it) or a code we send to this email address.",
    ),
    "advice_answers_code": (
        "Your code to see your answers",
        "Your code to see the answers in your advice report from ((service_name)) is ((code)).\n\n"
        "It works once, for ((minutes)) minutes. If you did not ask for it, you do not need to do "
        "anything: nobody can see your answers without it.",
    ),
    "referral_received": (
        "We have received your request for help – ((reference))",
        "We have received your request for help.\n\nYour reference is ((reference)).\n\n"
        "What happens next: ((next_step))\n\nYou can check progress at ((track_url)) with your "
        "reference and date of birth.",
    ),
    "referral_update": (
        "An update on your request for help – ((reference))",
        "There is an update on your request for help (reference ((reference))).\n\n"
        "((status))\n\nWhat happens next: ((next_step))",
    ),
    "referral_more_information": (
        "We need more information – ((reference))",
        "We are looking at the request for help with reference ((reference)), and we need more "
        "information before we can go on.\n\nWhat we need to know:\n\n((question))\n\n"
        "Please phone us on ((support_phone)) and give the reference. We will wait for your answer.",
    ),
}


def render(template: str, personalisation: dict) -> tuple[str, str]:
    subject, body = TEMPLATES[template]
    for key, value in personalisation.items():
        subject = subject.replace(f"(({key}))", str(value))
        body = body.replace(f"(({key}))", str(value))
    return subject, body
