"""Typed builders for what a Gaining Supplier sends after a Change of Supplier: SRV 3.4 'Update Supplier Name'
(BAD 7.5.1.5.2, 7.7.1.5.5) and SRV 1.1.1 'Update Import Tariff (Primary Element)' (BAD 7.3.1.6.3, 7.7.1.5.6).

See :mod:`dccflow.duis.requests` for the conventions shared by every builder.
"""

from __future__ import annotations

from datetime import datetime

from lxml import etree

from dccflow.duis._build import aware, build_srv

__all__ = ["update_import_tariff_single_rate", "update_supplier_name"]


def update_supplier_name(
    *,
    request_id: str,
    supplier_name: str,
    supplier_telephone_number: str,
    execution_datetime: datetime | None = None,
    command_variant: int | None = None,
) -> etree._Element:
    """SRV 3.4 'Update Supplier Name': the name (up to 15 printable ASCII characters) and telephone number (up to 18
    digits and spaces) the Smart Meter shows (ECS16 / GCS44). The schema checks both."""
    body = {
        "ExecutionDateTime": aware(execution_datetime, "execution_datetime"),
        "SupplierName": supplier_name,
        "SupplierTelephoneNumber": supplier_telephone_number,
    }
    return build_srv("3.4", request_id=request_id, body=body, command_variant=command_variant)


def update_import_tariff_single_rate(
    *,
    request_id: str,
    standing_charge: int,
    unit_price: int,
    price_scale: int = -3,
    standing_charge_scale: int = -3,
    block_threshold: int = 0,
    currency: str = "GBP",
    execution_datetime: datetime | None = None,
    command_variant: int | None = None,
) -> etree._Element:
    """SRV 1.1.1 'Update Import Tariff (Primary Element)' on an ESME (ECS01a), as the simplest tariff a Gaining
    Supplier sets after a Change of Supplier (BAD 7.7.1.5.6, 7.3.1.6.3): one Time-of-Use rate all year — one day
    profile (rate 1 from midnight), one week profile, one season from any date — with ``unit_price`` and
    ``standing_charge`` in units of 10^``price_scale`` / 10^``standing_charge_scale`` of ``currency``, no special
    days, and the 8 x 1 Block Threshold Matrix at ``block_threshold``. A Critical request (CommandVariant 4)."""
    any_date = {"Year": {"NonSpecifiedYear": {}}, "Month": {"NonSpecifiedMonth": {}},
                "DayOfMonth": {"NonSpecifiedDayOfMonth": {}}, "DayOfWeek": {"NonSpecifiedDayOfWeek": {}}}
    tariff = {
        "CurrencyUnits": currency,
        "SwitchingTable": {
            "DayProfiles": {"DayProfile": [{"DayName": 1, "ProfileSchedule": [
                {"StartTime": "00:00:00", "TOUTariffAction": 1}]}]},
            "WeekProfiles": {"WeekProfile": [{"WeekName": 1, "ReferencedDayName": [
                {"@index": day, "#text": 1} for day in range(1, 8)]}]},
            "Seasons": {"Season": [{"SeasonName": "All", "SeasonStartDate": any_date, "ReferencedWeekName": 1}]},
        },
        "SpecialDays": {},
        "ThresholdMatrix": {"Thresholds": [{"@index": tariff_row, "BlockThreshold": [
            {"@index": 1, "#text": block_threshold}]} for tariff_row in range(1, 9)]},
    }
    prices = {"ElectricityPriceElements": {
        "StandingCharge": standing_charge, "StandingChargeScale": standing_charge_scale, "PriceScale": price_scale,
        "TOUTariff": {"TOUPrice": [{"@index": 1, "#text": unit_price}]}}}
    body = {"ExecutionDateTime": aware(execution_datetime, "execution_datetime"), "ElecTariffElements": tariff,
            "PriceElements": prices}
    return build_srv("1.1.1", request_id=request_id, body=body, command_variant=command_variant)
