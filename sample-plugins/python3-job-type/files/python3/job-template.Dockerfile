FROM {{ base_image }}
LABEL racetrack.job="{{ manifest.name }}" racetrack.owner="{{ manifest.owner_email }}"
{% for name, value in env_vars|items -%}
ENV {{ name }}="{{ value }}"
{% endfor -%}
COPY {{ manifest.git_directory or "." }}/requirements.txt /src/requirements.txt
RUN pip install --no-cache-dir -r /src/requirements.txt
COPY {{ manifest.git_directory or "." }}/ /src/job/
CMD ["uvicorn", "job.main:app", "--host", "0.0.0.0", "--port", "7000"]
