"""The simulated market: the Parties that are DCC Users, and the DCC itself.

A Party has one User ID (EUI-64) per User Role it has been admitted in (SEC H1): the DCC knows the role a
request is sent in from the RequestID's originator, and the signing Organisation Certificate must belong to
that same User ID. Certificates carry the Party's Remote Party Role code (SmkiRoleCode) in OU.
This is data, in one place.
"""

from __future__ import annotations

from pydantic import BaseModel

from dccflow.domain.roles import SmkiRoleCode, UserRole

#: The DCC's own entity id: the target of Non-Device Service Requests and the signer of what the DCC sends.
DCC_ID = "90-B3-D5-1F-30-00-00-02"


class DccUser(BaseModel, frozen=True):
    user_id: str
    role: UserRole
    party: str


class Party(BaseModel, frozen=True):
    key: str
    name: str
    smki_role: SmkiRoleCode
    user_ids: dict[UserRole, str]
    #: the telephone number a Supplier's Smart Meters show beside its name (SRV 3.4 'Update Supplier Name', BAD
    #: 7.5.1.5.2, 7.7.1.5.5; DUIS: up to 18 digits and spaces, the name up to 15 printable characters)
    telephone: str = "0800 000 0000"

    def user(self, role: UserRole) -> DccUser:
        return DccUser(user_id=self.user_ids[role], role=role, party=self.key)

    @property
    def smki_role_code(self) -> str:
        """The OU value of its Organisation Certificates: the Remote Party Role as two hex digits."""
        return f"{int(self.smki_role):02X}"


SUPPLIER = Party(
    key="supplier-a", telephone="0800 100 0001", name="Supplier A", smki_role=SmkiRoleCode.SUPPLIER,
    user_ids={UserRole.IMPORT_SUPPLIER: "90-B3-D5-1F-30-01-00-00",
              UserRole.GAS_SUPPLIER: "90-B3-D5-1F-30-01-00-01"},
)
SUPPLIER_B = Party(
    key="supplier-b", telephone="0800 200 0002", name="Supplier B", smki_role=SmkiRoleCode.SUPPLIER,
    user_ids={UserRole.IMPORT_SUPPLIER: "90-B3-D5-1F-30-04-00-00",
              UserRole.GAS_SUPPLIER: "90-B3-D5-1F-30-04-00-01"},
)
#: a third Supplier: a second Gaining Supplier in a Change of Supplier scenario (BAD 7.7.1), e.g. for the gas of a
#: dual-fuel premises whose electricity goes to Supplier B
SUPPLIER_C = Party(
    key="supplier-c", telephone="0800 300 0003", name="Supplier C", smki_role=SmkiRoleCode.SUPPLIER,
    user_ids={UserRole.IMPORT_SUPPLIER: "90-B3-D5-1F-30-05-00-00",
              UserRole.GAS_SUPPLIER: "90-B3-D5-1F-30-05-00-01"},
)
ELECTRICITY_DISTRIBUTOR = Party(
    key="distributor-a", name="Electricity Distributor A", smki_role=SmkiRoleCode.NETWORK_OPERATOR,
    user_ids={UserRole.ELECTRICITY_DISTRIBUTOR: "90-B3-D5-1F-30-02-00-00"},
)
GAS_TRANSPORTER = Party(
    key="transporter-a", name="Gas Transporter A", smki_role=SmkiRoleCode.NETWORK_OPERATOR,
    user_ids={UserRole.GAS_TRANSPORTER: "90-B3-D5-1F-30-03-00-00"},
)

PARTIES: dict[str, Party] = {p.key: p for p in (SUPPLIER, SUPPLIER_B, SUPPLIER_C, ELECTRICITY_DISTRIBUTOR,
                                               GAS_TRANSPORTER)}

#: Every User ID the DCC has admitted, with its User Role (SEC H1).
USERS: dict[str, DccUser] = {
    user_id: DccUser(user_id=user_id, role=role, party=party.key)
    for party in PARTIES.values() for role, user_id in party.user_ids.items()
}


def party_of(user_id: str) -> Party | None:
    user = USERS.get(user_id)
    return PARTIES[user.party] if user else None
