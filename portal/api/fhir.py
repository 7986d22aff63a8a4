"""NHS referrals in FHIR R4: a ServiceRequest with its Patient, checked and mapped onto a referral.

The models are `fhir.resources.R4B` (FHIR 4.3.0, the R4 technical correction: Patient,
ServiceRequest, Bundle and OperationOutcome are wire-compatible with R4). fhir.resources 8's
top-level `fhir.resources.*` modules are R5 and would refuse R4 documents.

Nothing here reads the Flask request: the view hands over the body and the headers it needs.
Each problem is an `Issue` naming the element (a FHIRPath-ish `expression`), so a sender can fix it.
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.api.models import ApiClient, ApiRequest
from portal.audit.services import record
from portal.people.models import IdentityCheck
from portal.people.validators import is_valid_nhs_number, is_valid_postcode, normalise_nhs_number
from portal.referrals.models import NEEDS, Referral
from portal.referrals.services import Received, new_submission_key, receive_referral
from portal.timeutil import LONDON

SYSTEM_BASE = "https://tecs.ashdown.gov.uk/fhir"  # the council's own systems; FHIR_SYSTEM_BASE overrides it
NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
VERIFICATION_URL = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus"
VERIFICATION_STATUS = {  # UK Core NHS number verification status (England)
    "01": "Number present and verified",
    "02": "Number present but not traced",
    "03": "Trace required",
    "04": "Trace attempted - No match or multiple match found",
    "05": "Trace needs to be resolved - (NHS number or patient detail conflict)",
    "06": "Trace in progress",
    "07": "Number not present and trace not required",
    "08": "Trace postponed (baby under six weeks old)",
}
SNOMED = "http://snomed.info/sct"

# What is needed: (code system, code) -> (portal need, display). SNOMED CT codes only where the
# concept is exactly an occupational therapy referral or assessment; the portal's own code system
# (`<base>/CodeSystem/need`, one code a need) covers every need. Any other code in these two
# systems is refused, naming the element; codings in other systems are ignored.
NEED_SYSTEM_PATH = "/CodeSystem/need"
SNOMED_NEEDS = {
    "308453003": ("ot_assessment", "Referral to occupational therapist"),
    "306355004": ("ot_assessment", "Referral to community-based occupational therapist"),
    "306356003": ("ot_assessment", "Referral to social services department occupational therapist"),
    "410155007": ("ot_assessment", "Occupational therapy assessment"),
}

# Where the referral is from: a category coding in `<base>/CodeSystem/referral-source`; none means "other".
SOURCE_SYSTEM_PATH = "/CodeSystem/referral-source"
FHIR_SOURCES = ("gp", "nhs_111", "hospital_discharge", "social_worker", "housing", "care_home", "other")

# Whether the person agreed: an extension on the ServiceRequest, as the web form's consent question.
CONSENT_PATH = "/StructureDefinition/referral-consent"
CONSENT_ANSWERS = {"yes": None, "best_interest": "Made in the person's best interest"}

# ServiceRequest.priority -> the portal's priority (FHIR: routine < urgent < asap < stat; none = routine)
PRIORITY_MAP = {"routine": "routine", "urgent": "high", "asap": "urgent", "stat": "urgent"}
INTENTS = ("order", "plan", "proposal")
BUNDLE_TYPES = ("transaction", "collection")
MAX_BYTES = 1024 * 1024  # a referral is a few KB; anything over a megabyte is refused (413)
HELD_TEXT = "NHS number is on a record with a different name or date of birth; held for triage to check"

LIMITS = {"given_name": 100, "family_name": 100, "address_line_1": 200, "address_line_2": 200, "town": 100,
          "phone": 40, "referrer_name": 160, "referrer_organisation": 160, "referrer_phone": 40,
          "referrer_email": 254}


def system_url(base: str, path: str) -> str:
    return base.rstrip("/") + path


# ---------------------------------------------------------------- OperationOutcome


@dataclass(frozen=True)
class Issue:
    """One OperationOutcome issue: severity error|warning|information, an issue-type code."""

    code: str
    text: str
    expression: str | None = None
    severity: str = "error"

    def as_fhir(self) -> dict:
        issue = {"severity": self.severity, "code": self.code, "diagnostics": self.text,
                 "details": {"text": self.text}}
        if self.expression:
            issue["expression"] = [self.expression]
        return issue


class Invalid(Exception):
    """The request was refused: `status` and the issues that say why."""

    def __init__(self, status: int, issues: list[Issue]) -> None:
        super().__init__("; ".join(i.text for i in issues))
        self.status = status
        self.issues = issues


def operation_outcome(issues: list[Issue]) -> dict:
    return {"resourceType": "OperationOutcome", "issue": [i.as_fhir() for i in issues]}


STATUS_CODES = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported",
                409: "conflict", 413: "too-costly", 415: "not-supported", 422: "processing", 429: "throttled",
                500: "exception", 503: "transient"}


def outcome_for_status(status: int, text: str) -> dict:
    """The OperationOutcome for an error the portal's handlers (or `api_call`) answered."""
    return operation_outcome([Issue(STATUS_CODES.get(status, "exception"), text)])


