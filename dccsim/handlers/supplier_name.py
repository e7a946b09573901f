"""What a Supplier sends a Smart Meter after a Change of Supplier (BAD 7.7.1.5.5-6):

* SRV 3.4 'Update Supplier Name' (Non-Critical; BAD 7.5.1.5.2): the Supplier's name and telephone number, carried as
  ECS16 'Write Supplier Contact Details on Electricity Smart Meter' / GCS44 'Write Contact Details on Gas Smart Meter';
* SRV 1.1.1 'Update Import Tariff (Primary Element)' (Critical; BAD 7.3.1.6.3): the tariff, carried as ECS01a /
  GCS01a, the User's Signed Pre-Command — the Meter checks it against its Supplier cell, so only the Supplier whose
  certificate is there (after a CoS: the Gaining Supplier) can set it.
"""

from __future__ import annotations

from dccflow.domain.devices import DeviceType
from dccflow.messages import GbcsResponse
from dccsim.handlers.base import Ctx, Handler, Outcome, failed


class UpdateSupplierName(Handler):
    srv = "3.4"
    use_cases = {DeviceType.ESME: "ECS16", DeviceType.GSME: "GCS44"}

    def command_params(self, ctx: Ctx) -> dict:
        return {"supplier_name": ctx.body["SupplierName"],
                "supplier_telephone_number": str(ctx.body["SupplierTelephoneNumber"])}

    def apply(self, ctx: Ctx, response: GbcsResponse | None) -> Outcome:
        if (failure := failed(response)) is not None:
            return failure
        return Outcome(detail=f"{ctx.target} shows {ctx.body['SupplierName']}")


class UpdateImportTariff(Handler):
    """SRV 1.1.1 → ECS01a / GCS01a. The Command carries the tariff as the SR gives it (the SR body); the Meter keeps
    its currency, standing charge and prices."""

    srv = "1.1.1"
    use_cases = {DeviceType.ESME: "ECS01a", DeviceType.GSME: "GCS01a"}

    def command_params(self, ctx: Ctx) -> dict:
        elec = ctx.body.get("ElecTariffElements") or {}
        prices = ctx.body.get("PriceElements") or {}
        price = prices.get("ElectricityPriceElements") or prices.get("GasPriceElements") or {}
        return {"tariff": {"currency": elec.get("CurrencyUnits") or price.get("CurrencyUnits"),
                           "standing_charge": price.get("StandingCharge"),
                           "prices": price.get("TOUTariff") or price.get("BlockTariff")}}

    def apply(self, ctx: Ctx, response: GbcsResponse | None) -> Outcome:
        if (failure := failed(response)) is not None:
            return failure
        return Outcome(detail=f"tariff set on {ctx.target}")
