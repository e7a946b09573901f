# dccflow worker image: the User side, the simulated DCC and the simulated fleet, against a Temporal cluster.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md worker.py ./
COPY dccflow ./dccflow
COPY workflows ./workflows
COPY activities ./activities
COPY devices ./devices
COPY dccsim ./dccsim
COPY bpmn ./bpmn
# the DUIS 5.4 schema is read from DCCFLOW_DUIS_SCHEMA_DIR (mounted from ../shared/duis/schema by compose)
RUN pip install --no-cache-dir '.[postgres]'
CMD ["python", "worker.py"]
