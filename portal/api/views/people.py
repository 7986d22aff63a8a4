"""Equipment on loan and the telecare connection of a person, by NHS number."""

from flask import g, jsonify

from portal.api import bp
from portal.api import people as service
from portal.api.schemas import EquipmentOut, TelecareOut
from portal.api.spec import answers, spec
from portal.api.views._calls import api_call
from portal.extensions import db

NHS = {"nhs_number": "The person's NHS number, 10 digits"}


@bp.get("/people/<nhs_number>/equipment")
@api_call("people:read")
@spec.validate(tags=["people"], resp=answers(HTTP_200=EquipmentOut, problems=(404, 422)),
               path_parameter_descriptions=NHS)
def person_equipment(nhs_number: str):
    """Equipment on loan to a person

    Each item on loan now: product, when it was delivered, when it is due back and its next
    inspection. 404: no person holds that NHS number; 422: it is not a valid NHS number.
    """
    return jsonify(EquipmentOut.model_validate(service.equipment(db.session, g.api_client, nhs_number))
                   .model_dump(mode="json"))


@bp.get("/people/<nhs_number>/telecare")
@api_call("people:read")
@spec.validate(tags=["people"], resp=answers(HTTP_200=TelecareOut, problems=(404, 422)),
               path_parameter_descriptions=NHS)
def person_telecare(nhs_number: str):
    """A person's telecare connection

    Its status, line type, unit and the devices fitted (`connection` is null if they have none).
    Key safe details and responders' numbers are never sent.
    """
    return jsonify(TelecareOut.model_validate(service.telecare(db.session, g.api_client, nhs_number))
                   .model_dump(mode="json"))