def _expression(root: str, loc) -> str:
    """A pydantic error location as a FHIRPath-ish expression: ('entry', 0, 'resource', 'birthDate')
    -> 'Bundle.entry[0].resource.birthDate'."""
    path = root
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif isinstance(part, str) and part and part.replace("_", "").isalnum():
            path += "." + ("resourceType" if part == "resource_type" else part)
    return path


# ---------------------------------------------------------------- parsing


def parse(body: bytes):
    """The body as an R4 Bundle or ServiceRequest model, or `Invalid` (400) saying what is wrong."""
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.servicerequest import ServiceRequest

    if len(body) > MAX_BYTES:
        raise Invalid(413, [Issue("too-costly", f"The request is larger than {MAX_BYTES // 1024} KB")])
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise Invalid(400, [Issue("structure", "The body is not JSON")]) from None
    if not isinstance(data, dict):
        raise Invalid(400, [Issue("structure", "The body is not a FHIR resource (a JSON object)")])
    kind = data.get("resourceType")
    try:
        bad = _bad_text(data, kind if isinstance(kind, str) and kind.isalpha() else "$")
    except RecursionError:
        raise Invalid(400, [Issue("structure", "The body is nested too deeply")]) from None
    if bad is not None:
        raise Invalid(400, [Issue("structure", "Text holds a character that cannot be stored (NUL or an unpaired "
                                               "surrogate)", bad)])
    models = {"Bundle": Bundle, "ServiceRequest": ServiceRequest}
    if kind not in models:
        raise Invalid(400, [Issue("not-supported", "Send a Bundle or a ServiceRequest", "resourceType")])
    try:
        return models[kind].model_validate(data)
    except ValidationError as exc:
        issues = [Issue("structure", f"{err['msg']}"[:500], _expression(kind, err["loc"]))
                  for err in exc.errors()[:20]]
        raise Invalid(400, issues or [Issue("structure", "The resource is not valid FHIR R4")]) from None
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
        raise Invalid(400, [Issue("structure", "The resource is not valid FHIR R4", kind)]) from None


def _unstorable(text: str) -> bool:
    """NUL, or an unpaired surrogate: PostgreSQL cannot store either in a text column."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return "\x00" in text


def _bad_text(value, path: str) -> str | None:
    """The path of the first string (key or value) the database could not store, if any."""
    if isinstance(value, str):
        return path if _unstorable(value) else None
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in children:
        where = f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}"
        if isinstance(key, str) and _unstorable(key):
            return path
        found = _bad_text(item, where)
        if found is not None:
            return found
    return None


# ---------------------------------------------------------------- the referral it describes


@dataclass
class Wanted:
    """What the ServiceRequest asks for, as `receive_referral`'s arguments, and what to tell the sender."""

    person: dict
    referral: dict
    service_request: object
    identifier: str | None  # "system|value" of the ServiceRequest (or Bundle): the idempotency key
    verification: str | None = None  # the UK Core NHS number verification status code, when sent
    notes: list[Issue] = field(default_factory=list)


