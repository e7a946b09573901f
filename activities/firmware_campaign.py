"""The Supplier's side of a firmware wave campaign (BAD 7.5.3 for every Device of a Device Model; issue 15):
``firmware_campaign_prepare`` lists the Devices the campaign upgrades. Each Device is then one ``FirmwareUpgrade``
workflow (``workflows.firmware_upgrade``), a child of the campaign (``workflows.firmware_campaign``).

DECISIONS where the Code is silent: the Devices are the Supplier's estate (``supplier_estate``: the Smart Meters
the SMI links, commissioned, to the MPxNs it is registered for) of the Device Model named (the SMI's model, as the
DCC's 11.1 check D5c compares it; its manufacturer too when given), or the selection given, of which only those
Devices are taken; a Device the SMI already records at the target version is left out (a campaign started again
after a stop goes on with the rest). Idempotent: it only reads.
"""

from __future__ import annotations

from pydantic import BaseModel, Field
from sqlmodel import select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.org_cert_rollover import supplier_estate
from dccflow.clock import activity_now
from dccflow.db import session_scope
from dccflow.parties import USERS
from dccsim.models import SmiDevice


class FirmwareCampaignScope(BaseModel):
    supplier_id: str
    #: the Device Model (the SMI's ``model``; the simulator's Devices without one: their Device Type, e.g. ESME)
    model: str
    manufacturer: str | None = None
    to_version: str
    #: a selection of Devices; None: every Device of the model in the Supplier's estate
    device_ids: list[str] | None = None


class FirmwareCampaignPlan(BaseModel):
    device_ids: list[str]
    manufacturer: str | None = None
    #: Devices of the model the SMI already records at the target version (left out)
    already_at_version: list[str] = Field(default_factory=list)
    #: Devices of the selection that are not the Supplier's commissioned Smart Meters of the model (left out)
    excluded: list[str] = Field(default_factory=list)


class FirmwareCampaignActivities:
    def __init__(self, runtime):
        self.rt = runtime

    @activity.defn(name="firmware_campaign_prepare")
    async def firmware_campaign_prepare(self, scope: FirmwareCampaignScope) -> FirmwareCampaignPlan:
        from dccsim.suspension import model_of

        user = USERS.get(scope.supplier_id)
        if user is None or not user.role.is_supplier:
            raise ApplicationError(f"{scope.supplier_id} is not a Supplier's User ID", type="NotASupplier",
                                   non_retryable=True)
        with session_scope(self.rt.dcc.engine) as s:
            estate = set(supplier_estate(s, scope.supplier_id, activity_now()))
            wanted = estate if scope.device_ids is None else estate & set(scope.device_ids)
            rows = s.exec(select(SmiDevice).where(SmiDevice.device_id.in_(sorted(wanted)))).all() if wanted else []
            devices, already, manufacturer = [], [], scope.manufacturer
            for row in sorted(rows, key=lambda r: r.device_id):
                model = model_of(s, row)
                if model.model != scope.model or (scope.manufacturer and model.manufacturer != scope.manufacturer):
                    continue
                manufacturer = manufacturer or model.manufacturer
                (already if model.firmware_version == scope.to_version else devices).append(row.device_id)
        chosen = set(devices) | set(already)
        excluded = sorted(set(scope.device_ids or ()) - chosen)
        return FirmwareCampaignPlan(device_ids=devices, manufacturer=manufacturer, already_at_version=already,
                                    excluded=excluded)


def firmware_campaign_activities(runtime) -> list:
    return [FirmwareCampaignActivities(runtime).firmware_campaign_prepare]
