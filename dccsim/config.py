"""The simulated DCC's configuration: every value the Code leaves to the DCC (or does not state), in one place.

Each value names where the sources say something about it; where they are silent the choice is this
simulator's and says so.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel


class AnomalyThreshold(BaseModel, frozen=True):
    """A volume Anomaly Detection Threshold: more than ``limit`` items in any ``window`` (SEC G6.3, G6.6)."""

    limit: int
    window: timedelta


class ServiceLevelTarget(BaseModel, frozen=True):
    measure: str
    target: timedelta
    clause: str


#: Target Response Times (SEC H3.14; digest 08 §F.2). H3.14(b), (c) and (e) defer to the Services Schedule
#: (SEC Appendix E), which is not in the sources: the values are the 2013 Appendix E draft's (file 003 Annex
#: 5), as digest 08 records them. The Code Performance Measure each counts towards is in the name.
TARGETS: dict[str, ServiceLevelTarget] = {t.measure: t for t in (
    ServiceLevelTarget(measure="Pre-Command (Critical Service Request)", target=timedelta(seconds=3),
                       clause="SEC H3.14(a)"),
    ServiceLevelTarget(measure="On-Demand Service Response (CPM 1)", target=timedelta(seconds=30),
                       clause="SEC H3.14(b), (c); Appendix E (2013 draft)"),
    ServiceLevelTarget(measure="Future-Dated Service Response (CPM 2)", target=timedelta(hours=24),
                       clause="SEC H3.14(e); Appendix E (2013 draft)"),
    ServiceLevelTarget(measure="Non-Device Service Response", target=timedelta(seconds=30),
                       clause="Appendix E (2013 draft) Table 5.2: 8.2, 8.3, 8.4, 12.1, 12.2"),
    ServiceLevelTarget(measure="Alerts (CPM 3)", target=timedelta(seconds=60), clause="SEC H3.14(g)"),
)}
PRE_COMMAND, ON_DEMAND, FUTURE_DATED, NON_DEVICE, ALERTS = TARGETS

#: Code Performance Measures 1-3: Target and Minimum Service Levels (SEC H13.1; digest 08 §F.1).
CPM_LEVELS: dict[str, tuple[float, float]] = {ON_DEMAND: (99.0, 96.0), FUTURE_DATED: (99.0, 96.0),
                                              ALERTS: (99.0, 96.0)}


class DccConfig(BaseModel):
    #: BAD 7.8.4.4.2 applies check F (eligible User per Registration Data) to Critical requests; AB 6.1(f)
    #: names Non-Critical only. Default: the BAD's stricter reading (digest 06 §E.9 ambiguity 1).
    critical_eligible_user_check: bool = True
    #: The DCC's wait for a Signed Pre-Command after sending the Pre-Command: not stated (digest 06 §E.8).
    pre_command_expiry: timedelta = timedelta(hours=1)
    #: User ADT applied when a User has set none for an SRV (the User sets its own, SEC G6.3; this default
    #: stands in for the ADT File the simulated Users never send).
    default_user_threshold: AnomalyThreshold = AnomalyThreshold(limit=10_000, window=timedelta(hours=24))
    #: DCC aggregate ADT per SRV (SEC G6.6); simulator's value.
    default_dcc_threshold: AnomalyThreshold = AnomalyThreshold(limit=1_000_000, window=timedelta(hours=24))
    #: Quarantined items can be released for 120 hours, then they are archived (AA 4.5, 4.14).
    quarantine_release_window: timedelta = timedelta(hours=120)
    #: The DCC Alert code of the quarantine notice (AB 12.2): the sources name none (digest 06 §C.4,
    #: §K(b) "N-code not stated"). N999 is the one code of the enumeration outside the numbered series.
    quarantine_alert_code: str = "N999"
    #: FD execution horizon (SEC H3.12).
    future_dated_horizon: timedelta = timedelta(days=30)
    #: attempts at each processing step before the DCC gives up and answers the User with an error
    step_attempts: int = 8
    #: how long the DCC waits for a Device's Response to an on-demand Command before N13: the final retry
    #: boundary of BAD Table 13, the on-demand TRT plus 60 minutes (digest 06 §F.3)
    device_response_wait: timedelta = timedelta(seconds=30) + timedelta(minutes=60)
    # -- the end of a Device's life (BAD 7.6; SEC H6; ``dccsim.orphans``, ``dccsim.suspension``) ------------------
    #: SEC H6.6 / BAD 7.6.1.6.8: the Devices of a decommissioned CHF's Smart Metering Systems may stay if a
    #: replacement CHF is Commissioned "within a reasonable period"; else they are decommissioned. The period (and
    #: when it starts) is stated nowhere (digest 04 §0.2, §K 7): the simulator's value, from the CHF's 8.3.
    reasonable_period_chf_replacement: timedelta = timedelta(days=28)
    #: who decommissions them when the period passes: "dcc" (BAD 7.6.1.6.8: "The DCC sets the SMI Status ... to
    #: 'Decommissioned'") or "rs" (SEC H6.2: only a Responsible Supplier may; the DCC only records who is left)
    orphan_decommission_actor: Literal["dcc", "rs"] = "dcc"
    #: BAD 7.1.2.4.3: "within 24 hours of receiving the CPL extract" the DCC suspends every Device of a removed Device
    #: Model and sends N28 (SEC H6.10, H6.11); a durable deadline from receipt
    suspension_deadline: timedelta = timedelta(hours=24)
    #: when, after receiving an extract, the DCC works through it (0: at once); within ``suspension_deadline``
    cpl_processing_delay: timedelta = timedelta(0)
    # -- Manage Firmware (BAD 7.5.3.6.2; ``dccsim.firmware_distribution``) ---------------------------------------
    #: a CH that did not acknowledge an 11.1 image (off the SM WAN) is sent it again this often, at most this many
    #: more times, then N22: the Code states no period (digest 03 §F.11 "not stated (configurable)")
    firmware_redelivery_period: timedelta = timedelta(hours=2)
    firmware_redelivery_attempts: int = 6
    #: how long after the CH's acknowledgment the DCC waits for the download-complete Response before N23 (digest
    #: 03 §F.11: not stated; must allow for the OTA download over the HAN, about 50 minutes for 750 kB)
    firmware_download_watch: timedelta = timedelta(hours=6)
