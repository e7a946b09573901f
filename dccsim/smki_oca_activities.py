"""The DCC as Organisation Certification Authority, as Temporal activities: revoking a User's Organisation
Certificates (BAD 7.7.2.5.4), an operation a process or a scenario's world event (``key_compromise``) calls. The
repository's own rules are in ``dccsim.smki``."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from temporalio import activity

from dccflow.clock import activity_now
from dccsim.smki import SmkiRepository

__all__ = ["OcaActivities", "OrganisationCertificateRevocation", "RevocationDone"]


class OrganisationCertificateRevocation(BaseModel):
    """A Certificate Revocation Request the OCA accepts (BAD 7.7.2.5.4): the User ID whose Organisation
    Certificates are revoked, and why (SEC Appendix B 4.9.1: key compromise, no longer eligible)."""

    user_id: str
    reason: str = "key compromise (SEC Appendix B 4.9.1(A)(i))"


class RevocationDone(BaseModel):
    user_id: str
    serials: list[str]
    at: datetime


class OcaActivities:
    """The DCC as Organisation Certification Authority: revocation as an operation a process or a scenario's world
    event (``key_compromise``) calls."""

    def __init__(self, smki: SmkiRepository):
        self.smki = smki

    @activity.defn
    async def smki_revoke_organisation_certificate(self, req: OrganisationCertificateRevocation) -> RevocationDone:
        """Revoke ``req.user_id``'s Organisation Certificates now (idempotent: a retry revokes nothing more and
        keeps the first revocation time)."""
        at = activity_now()
        serials = self.smki.revoke_organisation_certificates(req.user_id, at, reason=req.reason)
        return RevocationDone(user_id=req.user_id, serials=serials, at=at)
