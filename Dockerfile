# dccflow worker image: the User side, the simulated DCC and the simulated fleet, against a Temporal cluster
# (docker-compose.yml). Not in the image:
# - the DUIS 5.4 schema (the DCC's material, outside the build context): mount a folder holding duis-5.4.xsd,
#   mmc-5.4.xsd and xmldsig-core-schema.xsd at /duis/schema, as docker-compose.yml does;
# - the embedded Temporal servers (the `embedded` extra): the workers use the cluster's.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# the workers run as an unprivileged user who owns only the data folder (the codec key when
# DCCFLOW_CODEC_KEY is unset, SQLite when DCCFLOW_DATABASE_URL is unset)
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/dccflow --create-home --shell /usr/sbin/nologin dccflow

WORKDIR /app
COPY pyproject.toml README.md worker.py ./
COPY bpmn ./bpmn
COPY dccflow ./dccflow
COPY dccflow_app ./dccflow_app
COPY dccsim ./dccsim
COPY devices ./devices
COPY workflows ./workflows
COPY activities ./activities
# the project itself, from the build context; its dependencies' version ranges are in pyproject.toml
# hadolint ignore=DL3013
RUN pip install --no-cache-dir '.[postgres]'

USER 10001:10001
ENV DCCFLOW_DUIS_SCHEMA_DIR=/duis/schema \
    DCCFLOW_DATA_DIR=/var/lib/dccflow

# healthy while this container's workers poll dccflow's task queues on DCCFLOW_TEMPORAL_ADDRESS and the schema loads
HEALTHCHECK --interval=30s --timeout=30s --start-period=60s --retries=3 \
    CMD ["dccflow", "doctor", "--workers-here"]

CMD ["python", "-m", "worker"]
