#!/bin/sh
# One database and one login role per Synergia service, on a fresh PostgreSQL server.
# Run once by the postgres image's entrypoint (/docker-entrypoint-initdb.d/), both in
# docker-compose.yml and in the Kubernetes dev overlay.
#
#   SYNERGIA_SERVICES       the services, e.g. "registry matching funding"
#   <SERVICE>_DB_PASSWORD   the password of the role synergia_<service>
#
# Each service gets database synergia_<service> owned by role synergia_<service> (the
# name the services derive from DATABASE_URL), and nobody else may connect to it.
set -e  # not -u: the postgres entrypoint sources non-executable init scripts

for service in ${SYNERGIA_SERVICES:?set SYNERGIA_SERVICES}; do
    upper=$(printf '%s' "$service" | tr '[:lower:]' '[:upper:]')
    eval "password=\${${upper}_DB_PASSWORD:?set ${upper}_DB_PASSWORD}"
    echo "init-databases: database and role synergia_${service}"
    psql --set ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" \
        --dbname postgres --set role="synergia_${service}" --set password="$password" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"role" OWNER :"role";
REVOKE ALL ON DATABASE :"role" FROM PUBLIC;
SQL
done
