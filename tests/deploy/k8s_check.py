#!/usr/bin/env python3
"""Checks deploy/kubernetes/*.yaml against what tcsteer needs in a pod
(docs/deploy.md): an init container running `tcsteer apply` on a
ConfigMap's file, NET_ADMIN and SYS_ADMIN (or BPF), the host's /sys/fs/bpf
as a hostPath volume mounted on /sys/fs/bpf, hostNetwork for the node's
DaemonSet and the pod's own namespace for the pod form. One "ok - " /
"not ok - " line per check; exit 1 if any failed.

usage: k8s_check.py DIR
"""

import sys

import yaml

FAILS = 0


def check(desc, cond, why=""):
    global FAILS
    if cond:
        print(f"ok - {desc}")
    else:
        FAILS += 1
        print(f"not ok - {desc}{': ' + why if why else ''}")
    return cond


def load(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d]


def pod_spec(doc):
    if doc["kind"] == "Pod":
        return doc.get("spec") or {}
    return ((doc.get("spec") or {}).get("template") or {}).get("spec") or {}


def check_tcsteer_pod(name, spec, configmaps):
    inits = spec.get("initContainers") or []
    ts = [c for c in inits if (c.get("args") or [])[:1] == ["apply"]]
    if not check(f"{name}: an init container runs tcsteer apply", len(ts) == 1,
                 f"initContainers {[c.get('name') for c in inits]}"):
        return
    c = ts[0]
    conf = c["args"][1] if len(c["args"]) > 1 else ""
    check(f"{name}: it applies a file under /etc/tcsteer", conf.startswith("/etc/tcsteer/"))
    caps = set((((c.get("securityContext") or {}).get("capabilities") or {})
                .get("add")) or [])
    check(f"{name}: capabilities NET_ADMIN and SYS_ADMIN or BPF",
          "NET_ADMIN" in caps and bool({"SYS_ADMIN", "BPF"} & caps), f"add {sorted(caps)}")
    check(f"{name}: not privileged",
          not (c.get("securityContext") or {}).get("privileged"))
    vols = {v["name"]: v for v in spec.get("volumes") or []}
    mounts = {m["mountPath"]: m for m in c.get("volumeMounts") or []}
    bpf = mounts.get("/sys/fs/bpf")
    hp = (vols.get(bpf["name"], {}) if bpf else {}).get("hostPath") or {}
    check(f"{name}: the host's /sys/fs/bpf (hostPath) on /sys/fs/bpf",
          hp.get("path") == "/sys/fs/bpf" and not bpf.get("readOnly"), f"mounts {sorted(mounts)}")
    cfg = mounts.get("/etc/tcsteer")
    cm = ((vols.get(cfg["name"], {}) if cfg else {}).get("configMap") or {}).get("name")
    check(f"{name}: /etc/tcsteer from a ConfigMap of the same file",
          cm in configmaps, f"configMap {cm!r}, have {sorted(configmaps)}")
    if cm in configmaps:
        key = conf.rsplit("/", 1)[-1]
        text = (configmaps[cm].get("data") or {}).get(key, "")
        check(f"{name}: the ConfigMap holds {key} with an attach line",
              any(line.split()[:1] == ["attach"] for line in text.splitlines()))
    check(f"{name}: a container keeps the pod running", len(spec.get("containers") or []) >= 1)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[-1])
    d = sys.argv[1]
    node = load(f"{d}/tcsteer-node.yaml")
    pod = load(f"{d}/tcsteer-pod-init.yaml")
    for docs in (node, pod):
        for doc in docs:
            check(f"{doc.get('kind')} {doc.get('metadata', {}).get('name')}: apiVersion and kind",
                  bool(doc.get("apiVersion")) and bool(doc.get("kind")))

    cms = {x["metadata"]["name"]: x for x in node if x["kind"] == "ConfigMap"}
    ds = [x for x in node if x["kind"] == "DaemonSet"]
    if check("tcsteer-node.yaml has a DaemonSet", len(ds) == 1):
        spec = pod_spec(ds[0])
        check("DaemonSet: hostNetwork (the node's own namespace)", spec.get("hostNetwork") is True)
        sel = ((ds[0]["spec"].get("selector") or {}).get("matchLabels")) or {}
        labels = ((ds[0]["spec"]["template"].get("metadata") or {}).get("labels")) or {}
        check("DaemonSet: the selector matches the template's labels",
              bool(sel) and all(labels.get(k) == v for k, v in sel.items()))
        check("DaemonSet: tolerates every taint (runs on every node)",
              any(t.get("operator") == "Exists" and not t.get("key")
                  for t in spec.get("tolerations") or []))
        check_tcsteer_pod("DaemonSet", spec, cms)

    cms = {x["metadata"]["name"]: x for x in pod if x["kind"] == "ConfigMap"}
    pods = [x for x in pod if x["kind"] == "Pod"]
    if check("tcsteer-pod-init.yaml has a Pod", len(pods) == 1):
        spec = pod_spec(pods[0])
        check("Pod: its own network namespace (no hostNetwork)", not spec.get("hostNetwork"))
        check_tcsteer_pod("Pod", spec, cms)
    print(f"k8s_check: {FAILS} failed")
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
