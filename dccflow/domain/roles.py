"""User Roles (SEC Section H1/H3) and Remote Party Roles (trust anchor cells, BAD Table 4).

Two different things are called "roles":

* A **User Role** is the capacity in which a Party uses the DCC User Interface (SEC H1.3-H1.6, H3.8):
  Import Supplier, Export Supplier, Gas Supplier, Electricity Distributor, Gas Transporter, Registered
  Supplier Agent, Other User. The Code gives them no numeric or two-letter codes and the DUIS 5.4 schema
  has no User Role enumeration. ``UserRole.code`` gives the abbreviations used in the DUIS Services
  Schedule style and the spec digests (IS, ES, GS, ED, GT, RSA, OU).
* A **Remote Party Role** is the role of a trust anchor cell on a Device and of the SMKI Organisation
  Certificate that fills it (BAD 7.2.1.5 Table 4; SEC Appendix AC 3.2). Certificates carry the role as a
  code in the subject's organizationalUnitName, written as two hex digits. The codes come from GBCS and
  the SMKI Organisation Certificate Policy (not in the reference texts); we cross-checked them against the
  role list in Smart DCC's published DCC Boxed key-store tooling. The sample DUIS messages are signed by
  an issuer named ``CN=U1, OU=07``: code 07 is the Issuing Authority (the Issuing OCA), not a User Role.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

from dccflow.domain.devices import Fuel


class UserRole(StrEnum):
    """A SEC User Role. The value is the name as the Code spells it (SEC H1.6, H3.8)."""

    IMPORT_SUPPLIER = "Import Supplier"
    EXPORT_SUPPLIER = "Export Supplier"
    GAS_SUPPLIER = "Gas Supplier"
    ELECTRICITY_DISTRIBUTOR = "Electricity Distributor"
    GAS_TRANSPORTER = "Gas Transporter"
    REGISTERED_SUPPLIER_AGENT = "Registered Supplier Agent"
    OTHER_USER = "Other User"

    @property
    def code(self) -> str:
        """Short code: IS, ES, GS, ED, GT, RSA or OU."""
        return _CODES[self]

    @classmethod
    def from_code(cls, code: str) -> UserRole:
        """Parse a short code (case-insensitive) or the full role name."""
        text = code.strip()
        for role, role_code in _CODES.items():
            if text.upper() == role_code or text.casefold() == role.value.casefold():
                return role
        allowed = ", ".join(_CODES.values())
        raise ValueError(f"unknown User Role code {code!r}; expected one of {allowed} or a role name")

    @property
    def is_supplier(self) -> bool:
        """Import or Gas Supplier: the roles that can be a Responsible Supplier (BAD 4.6 'Supplier')."""
        return self in (UserRole.IMPORT_SUPPLIER, UserRole.GAS_SUPPLIER)

    @property
    def is_network_operator(self) -> bool:
        """Electricity Distributor or Gas Transporter (BAD 4.6 'Network Operators')."""
        return self in (UserRole.ELECTRICITY_DISTRIBUTOR, UserRole.GAS_TRANSPORTER)

    @property
    def fuel(self) -> Fuel | None:
        """The fuel the licence behind the role covers (SEC H1.6(a)-(d)); ``None`` for RSA and OU."""
        return _FUELS.get(self)

    @property
    def trust_anchor_role(self) -> RemotePartyRole | None:
        """The trust anchor cell a certificate of this role can occupy on Devices (BAD Table 4).

        Suppliers use the Supplier cells and Network Operators the Network Operator cells. Other roles
        have no trust anchor cell: they are never in Device trust anchors.
        """
        if self.is_supplier:
            return RemotePartyRole.SUPPLIER
        if self.is_network_operator:
            return RemotePartyRole.NETWORK_OPERATOR
        return None


_CODES: dict[UserRole, str] = {
    UserRole.IMPORT_SUPPLIER: "IS",
    UserRole.EXPORT_SUPPLIER: "ES",
    UserRole.GAS_SUPPLIER: "GS",
    UserRole.ELECTRICITY_DISTRIBUTOR: "ED",
    UserRole.GAS_TRANSPORTER: "GT",
    UserRole.REGISTERED_SUPPLIER_AGENT: "RSA",
    UserRole.OTHER_USER: "OU",
}
_FUELS: dict[UserRole, Fuel] = {
    UserRole.IMPORT_SUPPLIER: Fuel.ELECTRICITY,
    UserRole.EXPORT_SUPPLIER: Fuel.ELECTRICITY,
    UserRole.ELECTRICITY_DISTRIBUTOR: Fuel.ELECTRICITY,
    UserRole.GAS_SUPPLIER: Fuel.GAS,
    UserRole.GAS_TRANSPORTER: Fuel.GAS,
}

#: All seven User Roles.
ALL_USER_ROLES: frozenset[UserRole] = frozenset(UserRole)
#: Import Supplier and Gas Supplier.
SUPPLIERS: frozenset[UserRole] = frozenset({UserRole.IMPORT_SUPPLIER, UserRole.GAS_SUPPLIER})
#: Electricity Distributor and Gas Transporter.
NETWORK_OPERATORS: frozenset[UserRole] = frozenset(
    {UserRole.ELECTRICITY_DISTRIBUTOR, UserRole.GAS_TRANSPORTER}
)


class SmkiRoleCode(IntEnum):
    """Remote Party Role codes carried in SMKI Organisation / OCA certificates (GBCS; see module doc)."""

    ROOT = 0
    RECOVERY = 1
    SUPPLIER = 2
    NETWORK_OPERATOR = 3
    ACCESS_CONTROL_BROKER = 4
    TRANSITIONAL_COS = 5
    WAN_PROVIDER = 6
    ISSUING_AUTHORITY = 7
    LOAD_CONTROLLER = 8
    OTHER = 127

    @property
    def ou(self) -> str:
        """The organizationalUnitName form: two upper-case hex digits, e.g. '07'."""
        return f"{self.value:02X}"

    @classmethod
    def from_ou(cls, ou: str) -> SmkiRoleCode:
        """Parse an organizationalUnitName such as '07' (hex)."""
        try:
            return cls(int(ou.strip(), 16))
        except ValueError:
            raise ValueError(f"unknown Remote Party Role code {ou!r} in organizationalUnitName") from None


class RemotePartyRole(StrEnum):
    """A trust anchor cell role on a Device (BAD 7.2.1.5 Table 4; SEC Appendix AC 3.2).

    The value is the BAD Table 4 name. ``LOAD_CONTROLLER`` is not in BAD Table 4; it is in the DUIS 5.4
    ``RemotePartyRole`` enumeration.
    """

    ROOT = "Root"
    RECOVERY = "Recovery"
    SUPPLIER = "Supplier"
    NETWORK_OPERATOR = "Network Operator"
    ACCESS_CONTROL_BROKER = "Access Control Broker"
    TRANSITIONAL_COS = "Transitional CoS"
    WAN_PROVIDER = "WAN Provider"
    LOAD_CONTROLLER = "Load Controller"

    @property
    def code(self) -> SmkiRoleCode:
        """The Remote Party Role code used in certificates."""
        return SmkiRoleCode[self.name]

    @property
    def duis_name(self) -> str | None:
        """The DUIS ``RemotePartyRole`` value, or ``None`` for WAN Provider (not in that enumeration)."""
        return _DUIS_RPR.get(self)

    @property
    def is_dcc_role(self) -> bool:
        """Cells the DCC's own certificates fill (Root OCA, Recovery, ACB, Transitional CoS, WAN Provider)."""
        return self in _DCC_ROLES

    @classmethod
    def from_duis(cls, name: str) -> RemotePartyRole:
        """Parse a DUIS ``RemotePartyRole`` value such as 'TransCoS' or 'ACB'."""
        for role, duis in _DUIS_RPR.items():
            if duis == name.strip():
                return role
        allowed = sorted(_DUIS_RPR.values())
        raise ValueError(f"unknown DUIS RemotePartyRole {name!r}; expected one of {allowed}")

    @classmethod
    def from_code(cls, code: int | str) -> RemotePartyRole:
        """Parse a role code: an int, or an organizationalUnitName string in hex such as '02'."""
        role_code = SmkiRoleCode.from_ou(code) if isinstance(code, str) else SmkiRoleCode(code)
        try:
            return cls[role_code.name]
        except KeyError:
            raise ValueError(
                f"Remote Party Role code {role_code.ou} ({role_code.name}) is not a trust anchor cell role"
            ) from None


_DUIS_RPR: dict[RemotePartyRole, str] = {
    RemotePartyRole.ROOT: "Root",
    RemotePartyRole.RECOVERY: "Recovery",
    RemotePartyRole.SUPPLIER: "Supplier",
    RemotePartyRole.NETWORK_OPERATOR: "NetworkOperator",
    RemotePartyRole.ACCESS_CONTROL_BROKER: "ACB",
    RemotePartyRole.TRANSITIONAL_COS: "TransCoS",
    RemotePartyRole.LOAD_CONTROLLER: "LoadController",
}
_DCC_ROLES = frozenset(
    {
        RemotePartyRole.ROOT,
        RemotePartyRole.RECOVERY,
        RemotePartyRole.ACCESS_CONTROL_BROKER,
        RemotePartyRole.TRANSITIONAL_COS,
        RemotePartyRole.WAN_PROVIDER,
    }
)
