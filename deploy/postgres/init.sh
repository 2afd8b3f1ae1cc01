#!/usr/bin/env bash
# Create one login role and one database per service on the shared PostgreSQL
# server. The official postgres image runs every script in
# /docker-entrypoint-initdb.d once, when it initialises an empty data
# directory. Remove the data volume to run it again.
#
# Each role owns its database and is the only role, superusers aside, that may
# connect to it, so no service can read another service's data. The passwords come from the
# environment that docker-compose.yml gives the postgres container.
set -euo pipefail

# psql's :'name' substitution quotes each password as an SQL literal.
psql --no-psqlrc -v ON_ERROR_STOP=1 \
    --username "${POSTGRES_USER:-postgres}" \
    --dbname "${POSTGRES_DB:-${POSTGRES_USER:-postgres}}" \
    --set=users_password="$USERS_DB_PASSWORD" \
    --set=purchases_password="$PURCHASES_DB_PASSWORD" \
    --set=analytics_password="$ANALYTICS_DB_PASSWORD" <<'SQL'
CREATE ROLE users LOGIN PASSWORD :'users_password';
CREATE ROLE purchases LOGIN PASSWORD :'purchases_password';
CREATE ROLE analytics LOGIN PASSWORD :'analytics_password';

CREATE DATABASE users OWNER users;
CREATE DATABASE purchases OWNER purchases;
CREATE DATABASE analytics OWNER analytics;

-- A new database grants CONNECT and TEMPORARY to PUBLIC, that is to every
-- role on the server. Take both away and give CONNECT back to the owner only.
REVOKE CONNECT, TEMPORARY ON DATABASE users FROM PUBLIC;
REVOKE CONNECT, TEMPORARY ON DATABASE purchases FROM PUBLIC;
REVOKE CONNECT, TEMPORARY ON DATABASE analytics FROM PUBLIC;

GRANT CONNECT, TEMPORARY ON DATABASE users TO users;
GRANT CONNECT, TEMPORARY ON DATABASE purchases TO purchases;
GRANT CONNECT, TEMPORARY ON DATABASE analytics TO analytics;

-- The service roles have no business in the maintenance database or the
-- template either. Superusers keep access to both.
REVOKE CONNECT, TEMPORARY ON DATABASE postgres FROM PUBLIC;
REVOKE CONNECT, TEMPORARY ON DATABASE template1 FROM PUBLIC;
SQL
