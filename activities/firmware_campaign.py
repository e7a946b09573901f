"""The Supplier's side of a firmware wave campaign (BAD 7.5.3 for every Device of a Device Model; issue 15):
``firmware_campaign_prepare`` lists the Devices the campaign upgrades. Each Device is then one ``FirmwareUpgrade``
workflow (``workflows.firmware_upgrade``), a child of the campaign (``workflows.firmware_campaign``).

DECISIONS where the Code is silent: the Devices are the Supplier's estate (``supplier_estate``: the Smart Meters
the SMI links, commissioned, to the MPxNs it is registered for) of the Device Model named (the SMI's model, as the
DCC's 11.1 check D5c compares it; its manufacturer too when given), or the selection given, of which only those
Devices are taken; a Device the SMI already records at the target version is left out (a campaign started again
after a stop goes on with the rest).

Before its first Device, the Supplier raises its Anomaly Detection Threshold (SEC G6.3; AA 3.7) for each SRV a Device
sends once (``CAMPAIGN_SRVS``) to the DCC's default for Users plus the campaign's Devices, keeping a higher one: the
default (10,000 a day) would quarantine a 10,000-Device campaign's last requests (AB 12.2; found by the 10,000-Device
run of ``bench/firmware_campaign.py``, whose last Device waited for its Service Responses until released by hand).
DECISION: one campaign's volume on top of the default, not the sum of campaigns running at once. Idempotent: asked
again (a retried activity), the thresholds stay as set.
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


#: the Service Requests each Device of a campaign sends once: Update Firmware, Activate Firmware, Read Firmware Version
CAMPAIGN_SRVS = ("11.1", "11.3", "11.2")


class FirmwareCampaignPlan(BaseModel):
    device_ids: list[str]
    #: the Supplier's ADT for each of ``CAMPAIGN_SRVS`` once raised for the campaign (SRV → requests a window)
    thresholds: dict[str, int] = Field(default_factory=dict)
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
        at_least = self.rt.dcc.config.default_user_threshold.limit + len(devices)
        thresholds = {srv: self.rt.dcc.raise_anomaly_threshold(user_id=scope.supplier_id, srv=srv, at_least=at_least,
                                                               at=activity_now()) for srv in CAMPAIGN_SRVS}
        return FirmwareCampaignPlan(device_ids=devices, manufacturer=manufacturer, already_at_version=already,
                                    excluded=excluded, thresholds=thresholds)


def firmware_campaign_activities(runtime) -> list:
    return [FirmwareCampaignActivities(runtime).firmware_campaign_prepare]