class _Resolver:
    """Finds the resource a Reference points to: '#id' (contained), a Bundle fullUrl, or 'Type/id'."""

    def __init__(self, contained, entries) -> None:
        self.contained = {getattr(r, "id", None): r for r in contained or [] if getattr(r, "id", None)}
        self.by_url = {}
        for entry in entries or []:
            resource = entry.resource
            if resource is None:
                continue
            if entry.fullUrl:
                self.by_url[entry.fullUrl] = resource
            if getattr(resource, "id", None):
                self.by_url[f"{resource.get_resource_type()}/{resource.id}"] = resource

    def find(self, reference) -> object | None:
        ref = getattr(reference, "reference", None)
        if not ref:
            return None
        if ref.startswith("#"):
            return self.contained.get(ref[1:])
        return self.by_url.get(ref)


def read_referral(resource, *, base: str = SYSTEM_BASE) -> Wanted:
    """The referral a parsed Bundle or ServiceRequest describes, or `Invalid` (422) with every issue found."""
    issues: list[Issue] = []
    bundle_identifier = None
    if resource.get_resource_type() == "Bundle":
        if resource.type not in BUNDLE_TYPES:
            raise Invalid(422, [Issue("not-supported", "Send a transaction or collection Bundle", "Bundle.type")])
        found = [(i, e.resource) for i, e in enumerate(resource.entry or [])
                 if e.resource is not None and e.resource.get_resource_type() == "ServiceRequest"]
        if len(found) != 1:
            raise Invalid(422, [Issue("invalid", "The Bundle must hold exactly one ServiceRequest", "Bundle.entry")])
        index, request = found[0]
        where = f"Bundle.entry[{index}].resource"
        resolver = _Resolver(request.contained, resource.entry)
        bundle_identifier = _identifier_key(resource.identifier)
    else:
        request, where = resource, "ServiceRequest"
        resolver = _Resolver(request.contained, [])

    if request.status != "active":
        issues.append(Issue("business-rule", "The ServiceRequest's status must be active", f"{where}.status"))
    if request.intent not in INTENTS:
        issues.append(Issue("business-rule", f"The intent must be one of {', '.join(INTENTS)}", f"{where}.intent"))
    patient = resolver.find(request.subject)
    if patient is None or patient.get_resource_type() != "Patient":
        raise Invalid(422, issues + [Issue("not-found", "The subject must reference the Patient, contained in the "
                                                        "ServiceRequest or in the Bundle", f"{where}.subject")])
    person, verification = _person(patient, issues)
    source = _source(request, where, base, issues)
    needs = _needs(request, where, base, issues)
    consent = _consent(request, where, base, issues)
    discharge = _discharge_date(request)
    if source == "hospital_discharge" and discharge is None:
        issues.append(Issue("required", "A hospital discharge needs the planned discharge date "
                                        "(occurrencePeriod.start or occurrenceDateTime)", f"{where}.occurrence"))
    referrer = _referrer(request, resolver, where, issues)
    priority = PRIORITY_MAP.get(request.priority or "routine")
    notes = [n.text.strip() for n in request.note or [] if n.text and n.text.strip()]
    reasons = [_concept_text(c) for c in request.reasonCode or []]
    risks = [r for r in reasons if r]
    notices = []
    if verification is not None and verification != "01":
        label = VERIFICATION_STATUS.get(verification, "unknown status")
        risks.append(f"NHS number not verified by the sender ({verification} {label}).")
        notices.append(Issue("informational", f"NHS number verification status {verification} ({label}) recorded "
                                              "for triage", severity="information"))
    help_wanted = "\n\n".join(notes) or _concept_text(request.code) or ", ".join(NEEDS[n] for n in needs)
    if issues:
        raise Invalid(422, issues)
    referral = dict(source=source, needs=needs, help_wanted=help_wanted[:5000], priority=priority,
                    suggested_priority=priority, discharge_date=discharge,
                    risk_summary="\n".join(risks)[:5000] or None, consent_given=consent == "yes",
                    consent_note=CONSENT_ANSWERS.get(consent), **referrer)
    return Wanted(person=person, referral=referral, service_request=request,
                     identifier=_identifier_key(request.identifier) or bundle_identifier,
                     verification=verification, notes=notices)


