#!/usr/bin/env bash
# The Docker lab (compose/) run exactly as compose/README.md says, with
# Debian 12's docker-compose 1.29 on docker.io 20.10: the base image
# (compose/base-image.sh), `up -d --build`, the client's probes (ping and
# TCP, IPv4 and IPv6) steered by the server's one-shot init, broken after
# `server-init.sh unfix`, steered again after `fix`, broken again, `down`.
# The project is named $DEP_ID (COMPOSE_PROJECT_NAME) so that its
# containers and networks are this run's own.
. "$(dirname "$0")/lib.sh"
need_root
need_tcsteer
need_packages docker.io docker-compose debootstrap
[ -x "$DEP_SRC/build/tcsteer" ] ||
	skip "the lab's image copies build/tcsteer: build into build/ first"
docker_up
export COMPOSE_PROJECT_NAME=$DEP_ID
cd "$DEP_SRC" || exit 1
compose() { docker-compose -f compose/docker-compose.yml "$@"; }

# A lab left by an earlier run holds the lab's subnets: Docker would refuse
# to make them again.
for net in $(docker network ls --format '{{.Name}}' | grep -E '^tsdep[0-9]+_(primary|secondary|client)$' || true); do
	p=${net%_*}
	note "removing the lab of an earlier run ($p)"
	COMPOSE_PROJECT_NAME=$p docker-compose -f compose/docker-compose.yml down -t 1 >/dev/null 2>&1 || true
done

check "compose/base-image.sh (debootstrap minbase bookworm, docker import)" base_image
at_exit 'compose down -t 1 >/dev/null 2>&1; docker image prune -f --filter label=org.tcsteer.lab=1 >/dev/null 2>&1'
if out=$(compose up -d --build 2>&1); then
	ok "docker-compose -f compose/docker-compose.yml up -d --build"
else
	fail "docker-compose up -d --build: $(tail -n 3 <<<"$out" | tr '\n' '|')"
	done_testing
	exit
fi

# expect WHAT OK|FAIL: probes.sh in the client, one line per probe.
expect() {
	local what=$1 want=$2 line got
	while read -r got line; do
		case $got in OK|FAIL) ;; *) continue ;; esac
		if [ "$got" = "$want" ]; then
			ok "$what: $got $line"
		else
			fail "$what: $got $line (expected $want)"
		fi
	done < <(compose exec -T client /opt/tcsteer/probes.sh 2>&1 || true)
}
steer() {
	local out
	out=$(compose exec -T server /opt/tcsteer/server-init.sh "$1" 2>&1) ||
		{ echo "$out"; return 1; }
}

expect "steered by the server's init" OK
check "server-init.sh unfix (route del, detach)" steer unfix
expect "unfixed" FAIL
check "server-init.sh fix (attach, route add)" steer fix
expect "fixed again" OK
check "server-init.sh unfix" steer unfix
expect "unfixed again" FAIL
compose logs --no-color server 2>&1 | sed -n 's/^[^|]*| /# server: /p' | head -n 20
down() { compose down -t 1 >/dev/null 2>&1; }
check "docker-compose down" down
done_testing
