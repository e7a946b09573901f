"""Firmware facts the scenarios, the campaign commands and the workflows share, without any cryptography (the
workflow sandbox imports this; ``dccflow.firmware_image`` makes and signs the images themselves)."""

from __future__ import annotations

#: the largest Manufacturer Image the simulation makes (octets): the signed package crosses Temporal in base64 as an
#: activity's result and input, which must stay within Temporal's 2 MB payload limit. An image over the DCC's
#: 750 KiB (N20, ``dccsim.handlers.firmware.FIRMWARE_IMAGE_LIMIT``) still fits, so that refusal can be rehearsed.
MAX_SIMULATED_IMAGE = 1024 * 1024
