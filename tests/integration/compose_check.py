#!/usr/bin/env python3
"""Checks that compose/docker-compose.yml and compose/Dockerfile describe the
same lab as compose/topology.env (which netns-lab.sh and server-init.sh
read): same subnets, addresses, VIPs, next hops and routes; and that the
file keeps to what Debian 12's docker-compose 1.29 and docker.io 20.10 can
run (tests/deploy/compose.sh runs it for real). This reads the files; it
prints one TAP-ish line per check and exits 1 if any fails.

usage: compose_check.py COMPOSE_DIR
"""

import ipaddress
import re
import sys

import yaml


class Checker:
    def __init__(self):
        self.failures = 0

    def check(self, desc, cond, why=""):
        if cond:
            print(f"ok - {desc}")
        else:
            self.failures += 1
            print(f"not ok - {desc}{': ' + why if why else ''}")
        return cond

    def equal(self, desc, got, want):
        return self.check(desc, got == want, f"got {got!r}, want {want!r}")


def read_env(path):
    """KEY=value lines; '#' comments and blank lines ignored."""
    env = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            m = re.fullmatch(r"([A-Z][A-Z0-9_]*)=(\S+)", line)
            if not m:
                sys.exit(f"{path}:{n}: not a KEY=value line: {line}")
            env[m.group(1)] = m.group(2)
    return env


def same_ip(a, b):
    try:
        return ipaddress.ip_address(a) == ipaddress.ip_address(b)
    except ValueError:
        return False


def same_net(a, b):
    try:
        return ipaddress.ip_network(a) == ipaddress.ip_network(b)
    except ValueError:
        return False


def command_text(svc):
    cmd = svc.get("command", "")
    return " ".join(cmd) if isinstance(cmd, list) else str(cmd)


# network name in the compose file -> topology.env prefix of its subnets
NETWORKS = {"primary": "PRIMARY", "secondary": "SECONDARY", "client": "CLIENT"}

# service -> {network: topology.env prefix of its (v4, v6) addresses}
ATTACHMENTS = {
    "server": {"primary": "SERVER_PRIMARY", "secondary": "SERVER_SECONDARY"},
    "gateway": {"primary": "GATEWAY"},
    "router": {"secondary": "ROUTER_SECONDARY", "client": "ROUTER_CLIENT"},
    "client": {"client": "CLIENT"},
}

# service -> routes its command must add: (destination, next hop) env keys
ROUTES = {
    "router": [("VIP4", "/32", "SERVER_SECONDARY4"),
               ("VIP6", "/128", "SERVER_SECONDARY6")],
    "client": [("VIP4", "/32", "ROUTER_CLIENT4"),
               ("VIP6", "/128", "ROUTER_CLIENT6")],
}

FORWARDING = ("net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding")


def check_networks(c, env, compose):
    nets = compose.get("networks") or {}
    used = set()
    for attach in ATTACHMENTS.values():
        for key in attach.values():
            used.update((env[key + "4"], env[key + "6"]))
    for name, key in NETWORKS.items():
        net = nets.get(name)
        if not c.check(f"network {name} exists", isinstance(net, dict)):
            continue
        c.equal(f"network {name} has IPv6", net.get("enable_ipv6"), True)
        configs = ((net.get("ipam") or {}).get("config")) or []
        subnets = [cfg.get("subnet", "") for cfg in configs]
        for fam in ("4", "6"):
            want = env[f"{key}_NET{fam}"]
            c.check(f"network {name} subnet {want}",
                    any(same_net(s, want) for s in subnets), f"has {subnets}")
        for cfg in configs:
            gw = cfg.get("gateway")
            c.check(f"network {name}: Docker's gateway {gw} is no lab address",
                    gw is not None and not any(same_ip(gw, a) for a in used),
                    "Docker's bridge would take a lab address")


def check_addresses(c, env, services):
    for svc_name, attach in ATTACHMENTS.items():
        svc = services.get(svc_name)
        if not c.check(f"service {svc_name} exists", isinstance(svc, dict)):
            continue
        nets = svc.get("networks") or {}
        c.equal(f"{svc_name} networks", sorted(nets), sorted(attach))
        for net, key in attach.items():
            got = nets.get(net) or {}
            for fam, field in (("4", "ipv4_address"), ("6", "ipv6_address")):
                want = env[key + fam]
                c.check(f"{svc_name} on {net}: {field} {want}",
                        same_ip(got.get(field, ""), want),
                        f"got {got.get(field)!r}")


def check_routes(c, env, services):
    for svc_name, routes in ROUTES.items():
        text = command_text(services.get(svc_name) or {})
        for dst, plen, via in routes:
            fam = "-6 " if dst.endswith("6") else ""
            want = f"ip {fam}route replace {env[dst]}{plen} via {env[via]}"
            c.check(f"{svc_name} routes {env[dst]}{plen} via {env[via]}",
                    want in text, f"no '{want}' in its command")


