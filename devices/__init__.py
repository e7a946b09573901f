"""The simulated fleet of smart metering devices behind the DCC's SM WAN.

Contract for the DCC side (details in the module docstrings named):

* Commands: ``SmWan.dispatch_command(GbcsCommand, at, reply_to=None) -> WanDelivery`` (``devices.wan``):
  'responded' with the device's GbcsResponse, 'undeliverable' (CH off the SM WAN), or 'in-transit' (slow WAN:
  the response is signalled later to ``reply_to``). ``deliver_command`` is the synchronous form.
* Signatures: ``GbcsCommand.signature`` (``dccflow.messages.CommandSignature``) over
  ``GbcsCommand.signed_payload()``; which cell must have signed what is ``devices.catalogue.SIGNED_BY`` and,
  for CS02b, ``ENTITLED_TO_REPLACE``. ``devices.signing.sign_command`` produces one.
* Anti-replay: ``GbcsCommand.counter`` (or the RequestID counter) must exceed the last one the device accepted
  from that originator; the same command again gets the same outcome (a retransmission, not a replay).
* Use cases and their params: ``devices.han`` (CCS01/CCS02, CS03A1/A2/B/C, CS04AC/B, CS07), ``devices.meter``
  (ECS70/GCS28, ECS39a/GCS41, ECS42-45/GCS32/33/39, CS08/ECS52/GCS38), ``devices.security`` (CS02b/c/d),
  ``devices.firmware`` (UpdateFirmware, CS06), ``devices.hub`` (DBCH01/03/04), ``devices.restore`` (CCS03, GCS59).
* Device → DCC: ``receive_device_alert(DeviceAlertEvent)``; optionally ``on_chf_power_event(PowerEvent)``.
"""
