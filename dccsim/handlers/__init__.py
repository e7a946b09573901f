"""One handler per Service Reference Variant the simulated DCC processes; ``dccsim.handler_registry`` holds them
by SRV. This ``__init__`` imports nothing, so that the modules the handlers share (``dccsim.eligibility``,
``dccsim.schedules``…) can import ``dccsim.handlers.base`` without importing every handler back."""
