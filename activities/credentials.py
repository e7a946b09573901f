"""Users' signing credentials (private keys stay on the User side)."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import select

from activities.store import UserCredentialRow
from dccflow.db import session_scope
from dccflow.parties import PARTIES
from dccflow.security.pki import Credential


class UserKeyStore:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._cache: dict[tuple[str, str], Credential] = {}

    def get(self, user_id: str) -> Credential:
        key = (user_id, "")
        if key not in self._cache:
            with session_scope(self.engine) as s:
                row = s.exec(select(UserCredentialRow).where(UserCredentialRow.user_id == user_id)).first()
            if row is None:
                raise LookupError(f"User {user_id} holds no signing credential")
            self._cache[key] = Credential.from_pem(row.key_pem, row.cert_pem)
        return self._cache[key]

    def put(self, user_id: str, role_code: str, cred: Credential) -> None:
        with session_scope(self.engine) as s:
            s.add(UserCredentialRow(user_id=user_id, role_code=role_code, key_pem=cred.key_pem(),
                                    cert_pem=cred.cert_pem()))

    def forget(self, user_id: str) -> None:
        """Read ``user_id``'s credential afresh next time (it was replaced: an Organisation Certificate rollover)."""
        self._cache.pop((user_id, ""), None)

    def has(self, user_id: str) -> bool:
        try:
            self.get(user_id)
            return True
        except LookupError:
            return False

    def ensure_parties(self, smki) -> None:
        """Give every User ID of every simulated Party a digital-signing Organisation Certificate."""
        for party in PARTIES.values():
            for user_id in party.user_ids.values():
                if not self.has(user_id):
                    cred = smki.issue_user_credentials(user_id=user_id, role_code=party.smki_role_code,
                                                       organisation=party.name)
                    self.put(user_id, party.smki_role_code, cred)
