# shellcheck shell=sh
# Sourced first by every service of the Docker lab (docker-compose.yml):
# makes the container's network the lab's own, then returns.
#
# Docker gives each container a default route via its network's gateway,
# the host's bridge (.254 / ::fe in docker-compose.yml). Through it the
# host would carry every reply by itself (it has a route to each lab net),
# and the asymmetric return path would not show: so those routes go, and
# each service adds only the lab's (topology.env). Then it waits until no
# IPv6 address is tentative (duplicate address detection), so that the
# first probe does not race it.

while ip route del default 2>/dev/null; do :; done
while ip -6 route del default 2>/dev/null; do :; done

node_init_wait=0
while ip -6 addr show | grep -q tentative; do
	node_init_wait=$((node_init_wait + 1))
	if [ "$node_init_wait" -gt 100 ]; then
		echo "node-init: IPv6 addresses still tentative after 10 s" >&2
		break
	fi
	sleep 0.1
done
unset node_init_wait
