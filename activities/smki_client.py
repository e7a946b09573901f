"""The User's side of the SMKI: 'Obtain Device Certificate' (BAD 7.7.2.5.3).

The Authorised Subscriber (the Supplier) submits the Device CSR from a CS02c Response (SRV 6.17 Service Response,
``dccflow.gbcs.csr_from_service_response``) to the SMKI; the DCC verifies it, checks the per-Device limit, issues
the Device Certificate, lodges it in the SMKI Repository, and the Subscriber downloads it and checks it against the
CSR. The SMKI Portal is not modelled as a transport: the activity calls the SMKI Repository directly.
"""

from __future__ import annotations

import base64
import binascii

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pydantic import BaseModel
from temporalio import activity
from temporalio.exceptions import ApplicationError

from dccflow.clock import activity_now
from dccflow.parties import USERS
from dccflow.security.pki import CertificateError, KeyUsageKind
from dccsim.smki import SmkiRepository

CSR_REJECTED = "DeviceCsrRejected"


class DeviceCertificateRequest(BaseModel):
    device_id: str
    #: base64 DER Device CSR (the CS02c Response's)
    csr: str
    #: the Authorised Subscriber submitting it
    user_id: str
    #: the key usage the CSR's key is for (BAD 7.7.2.5.7); the SRV 6.17 CredentialType that produced it
    usage: KeyUsageKind = KeyUsageKind.DIGITAL_SIGNING


class SmkiClient:
    def __init__(self, smki: SmkiRepository):
        self.smki = smki

    def request_device_certificate(self, req: DeviceCertificateRequest) -> str:
        user = USERS.get(req.user_id)
        if user is None or not user.role.is_supplier:
            raise ApplicationError(f"{req.user_id} is not an Authorised Subscriber for Device Certificates",
                                   type=CSR_REJECTED, non_retryable=True)
        try:
            csr_der = base64.b64decode(req.csr, validate=True)
            cert = self.smki.issue_device_certificate(csr_der, req.device_id, req.usage, activity_now())
        except (CertificateError, ValueError, binascii.Error) as exc:
            raise ApplicationError(f"Device CSR for {req.device_id} rejected: {exc}", type=CSR_REJECTED,
                                   non_retryable=True) from None
        # the Subscriber checks the Device Certificate against the CSR (BAD 7.7.2.5.3)
        if cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) \
                != x509.load_der_x509_csr(csr_der).public_key().public_bytes(
                    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo):
            raise ApplicationError("the Device Certificate does not match the CSR", type=CSR_REJECTED,
                                   non_retryable=True)
        return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()

    @activity.defn
    async def smki_request_device_certificate(self, req: DeviceCertificateRequest) -> str:
        """The base64 DER Device Certificate issued for ``req.csr``."""
        return self.request_device_certificate(req)
