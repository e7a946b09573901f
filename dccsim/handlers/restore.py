"""'Restore HAN Device Log' (SRV 8.12.1 → CCS03 to the new CHF) and 'Restore GPF Device Log' (SRV 8.12.2 → GCS59
to the new GPF): Replace Communications Hub (BAD 7.6.1.6.5-6; SEC Appendix AB 10.1(a)-(b), 10.4, 10.5; AC 8.1-8.2;
digest 04 §B.3 steps 5-6).

The request is addressed to the new CHF / GPF and names the old one (DUIS ``RestoreHANDeviceLog{OldCHFID}``,
``RestoreGPFDeviceLog{OldGPFID}``). What is restored is the DCC's own record (AC 8.2), never the old CH: the latest
CS14 of the old CHF (``dccsim.models.LatestCs14``) and the latest GCS62 of the old GPF (``dccsim.gpf_device_log``).
A Device that joined after that record was received is not in it and is not restored (§B.7 item 5); with no record
at all the restored log is empty.

Decisions where the sources are silent (digest 04 §K):

* Who: any Responsible Supplier of the old CH's SMSs (§K 1); check F on the new CH as usual (AB 6.2(b) lets an
  Import Supplier restore the GPF of a shared CHF).
* On success the restored Devices are Associated in the SMI with the new CHF (8.12.1), and those Associated with the
  old GPF with the new one (8.12.2) (§K 22, by analogy with AC 4.3(a)). The new GPF is commissioned by the GSME's
  join (8.7.2; AC 4.10), not here (§B.2).
* N30 to every Responsible Supplier for the CHF but the sender (AB 10.4, §K 3). N31 to the Gas Supplier when another
  Supplier sent the 8.12.2 (AB 10.5; AD 3.6.3.4 would say every other Responsible Supplier: the same for an IS + GS
  pair; §K 2).
"""

from __future__ import annotations

from dccflow.domain.devices import DeviceType
from dccflow.messages import GbcsResponse
from dccsim.gpf_device_log import gpf_device_log_to_restore
from dccsim.handlers.base import Ctx, Handler, Notice, Outcome, failed, reject
from dccsim.handlers.decommission import responsible_suppliers, supply_mpxns
from dccsim.models import LatestCs14, SmiDevice
from dccsim.rejections import Check

_D = DeviceType


class _Restore(Handler):
    #: the body element naming the replaced Device, and its Device Type
    old_element: str
    old_type: DeviceType

    def _old(self, ctx: Ctx) -> SmiDevice:
        old = ctx.device(ctx.body[self.old_element])
        if old.device_type != self.old_type:
            raise reject(Check.DEVICE_TYPE, f"{self.old_element} {old.device_id} is a {old.device_type}, not a "
                                            f"{self.old_type.value}")
        return old

    def _old_chf(self, ctx: Ctx) -> SmiDevice:
        old = self._old(ctx)
        return old if old.device_type == _D.CHF else ctx.inventory.get(old.chf_id)

    def _suppliers(self, ctx: Ctx) -> dict[str, str]:
        """The Responsible Suppliers of the SMSs of the old CH and of the new one (where its meters are once their
        CHF Device Log is restored)."""
        inv = ctx.inventory
        new = inv.get(ctx.target)
        new_chf = new if new.device_type == _D.CHF else inv.get(new.chf_id)
        return responsible_suppliers(ctx.registration, supply_mpxns(inv, self._old_chf(ctx))
                                     | supply_mpxns(inv, new_chf), ctx.at)

    def check(self, ctx: Ctx) -> None:
        old = self._old(ctx)
        if old.device_id == ctx.inventory.get(ctx.target).device_id:
            raise reject(Check.VERIFY, f"{old.device_id} cannot be restored onto itself")
        suppliers = self._suppliers(ctx)
        if ctx.originator not in suppliers:
            raise reject(Check.ELIGIBLE_USER, f"{ctx.originator} is not a Responsible Supplier of the Smart Metering "
                                              f"Systems of the replaced CH {old.device_id} (AB 10.1; BAD 7.6.1)")

    def record(self, ctx: Ctx) -> list[dict]:
        raise NotImplementedError

    def command_params(self, ctx: Ctx) -> dict:
        return {"old_device_id": self._old(ctx).device_id,
                "device_log": [{"device_id": e["device_id"], "device_type": e.get("device_type", "")}
                               for e in self.record(ctx)]}

    def _ids(self, ctx: Ctx) -> dict:
        """Old and new CHF and GPF, for the N30 / N31 body (DUIS ``CHFGPFDeviceIDs``)."""
        inv = ctx.inventory
        old_chf, new = self._old_chf(ctx), inv.get(ctx.target)
        new_chf = new if new.device_type == _D.CHF else inv.get(new.chf_id)
        old_gpf, new_gpf = inv.gpf_of(old_chf.device_id), inv.gpf_of(new_chf.device_id)
        return {"old_chf": old_chf.device_id, "new_chf": new_chf.device_id,
                "old_gpf": old_gpf.device_id if old_gpf else old_chf.device_id,
                "new_gpf": new_gpf.device_id if new_gpf else new_chf.device_id,
                "restored_date": ctx.at.date().isoformat()}


