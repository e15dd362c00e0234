/* SPDX-License-Identifier: MIT */
/* tcp_crr: TCP connect/request/response rate and request/response round
 * trips, netperf TCP_CRR and TCP_RR style, for the end-to-end lab (netperf
 * is not in Debian main).
 *
 *   tcp_crr -l ADDR PORT            serve: accept, send one byte, then echo
 *                                   what comes until the client goes
 *   tcp_crr -c ADDR PORT SECONDS    connect in a loop for SECONDS (TCP_CRR)
 *   tcp_crr -r ADDR PORT SECONDS    one connection, one byte back and forth
 *                                   for SECONDS (TCP_RR)
 *
 * The clients print "<count> <seconds> <per second>". Every connection and
 * every reply crosses the return path: the SYN-ACK, the server's bytes and
 * ACKs all leave the server from the address the client connected to. The
 * CRR client closes with an RST (linger 0) so that tens of thousands of
 * connections leave no TIME_WAIT behind to exhaust its ports. The server
 * serves one connection at a time and stops when its parent closes stdin
 * or after 10 minutes, whichever comes first. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("tcp_crr: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static socklen_t make_addr(struct sockaddr_storage *ss, const char *addr,
			   const char *port)
{
	struct sockaddr_in *in = (void *)ss;
	struct sockaddr_in6 *in6 = (void *)ss;
	int p = atoi(port);

	memset(ss, 0, sizeof(*ss));
	if (p <= 0 || p > 65535)
		die("bad port %s", port);
	if (inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)p);
		return sizeof(*in);
	}
	if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)p);
		return sizeof(*in6);
	}
	die("bad address %s", addr);
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The greeting byte, then an echo until EOF or a reset; a client that has
 * gone is not an error. */
static void echo(int c)
{
	char buf[256];
	ssize_t n;

	if (write(c, "x", 1) != 1)
		return;
	while ((n = read(c, buf, sizeof(buf))) > 0)
		if (write(c, buf, (size_t)n) != n)
			return;
}

static int serve(const struct sockaddr_storage *ss, socklen_t len)
{
	struct pollfd p[2];
	double end = now() + 600;
	int one = 1, s;

	s = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(s, (const struct sockaddr *)ss, len) || listen(s, 1024))
		die("listen: %s", strerror(errno));
	printf("listening\n");
	fflush(stdout);
	p[0] = (struct pollfd){ .fd = s, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = 0, .events = POLLIN };
	while (now() < end) {
		if (poll(p, 2, 1000) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		if (p[1].revents)
			break;          /* stdin closed: the bench is done */
		if (p[0].revents & POLLIN) {
			int c = accept4(s, NULL, NULL, SOCK_CLOEXEC);

			if (c < 0)
				continue;
			echo(c);
			close(c);
		}
	}
	return 0;
}

static int connect_to(const struct sockaddr_storage *ss, socklen_t len)
{
	int one = 1, s;
	char b;

	s = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		die("socket: %s", strerror(errno));
	if (connect(s, (const struct sockaddr *)ss, len))
		die("connect: %s", strerror(errno));
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (read(s, &b, 1) != 1)
		die("no greeting from the server");
	return s;
}

static int client(const struct sockaddr_storage *ss, socklen_t len,
		  double seconds)
{
	struct linger rst = { .l_onoff = 1, .l_linger = 0 };
	double t0 = now(), t;
	long n = 0;

	do {
		int s = connect_to(ss, len);

		setsockopt(s, SOL_SOCKET, SO_LINGER, &rst, sizeof(rst));
		close(s);
		n++;
		t = now() - t0;
	} while (t < seconds);
	printf("%ld %.3f %.1f\n", n, t, n / t);
	return 0;
}

static int request_response(const struct sockaddr_storage *ss, socklen_t len,
			    double seconds)
{
	int s = connect_to(ss, len);
	double t0 = now(), t;
	long n = 0;
	char b = 'r';

	do {
		if (write(s, &b, 1) != 1 || read(s, &b, 1) != 1)
			die("the server went away");
		n++;
		t = now() - t0;
	} while (t < seconds);
	close(s);
	printf("%ld %.3f %.1f\n", n, t, n / t);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (argc == 4 && !strcmp(argv[1], "-l")) {
		len = make_addr(&ss, argv[2], argv[3]);
		return serve(&ss, len);
	}
	if (argc == 5 && (!strcmp(argv[1], "-c") || !strcmp(argv[1], "-r"))) {
		double secs = atof(argv[4]);

		if (secs <= 0 || secs > 600)
			die("bad duration %s", argv[4]);
		len = make_addr(&ss, argv[2], argv[3]);
		if (argv[1][1] == 'r')
			return request_response(&ss, len, secs);
		return client(&ss, len, secs);
	}
	fputs("usage: tcp_crr -l ADDR PORT | tcp_crr -c|-r ADDR PORT SECONDS\n",
	      stderr);
	return 2;
}
