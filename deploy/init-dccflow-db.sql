-- dccflow's own database (the DCC's SMI, registration data, SMKI repository, request log; the fleet; the
-- Users' outboxes and inboxes), beside Temporal's.
CREATE USER dccflow WITH PASSWORD 'dccflow';
CREATE DATABASE dccflow OWNER dccflow;