def _identifier_key(identifiers) -> str | None:
    if identifiers is None:
        return None
    for ident in identifiers if isinstance(identifiers, list) else [identifiers]:
        if ident.system and ident.value:
            return f"{ident.system}|{ident.value}"
    return None


def _text(value: str | None, name: str, expression: str, issues: list[Issue]) -> str | None:
    value = " ".join((value or "").split()) or None
    if value is not None and len(value) > LIMITS[name]:
        issues.append(Issue("value", f"At most {LIMITS[name]} characters", expression))
    return value


def _person(patient, issues: list[Issue]) -> tuple[dict, str | None]:
    where = "Patient"
    official = [n for n in patient.name or [] if n.use == "official"]
    name = official[0] if official else None
    if name is None or not name.family or not [g for g in name.given or [] if g and g.strip()]:
        issues.append(Issue("required", "The Patient needs an official name (use 'official') with a family name "
                                        "and a given name", f"{where}.name"))
        given = family = None
    else:
        given = _text(" ".join(g for g in name.given if g), "given_name", f"{where}.name.given", issues)
        family = _text(name.family, "family_name", f"{where}.name.family", issues)
    birth = patient.birthDate
    if not isinstance(birth, date):
        issues.append(Issue("required", "The Patient needs a full birthDate (YYYY-MM-DD)", f"{where}.birthDate"))
        birth = None
    elif birth.year < 1900 or birth >= datetime.now(LONDON).date():
        issues.append(Issue("value", "The birthDate must be in the past and not before 1900", f"{where}.birthDate"))
    address = _address(patient, issues)
    nhs, verification = _nhs_number(patient, issues)
    phones = [t.value for t in patient.telecom or [] if t.system == "phone" and t.value]
    person = dict(given_name=given, family_name=family, date_of_birth=birth, nhs_number=nhs,
                  phone=_text(phones[0] if phones else None, "phone", f"{where}.telecom", issues), **address)
    return person, verification


def _address(patient, issues: list[Issue]) -> dict:
    addresses = [a for a in patient.address or [] if a.use != "old"]
    home = next((a for a in addresses if a.use == "home"), addresses[0] if addresses else None)
    if home is None:
        issues.append(Issue("required", "The Patient needs an address", "Patient.address"))
        return {"address_line_1": None, "postcode": None}
    lines = [" ".join(line.split()) for line in home.line or [] if line and line.strip()]
    if not lines:
        issues.append(Issue("required", "The address needs its first line", "Patient.address.line"))
    if not is_valid_postcode(home.postalCode):
        issues.append(Issue("value", "The address needs a real UK postcode, like AA1 1AA",
                            "Patient.address.postalCode"))
    return {"address_line_1": _text(lines[0] if lines else None, "address_line_1", "Patient.address.line", issues),
            "address_line_2": _text(", ".join(lines[1:]) or None, "address_line_2", "Patient.address.line", issues),
            "town": _text(home.city, "town", "Patient.address.city", issues), "postcode": home.postalCode}


