/* SPDX-License-Identifier: Apache-2.0 */
/* Encodings (hex, base64), bounded file I/O and durable writes: helpers that depend on nothing. */
#ifndef WARD_CORE_UTIL_H
#define WARD_CORE_UTIL_H

#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/diag.h"

/**
 * hex_encode() - lower-case hex of @len bytes.
 * @buf: bytes to encode.
 * @len: their number.
 * @out: room for 2 * @len + 1 characters; NUL-terminated.
 */
void hex_encode(const uint8_t *buf, size_t len, char *out);

/**
 * hex_decode() - decode a canonical (lower-case, even-length) hex string.
 * @s: the string.
 * @slen: its length in characters.
 * @out: output buffer.
 * @outmax: its size.
 * @ret_len: number of bytes written, on success.
 *
 * Upper-case digits are refused: signed and measured data must have one spelling.
 *
 * Return: 0, -EINVAL on a bad character or odd length, -E2BIG when @out is too small.
 */
int hex_decode(const char *s, size_t slen, uint8_t *out, size_t outmax, size_t *ret_len);

/**
 * b64_encode() - standard base64 (RFC 4648, with padding, no line breaks).
 * @buf: bytes.
 * @len: their number.
 *
 * Return: a malloc'd NUL-terminated string, or NULL when out of memory.
 */
char *b64_encode(const uint8_t *buf, size_t len);

/**
 * b64_decode() - decode canonical base64: padding required, no white space, unused bits zero.
 * @s: the string.
 * @slen: its length.
 * @ret_buf: malloc'd bytes, on success.
 * @ret_len: their number.
 *
 * Canonical form matters: otherwise two spellings of one evidence bundle would verify alike and
 * a changed character could go unnoticed.
 *
 * Return: 0, -EINVAL when not canonical base64, -ENOMEM.
 */
int b64_decode(const char *s, size_t slen, uint8_t **ret_buf, size_t *ret_len);

/**
 * read_fd_full() - read a whole file from an fd, refusing anything larger than @max.
 * @fd: open fd (regular file, pipe...).
 * @max: the limit in bytes.
 * @ret_buf: malloc'd content with a NUL appended (not counted in @ret_len).
 * @ret_len: content length.
 *
 * Return: 0, -EFBIG above @max, -ENOMEM, or the read(2) errno.
 */
int read_fd_full(int fd, size_t max, uint8_t **ret_buf, size_t *ret_len);

/**
 * read_file_full() - open @path read-only and read_fd_full() it ("-" is standard input).
 * @path: the file.
 * @max: the limit in bytes.
 * @ret_buf: as read_fd_full().
 * @ret_len: as read_fd_full().
 *
 * Return: as read_fd_full(), or the open(2) errno.
 */
int read_file_full(const char *path, size_t max, uint8_t **ret_buf, size_t *ret_len);

/**
 * write_all() - write every byte, retrying on EINTR and short writes.
 * @fd: destination.
 * @buf: bytes.
 * @len: their number.
 *
 * Return: 0 or -errno.
 */
int write_all(int fd, const void *buf, size_t len);

/** write_all_at() - pwrite every byte at @off. Return: 0 or -errno. */
int write_all_at(int fd, const void *buf, size_t len, off_t off);

/**
 * write_file_atomic() - replace @name in @dirfd durably: temp file, fsync, rename, fsync dir.
 * @dirfd: directory fd (AT_FDCWD allowed).
 * @name: file name relative to @dirfd.
 * @buf: content.
 * @len: its length.
 * @mode: permission bits of the new file.
 *
 * A crash leaves either the old file or the new one, never a mix.
 *
 * Return: 0 or -errno.
 */
int write_file_atomic(int dirfd, const char *name, const void *buf, size_t len, mode_t mode);

/**
 * fd_check_owned() - is @fd a regular file owned by the effective uid with none of the
 * permission bits in @forbidden (e.g. 022: not writable by group or others)?
 * @fd: an open file.
 * @forbidden: mode bits that must be clear.
 * @ret_mode: the file's mode, for messages (may be NULL).
 *
 * State files (the log, the settings, the attester key) are refused when another user could
 * have written them: evidence signed over a log someone else appended to is worthless.
 *
 * Return: 0, -EPERM, or the fstat(2) errno.
 */
int fd_check_owned(int fd, mode_t forbidden, mode_t *ret_mode);

/** le32/le64 helpers: the log's on-disk integers are little-endian on every host. */
/**
 * key_id_valid() - is @s a signing key id as policies and records name issuers:
 * "ed25519:" and 64 lower-case hex digits (the sha256 of the raw public key)?
 */
bool key_id_valid(const char *s);

/**
 * fd_path() - the path of @fd as /proc/self/fd shows it, NUL-terminated in @buf (truncated to
 * @len - 1 bytes). Return: 0 or -errno (@buf is then empty).
 */
int fd_path(int fd, char *buf, size_t len);

/**
 * rfc3339_parse() - a UTC instant in RFC 3339 form: "YYYY-MM-DDTHH:MM:SS" with optional
 * fraction (ignored) and "Z" or "+HH:MM"/"-HH:MM". Strict: every field in range, nothing after.
 * Return: 0 or -EINVAL.
 */
int rfc3339_parse(const char *s, int64_t *ret);
/** rfc3339_format() - @t as "YYYY-MM-DDTHH:MM:SSZ" (at least 21 bytes in @out). */
void rfc3339_format(int64_t t, char *out, size_t len);

static inline uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

static inline void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static inline void put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

static inline uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static inline uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static inline uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* A growable byte buffer for serializers. */
struct buf {
	uint8_t *data;
	size_t len, cap;
};

int buf_append(struct buf *b, const void *p, size_t n);
int buf_append_le32(struct buf *b, uint32_t v);
void buf_free(struct buf *b);

/**
 * strv_append_fmt() - append a formatted, malloc'd string to the vector *@v of *@n strings
 * (the verdict reasons of the verifiers and the client). Nothing changes on failure.
 * Return: 0, -ENOMEM.
 */
int strv_append_fmt(char ***v, size_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int strv_append_vfmt(char ***v, size_t *n, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

#endif
