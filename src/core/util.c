/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/cleanup.h"
#include "core/util.h"

void hex_encode(const uint8_t *buf, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[buf[i] >> 4];
		out[2 * i + 1] = digits[buf[i] & 0xf];
	}
	out[2 * len] = '\0';
}

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int hex_decode(const char *s, size_t slen, uint8_t *out, size_t outmax, size_t *ret_len)
{
	if (slen % 2)
		return -EINVAL;
	if (slen / 2 > outmax)
		return -E2BIG;
	for (size_t i = 0; i < slen; i += 2) {
		int hi = hex_val(s[i]), lo = hex_val(s[i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	*ret_len = slen / 2;
	return 0;
}

char *b64_encode(const uint8_t *buf, size_t len)
{
	size_t n = 4 * ((len + 2) / 3) + 1;
	char *out;

	if (len > INT_MAX / 2)
		return NULL;
	out = malloc(n);
	if (!out)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, buf, (int)len);
	return out;
}

int b64_decode(const char *s, size_t slen, uint8_t **ret_buf, size_t *ret_len)
{
	_cleanup_free_ uint8_t *out = NULL;
	_cleanup_free_ char *again = NULL;
	size_t pad = 0, n;
	int r;

	if (slen % 4 || slen > INT_MAX / 2)
		return -EINVAL;
	if (slen >= 1 && s[slen - 1] == '=')
		pad++;
	if (slen >= 2 && s[slen - 2] == '=')
		pad++;
	out = malloc(slen / 4 * 3 + 1);
	if (!out)
		return -ENOMEM;
	/* EVP_DecodeBlock skips leading white space and ignores padding bits; the re-encoding
	 * comparison below rejects every non-canonical spelling. */
	r = EVP_DecodeBlock(out, (const unsigned char *)s, (int)slen);
	if (r < 0)
		return -EINVAL;
	n = (size_t)r - pad;
	again = b64_encode(out, n);
	if (!again)
		return -ENOMEM;
	if (strlen(again) != slen || memcmp(again, s, slen) != 0)
		return -EINVAL;
	*ret_buf = TAKE_PTR(out);
	*ret_len = n;
	return 0;
}

int read_fd_full(int fd, size_t max, uint8_t **ret_buf, size_t *ret_len)
{
	_cleanup_free_ uint8_t *buf = NULL;
	size_t len = 0, cap = 0;

	for (;;) {
		ssize_t k;

		if (len + 1 >= cap) {
			size_t ncap = cap ? cap * 2 : 65536;
			uint8_t *nb;

			if (cap > max + 1)
				return -EFBIG;
			if (ncap > max + 2)
				ncap = max + 2;
			nb = realloc(buf, ncap);
			if (!nb)
				return -ENOMEM;
			buf = nb;
			cap = ncap;
		}
		k = read(fd, buf + len, cap - len - 1);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			break;
		len += (size_t)k;
		if (len > max)
			return -EFBIG;
	}
	buf[len] = '\0';
	*ret_buf = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

int read_file_full(const char *path, size_t max, uint8_t **ret_buf, size_t *ret_len)
{
	_cleanup_close_ int fd = -EBADF;

	if (strcmp(path, "-") == 0)
		return read_fd_full(STDIN_FILENO, max, ret_buf, ret_len);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	return read_fd_full(fd, max, ret_buf, ret_len);
}

int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t k = write(fd, p, len);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += k;
		len -= (size_t)k;
	}
	return 0;
}

int write_all_at(int fd, const void *buf, size_t len, off_t off)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t k = pwrite(fd, p, len, off);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += k;
		off += k;
		len -= (size_t)k;
	}
	return 0;
}