def _nhs_number(patient, issues: list[Issue]) -> tuple[str | None, str | None]:
    """The NHS number (optional, as on the professional form; checked with Modulus 11 when sent)."""
    found = [(i, ident) for i, ident in enumerate(patient.identifier or []) if ident.system == NHS_NUMBER_SYSTEM]
    numbers = {normalise_nhs_number(ident.value) for _, ident in found}
    if len(numbers) > 1:
        issues.append(Issue("business-rule", "The Patient has two different NHS numbers", "Patient.identifier"))
        return None, None
    if not found:
        return None, None
    index, ident = found[0]
    if not is_valid_nhs_number(ident.value):
        issues.append(Issue("value", "The NHS number is not valid (10 digits with a Modulus 11 check digit)",
                            f"Patient.identifier[{index}].value"))
        return None, None
    verification = None
    for ext in ident.extension or []:
        if ext.url == VERIFICATION_URL and ext.valueCodeableConcept is not None:
            codes = [c.code for c in ext.valueCodeableConcept.coding or [] if c.code]
            verification = codes[0] if codes else None
    return normalise_nhs_number(ident.value), verification


def _codings(concept):
    return concept.coding or [] if concept is not None else []


def _concept_text(concept) -> str | None:
    if concept is None:
        return None
    if concept.text and concept.text.strip():
        return concept.text.strip()
    displays = [c.display.strip() for c in concept.coding or [] if c.display and c.display.strip()]
    return displays[0] if displays else None


def _source(request, where: str, base: str, issues: list[Issue]) -> str:
    system = system_url(base, SOURCE_SYSTEM_PATH)
    for i, category in enumerate(request.category or []):
        for j, coding in enumerate(_codings(category)):
            if coding.system == system:
                if coding.code in FHIR_SOURCES:
                    return coding.code
                issues.append(Issue("code-invalid", f"Unknown referral source; use one of {', '.join(FHIR_SOURCES)}",
                                    f"{where}.category[{i}].coding[{j}].code"))
                return "other"
    return "other"


def _needs(request, where: str, base: str, issues: list[Issue]) -> list[str]:
    """Needs from ServiceRequest.code and orderDetail: every coding in SNOMED CT or the portal's need
    system must be one we map; there must be at least one."""
    own = system_url(base, NEED_SYSTEM_PATH)
    places = [(f"{where}.code", request.code)] + [(f"{where}.orderDetail[{i}]", c)
                                                  for i, c in enumerate(request.orderDetail or [])]
    needs = []
    for path, concept in places:
        for j, coding in enumerate(_codings(concept)):
            if coding.system == own:
                need = coding.code if coding.code in NEEDS else None
            elif coding.system == SNOMED:
                need = SNOMED_NEEDS.get(coding.code, (None,))[0]
            else:
                continue
            if need is None:
                issues.append(Issue("code-invalid", f"Unknown code {coding.code!r} in {coding.system}: see the code "
                                                    "map in the portal's README", f"{path}.coding[{j}].code"))
            elif need not in needs:
                needs.append(need)
    if not needs and not any(i.code == "code-invalid" and i.expression.startswith(f"{where}.code") for i in issues):
        issues.append(Issue("required", "Say what is needed with a coding the portal maps (SNOMED CT or "
                                        f"{own}); free text alone is not enough", f"{where}.code"))
    return needs


def _consent(request, where: str, base: str, issues: list[Issue]) -> str | None:
    url = system_url(base, CONSENT_PATH)
    answers = [ext.valueCode for ext in request.extension or [] if ext.url == url]
    if not answers or answers[0] not in CONSENT_ANSWERS:
        issues.append(Issue("required", f"Say whether the person agreed to this referral: the extension {url} "
                                        f"with valueCode {' or '.join(CONSENT_ANSWERS)}", f"{where}.extension"))
        return None
    return answers[0]


def _discharge_date(request) -> date | None:
    value = request.occurrencePeriod.start if request.occurrencePeriod is not None else request.occurrenceDateTime
    if isinstance(value, datetime):
        return value.astimezone(LONDON).date() if value.tzinfo else value.date()
    return value if isinstance(value, date) else None


