FROM python:3.11-slim-bookworm
RUN pip install --no-cache-dir fastapi==0.115.0 uvicorn==0.30.6
WORKDIR /src
