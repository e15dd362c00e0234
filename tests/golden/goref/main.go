// goref: the reference loader tcsteer must match byte for byte on the wire.
//
// It does what the problem statement's Go tool does and nothing more:
// cilium/ebpf loads the object, vishvananda/netlink replaces the clsact qdisc
// and then the cls_bpf direct-action filter (handle 1, ETH_P_ALL, prio 0).
// byte_test.sh runs it under strace and compares its RTM_NEWQDISC and
// RTM_NEWTFILTER messages with tcsteer's.
//
// Usage: goref DEV OBJECT FUNC [ingress|egress]
package main

import (
	"fmt"
	"os"

	"github.com/cilium/ebpf"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

func die(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "goref: "+format+"\n", args...)
	os.Exit(1)
}

// parentFor maps the hook name to the clsact minor tcsteer uses too.
func parentFor(hook string) uint32 {
	switch hook {
	case "", "egress":
		return netlink.HANDLE_MIN_EGRESS
	case "ingress":
		return netlink.HANDLE_MIN_INGRESS
	}
	die("unknown hook %q (want egress or ingress)", hook)
	return 0
}

func main() {
	if len(os.Args) < 4 || len(os.Args) > 5 {
		die("usage: goref DEV OBJECT FUNC [ingress|egress]")
	}
	dev, object, function := os.Args[1], os.Args[2], os.Args[3]
	hook := ""
	if len(os.Args) == 5 {
		hook = os.Args[4]
	}
	parent := parentFor(hook)

	spec, err := ebpf.LoadCollectionSpec(object)
	if err != nil {
		die("%s: %v", object, err)
	}
	coll, err := ebpf.NewCollection(spec)
	if err != nil {
		die("%s: load: %v", object, err)
	}
	defer coll.Close()
	prog, ok := coll.Programs[function]
	if !ok {
		die("%s: no program %q", object, function)
	}

	link, err := netlink.LinkByName(dev)
	if err != nil {
		die("%s: %v", dev, err)
	}
	ifindex := link.Attrs().Index

	qdisc := &netlink.GenericQdisc{
		QdiscAttrs: netlink.QdiscAttrs{
			LinkIndex: ifindex,
			Handle:    netlink.MakeHandle(0xffff, 0),
			Parent:    netlink.HANDLE_CLSACT,
		},
		QdiscType: "clsact",
	}
	if err := netlink.QdiscReplace(qdisc); err != nil {
		die("%s: clsact: %v", dev, err)
	}

	filter := &netlink.BpfFilter{
		FilterAttrs: netlink.FilterAttrs{
			LinkIndex: ifindex,
			Parent:    parent,
			Handle:    1,
			Protocol:  unix.ETH_P_ALL,
		},
		Fd:           prog.FD(),
		Name:         prog.String(),
		DirectAction: true,
	}
	if err := netlink.FilterReplace(filter); err != nil {
		die("%s: filter: %v", dev, err)
	}
}