def _referrer(request, resolver: _Resolver, where: str, issues: list[Issue]) -> dict:
    """The referrer's name, organisation, phone and email from the requester (Practitioner,
    PractitionerRole or Organization). A phone or an email is needed, to ask them about the referral."""
    requester = resolver.find(request.requester)
    found = {"Practitioner": None, "PractitionerRole": None, "Organization": None}
    if requester is not None and requester.get_resource_type() in found:
        found[requester.get_resource_type()] = requester
    role = found["PractitionerRole"]
    if role is not None:
        found["Practitioner"] = found["Practitioner"] or _typed(resolver.find(role.practitioner), "Practitioner")
        found["Organization"] = found["Organization"] or _typed(resolver.find(role.organization), "Organization")
    practitioner, organisation = found["Practitioner"], found["Organization"]
    name = None
    if practitioner is not None and practitioner.name:
        first = practitioner.name[0]
        name = first.text or " ".join([*(first.prefix or []), *(first.given or []), first.family or ""]).strip()
    name = name or (request.requester.display if request.requester is not None else None)
    if organisation is not None and not name:
        name = organisation.name
    telecom = [t for r in (role, practitioner, organisation) if r is not None for t in r.telecom or []]
    phone = next((t.value for t in telecom if t.system == "phone" and t.value), None)
    email = next((t.value for t in telecom if t.system == "email" and t.value), None)
    org_name = organisation.name if organisation is not None else None
    if not name:
        issues.append(Issue("required", "Say who is referring: a requester (Practitioner, PractitionerRole or "
                                        "Organization) with a name", f"{where}.requester"))
    elif not phone and not email:
        issues.append(Issue("required", "The requester needs a phone number or an email (telecom) so triage can "
                                        "ask about the referral", f"{where}.requester"))
    return {"referrer_name": _text(name, "referrer_name", f"{where}.requester", issues),
            "referrer_organisation": _text(org_name, "referrer_organisation", f"{where}.requester", issues),
            "referrer_phone": _text(phone, "referrer_phone", f"{where}.requester", issues),
            "referrer_email": _text(email, "referrer_email", f"{where}.requester", issues)}


def _typed(resource, kind: str):
    return resource if resource is not None and resource.get_resource_type() == kind else None


# ---------------------------------------------------------------- receiving it, once


@dataclass(frozen=True)
class Outcome:
    referral: Referral
    created: bool
    held: bool  # the NHS number is on a record with another name or date of birth: a person decides
    issues: list[Issue]