class RestoreHanDeviceLog(_Restore):
    """SRV 8.12.1 (BAD 7.6.1.6.5; AB 10.1(a), 10.4; AC 8.2)."""

    srv = "8.12.1"
    use_cases = {_D.CHF: "CCS03"}
    old_element, old_type = "OldCHFID", _D.CHF

    def record(self, ctx: Ctx) -> list[dict]:
        row = ctx.session.get(LatestCs14, self._old(ctx).device_id)
        return list(row.device_log) if row is not None else []

    def apply(self, ctx: Ctx, response: GbcsResponse | None) -> Outcome:
        if (failure := failed(response)) is not None:
            return failure
        inv = ctx.inventory
        old = self._old(ctx)
        suppliers = self._suppliers(ctx)  # before the Devices move
        moved = []
        for entry in self.record(ctx):
            dev = inv.find(entry["device_id"])
            if dev is not None and dev.chf_id == old.device_id:
                inv.relink(dev, "chf_id", ctx.target, ctx.at, f"SRV 8.12.1 {ctx.request_id}")
                moved.append(dev.device_id)
        ids = self._ids(ctx)
        notices = [Notice("N30", rs, ctx.target, ids, names_request=False, tag=rs)
                   for rs in suppliers if rs != ctx.originator]
        return Outcome(notices=notices, detail=f"CHF Device Log of {old.device_id} restored on {ctx.target}: {moved}")


class RestoreGpfDeviceLog(_Restore):
    """SRV 8.12.2 (BAD 7.6.1.6.6; AB 10.1(b), 10.5; AC 8.2)."""

    srv = "8.12.2"
    use_cases = {_D.GPF: "GCS59"}
    old_element, old_type = "OldGPFID", _D.GPF

    def record(self, ctx: Ctx) -> list[dict]:
        return gpf_device_log_to_restore(ctx.session, self._old(ctx).device_id) or []

    def apply(self, ctx: Ctx, response: GbcsResponse | None) -> Outcome:
        if (failure := failed(response)) is not None:
            return failure
        inv = ctx.inventory
        old = self._old(ctx)
        for entry in self.record(ctx):
            dev = inv.find(entry["device_id"])
            if dev is not None and dev.associated_with == old.device_id:
                inv.relink(dev, "associated_with", ctx.target, ctx.at, f"SRV 8.12.2 {ctx.request_id}")
        gas = [rs for rs, fuel in self._suppliers(ctx).items() if fuel == "gas" and rs != ctx.originator]
        notices = [Notice("N31", rs, ctx.target, self._ids(ctx), names_request=False, tag=rs) for rs in gas]
        return Outcome(notices=notices, detail=f"GPF Device Log of {old.device_id} restored on {ctx.target}")
