"""``dccflow duis …``: check, sign and verify DUIS messages.

* ``check FILE...``: hardened parse + DUIS 5.4 schema validation; one line per file with the Service Reference
  Variant (requests) or kind and ResponseCode (responses); exit 1 if any file fails, naming the element at fault
  and its line.
* ``sign FILE --key K --cert C [-o OUT] [--replace]``: append the DUIS enveloped signature (ECDSA P-256,
  exclusive c14n; ``dccflow.security.xmldsig``). A message that already carries a ``ds:Signature`` (the
  Reference Test Data samples carry placeholders) is refused unless ``--replace`` is given.
* ``verify FILE --cert PEM [--at DATETIME]``: exit 0 only if the signature verifies with that certificate's key.
  The certificate's validity period is not a property of the signature: an expired or not-yet-valid certificate
  gets a warning, and with ``--at`` the certificate must also be valid at that moment (exit 1 otherwise).

Exit 1 is the verdict on a message (``check`` FAIL, ``verify`` INVALID); exit 2, one line, is a command that could
not do its work: a key or certificate it cannot use, a message ``sign`` cannot sign, an output it cannot write, the
DUIS schema missing or broken.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from cryptography import x509
from lxml import etree
from rich.console import Console
from rich.markup import escape

from dccflow.cli_output import error_line, write_output
from dccflow.duis.messages import request_from_element, to_bytes
from dccflow.duis.responses import response_from_element
from dccflow.duis.schema import NS_DS, NS_SR, DuisConfigError, DuisError, DuisSchemaError, secure_parse, validate
from dccflow.moments import as_utc
from dccflow.security.identifiers import names_equal
from dccflow.security.pki import Credential, entity_id_of
from dccflow.security.xmldsig import SignatureError, find_signature, sign, verify

app = typer.Typer(help="Check, sign and verify DUIS XML messages.", no_args_is_help=True)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

_ExistingFile = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]


def _fault(exc: Exception) -> str:
    """Where and why a message is not acceptable DUIS: the element at fault and its line when known."""
    if isinstance(exc, DuisSchemaError):
        where = f"<{exc.element}>" if exc.element else "the document"
        line = f" line {exc.line}" if exc.line else ""
        return f"{where}{line}: {exc.problem or exc}"
    return str(exc)


def _describe(root: etree._Element) -> str:
    if root.tag == f"{{{NS_SR}}}Request":
        header = request_from_element(root).header
        return f"request   SRV {header.service_reference_variant}  RequestID {header.request_id}"
    parsed = response_from_element(root)
    what = {"service_response": f"SRV {parsed.service_reference_variant}",
            "dcc_alert": f"DCC Alert {parsed.dcc_alert_code}",
            "device_alert": f"Device Alert {parsed.device_alert_code:04X}" if parsed.device_alert_code is not None
            else "Device Alert"}[parsed.kind]
    return f"response  {parsed.kind} {parsed.response_code}  {what}"


@app.command()
def check(files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, readable=True,
                                                       help="DUIS XML files")]) -> None:
    """Schema-validate and parse each file; exit 1 if any fails (the signature is not checked: see verify)."""
    failed = 0
    for path in files:
        try:
            root = secure_parse(path.read_bytes())
            validate(root)
            line = _describe(root)
        except DuisConfigError as exc:
            raise _schema_problem(exc) from None
        except DuisError as exc:
            failed += 1
            out.print(f"[red]FAIL[/]  {escape(str(path))}  {escape(_fault(exc))}")
            continue
        out.print(f"[green]OK[/]    {escape(str(path))}  {escape(line)}")
    if failed:
        err.print(f"{failed} of {len(files)} file(s) failed")
        raise typer.Exit(1)


def _strip_signature(root: etree._Element) -> None:
    signature = find_signature(root)
    if signature is None or len(list(root.iter(f"{{{NS_DS}}}Signature"))) != 1:
        raise typer.BadParameter("only one ds:Signature, a child of the document element, can be replaced")
    previous = signature.getprevious()
    if signature.tail:  # keep the text that followed it
        if previous is not None:
            previous.tail = (previous.tail or "") + signature.tail
        else:
            root.text = (root.text or "") + signature.tail
    root.remove(signature)


def _fail(message: str, code: int = 2) -> typer.Exit:
    """One line, and the exit: 2 (the command cannot do its work) unless ``code`` says it is the verdict (1)."""
    error_line(message)
    return typer.Exit(code)


def _schema_problem(exc: DuisConfigError) -> typer.Exit:
    return _fail(" ".join(str(exc).split()))


@app.command("sign")
def sign_command(
    file: _ExistingFile,
    key: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="PEM private key (EC P-256)")],
    cert: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="PEM certificate of that key")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="write here (default: stdout)")] = None,
    replace: Annotated[bool, typer.Option("--replace", help="strip an existing ds:Signature first")] = False,
) -> None:
    """Sign a DUIS message with the DUIS enveloped XML signature and write the signed XML."""
    try:
        credential = Credential.from_pem(key.read_bytes(), cert.read_bytes())
    except ValueError as exc:
        raise _fail(f"cannot use {key} with {cert}: {exc}") from None
    try:
        root = secure_parse(file.read_bytes())
    except DuisError as exc:
        raise _fail(f"{file}: {_fault(exc)}") from None
    if root.find(f".//{{{NS_DS}}}Signature") is not None:
        if not replace:
            raise _fail(f"{file} already carries a ds:Signature (the reference samples' are placeholders); "
                        "pass --replace to strip it and sign again")
        try:
            _strip_signature(root)
        except typer.BadParameter as exc:
            raise _fail(f"{file}: {exc.message}") from None
    try:
        validate(root)
        signed = to_bytes(sign(root, credential.key, credential.cert))
    except DuisConfigError as exc:
        raise _schema_problem(exc) from None
    except (DuisError, SignatureError) as exc:
        raise _fail(f"{file}: {_fault(exc)}") from None
    if output is None:
        typer.echo(signed, nl=False)
    else:
        write_output(output, signed, "-o")
    err.print(f"signed {escape(str(file))} as {escape(credential.subject_name)} "
              f"(issuer {escape(credential.issuer_name)}, serial {credential.serial})"
              + (f" → {escape(str(output))}" if output else ""))


def _parse_moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not an ISO 8601 date-time (e.g. 2025-06-01T12:00:00Z)") from None
    return as_utc(moment)


def _validity_problem(certificate: x509.Certificate, at: datetime) -> str | None:
    if at < certificate.not_valid_before_utc:
        return f"not valid before {certificate.not_valid_before_utc:%Y-%m-%d %H:%M:%S}Z"
    if at > certificate.not_valid_after_utc:
        return f"expired {certificate.not_valid_after_utc:%Y-%m-%d %H:%M:%S}Z"
    return None


@app.command("verify")
def verify_command(
    file: _ExistingFile,
    cert: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="PEM certificate of the signer")],
    at: Annotated[str | None, typer.Option(
        "--at", help="also require the certificate to be valid at this ISO 8601 date-time")] = None,
) -> None:
    """Exit 0 only if FILE's signature is valid and made with CERT's key; otherwise print why."""
    moment = _parse_moment(at) if at is not None else None
    try:
        certificate = x509.load_pem_x509_certificate(cert.read_bytes())
    except ValueError as exc:
        raise _fail(f"{cert} is not a PEM certificate: {exc}") from None

    def lookup(issuer: str, serial: int) -> x509.Certificate | None:
        if serial == certificate.serial_number and names_equal(certificate.issuer, issuer):
            return certificate
        return None

    try:
        signer = verify(secure_parse(file.read_bytes()), lookup)
    except DuisError as exc:  # not a message whose signature can be checked: the verdict is 'not valid'
        raise _fail(f"{file}: {_fault(exc)}", code=1) from None
    except SignatureError as exc:
        hint = ""
        if exc.reason == "unknown certificate":
            hint = (f" (--cert is issuer {certificate.issuer.rfc4514_string()}, "
                    f"serial {certificate.serial_number})")
        out.print(f"[red]INVALID[/]  {escape(str(file))}  {escape(str(exc))}{escape(hint)}")
        raise typer.Exit(1) from None
    try:
        entity = entity_id_of(signer)
    except Exception:  # noqa: BLE001 - not an SMKI Organisation Certificate: named by its subject below
        entity = None
    who = f"User/entity {entity}" if entity else signer.subject.rfc4514_string()
    if moment is not None:
        problem = _validity_problem(certificate, moment)
        if problem:
            out.print(f"[red]INVALID[/]  {escape(str(file))}  the signature is sound but the certificate is "
                      f"not valid at {moment.isoformat()}: {problem}")
            raise typer.Exit(1)
    out.print(f"[green]VALID[/]  {escape(str(file))}  signed by {escape(who)} "
              f"(serial {signer.serial_number})")
    if moment is None:
        problem = _validity_problem(certificate, datetime.now(UTC))
        if problem:
            err.print(f"[yellow]warning:[/] the signer's certificate is {problem} (the signature is checked, "
                      "not the validity period; --at DATETIME checks it)")