def _digest(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def receive(session, client: ApiClient, wanted: Wanted, *, idempotency_key: str | None = None) -> Outcome:
    """The referral, once per (client, identifier): the `Idempotency-Key` header, else the
    ServiceRequest's identifier, else the Bundle's. The same identifier again returns the first
    referral; with a different referral in it, it is refused (409)."""
    key = idempotency_key or wanted.identifier
    stored_key = "fhir:" + hashlib.sha256(key.encode()).hexdigest() if key else None
    body_hash = _digest({"person": wanted.person, "referral": wanted.referral})
    if stored_key is not None:
        earlier = session.scalar(select(ApiRequest).where(ApiRequest.client_id == client.id,
                                                          ApiRequest.idempotency_key == stored_key))
        if earlier is not None:
            return _repeat(session, earlier, body_hash)
        submission_key = hashlib.sha256(f"{client.id}:{stored_key}".encode()).hexdigest()[:32]
    else:
        submission_key = new_submission_key()
    received: Received = receive_referral(session, client.actor, person=wanted.person,
                                          submission_key=submission_key, api_client_id=client.id,
                                          **wanted.referral)
    referral = received.referral
    if stored_key is not None:
        try:
            with session.begin_nested():
                session.add(ApiRequest(client_id=client.id, idempotency_key=stored_key, request_hash=body_hash,
                                       operation="fhir.ServiceRequest", referral_id=referral.id))
        except IntegrityError:
            pass  # a retry racing this one stored it a moment ago, for this same referral
    held = _held(session, referral)
    issues = ([Issue("business-rule", HELD_TEXT, severity="warning")] if held else []) + list(wanted.notes)
    if received.created:
        check = received.identity_check
        record(session, client.actor, "fhir.referral_received", "referral", referral.id,
               reference=referral.reference, identifier=key, nhs_number_verification=wanted.verification,
               identity_check=check.id if check is not None else None)
    return Outcome(referral, received.created, held, issues)


def _held(session, referral: Referral) -> bool:
    """Whether the referral's person waits on an open identity check (a retry is told so too)."""
    return session.scalar(select(IdentityCheck.id).where(IdentityCheck.person_id == referral.person_id,
                                                         IdentityCheck.state == "open")) is not None


def _repeat(session, earlier: ApiRequest, body_hash: str) -> Outcome:
    if earlier.request_hash != body_hash or earlier.referral_id is None:
        raise Invalid(409, [Issue("conflict", "This identifier was already used for a different referral")])
    referral = session.get(Referral, earlier.referral_id)
    held = _held(session, referral)
    return Outcome(referral, False, held, [Issue("business-rule", HELD_TEXT, severity="warning")] if held else [])


def response_resource(outcome: Outcome, request, *, base: str = SYSTEM_BASE) -> dict:
    """The ServiceRequest echoed back with `id` = the portal's reference and the portal's identifier."""
    echoed = request.model_dump(mode="json", exclude_none=True)
    echoed["id"] = outcome.referral.reference
    identifier = {"system": system_url(base, "/referral"), "value": outcome.referral.reference}
    echoed["identifier"] = [i for i in echoed.get("identifier", []) if i.get("system") != identifier["system"]]
    echoed["identifier"].append(identifier)
    return echoed


def received_outcome(outcome: Outcome) -> dict:
    """The OperationOutcome form of the answer: the reference first, then any warning."""
    said = "Referral received" if outcome.created else "Referral already received"
    return operation_outcome([Issue("informational", f"{said}: {outcome.referral.reference}",
                                    severity="information"), *outcome.issues])


# ---------------------------------------------------------------- reading a referral back

# the portal's referral state -> ServiceRequest.status; the portal's priority -> FHIR's
STATUS_MAP = {"submitted": "active", "screened": "active", "awaiting_assessment": "active", "assessed": "active",
              "closed": "completed", "withdrawn": "revoked", "declined": "revoked"}
FHIR_PRIORITY = {"routine": "routine", "high": "urgent", "urgent": "asap"}


def service_request_for(referral: Referral, *, base: str = SYSTEM_BASE) -> dict:
    """A referral as the ServiceRequest a FHIR client can read back (the `Location` of a create):
    its status, priority and needs now; the person only by NHS number, which the sender holds."""
    from fhir.resources.R4B.servicerequest import ServiceRequest

    nhs = referral.person.nhs_number
    priority = referral.priority or referral.suggested_priority or "routine"
    resource = {
        "resourceType": "ServiceRequest", "id": referral.reference,
        "identifier": [{"system": system_url(base, "/referral"), "value": referral.reference}],
        "status": STATUS_MAP[referral.state], "intent": "order", "priority": FHIR_PRIORITY[priority],
        "subject": ({"identifier": {"system": NHS_NUMBER_SYSTEM, "value": nhs}} if nhs
                    else {"display": "The person referred (no NHS number was given)"}),
        "authoredOn": referral.received_at.replace(tzinfo=UTC).isoformat(),
    }
    if referral.need_names:
        resource["code"] = {"coding": [{"system": system_url(base, NEED_SYSTEM_PATH), "code": need}
                                       for need in referral.need_names]}
    ServiceRequest.model_validate(resource)  # what we answer is valid R4 by the same models we accept with
    return resource