int write_file_atomic(int dirfd, const char *name, const void *buf, size_t len, mode_t mode)
{
	char tmp[PATH_MAX], parent[PATH_MAX];
	_cleanup_close_ int fd = -EBADF, dfd = -EBADF;
	const char *slash = strrchr(name, '/');
	int r;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", name, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	/* Created exclusively: never truncating and writing into a file someone else prepared
	 * under the temporary name (and may hold open); one left by a dead process goes first. */
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0 && errno == EEXIST && unlinkat(dirfd, tmp, 0) == 0)
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, mode) < 0 || (r = write_all(fd, buf, len)) < 0 || fsync(fd) < 0) {
		r = errno ? -errno : -EIO;
		unlinkat(dirfd, tmp, 0);
		return r;
	}
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		r = -errno;
		unlinkat(dirfd, tmp, 0);
		return r;
	}
	/* The rename is durable once the directory that holds @name is synced. */
	if (slash && (size_t)(slash - name) < sizeof(parent)) {
		memcpy(parent, name, (size_t)(slash - name));
		parent[slash - name] = 0;
		dfd = openat(dirfd, slash == name ? "/" : parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} else {
		dfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (dfd < 0 || fsync(dfd) < 0)
		return -errno;
	return 0;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
	if (n > SIZE_MAX / 2 - b->len)
		return -E2BIG;
	if (b->len + n > b->cap) {
		size_t ncap = b->cap ? b->cap : 256;
		uint8_t *nd;

		while (ncap < b->len + n)
			ncap *= 2;
		nd = realloc(b->data, ncap);
		if (!nd)
			return -ENOMEM;
		b->data = nd;
		b->cap = ncap;
	}
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

int buf_append_le32(struct buf *b, uint32_t v)
{
	uint8_t le[4];

	put_le32(le, v);
	return buf_append(b, le, sizeof(le));
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

int fd_check_owned(int fd, mode_t forbidden, mode_t *ret_mode)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (ret_mode)
		*ret_mode = st.st_mode & 07777;
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & forbidden))
		return -EPERM;
	return 0;
}

static bool digits(const char *s, int n, int *ret)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*ret = v;
	return true;
}

int rfc3339_parse(const char *s, int64_t *ret)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int Y, M, D, h, m, sec, oh = 0, om = 0, sign = 0;
	struct tm tm = { 0 };
	const char *p;
	time_t t;

	if (strlen(s) < 20 || !digits(s, 4, &Y) || s[4] != '-' || !digits(s + 5, 2, &M) ||
	    s[7] != '-' || !digits(s + 8, 2, &D) || (s[10] != 'T' && s[10] != 't') ||
	    !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &m) || s[16] != ':' ||
	    !digits(s + 17, 2, &sec))
		return -EINVAL;
	p = s + 19;
	if (*p == '.') {
		if (p[1] < '0' || p[1] > '9')
			return -EINVAL;
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	}
	if ((*p == 'Z' || *p == 'z') && p[1] == 0) {
		sign = 0;
	} else if ((*p == '+' || *p == '-') && digits(p + 1, 2, &oh) && p[3] == ':' &&
		   digits(p + 4, 2, &om) && p[6] == 0 && oh < 24 && om < 60) {
		sign = *p == '+' ? 1 : -1;
	} else {
		return -EINVAL;
	}
	if (Y < 1970 || M < 1 || M > 12 || D < 1 || D > mdays[M - 1] ||
	    (M == 2 && D == 29 && !(Y % 4 == 0 && (Y % 100 != 0 || Y % 400 == 0))) || h > 23 ||
	    m > 59 || sec > 60)
		return -EINVAL;
	tm.tm_year = Y - 1900;
	tm.tm_mon = M - 1;
	tm.tm_mday = D;
	tm.tm_hour = h;
	tm.tm_min = m;
	tm.tm_sec = sec == 60 ? 59 : sec; /* a leap second counts as the second before it */
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -EINVAL;
	t -= sign * (oh * 3600 + om * 60);
	/* 1970-01-01T00:00:00Z..9999-12-31T23:59:59Z: what rfc3339_format() can write back. */
	if (t < 0 || t > 253402300799)
		return -EINVAL;
	*ret = (int64_t)t;
	return 0;
}

void rfc3339_format(int64_t t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, len, "?");
}

int fd_path(int fd, char *buf, size_t len)
{
	char proc[64];
	ssize_t n;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, buf, len - 1);
	if (n < 0) {
		buf[0] = 0;
		return -errno;
	}
	buf[n] = 0;
	return 0;
}

bool key_id_valid(const char *s)
{
	if (strncmp(s, "ed25519:", 8) != 0 || strlen(s) != 8 + 64)
		return false;
	for (s += 8; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

int strv_append_vfmt(char ***v, size_t *n, const char *fmt, va_list ap)
{
	char **nv, *str;

	if (vasprintf(&str, fmt, ap) < 0)
		return -ENOMEM;
	nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (!nv) {
		free(str);
		return -ENOMEM;
	}
	nv[(*n)++] = str;
	*v = nv;
	return 0;
}

int strv_append_fmt(char ***v, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = strv_append_vfmt(v, n, fmt, ap);
	va_end(ap);
	return r;
}