def check_forwarding(c, services):
    for svc_name in ("router", "gateway"):
        sysctls = (services.get(svc_name) or {}).get("sysctls") or {}
        if isinstance(sysctls, list):
            sysctls = dict(s.split("=", 1) for s in sysctls)
        for key in FORWARDING:
            c.equal(f"{svc_name} forwards ({key})",
                    str(sysctls.get(key, "")), "1")


def check_gateway(c, env, services):
    text = command_text(services.get("gateway") or {})
    c.check("gateway has no route to the client network",
            env["CLIENT_NET4"].split("/")[0] not in text
            and env["CLIENT_NET6"].split("/")[0] not in text)


def check_server(c, services):
    svc = services.get("server") or {}
    caps = set(svc.get("cap_add") or [])
    c.check("server may use bpf() and tc (NET_ADMIN and SYS_ADMIN or BPF)",
            "NET_ADMIN" in caps and bool({"SYS_ADMIN", "BPF"} & caps),
            f"cap_add {sorted(caps)}")
    c.check("server runs server-init.sh",
            "/opt/tcsteer/server-init.sh" in command_text(svc))


def check_engine(c, compose, services):
    """What docker-compose 1.29 on docker.io 20.10 refuses or breaks."""
    c.check("no top-level name: (docker-compose 1.29 rejects it)",
            "name" not in compose)
    for svc_name, svc in services.items():
        c.check(f"{svc_name} is not privileged (needs CAP_SYS_RESOURCE)",
                svc.get("privileged") is not True)
    for name, net in (compose.get("networks") or {}).items():
        c.check(f"network {name} is not internal (Docker's rules would "
                "drop the VIPs' IPv4 with bridge-nf-call-iptables)",
                not (net or {}).get("internal"))
    for svc_name in ATTACHMENTS:
        svc = services.get(svc_name) or {}
        text = command_text(svc)
        if svc_name == "server":
            text = "node-init.sh"  # sourced by server-init.sh
        c.check(f"{svc_name} replaces Docker's default routes (node-init.sh)",
                "node-init.sh" in text)


def check_build(c, compose_dir, services):
    for svc_name, svc in services.items():
        build = svc.get("build") or {}
        c.equal(f"{svc_name} builds from the repository root",
                (build.get("context"), build.get("dockerfile")),
                ("..", "compose/Dockerfile"))
    with open(f"{compose_dir}/Dockerfile", encoding="utf-8") as f:
        docker = f.read()
    froms = re.findall(r"^FROM\s+(\S+)", docker, re.M)
    c.check("Dockerfile builds on the local Debian 12 base image",
            froms == ["tcsteer-lab-base:bookworm"], f"FROM {froms}")
    with open(f"{compose_dir}/base-image.sh", encoding="utf-8") as f:
        base = f.read()
    c.check("base-image.sh makes it with debootstrap bookworm",
            re.search(r"debootstrap --variant=minbase .*bookworm", base)
            and "docker import" in base)
    c.check("Dockerfile installs with apt only",
            not re.search(r"\b(curl|wget|pip3?|go (get|install)|npm)\b", docker))
    c.check("Dockerfile copies the host-built tcsteer",
            re.search(r"^COPY \$\{TCSTEER_BIN\} /usr/local/sbin/tcsteer$",
                      docker, re.M) is not None)
    copies = [line for line in re.sub(r"\\\n", " ", docker).splitlines()
              if re.match(r"COPY\s", line) and "/opt/tcsteer/" in line]
    for script in ("topology.env", "steer-commands.sh", "probes.sh",
                   "server-init.sh", "node-init.sh"):
        c.check(f"image has /opt/tcsteer/{script}",
                any(f"compose/{script}" in line.split() for line in copies))


def check_dockerignore(c, compose_dir):
    """The legacy builder reads only the context root's .dockerignore."""
    try:
        with open(f"{compose_dir}/../.dockerignore", encoding="utf-8") as f:
            rules = [line.strip() for line in f
                     if line.strip() and not line.startswith("#")]
    except OSError:
        rules = []
    c.check("a root .dockerignore keeps the context to what the image copies",
            rules[:1] == ["*"] and "!build/tcsteer" in rules
            and "!compose/*.sh" in rules and "!compose/topology.env" in rules,
            f"rules {rules}")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[-1])
    compose_dir = sys.argv[1]
    env = read_env(f"{compose_dir}/topology.env")
    c = Checker()
    try:
        with open(f"{compose_dir}/docker-compose.yml", encoding="utf-8") as f:
            compose = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        c.check("docker-compose.yml parses", False, " ".join(str(e).split()))
        return 1
    if not c.check("docker-compose.yml is a mapping with services",
                   isinstance(compose, dict)
                   and isinstance(compose.get("services"), dict)):
        return 1
    services = compose["services"]
    check_networks(c, env, compose)
    check_addresses(c, env, services)
    check_routes(c, env, services)
    check_forwarding(c, services)
    check_gateway(c, env, services)
    check_server(c, services)
    check_engine(c, compose, services)
    check_build(c, compose_dir, services)
    check_dockerignore(c, compose_dir)
    print(f"compose_check.py: {c.failures} failed")
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
