{% include "apps/openedx/settings/partials/common.py" %}
SITE_NAME = "{{ LMS_HOST }}"
SESSION_COOKIE_DOMAIN = ".{{ LMS_HOST|common_domain(CMS_HOST) }}"
OAUTH_ISSUER = "{{ LMS_HOST|reverse_host }}"
{{ patch("openedx-lms-common-settings") }}
