"""dccflow: GB smart metering business processes as durable Temporal workflows."""
