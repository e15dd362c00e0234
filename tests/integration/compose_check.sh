#!/usr/bin/env bash
# The Docker lab must describe the netns lab: compose_check.py compares
# docker-compose.yml and the Dockerfile with compose/topology.env; this
# script also checks that the scripts of both labs take every address from
# topology.env and run the same tcsteer commands. Needs neither root nor
# Docker (where docker-compose or compose v2 is installed, its `config`
# must accept the file too).
set -euo pipefail
SRC=${TCSTEER_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
COMPOSE=$SRC/compose
FAILS=0

ok()   { echo "ok - $*"; }
fail() { FAILS=$((FAILS + 1)); echo "not ok - $*"; }

python3 "$(dirname "$0")/compose_check.py" "$COMPOSE" || FAILS=$((FAILS + 1))

# Hard-coded lab addresses in a script would silently drift from topology.env.
addr_re='10\.111\.22[0-2]\.|fd00:22[0-2]:|192\.168\.1\.5|fd00:5::'
for f in netns-lab.sh server-init.sh node-init.sh probes.sh steer-commands.sh demo.sh; do
	if [ ! -f "$COMPOSE/$f" ]; then
		fail "$f is missing"
	elif hits=$(grep -nE "$addr_re" "$COMPOSE/$f" | grep -v '^[0-9]*:#'); then
		fail "$f hard-codes lab addresses: $hits"
	else
		ok "$f takes its addresses from topology.env"
	fi
done

# Both labs steer with the same commands, and those are the expected ones.
# shellcheck source=/dev/null
. "$COMPOSE/topology.env"
netns_cmds=$(bash "$COMPOSE/netns-lab.sh" commands)
docker_cmds=$(bash "$COMPOSE/server-init.sh" --print-commands)
if [ "$netns_cmds" = "$docker_cmds" ]; then
	ok "netns-lab.sh and server-init.sh run the same tcsteer commands"
else
	fail "tcsteer commands differ: netns [$netns_cmds] docker [$docker_cmds]"
fi
expected="attach dev $SERVER_PRIMARY_IF egress
route add $VIP4/32 via $ROUTER_SECONDARY4 dev $SERVER_SECONDARY_IF table $SERVER_PRIMARY_IF
route add $VIP6/128 via $ROUTER_SECONDARY6 dev $SERVER_SECONDARY_IF table $SERVER_PRIMARY_IF"
if [ "$netns_cmds" = "$expected" ]; then
	ok "the lab attaches to $SERVER_PRIMARY_IF and routes both VIPs via the router"
else
	fail "unexpected tcsteer commands: [$netns_cmds]"
fi

# The engines' own parsers, where they are installed (neither needs a
# daemon): docker-compose 1.29 (Debian 12) and compose v2.
if command -v docker-compose >/dev/null; then
	if out=$(docker-compose -f "$COMPOSE/docker-compose.yml" config -q 2>&1); then
		ok "docker-compose $(docker-compose version --short 2>/dev/null) config accepts the file"
	else
		fail "docker-compose config rejects the file: $out"
	fi
else
	echo "ok - # SKIP docker-compose config: not installed"
fi
if command -v docker >/dev/null && docker compose version >/dev/null 2>&1; then
	if out=$(docker compose -f "$COMPOSE/docker-compose.yml" config -q 2>&1); then
		ok "docker compose (v2) config accepts the file"
	else
		fail "docker compose config rejects the file: $out"
	fi
else
	echo "ok - # SKIP docker compose config: no compose v2"
fi

echo "compose_check: $FAILS failed"
[ "$FAILS" = 0 ]
